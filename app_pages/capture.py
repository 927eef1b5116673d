"""Capture: a photo and a voice recording, uploaded files, or a short video, read without streaming."""
from __future__ import annotations

import hashlib

import streamlit as st

from emotion import audio as audio_limits, plots
from emotion.analyse import read_clip, read_moment
from emotion.audio import AUDIO_EXTENSIONS, AudioError, load_audio
from emotion.csv_out import csv_text
from emotion.draw import draw_faces
from emotion.images import IMAGE_EXTENSIONS, MAX_PIXELS, ImageError, load_image
from emotion.video import MAX_SECONDS as VIDEO_SECONDS, VIDEO_EXTENSIONS, VideoError, read_video
from ui import explanations, settings, show
from ui.models import models
from ui.uploads import decode, release

st.title("Capture")
st.write("Read the emotion in one moment: a photo and a few seconds of your voice, files you already have, "
         "or a short video. Use either side on its own or both together.")
st.caption(f"Pictures up to {MAX_PIXELS // 1_000_000} megapixels; recordings up to "
           f"{audio_limits.MAX_SECONDS // 60} minutes (longer ones are cut there); videos are read for their "
           f"first {VIDEO_SECONDS // 60} minutes.")

face_model, voice_model = models()
hybrid = settings.hybrid_mode()
mask = settings.mask_toggle("capture_mask")


def show_moment(image, audio, key: str) -> None:
    """Read a picture and/or a recording and show the results."""
    if image is None and audio is None:
        return
    with st.spinner("Reading…"):
        moment = read_moment(face_model, voice_model, image, audio, mask=mask)
    picture, results = st.columns([2, 3], gap="large") if image is not None else (None, st.container())
    if picture is not None:
        with picture:
            show.picture(draw_faces(image, moment.faces, mask=mask))
    with results:
        show.readings(moment.face, len(moment.faces), moment.voice, moment.hybrid, hybrid, key,
                      face_missing="No picture." if image is None else "No face found in the picture.",
                      voice_missing="No recording.")
    if moment.face is not None or moment.voice is not None:  # why: under the readings, face left, voice right
        why_face, why_voice = st.columns([2, 3], gap="large")
        if moment.face is not None:
            with why_face:
                explanations.face(face_model, image, moment.face, mask=mask)
        if moment.voice is not None:
            with why_voice:
                explanations.voice(voice_model, audio, moment.voice)


photo_tab, upload_tab, video_tab = st.tabs(["Photo and voice", "Upload files", "Video"])

with photo_tab:
    left, right = st.columns(2, gap="large")
    photo = left.camera_input("Take a photo", key="photo")
    voice = right.audio_input("Record your voice (speak for 3 seconds or more)", key="voice")
    show_moment(decode(photo, load_image, ImageError), decode(voice, load_audio, AudioError, "voice"), "photo")

with upload_tab:
    left, right = st.columns(2, gap="large")
    image_file = left.file_uploader("A picture with a face", type=[e.lstrip(".") for e in IMAGE_EXTENSIONS],
                                    key="image_file")
    audio_file = right.file_uploader("A recording of speech", type=[e.lstrip(".") for e in AUDIO_EXTENSIONS],
                                     key="audio_file")
    show_moment(decode(image_file, load_image, ImageError), decode(audio_file, load_audio, AudioError, "audio_file"),
                "upload")

with video_tab:
    video_file = st.file_uploader("A short video (up to a few minutes)", type=[e.lstrip(".") for e in VIDEO_EXTENSIONS],
                                  key="video_file")
    clip = decode(video_file, read_video, VideoError)
    if video_file is None:
        release("clip_readings")  # the last video's readings go with it
    if clip is not None:
        digest = hashlib.sha1(video_file.getvalue()).hexdigest() + f"-{mask}"
        cache = st.session_state.setdefault("clip_readings", {})
        if digest not in cache:
            bar = st.progress(0.0, text="Reading the video…")
            cache.clear()  # keep only the latest video's reading in memory
            cache[digest] = read_clip(face_model, voice_model, clip, mask=mask,
                                      progress=lambda d, t: bar.progress(d / t, text=f"Reading frame {d} of {t}…"))
            bar.empty()
        result = cache[digest]
        st.caption(f"{clip.summary()} A face was found in {result.frames_with_face} frames.")
        st.markdown("**Over time**")
        series = ("face", "voice", "fused") if hybrid else ("face", "voice")
        st.plotly_chart(plots.timeline(result.rows, series), key="clip-timeline", config=show.CHART_CONFIG)
        st.markdown("**The whole video**")
        overall = result.overall
        show.readings(overall.face, len(overall.faces), overall.voice, overall.hybrid, hybrid, "clip",
                      face_missing="No face found in any frame.", voice_missing=clip.audio_note or "No sound.")
        st.download_button("Download the timeline (CSV)", csv_text(result.rows),
                           file_name=f"{video_file.name.rsplit('.', 1)[0]}-timeline.csv", mime="text/csv",
                           on_click="ignore", icon="⬇️")
