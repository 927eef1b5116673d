"""Cutting a video file into frames sampled over time plus its sound track (mono 16 kHz)."""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from .audio import SAMPLE_RATE, AudioError, decode_audio
from .images import fit_within

VIDEO_EXTENSIONS = (".mp4", ".webm", ".mov", ".mkv", ".avi", ".m4v", ".mpg", ".mpeg", ".ogv", ".3gp")
MAX_SECONDS = 10 * 60  # frames and sound past this are not read


class VideoError(ValueError):
    """A video that cannot be used; the message says why, in words for a user."""


@dataclass
class VideoClip:
    """Frames taken every so often, and the sound track (None when there is none)."""

    frames: list[tuple[float, np.ndarray]] = field(default_factory=list)  # (seconds, BGR image)
    audio: np.ndarray | None = None
    audio_note: str = ""  # why there is no sound track
    duration: float = 0.0

    def summary(self) -> str:
        """What was read, in words: how many frames over which span, and how much sound."""
        last = self.frames[-1][0] if self.frames else 0.0
        text = f"{len(self.frames)} frames read from 0 to {last:.1f} s of {self.duration:.1f} s"
        if self.duration > MAX_SECONDS:
            text += f" (pictures and sound are read for the first {MAX_SECONDS // 60} minutes)"
        if self.audio is not None:
            return text + f"; {len(self.audio) / SAMPLE_RATE:.1f} s of sound."
        return text + f"; {self.audio_note or 'no sound'}."


def _rotate(image: np.ndarray, degrees: float) -> np.ndarray:
    """Undo a phone's display rotation (counter-clockwise degrees, as FFmpeg reports it)."""
    turns = int(round(degrees / 90)) % 4
    codes = {1: cv2.ROTATE_90_COUNTERCLOCKWISE, 2: cv2.ROTATE_180, 3: cv2.ROTATE_90_CLOCKWISE}
    return cv2.rotate(image, codes[turns]) if turns else image


def read_video(source: str | Path | bytes, name: str = "video", every: float = 0.5, max_frames: int = 240,
               max_side: int = 960) -> VideoClip:
    """Frames every `every` seconds (fewer for long videos: at most `max_frames`) and the sound.

    Frames are BGR, scaled so the longer side is at most `max_side`. Raises VideoError for files
    that hold no readable video.
    """
    import av

    data = Path(source).read_bytes() if not isinstance(source, (bytes, bytearray)) else bytes(source)
    if not data:
        raise VideoError(f"{name}: the file is empty")
    clip = VideoClip()
    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            if not container.streams.video:
                raise VideoError(f"{name}: has no video picture (is it an audio file?)")
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            duration = float(container.duration / av.time_base) if container.duration else 0.0
            step = max(every, min(duration, MAX_SECONDS) / max_frames) if duration else every
            next_time = 0.0
            for frame in container.decode(stream):
                t = float(frame.time) if frame.time is not None else next_time
                clip.duration = max(clip.duration, t)
                if t > MAX_SECONDS or len(clip.frames) >= max_frames:
                    break
                if t + 1e-6 < next_time:
                    continue
                image = _rotate(frame.to_ndarray(format="bgr24"), getattr(frame, "rotation", 0) or 0)
                clip.frames.append((round(t, 3), fit_within(image, max_side)[0]))
                next_time = t + step
            clip.duration = max(clip.duration, duration)
    except VideoError:
        raise
    except Exception as exc:  # FFmpeg fails in many ways on bad input
        raise VideoError(f"{name}: not a readable video (corrupt, truncated or an unsupported format)") from exc
    if not clip.frames:
        raise VideoError(f"{name}: no picture could be decoded")
    try:
        clip.audio = decode_audio(data, name)[: MAX_SECONDS * SAMPLE_RATE]
    except AudioError as exc:
        reason = str(exc).removeprefix(name + ": ")
        clip.audio_note = "the video has no sound track" if "no sound track" in reason else \
            f"the sound could not be read ({reason})"
    return clip
