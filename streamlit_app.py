"""Moodlens: the entry point. Shared sidebar settings, page navigation, and the home page."""
from __future__ import annotations

# Load WebRTC (aiortc's SRTP library) before anything loads TensorFlow: in the other order,
# libsrtp's start-up crashes the whole server (segmentation fault in srtp_init).
import streamlit_webrtc  # noqa: F401  isort: skip

import streamlit as st

from emotion import model_info
from emotion.labels import EMOTIONS
from ui import sessions, settings
from ui.script_cleanup import skip_keras_reset
from ui.show import EMOJI
from ui.uploads import share_upload_buffers

skip_keras_reset()  # Streamlit would reset Keras after every run, starving live video (see the module)
sessions.start()  # closed tabs' sessions and uploads are shut down and freed (see ui/sessions.py)
share_upload_buffers()  # Streamlit would copy each uploaded file on every run (see ui/uploads.py)

st.set_page_config(page_title="Moodlens", page_icon="🎭", layout="wide")

# The pages live in app_pages/, not pages/: Streamlit treats a pages/ folder as the older multipage
# convention, which runs a page without this entry point (no shared sidebar) in some cases.
LIVE = st.Page("app_pages/live.py", title="Live", icon=":material/videocam:", url_path="live")
CAPTURE = st.Page("app_pages/capture.py", title="Capture", icon=":material/photo_camera:", url_path="capture")
RESULTS = st.Page("app_pages/results.py", title="Results", icon=":material/analytics:", url_path="results")


def home() -> None:
    """What the app does, which models it uses, and where to go."""
    from ui.models import models

    st.title("Moodlens")
    st.markdown(
        "Moodlens guesses **emotions from a face and from a voice**. It knows seven: "
        + ", ".join(f"{EMOJI[e]} {e}" for e in EMOTIONS) + ".\n\n"
        "It reads every face it sees and the last few seconds of speech. In **Simple** mode you see what "
        "the face and the voice say on their own; in **Hybrid** mode Moodlens also tells you whether they "
        "agree and combines them. Choose the mode in the sidebar.")
    st.caption("Everything runs on this computer: pictures and sound are not stored or sent anywhere.")

    st.subheader("Start here")
    cols = st.columns(3)
    pages = ((LIVE, "Webcam and microphone, read live. Click **START** and talk."),
             (CAPTURE, "Take a photo and record your voice, or upload a picture, a sound file or a short video."),
             (RESULTS, "Measure accuracy on your own labelled pictures or recordings (a .zip)."))
    for col, (page, text) in zip(cols, pages):
        with col.container(border=True):
            st.page_link(page, label=page.title, icon=page.icon)
            st.write(text)

    st.subheader("The models")
    with st.spinner("Loading the models…"):
        face, voice = models()
    st.markdown(
        f"- **Face**: a small neural network that reads 48×48 grey face crops, trained on FER2013 — "
        f"{model_info.describe('face')}. (`{face.path.name}`)\n"
        f"- **Voice**: two small neural networks read each 3-second window of speech, one its statistics of "
        f"loudness, pitch and voice quality (openSMILE) against the speaker's usual voice, the other its "
        f"spectrogram — "
        f"{model_info.describe('voice')}. (`{voice.path.name}`)")
    st.caption("Faces are found with MTCNN (the mtcnn package), which also finds turned, dim and masked faces. "
               "Silence and noise are not read as an emotion: "
               "the voice side says “no speech”. Readings are guesses, not facts about how someone feels.")


settings.sidebar()
page = st.navigation([st.Page(home, title="Home", icon=":material/home:", default=True), LIVE, CAPTURE, RESULTS])
page.run()
