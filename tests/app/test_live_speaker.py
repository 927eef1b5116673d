"""The live page's "New speaker": the voice is read against the session's own voice, and the button forgets it
when someone else takes the microphone."""
from __future__ import annotations

from tests import app_media as media
from tests.app.helpers import errors, open_page
from tests.app.test_live_settings import streams  # noqa: F401  (the stand-in WebRTC component)

PAGE = "app_pages/live.py"
NEW_SPEAKER = "New speaker"


def _heard_notes(at) -> list[str]:
    return [c.value for c in at.caption if c.value.startswith("Getting used to your voice")]


def test_the_page_shows_how_much_of_the_voice_it_has_heard_and_new_speaker_forgets_it(streams):  # noqa: F811
    at = open_page(PAGE)
    live = at.session_state["live_analyser"]
    live.background = False  # the test reads the audio itself (what the voice worker does every second)
    live.push_audio(media.speech()[:3 * 16000])
    assert live.tick()["voice"] != "no speech"
    assert live.speaker.heard == 1
    at.run()  # audio arrived: the page shows the readings, and how much of this voice it has heard
    assert not at.exception and not errors(at)
    assert _heard_notes(at) == ["Getting used to your voice: 3 s heard."]

    next(b for b in at.button if b.label == NEW_SPEAKER).click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert live.speaker.heard == 0 and live.snapshot().voice_heard == 0
    assert _heard_notes(at) and "nothing heard yet" in _heard_notes(at)[0]


def test_with_the_camera_only_there_is_no_new_speaker_button(streams):  # noqa: F811
    at = open_page(PAGE)
    at.radio(key="live_input").set_value("camera").run()
    assert not at.exception
    assert NEW_SPEAKER not in [b.label for b in at.button]
