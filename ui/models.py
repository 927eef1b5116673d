"""Loading the models once per server process, warmed up, with a clear message when they are missing."""
from __future__ import annotations

import streamlit as st

from emotion.face import FaceModel, load_face_model
from emotion.voice import VoiceModel, load_voice_model


@st.cache_resource(show_spinner="Loading the face and voice models (only the first time)…")
def _load() -> tuple[FaceModel, VoiceModel]:
    face, voice = load_face_model(), load_voice_model()
    face.warm_up()
    voice.warm_up()
    return face, voice


def models() -> tuple[FaceModel, VoiceModel]:
    """(face model, voice model), loaded and warmed; stops the page with a message if they cannot load."""
    try:
        return _load()
    except FileNotFoundError as exc:
        st.error(f"A model file is missing: {exc}. Put `face.keras` and `voice.keras` in the `weights/` folder "
                 "(see weights/MODEL_CARD.md), then reload the page.")
    except Exception as exc:  # a broken or incompatible model file
        st.error(f"The models could not be loaded ({type(exc).__name__}: {exc}).")
    st.stop()
