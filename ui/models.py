"""Loading the models once per server process, warmed up, with a clear message when they are missing."""
from __future__ import annotations

import numpy as np
import streamlit as st

from emotion.face import FaceModel, load_face_model
from emotion.voice import WINDOW, VoiceModel, load_voice_model, log_mel


def warm(face: FaceModel, voice: VoiceModel) -> None:
    """Run every step once (detector, face model, voice model, speech gate, log-mel), so the first live frame
    and the first voice reading pay no start-up cost (a cold librosa holds the interpreter for a second or more).
    `face.warm_up` runs the detector too."""
    face.warm_up()
    voice.warm_up()
    voice.read(np.zeros(WINDOW, np.float32))
    log_mel(np.zeros(WINDOW, np.float32))


@st.cache_resource(show_spinner="Loading the face and voice models (only the first time)…")
def _load() -> tuple[FaceModel, VoiceModel]:
    face, voice = load_face_model(), load_voice_model()
    warm(face, voice)
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
