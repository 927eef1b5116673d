"""The capture page: photo/recording, uploaded files and video give readings; bad files give clear errors."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from emotion.labels import EMOTIONS
from tests import app_media as media
from tests.app.helpers import errors, is_emotion, live_markup, open_page, panels

PAGE = "app_pages/capture.py"


def _jpeg(image: np.ndarray) -> bytes:
    return cv2.imencode(".jpg", image)[1].tobytes()


@pytest.mark.parametrize("mode", ["Simple", "Hybrid"])
def test_uploaded_picture_and_speech_are_read(mode):
    at = open_page(PAGE, mode)
    at.file_uploader(key="image_file").set_value(("face.png", media.png_bytes(media.camera_frame()), "image/png"))
    at.file_uploader(key="audio_file").set_value(("speech.wav", media.SPEECH.read_bytes(), "audio/wav")).run()
    assert not at.exception and not errors(at)
    shown = panels(at)
    assert is_emotion(shown["Face"]) and is_emotion(shown["Voice"])
    assert len(at.image) == 3  # the picture with the face box drawn on it, and the two explanations
    charts = at.get("plotly_chart")
    if mode == "Hybrid":
        assert is_emotion(shown["Face + voice together"])
        text = "\n".join(m.value for m in at.markdown)
        assert any(a in text for a in ("same emotion", "same valence", "conflict"))
        assert len(charts) == 3
    else:
        assert "Face + voice together" not in shown and len(charts) == 2


def test_explanations_are_shown_under_the_readings_and_say_how_to_read_them():
    at = open_page(PAGE)
    at.file_uploader(key="image_file").set_value(("face.png", media.png_bytes(media.camera_frame()), "image/png"))
    at.file_uploader(key="audio_file").set_value(("speech.wav", media.SPEECH.read_bytes(), "audio/wav")).run()
    assert not at.exception and not errors(at)
    shown = panels(at)
    titles = [m.value for m in at.markdown]
    assert titles.index("**What the model looked at**") > titles.index("**Face**")
    assert titles.index("**What it listened to**") > titles.index("**Voice**")
    face_caption, voice_caption = at.image[1].captions[0], at.image[2].captions[0]
    assert f'brighter = mattered more for "{shown["Face"]}"' in face_caption
    assert f'Brighter = mattered more for "{shown["Voice"]}"' in voice_caption and " Hz" in voice_caption
    at.run()  # a rerun (any widget) shows the same explanations without computing them again
    assert [i.captions for i in at.image[1:]] == [[face_caption], [voice_caption]]


def test_a_face_alone_is_explained_and_silence_is_not():
    at = open_page(PAGE)
    at.file_uploader(key="image_file").set_value(("face.png", media.png_bytes(media.camera_frame()), "image/png"))
    at.file_uploader(key="audio_file").set_value(("quiet.wav", media.wav_bytes(np.zeros(48000, np.float32)),
                                                  "audio/wav")).run()
    assert not at.exception and not errors(at)
    assert "**What the model looked at**" in [m.value for m in at.markdown]
    assert any(c.value == "No speech, so nothing to explain." for c in at.caption)


def test_photo_and_recording_from_the_browser_widgets():
    at = open_page(PAGE, "Hybrid")
    at.camera_input(key="photo").set_value(("photo.jpg", _jpeg(media.camera_frame()), "image/jpeg"))
    at.audio_input(key="voice").set_value(("voice.wav", media.wav_bytes(np.zeros(48000, np.float32)), "audio/wav"))
    at.run()
    assert not at.exception and not errors(at)
    shown = panels(at)
    assert is_emotion(shown["Face"]) and shown["Voice"] == "no speech"
    assert is_emotion(shown["Face + voice together"])  # from the face alone...
    notes = [i.value for i in at.info]
    assert any("no speech" in n and "face alone" in n for n in notes)  # ...and it says so


def test_voice_alone_in_hybrid_mode_says_the_face_is_missing():
    at = open_page(PAGE, "Hybrid")
    at.file_uploader(key="audio_file").set_value(("speech.wav", media.SPEECH.read_bytes(), "audio/wav")).run()
    shown = panels(at)
    assert shown["Face"] == "no face" and is_emotion(shown["Voice"]) and is_emotion(shown["Face + voice together"])
    assert any("no face" in i.value and "voice alone" in i.value for i in at.info)


@pytest.mark.parametrize("key,name,data,expected", [
    ("image_file", "broken.png", b"\x89PNG\r\n\x1a\n this is not really a picture", "not a readable image"),
    ("image_file", "empty.jpg", b"", "the file is empty"),
    ("audio_file", "noise.wav", b"RIFF....WAVEfmt garbage", "not a readable audio file"),
])
def test_bad_files_give_a_clear_message_not_a_traceback(key, name, data, expected):
    at = open_page(PAGE)
    at.file_uploader(key=key).set_value((name, data, "application/octet-stream")).run()
    assert not at.exception
    messages = errors(at)
    assert len(messages) == 1 and name in messages[0] and expected in messages[0]


def test_a_video_gives_a_timeline_an_overall_reading_and_a_csv(tmp_path):
    video = media.write_video(tmp_path / "clip.mp4", seconds=3.0)
    at = open_page(PAGE, "Hybrid")
    at.file_uploader(key="video_file").set_value(("clip.mp4", video.read_bytes(), "video/mp4")).run()
    assert not at.exception and not errors(at)
    assert any("6 frames read from 0 to 2.5 s of 3.0 s; 3.0 s of sound. A face was found in 6 frames" in c.value
               for c in at.caption)
    shown = panels(at)
    assert is_emotion(shown["Face"]) and is_emotion(shown["Voice"])
    download = at.get("download_button")
    assert len(download) == 1 and download[0].proto.label == "Download the timeline (CSV)"


def test_the_limits_are_said_in_the_page():
    at = open_page(PAGE)
    text = " ".join(c.value for c in at.caption)
    assert "Pictures up to 100 megapixels" in text and "recordings up to 15 minutes" in text


def test_a_recording_is_decoded_once_not_again_on_every_rerun(monkeypatch):
    """Switching Simple/Hybrid re-ran the page and decoded the same (maybe 10-minute) recording again."""
    from emotion import audio

    calls = []
    real = audio.load_audio
    monkeypatch.setattr(audio, "load_audio", lambda *a, **k: (calls.append(a[1]), real(*a, **k))[1])
    at = open_page(PAGE, "Simple")
    at.file_uploader(key="audio_file").set_value(("speech.wav", media.SPEECH.read_bytes(), "audio/wav")).run()
    at.sidebar.radio(key="mode").set_value("Hybrid").run()
    at.run()
    assert not at.exception and calls == ["speech.wav"]
    assert is_emotion(panels(at)["Face + voice together"])


def test_a_file_that_is_not_a_video_is_refused_clearly():
    at = open_page(PAGE)
    at.file_uploader(key="video_file").set_value(("talk.mp4", media.SPEECH.read_bytes(), "video/mp4")).run()
    assert not at.exception
    assert any("talk.mp4" in e and "no video picture" in e for e in errors(at))


def test_simulated_mask_toggle_reads_the_masked_face(monkeypatch):
    from emotion import analyse

    seen = []
    real = analyse.read_moment

    def spy(*args, **kwargs):
        seen.append(kwargs.get("mask"))
        return real(*args, **kwargs)

    monkeypatch.setattr(analyse, "read_moment", spy)
    at = open_page(PAGE, "Hybrid")
    at.toggle(key="capture_mask").set_value(True)
    at.file_uploader(key="image_file").set_value(("face.png", media.png_bytes(media.camera_frame()), "image/png")).run()
    assert not at.exception and not errors(at)
    assert seen and seen[-1] is True  # the face is read with the mask drawn on
    assert panels(at)["Face"] in (*EMOTIONS, "no face")  # a masked face may not be found: that is a reading too
    assert len(at.image) == (1 if panels(at)["Face"] == "no face" else 2)  # the picture, and what mattered


@pytest.mark.parametrize("shape", [(2, 4000), (4000, 2)])
def test_a_very_wide_or_tall_picture_is_shown_and_read(shape):
    at = open_page(PAGE)
    picture = media.png_bytes(np.full((*shape, 3), 128, np.uint8))
    at.file_uploader(key="image_file").set_value(("strip.png", picture, "image/png")).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not errors(at) and len(at.image) == 2  # the picture, and what mattered in it
    assert panels(at)["Face"] in EMOTIONS  # no face found: the whole picture is read as one


def test_a_file_name_in_an_error_shows_as_text_not_as_a_link():
    at = open_page(PAGE)
    name = "[reset password](https:evil.example) `x.png"
    at.file_uploader(key="image_file").set_value((name, b"not a picture", "image/png")).run()
    assert not at.exception
    assert len(at.error) == 1 and live_markup(at.error[0].value) == []
    assert errors(at)[0].startswith(f"Could not use {name}: not a readable image")
