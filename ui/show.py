"""Showing readings the same way on every page: face, voice, (in hybrid mode) both together, and the room."""
from __future__ import annotations

import re

import numpy as np
import streamlit as st

from emotion import plots
from emotion.analyse import room_counts
from emotion.face import FaceReading
from emotion.fusion import HybridReading
from emotion.images import fit_width
from emotion.labels import NO_FACE, NO_READING, NO_SOUND, NO_SPEECH
from emotion.voice import VoiceReading

EMOJI = {"angry": "😠", "disgust": "🤢", "fear": "😨", "happy": "😄", "neutral": "😐", "sad": "😢",
         "surprise": "😮"}
AGREEMENT = {"same emotion": ("✅", "Face and voice agree: the same emotion."),
             "same valence": ("🟡", "Face and voice roughly agree: different emotions, but both positive or "
                                   "both negative."),
             "conflict": ("⚠️", "Face and voice disagree.")}
CHART_CONFIG = {"displayModeBar": False}
MAX_IMAGE_WIDTH = 1460  # Streamlit scales wider pictures down itself (and fails when one side becomes 0 px)
_MARKDOWN_PUNCTUATION = re.compile(r"[!-/:-@\[-`{-~]")  # every ASCII punctuation mark: all escapable in Markdown


def plain(text: object) -> str:
    """`text` (a file or folder name, a message quoting one) for Markdown, shown as typed: never a link,
    emphasis, code, HTML or a colour directive. Line breaks become spaces."""
    one_line = " ".join(str(text).splitlines())
    return _MARKDOWN_PUNCTUATION.sub(lambda m: "\\" + m.group(0), one_line)


def picture(image: np.ndarray, caption: str | None = None, width: int | None = None) -> None:
    """A BGR picture, scaled down here to `width` (default: the widest Streamlit shows) with every side at
    least 1 px, so very wide or tall pictures show instead of failing. `caption` is Markdown."""
    st.image(fit_width(image, width or MAX_IMAGE_WIDTH), caption=caption, width=width or "content", channels="BGR")


def headline(label: str, confidence: float | None) -> str:
    """'😄 **happy** · 72%' (markdown)."""
    icon = EMOJI.get(label, "·")
    return f"### {icon} {label}" + (f" &nbsp;·&nbsp; {confidence:.0%}" if confidence is not None else "")


def bars(probs, key: str, height: int = 230) -> None:
    """Probability bars over EMOTIONS."""
    st.plotly_chart(plots.probability_bars(probs, height=height), key=key, config=CHART_CONFIG)


def face_panel(face: FaceReading | None, count: int, key: str, missing: str = "No face found.") -> None:
    """The main face's reading with its probability bars."""
    st.markdown("**Face**")
    if face is None:
        st.markdown(headline(NO_FACE, None))
        st.caption(missing)
        return
    st.markdown(headline(face.label, face.confidence))
    notes = []
    if count > 1:
        notes.append(f"{count} faces; the bars are for the largest")
    if not face.detected:
        notes.append("no face was detected, so the whole picture was read as one face")
    if notes:
        st.caption("; ".join(notes).capitalize() + ".")
    bars(face.probs, key=f"{key}-face")


def voice_panel(voice: VoiceReading | None, key: str, missing: str = "No recording.") -> None:
    """The voice reading with its probability bars, or why there is none."""
    st.markdown("**Voice**")
    if voice is None:
        st.markdown(headline(NO_SOUND, None))
        st.caption(missing)
        return
    if not voice.has_speech:
        st.markdown(headline(NO_SPEECH, None))
        st.caption(f"Nothing to read: {voice.reason}.")
        return
    st.markdown(headline(voice.label, voice.confidence))
    st.caption(f"{voice.speech_seconds:.1f} s of speech heard.")
    bars(voice.probs, key=f"{key}-voice")


def hybrid_panel(reading: HybridReading, key: str) -> None:
    """Agreement between face and voice, and the fused reading (or why one was left out)."""
    st.markdown("**Face + voice together**")
    if reading.agreement:
        icon, words = AGREEMENT[reading.agreement]
        st.markdown(f"{icon} **{reading.agreement}** — {words}")
    elif reading.note:
        st.info(f"Only one side could be read: {reading.note}.", icon="ℹ️")
    if reading.probs is None:
        st.markdown(headline(NO_READING, None))
        return
    source = {"fused": f"face and voice combined ({reading.rule} rule)", "face": "from the face only",
              "voice": "from the voice only"}[reading.source]
    text, chart = st.columns([2, 3], gap="medium")
    with text:
        st.markdown(headline(reading.label, reading.confidence))
        st.caption(f"Reading {source}.")
    with chart:
        bars(reading.probs, key=f"{key}-fused", height=220)


def room(faces) -> None:
    """How many faces show each emotion now ('**The room** · 3 faces: 😄 happy 2 · 😐 neutral 1')."""
    counts = {e: n for e, n in room_counts(faces).items() if n}
    st.markdown(f"**The room** · {len(faces)} faces: "
                + " · ".join(f"{EMOJI[e]} {e} **{n}**" for e, n in sorted(counts.items(), key=lambda c: -c[1])))


def readings(face: FaceReading | None, faces: int, voice: VoiceReading | None, fused: HybridReading,
             hybrid: bool, key: str, face_missing: str = "No face found.",
             voice_missing: str = "No recording.") -> None:
    """Simple mode: face and voice side by side. Hybrid mode: the same, with the combined reading below."""
    left, right = st.columns(2, gap="medium")
    with left:
        face_panel(face, faces, key, face_missing)
    with right:
        voice_panel(voice, key, voice_missing)
    if hybrid:
        with st.container(border=True):
            hybrid_panel(fused, key)
