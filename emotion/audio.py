"""Decoding user audio safely: any common format as mono float32 at 16 kHz."""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np

SAMPLE_RATE = 16_000
MAX_SECONDS = 15 * 60  # longer recordings are cut here (and the reading says so)
AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".m4a", ".aac", ".webm", ".mp4",
                    ".aif", ".aiff", ".au", ".caf", ".wma", ".mka")


class AudioError(ValueError):
    """Audio that cannot be used; the message says why, in words for a user."""


def to_mono_16k(samples: np.ndarray, rate: int) -> np.ndarray:
    """Mix channels (last axis) down, resample to 16 kHz, return float32 in [-1, 1]."""
    import librosa

    x = np.asarray(samples)
    if x.dtype.kind in "iu":  # integer PCM
        info = np.iinfo(x.dtype)
        x = (x.astype(np.float32) - (info.max + info.min + 1) / 2) / ((info.max - info.min + 1) / 2)
    x = x.astype(np.float32, copy=False)
    if x.ndim == 2:
        x = x.mean(axis=1)
    x = np.nan_to_num(x, nan=0.0, posinf=1.0, neginf=-1.0)
    if rate != SAMPLE_RATE and len(x):
        x = librosa.resample(x, orig_sr=rate, target_sr=SAMPLE_RATE, res_type="soxr_hq")
    return np.clip(x, -1.0, 1.0).astype(np.float32)


def _read_soundfile(data: bytes) -> tuple[np.ndarray, int]:
    import soundfile as sf

    with sf.SoundFile(io.BytesIO(data)) as f:
        frames = min(f.frames, MAX_SECONDS * f.samplerate)
        return f.read(frames, dtype="float32", always_2d=True), f.samplerate


def _read_av(data: bytes) -> tuple[np.ndarray, int]:
    """Decode with FFmpeg (PyAV): mp3, m4a/aac, opus, webm, video sound tracks..."""
    import av

    chunks, rate, total = [], None, 0
    with av.open(io.BytesIO(data), mode="r") as container:
        if not container.streams.audio:
            raise AudioError("no sound track")
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
        rate = SAMPLE_RATE
        for frame in container.decode(stream):
            for out in resampler.resample(frame):
                arr = out.to_ndarray().reshape(-1)
                chunks.append(arr)
                total += len(arr)
            if total >= MAX_SECONDS * SAMPLE_RATE:
                break
        for out in resampler.resample(None):
            chunks.append(out.to_ndarray().reshape(-1))
    if not chunks:
        raise AudioError("the sound track is empty")
    return np.concatenate(chunks)[: MAX_SECONDS * SAMPLE_RATE, None], rate


def decode_audio(data: bytes, name: str = "audio") -> np.ndarray:
    """Decode audio bytes (wav, flac, ogg, mp3, m4a, opus, webm, ...) to mono float32 at 16 kHz.

    Raises AudioError with a readable reason for empty, corrupt or non-audio files.
    """
    if not data:
        raise AudioError(f"{name}: the file is empty")
    errors = []
    for reader in (_read_soundfile, _read_av):
        try:
            samples, rate = reader(data)
            break
        except AudioError as exc:
            errors.append(str(exc))
        except Exception as exc:  # each decoder fails in its own way on bad input
            errors.append(type(exc).__name__)
    else:
        raise AudioError(f"{name}: not a readable audio file (corrupt, truncated or an unsupported format)")
    if samples.size == 0:
        raise AudioError(f"{name}: the recording has no samples")
    return to_mono_16k(samples, rate)


def load_audio(source: str | Path | bytes, name: str | None = None) -> np.ndarray:
    """Read audio from a path or bytes as mono float32 at 16 kHz (see decode_audio)."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return decode_audio(bytes(source), name or "audio")
    path = Path(source)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise AudioError(f"{path.name}: cannot be read ({exc.strerror or exc})") from exc
    return decode_audio(data, name or path.name)
