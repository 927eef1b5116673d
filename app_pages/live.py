"""Live: webcam and microphone over WebRTC, every face labelled on the video, voice read every second."""
from __future__ import annotations

import time

import streamlit as st
from streamlit_webrtc import WebRtcMode, create_audio_sink_track, webrtc_streamer

from emotion import plots
from emotion.live_session import LiveAnalyser
from emotion.rtc import IceConfigError, ice_servers
from ui import explanations, settings, show
from ui.models import models

INPUTS = {"both": "Camera and microphone", "camera": "Camera only", "microphone": "Microphone only"}
STREAM_KEY = "live"  # webrtc_streamer keeps its context in st.session_state under this key
STALL_SECONDS = 10.0  # playing this long with no media arriving: the connection has dropped or never came up
# What the page asks of the camera. The server decodes, draws on and re-encodes every frame of every session, so
# 15 frames a second (webcams default to 30) halves that work; the faces are read a few times a second anyway.
CAMERA = {"width": {"ideal": 640}, "height": {"ideal": 480}, "frameRate": {"ideal": 15, "max": 15}}

st.title("Live")
st.write("Click **START** and allow the camera and the microphone. Every face gets a box with its emotion; "
         "the voice is read from the last 3 seconds of speech. The picture is mirrored, like a selfie camera. "
         "With several faces in view (a classroom), the room is shown too: how many faces show each emotion.")

face_model, voice_model = models()  # loaded and warmed before START
hybrid = settings.hybrid_mode()
if "live_analyser" not in st.session_state:  # one per browser session: readings are never mixed
    st.session_state["live_analyser"] = LiveAnalyser(face_model, voice_model)
live: LiveAnalyser = st.session_state["live_analyser"]
previous = st.session_state.get(STREAM_KEY)
was_playing = bool(previous is not None and previous.state.playing)

left, right = st.columns([3, 1], vertical_alignment="bottom")
source = left.radio("Use", list(INPUTS), format_func=INPUTS.get, horizontal=True, key="live_input",
                    disabled=was_playing, help="Change this while stopped. Use one side alone when there is no "
                                               "camera or no microphone, or to see what the other side says alone.")
with right:
    live.configure(mask=settings.mask_toggle("live_mask"))


def _secrets():
    try:
        return st.secrets if "ice_servers" in st.secrets else None
    except Exception:  # no secrets.toml at all
        return None


try:
    servers = ice_servers(_secrets())
except IceConfigError as exc:
    st.error(f"The ICE server setting is wrong, so it was ignored: {show.plain(exc)}. Until it is fixed, "
             "connections only work on this computer.", icon="🚫")
    servers = []

video_col, readings_col = st.columns([1, 1], gap="large")
with video_col:
    ctx = webrtc_streamer(
        key=STREAM_KEY,
        mode=WebRtcMode.SENDRECV,
        rtc_configuration={"iceServers": servers},
        server_rtc_configuration={"iceServers": servers},  # the server too: the same TURN, and no STUN default
        media_stream_constraints={"video": CAMERA if source != "microphone" else False,
                                  "audio": source != "camera"},
        video_frame_callback=live.video_frame,  # mirrors, queues for the face worker, draws the latest boxes
        on_video_ended=live.stop,
        # Every audio frame goes to the ring buffer (no drops); a sink sends nothing back, so no echo.
        sink_audio_track=create_audio_sink_track(live.audio_frame, key="live-audio"),
        sendback_audio=False,
        async_processing=True,
    )


def _streaming(snap) -> bool:
    """Whether the stream runs: the component says so, or media arrived in the last few seconds.

    Media is the ground truth: the component's state comes from the last full run and can lag behind it.
    """
    return bool(ctx.state.playing or snap.media_active)


streaming = _streaming(live.snapshot())
if ctx.state.playing:  # when this stream started, to tell a stalled connection from a slow start
    st.session_state.setdefault("live_playing_since", time.monotonic())
else:
    st.session_state.pop("live_playing_since", None)


def _stalled(snap) -> bool:
    """The component plays, but nothing has arrived from the camera or the microphone for a while."""
    since = st.session_state.get("live_playing_since")
    return bool(ctx.state.playing and since is not None and time.monotonic() - since > STALL_SECONDS
                and not snap.media_active)


def heard_note(seconds: float) -> str:
    """How far the voice reading has got used to this speaker's voice."""
    if seconds < 0.5:
        return ("Getting used to your voice: nothing heard yet. Until then it is read against an average "
                "speaker's voice.")
    return f"Getting used to your voice: {seconds:.0f} s heard."


@st.fragment(run_every=1.0 if streaming or ctx.state.signalling else None)
def current_readings() -> None:
    """The latest readings, refreshed every second while streaming or connecting (the callbacks never touch
    Streamlit). When the stream ends between full runs, a full run brings the rest of the page along."""
    snap = live.snapshot()
    if _streaming(snap) != streaming:
        st.rerun(scope="app")
    if not streaming:
        if ctx.state.signalling:
            st.info("Connecting… allow the camera and the microphone if the browser asks.", icon="⏳")
        else:
            st.info("Not streaming. Click **START** under the video." if not len(live.log) else
                    "Stopped. The session so far is below; click **START** to go on.", icon="▶️")
        return
    if _stalled(snap):
        st.warning("Nothing is arriving from the camera or the microphone: the connection may have dropped. "
                   "Click **STOP**, then **START**. The session so far is kept.", icon="⚠️")
    elif not snap.video_frames and not snap.audio_seconds:
        st.caption("Connecting… (the first frames can take a few seconds)")
    face_missing = ("The camera is off." if source == "microphone" else
                    "No face in view." if snap.video_active else "No video yet.")
    voice_missing = "The microphone is off." if source == "camera" else "No sound is arriving from the microphone."
    show.readings(snap.face, len(snap.faces), snap.voice, snap.hybrid, hybrid, "live",
                  face_missing=face_missing, voice_missing=voice_missing)
    if source != "camera":
        st.caption(heard_note(snap.voice_heard))
    if len(snap.faces) > 1:
        show.room(snap.faces)
    st.caption(f"Faces in view: {len(snap.faces)} · video frames: {snap.video_frames} · "
               f"sound received: {snap.audio_seconds:.0f} s · face reading takes {snap.face_ms:.0f} ms")
    if snap.video_scale < 1 and snap.video_active:
        st.caption("Many sessions are streaming on this server, so your video comes back at half size. "
                   "The faces are still read from your camera's whole picture.")
    if snap.error:
        st.warning(f"Something went wrong while reading: {show.plain(snap.error)}", icon="⚠️")


with readings_col:
    current_readings()
    # Why: freeze the face in view now and show what the model looked at (the stream goes on).
    if st.button("Freeze this face and explain", key="live-freeze", icon="🔍",
                 help="Keeps the current face and shows which parts of it the model's reading came from."):
        st.session_state["live_frozen"] = live.latest_face()
        if st.session_state["live_frozen"] is None:
            st.info("No face in view to freeze: look at the camera and click again.", icon="🙂")
    if source != "camera":  # the voice is read against this speaker's own voice: someone else, start afresh
        st.button("New speaker", key="live-new-speaker", icon="🎙️", on_click=live.new_speaker,
                  help="Someone else takes the microphone: forget the voice heard so far. Each voice is read "
                       "against itself, so the reading gets better as it hears more of one speaker.")
    frozen = st.session_state.get("live_frozen")
    if frozen is not None:
        with st.container(border=True):
            st.markdown(show.headline(frozen.face.label, frozen.face.confidence)
                        + f" &nbsp;·&nbsp; frozen at {frozen.seconds:.0f} s")
            explanations.face(face_model, frozen.image, frozen.face, mask=frozen.mask)


@st.fragment(run_every=3.0 if streaming else None)
def session_log() -> None:
    """The session so far: a timeline, and the log as CSV (kept after STOP)."""
    rows = live.log.rows()
    if not rows:
        st.caption("The timeline and the session log appear here once the stream runs.")
        return
    series = ("face", "voice", "fused") if hybrid else ("face", "voice")
    st.plotly_chart(plots.timeline(rows, series), key="live-timeline", config=show.CHART_CONFIG)
    if any(row.get("faces", 0) > 1 for row in rows):  # the room: share of the faces in view per emotion
        st.markdown("**The room over time** · share of the faces in view showing each emotion")
        st.plotly_chart(plots.room_timeline(rows), key="live-room", config=show.CHART_CONFIG)
    left, right = st.columns([1, 1])
    # A callable: the CSV is written when the button is clicked, not on every tick of the readings (the file
    # a tick registered could vanish under the click, and the whole log was turned into CSV every second).
    left.download_button("Download the session log (CSV)", live.log.to_csv, file_name="moodlens-session.csv",
                         mime="text/csv", on_click="ignore", icon="⬇️", key="live-csv")
    if not streaming and right.button("Clear the log", key="live-clear"):
        live.clear()
        st.rerun()


st.subheader("This session")
session_log()
