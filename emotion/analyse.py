"""Reading a moment (a photo and/or a recording) or a video clip: faces, voice, and both together.

Used by the capture page; the rows it makes for a clip have the same columns as the live
session log, so both draw the same timeline and download the same CSV. With several faces in view,
a row also counts the faces showing each emotion (the room).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from .audio import SAMPLE_RATE
from .face import FaceMode, FaceReading
from .fusion import HybridReading, hybrid
from .labels import EMOTIONS, NO_FACE, NO_SOUND
from .readings import Progress
from .video import VideoClip
from .voice import WINDOW, VoiceReading


@dataclass
class Moment:
    """What a picture and a recording say, alone and together."""

    faces: list[FaceReading] = field(default_factory=list)  # largest first; empty when no picture/face
    voice: VoiceReading | None = None  # None when there was no recording
    hybrid: HybridReading = field(default_factory=lambda: hybrid(None, None))
    picture: bool = False  # whether a picture was given

    @property
    def face(self) -> FaceReading | None:
        """The main (largest) face."""
        return self.faces[0] if self.faces else None


def read_moment(face_model: Any, voice_model: Any, image: np.ndarray | None = None, audio: np.ndarray | None = None,
                mask: bool = False, face_mode: FaceMode = FaceMode.AUTO, rule: str | None = None) -> Moment:
    """Read the faces in `image` (BGR) and the speech in `audio` (mono 16 kHz); either may be None."""
    faces = face_model.read(image, mode=face_mode, mask=mask) if image is not None else []
    voice = voice_model.read(audio) if audio is not None else None
    return Moment(faces=list(faces), voice=voice, hybrid=hybrid(faces[0] if faces else None, voice, rule),
                  picture=image is not None)


def room_counts(faces: Sequence[FaceReading]) -> dict[str, int]:
    """How many of `faces` show each emotion (their top label), for every emotion in EMOTIONS order."""
    counts = dict.fromkeys(EMOTIONS, 0)
    for face in faces:
        counts[face.label] += 1
    return counts


def timeline_row(t: float, faces: Sequence[FaceReading], face: FaceReading | None, voice: VoiceReading | None,
                 fused: HybridReading, no_voice: str = NO_SOUND) -> dict:
    """One row of a timeline / session log: labels, confidences and probabilities at time `t`, and the room:
    `room_<emotion>`, how many of `faces` show it (its share is room_<emotion> / faces)."""
    row = {"time_s": round(float(t), 2), "faces": len(faces),
           "face": face.label if face else NO_FACE,
           "face_confidence": round(face.confidence, 4) if face else None,
           "voice": voice.label if voice is not None else no_voice,
           "voice_confidence": round(voice.confidence, 4) if voice is not None and voice.has_speech else None,
           "agreement": fused.agreement, "fused": fused.label,
           "fused_confidence": round(fused.confidence, 4) if fused.probs is not None else None,
           "fused_from": fused.source}
    for name, reading in (("face", face), ("voice", voice)):
        probs = getattr(reading, "probs", None)
        for i, e in enumerate(EMOTIONS):
            row[f"{name}_{e}"] = round(float(probs[i]), 4) if probs is not None else None
    row.update({f"room_{e}": n for e, n in room_counts(faces).items()})
    return row


@dataclass
class ClipReading:
    """A video read over time (rows as in `timeline_row`) and overall."""

    rows: list[dict]
    overall: Moment  # mean of the main face over frames, and the whole sound track
    frames_with_face: int


def voice_over_time(voice_model: Any, audio: np.ndarray, hop: float = 1.5) -> list[tuple[float, VoiceReading]]:
    """Voice readings of 3 s windows every `hop` seconds, each stamped with its centre time."""
    n, hop_n = len(audio), int(hop * SAMPLE_RATE)
    starts = list(range(0, n - WINDOW + 1, hop_n)) if n > WINDOW else [0]
    if starts[-1] + WINDOW < n:  # the last window ends with the recording
        starts.append(n - WINDOW)
    out = []
    for s in starts:
        chunk = audio[s:s + WINDOW]
        out.append(((s + len(chunk) / 2) / SAMPLE_RATE, voice_model.read(chunk)))
    return out


def read_clip(face_model: Any, voice_model: Any, clip: VideoClip, mask: bool = False, rule: str | None = None,
              progress: Progress | None = None) -> ClipReading:
    """Read every sampled frame (faces found by the detector) and the sound track over time."""
    voices = voice_over_time(voice_model, clip.audio) if clip.audio is not None else []
    total = len(clip.frames)
    rows, main_probs = [], []
    for i, (t, image) in enumerate(clip.frames):
        faces = face_model.read(image, mode=FaceMode.DETECT, mask=mask)
        face = faces[0] if faces else None
        if face is not None:
            main_probs.append(face.probs)
        voice = min(voices, key=lambda v: abs(v[0] - t))[1] if voices else None
        rows.append(timeline_row(t, faces, face, voice, hybrid(face, voice, rule)))
        if progress:
            progress(i + 1, total)
    face = FaceReading(probs=np.mean(main_probs, axis=0).astype(np.float32)) if main_probs else None
    voice = voice_model.read(clip.audio) if clip.audio is not None else None
    overall = Moment(faces=[face] if face else [], voice=voice, hybrid=hybrid(face, voice, rule), picture=True)
    return ClipReading(rows=rows, overall=overall, frames_with_face=len(main_probs))
