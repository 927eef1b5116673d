"""Shared fixtures: the real models (loaded once per test session)."""
from __future__ import annotations

import pytest

# aiortc's SRTP library crashes (segfault in srtp_init) when first loaded after TensorFlow, and the
# app tests load the live page (aiortc) in the same process as the model tests: load it first.
import streamlit_webrtc  # noqa: F401,E402


@pytest.fixture(scope="session")
def face_model():
    from emotion.face import load_face_model

    model = load_face_model()
    model.warm_up()
    return model


@pytest.fixture(scope="session")
def voice_model():
    from emotion.voice import load_voice_model

    model = load_voice_model()
    model.warm_up()
    return model
