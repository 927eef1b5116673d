"""The live page's "Freeze this face and explain": the face in view now, with what the model looked at."""
from __future__ import annotations

from emotion.draw import mirror
from tests import app_media as media
from tests.app.helpers import errors, open_page
from tests.app.test_live_settings import streams  # noqa: F401  (the stand-in WebRTC component)

PAGE = "app_pages/live.py"
FREEZE = "Freeze this face and explain"


def _freeze(at):
    next(b for b in at.button if b.label == FREEZE).click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_freezing_with_no_face_in_view_says_so(streams):  # noqa: F811
    at = _freeze(open_page(PAGE))
    assert any("No face in view to freeze" in i.value for i in at.info)
    assert "**What the model looked at**" not in [m.value for m in at.markdown]


def test_freezing_the_face_in_view_shows_what_the_model_looked_at(streams):  # noqa: F811
    at = open_page(PAGE)
    live = at.session_state["live_analyser"]
    live.face_hold = 600.0  # the page's run takes a while here; the face must still count as in view
    faces = live.read_faces(mirror(media.camera_frame()))  # what the face worker does with a frame
    assert faces
    at = _freeze(at)
    assert not errors(at)
    assert "**What the model looked at**" in [m.value for m in at.markdown]
    assert any("### " in m.value and faces[0].label in m.value and "frozen at" in m.value for m in at.markdown)
    caption = at.image[-1].captions[0]
    assert f'brighter = mattered more for "{faces[0].label}"' in caption
    at.run()  # the frozen face stays on later runs
    assert at.image and at.image[-1].captions[0] == caption
