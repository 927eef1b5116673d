"""Loading the models once per server process, warmed up, with a clear message when they are missing."""
from __future__ import annotations

import numpy as np
import streamlit as st

from emotion.face import FaceModel, load_face_model
from emotion.voice import WINDOW, VoiceModel, load_voice_model


def warm(face: FaceModel, voice: VoiceModel) -> None:
    """Run every step once, so the first live frame and the first voice reading pay no start-up cost: the
    detector and the face model (`face.warm_up`), the voice's functionals, log-mel spectrogram and networks
    (`voice.warm_up`), the speech gate and the rest of a reading (`voice.read` of noise), and reading against a
    speaker of one's own, as the live page does."""
    face.warm_up()
    voice.warm_up()
    noise = np.random.default_rng(1).normal(0, 0.05, WINDOW).astype(np.float32)
    voice.read(noise, speaker=voice.new_speaker())
    voice.read_windows([noise], speaker=voice.new_speaker())


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
