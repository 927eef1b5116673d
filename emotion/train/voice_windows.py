"""Training windows cut from cached log-mel spectrograms, with changes made in the log-mel domain itself
(cheap enough to be new every epoch): tempo, a shift of the mel axis (pitch and vocal-tract length), a
microphone's EQ, background noise at a random SNR, and SpecAugment's masks.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..voice import N_FRAMES, N_MELS


def fit_frames(mel: np.ndarray, start: int, length: int = N_FRAMES) -> np.ndarray:
    """`length` frames from `start`; a shorter spectrogram is repeated to fill them (as fit_window repeats audio)."""
    if len(mel) < length:
        mel = np.tile(mel, (int(np.ceil(length / max(len(mel), 1))), 1))
        start = 0
    return mel[start:start + length]


@dataclass(frozen=True)
class MelAugment:
    """How strong each change is; `p_*` are probabilities per window."""

    tempo: tuple[float, float] = (0.85, 1.15)
    mel_shift: float = 2.0  # bands, either way
    p_eq: float = 0.5
    eq_db: float = 4.0
    p_noise: float = 0.5
    snr_db: tuple[float, float] = (5.0, 35.0)
    p_mask: float = 0.8
    freq_mask: int = 8
    time_mask: int = 30

    def crop(self, mel: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """A random N_FRAMES window of a whole spectrogram (frames, N_MELS), at a random tempo."""
        rate = rng.uniform(*self.tempo)
        if len(mel) > 1 and abs(rate - 1) > 1e-3:
            mel = mel[np.minimum((np.arange(int(len(mel) / rate)) * rate).astype(int), len(mel) - 1)]
        start = int(rng.integers(0, max(1, len(mel) - N_FRAMES + 1)))
        return fit_frames(mel, start)

    def change(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """The other changes, to a batch of windows (B, N_FRAMES, N_MELS) in dB at once."""
        b = len(x)
        x = np.array(x, np.float32)
        for i, s in enumerate(rng.uniform(-self.mel_shift, self.mel_shift, b)):  # output band j reads band j - s
            bands = np.clip(np.arange(N_MELS) - s, 0, N_MELS - 1)
            lo = np.floor(bands).astype(int)
            frac = (bands - lo).astype(np.float32)
            x[i] = x[i][:, lo] * (1 - frac) + x[i][:, np.minimum(lo + 1, N_MELS - 1)] * frac
        m = np.arange(N_MELS) / (N_MELS - 1)
        curve = (rng.uniform(-1, 1, (b, 3)) @ np.cos(np.pi * np.arange(1, 4)[:, None] * m[None, :]))
        x = x + ((rng.random(b) < self.p_eq) * self.eq_db / 2)[:, None, None] * curve[:, None, :]
        noisy = rng.random(b) < self.p_noise
        if noisy.any():
            x[noisy] = add_noise_db(x[noisy], rng, rng.uniform(*self.snr_db, noisy.sum()))
        for i in np.flatnonzero(rng.random(b) < self.p_mask):
            fill = float(x[i].mean())
            w = int(rng.integers(0, self.freq_mask + 1))
            f0 = int(rng.integers(0, N_MELS - w + 1))
            x[i, :, f0:f0 + w] = fill
            for _ in range(2):
                w = int(rng.integers(0, self.time_mask + 1))
                t0 = int(rng.integers(0, N_FRAMES - w + 1))
                x[i, t0:t0 + w] = fill
        return x


def add_noise_db(x: np.ndarray, rng: np.random.Generator, snr_db: np.ndarray) -> np.ndarray:
    """Add coloured noise to log-mel windows (B, N_FRAMES, N_MELS) in dB, each `snr_db` below its window's mean
    power: powers add."""
    b = len(x)
    to_power, to_db = np.float32(np.log(10) / 10), np.float32(10 / np.log(10))
    power = np.exp(x * to_power)
    shape = rng.uniform(-1.0, 0.3, (b, 1)) * np.arange(N_MELS)[None, :]  # dB per band: brown-ish to white-ish
    shape = shape - 10 * np.log10(np.mean(10 ** (shape / 10), axis=1, keepdims=True))
    floor = 10 * np.log10(power.mean(axis=(1, 2)) + 1e-10) - np.asarray(snr_db)
    noise_db = (floor[:, None, None] + shape[:, None, :]).astype(np.float32) \
        + rng.standard_normal(x.shape, dtype=np.float32) * np.float32(2.0)
    return np.log(power + np.exp(noise_db * to_power)) * to_db


def sampling_weights(labels: list[str], speakers: list[str], balance: str) -> np.ndarray:
    """Probability of drawing each clip: "none" (uniform), "class" (every emotion equally often), or
    "class+speaker" (also every speaker equally often within its corpus's share, so a corpus of two speakers
    with 700 clips each does not drown the others)."""
    n = len(labels)
    w = np.ones(n)
    if balance in ("class", "class+speaker"):
        counts: dict[str, int] = {}
        for lab in labels:
            counts[lab] = counts.get(lab, 0) + 1
        w = w / np.array([counts[lab] for lab in labels])
    if balance == "class+speaker":
        per_speaker: dict[str, int] = {}
        for s in speakers:
            per_speaker[s] = per_speaker.get(s, 0) + 1
        w = w / np.sqrt([per_speaker[s] for s in speakers])
    elif balance not in ("none", "class"):
        raise ValueError(f"unknown balance {balance!r}")
    return w / w.sum()


def batches(variants: list[list[np.ndarray]], labels: np.ndarray, weights: np.ndarray, batch_size: int,
            augment: MelAugment, seed: int = 0):
    """Endless (x, y) batches: x (B, N_FRAMES, N_MELS, 1) float32, y (B,) class index; each item a random
    clip (by `weights`), a random one of its cached variants, and a random changed window of it."""
    rng = np.random.default_rng(seed)
    while True:
        idx = rng.choice(len(labels), batch_size, p=weights)
        x = np.stack([augment.crop(variants[int(rng.integers(len(variants)))][i], rng) for i in idx])
        yield augment.change(x, rng)[..., None].astype(np.float32), labels[idx]
