"""The live page under load: when many sessions stream video to one server, it says why the video came back
smaller."""
from __future__ import annotations

import numpy as np

from emotion import live_session
from tests.app.helpers import errors, open_page
from tests.app.test_live_settings import streams  # noqa: F401  (the stand-in WebRTC component)

PAGE = "app_pages/live.py"


def _half_size_notes(at) -> list[str]:
    return [c.value for c in at.caption if "half size" in c.value]


def test_the_page_says_when_the_video_comes_back_at_half_size(streams):  # noqa: F811
    at = open_page(PAGE)
    live = at.session_state["live_analyser"]
    live.background, live._cores = False, 1  # one core: more than three sessions streaming halves the video
    frame = np.zeros((480, 640, 3), np.uint8)
    assert live.process_image(frame).shape == (480, 640, 3)
    at.run()
    assert not at.exception and not errors(at) and not _half_size_notes(at)
    others = [20_000 + k for k in range(4)]
    try:
        for key in others:
            live_session.FACE_READERS.mark(key)
        assert live.process_image(frame).shape == (240, 320, 3)
        at.run()
        assert not at.exception and not errors(at)
        assert _half_size_notes(at) and "whole picture" in _half_size_notes(at)[0]
    finally:
        for key in others:
            live_session.FACE_READERS.forget(key)
    live.process_image(frame)
    at.run()
    assert not _half_size_notes(at)
