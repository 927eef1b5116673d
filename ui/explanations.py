"""Showing explanations under readings: what the face model looked at, what the voice model listened to.

Explanations are cached by their input, so a rerun of the page (any widget change) does not compute them again.
"""
from __future__ import annotations

import numpy as np
import streamlit as st

from emotion.explain import (
    FaceExplanation,
    VoiceExplanation,
    explain_face,
    explain_voice,
    face_caption,
    face_crop,
    face_picture,
    voice_caption,
    voice_picture,
)
from emotion.face import FaceModel, FaceReading
from emotion.voice import VoiceModel, VoiceReading
from ui.show import picture

FACE_TITLE, VOICE_TITLE = "What the model looked at", "What it listened to"


@st.cache_data(max_entries=16, show_spinner=False)
def _face(_model: FaceModel, crop: np.ndarray, label: str) -> FaceExplanation:
    return explain_face(_model, crop, label)


@st.cache_data(max_entries=8, show_spinner=False)
def _voice(_model: VoiceModel, audio: np.ndarray, label: str) -> VoiceExplanation | None:
    return explain_voice(_model, audio, label)


def face(model: FaceModel, image: np.ndarray, reading: FaceReading, mask: bool = False) -> None:
    """The face crop the reading came from and its heat map, with a caption saying how to read it."""
    st.markdown(f"**{FACE_TITLE}**")
    with st.spinner("Finding what mattered…"):
        explanation = _face(model, face_crop(image, reading.box, mask), reading.label)
    picture(face_picture(explanation, side=160), caption=face_caption(explanation))


def voice(model: VoiceModel, audio: np.ndarray, reading: VoiceReading) -> None:
    """The recording's spectrogram with the seconds and pitches that mattered highlighted, and a caption."""
    st.markdown(f"**{VOICE_TITLE}**")
    with st.spinner("Finding what mattered…"):
        explanation = _voice(model, audio, reading.label) if reading.has_speech else None
    if explanation is None:
        st.caption("No speech, so nothing to explain.")
        return
    picture(voice_picture(explanation), caption=voice_caption(explanation))
