"""Decoding user audio safely: any common format as mono float32 at 16 kHz."""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from .sources import load_source

SAMPLE_RATE = 16_000
MAX_SECONDS = 15 * 60  # longer recordings are cut here (and the reading says so)
AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".m4a", ".aac", ".webm", ".mp4",
                    ".aif", ".aiff", ".au", ".caf", ".wma", ".mka")


MIN_RATE, MAX_RATE = 1_000, 768_000  # sample rates (Hz) a sound recording can have; others are refused
_BLOCK_SAMPLES = 1 << 20  # files are decoded this many samples (all channels) at a time


class AudioError(ValueError):
    """Audio that cannot be used; the message says why, in words for a user."""


class _Mono16k:
    """Collects blocks of mono samples at `rate` as float32 at 16 kHz, resampling as they come.

    Memory is the 16 kHz output and one block, whatever the length or rate of the input.
    """

    def __init__(self, rate: int) -> None:
        import soxr

        self._stream = None if rate == SAMPLE_RATE else \
            soxr.ResampleStream(rate, SAMPLE_RATE, 1, dtype="float32", quality="HQ")
        self._parts: list[np.ndarray] = []

    def add(self, mono: np.ndarray, last: bool = False) -> None:
        x = np.nan_to_num(np.asarray(mono, np.float32), nan=0.0, posinf=1.0, neginf=-1.0)
        self._parts.append(self._stream.resample_chunk(x, last=last) if self._stream else x)

    def result(self) -> np.ndarray:
        """Everything added, float32 clipped to [-1, 1]."""
        if self._stream:
            self.add(np.zeros(0, np.float32), last=True)
        out = np.concatenate(self._parts) if self._parts else np.zeros(0, np.float32)
        return np.clip(out, -1.0, 1.0, out=out)


def _check_rate(rate: int) -> None:
    if not MIN_RATE <= rate <= MAX_RATE:
        raise AudioError(f"a sample rate of {rate} Hz is not a sound recording's "
                         f"({MIN_RATE}-{MAX_RATE} Hz)")


def to_mono_16k(samples: np.ndarray, rate: int) -> np.ndarray:
    """Mix channels (last axis) down, resample to 16 kHz, return float32 in [-1, 1]."""
    x = np.asarray(samples)
    if x.dtype.kind in "iu":  # integer PCM
        info = np.iinfo(x.dtype)
        x = (x.astype(np.float32) - (info.max + info.min + 1) / 2) / ((info.max - info.min + 1) / 2)
    x = x.astype(np.float32, copy=False)
    if x.ndim == 2:
        x = x.mean(axis=1)
    out = _Mono16k(rate)
    out.add(x)
    return out.result()


def _read_soundfile(data: bytes) -> np.ndarray:
    """Decode with libsndfile (wav, flac, ogg, aiff...) a block at a time: mono 16 kHz, MAX_SECONDS at most."""
    import soundfile as sf

    with sf.SoundFile(io.BytesIO(data)) as f:
        _check_rate(f.samplerate)
        out, left = _Mono16k(f.samplerate), MAX_SECONDS * f.samplerate
        block = max(1, _BLOCK_SAMPLES // f.channels)
        while left > 0:
            x = f.read(min(block, left), dtype="float32", always_2d=True)
            if not len(x):
                break
            left -= len(x)
            out.add(x.mean(axis=1))
        return out.result()


def _read_av(data: bytes) -> np.ndarray:
    """Decode with FFmpeg (PyAV): mp3, m4a/aac, opus, webm, video sound tracks... as mono 16 kHz."""
    import av

    chunks, total = [], 0
    with av.open(io.BytesIO(data), mode="r") as container:
        if not container.streams.audio:
            if container.streams.video and not container.format.name.endswith("_pipe"):  # not a picture
                raise AudioError("the file has no sound track (a video without sound?)")
            raise ValueError("no audio stream")
        stream = container.streams.audio[0]
        _check_rate(stream.rate or SAMPLE_RATE)
        resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
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
    x = np.concatenate(chunks)[: MAX_SECONDS * SAMPLE_RATE]
    return np.clip(np.nan_to_num(x, nan=0.0, posinf=1.0, neginf=-1.0), -1.0, 1.0, out=x)


def decode_audio(data: bytes, name: str = "audio") -> np.ndarray:
    """Decode audio bytes (wav, flac, ogg, mp3, m4a, opus, webm, ...) to mono float32 at 16 kHz.

    At most MAX_SECONDS are kept, decoded a block at a time. Raises AudioError with a readable reason
    for empty, corrupt or non-audio files, files with no sound track and absurd sample rates.
    """
    if not data:
        raise AudioError(f"{name}: the file is empty")
    for reader in (_read_soundfile, _read_av):
        try:
            samples = reader(data)
            break
        except AudioError as exc:  # the file was read, and its content is the reason
            raise AudioError(f"{name}: {exc}") from None
        except Exception:  # each decoder fails in its own way on bad input; try the next
            continue
    else:
        raise AudioError(f"{name}: not a readable audio file (corrupt, truncated or an unsupported format)")
    if samples.size == 0:
        raise AudioError(f"{name}: the recording has no samples")
    return samples


def load_audio(source: str | Path | bytes, name: str | None = None) -> np.ndarray:
    """Read audio from a path or bytes as mono float32 at 16 kHz (see decode_audio)."""
    return load_source(source, name, "audio", decode_audio, AudioError)
