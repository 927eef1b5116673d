"""The voice model's second reader: a dilated 1-D convolution stack over a 3 s log-mel window (mel bands as
channels), whose probabilities the app averages with the functionals network's (`VoiceModel`). It hears what
the functionals' statistics smooth away (how the spectrum moves within a second) and errs differently, which
is why the two together read unheard speakers better than either (model card).

Training windows are cut from cached log-mel spectrograms of every clip and of its noisy, room and Opus copies
(voice_features), and changed in the log-mel domain each epoch: tempo, a shift of the mel axis, a microphone's
EQ and SpecAugment's masks.
"""
from __future__ import annotations

import numpy as np

from ..labels import EMOTIONS
from ..voice import N_FRAMES, N_MELS, fit_frames

TDNN_LAYERS = ((5, 1), (3, 2), (3, 3), (3, 4))  # (kernel, dilation): 1.1 s of context at the top


def build_mel_model(width: int = 128, dropout: float = 0.4, name: str = "moodlens_voice_mel"):
    """Input: (N_FRAMES, N_MELS) log-mel in dB, each window standardised as a whole. Output: probabilities over
    EMOTIONS."""
    import keras
    from keras import layers

    from ..layers import PerImageStandardize
    from .blocks import classifier_head

    inputs = keras.Input((N_FRAMES, N_MELS), name="log_mel")
    x = PerImageStandardize(name="standardize")(inputs)
    for i, (kernel, dilation) in enumerate(TDNN_LAYERS):
        x = layers.Conv1D(width, kernel, dilation_rate=dilation, padding="same", use_bias=False, name=f"tdnn{i}")(x)
        x = layers.BatchNormalization(name=f"tdnn_bn{i}")(x)
        x = layers.Activation("relu", name=f"tdnn_relu{i}")(x)
    x = layers.Conv1D(width * 3 // 2, 1, use_bias=False, name="tdnn_mix")(x)
    x = layers.BatchNormalization(name="tdnn_bn_mix")(x)
    x = layers.Activation("relu", name="tdnn_relu_mix")(x)
    x = layers.Concatenate(name="pool_time")([layers.GlobalAveragePooling1D(name="time_mean")(x),
                                              layers.GlobalMaxPooling1D(name="time_max")(x)])
    return keras.Model(inputs, classifier_head(x, 128, dropout, len(EMOTIONS)), name=name)


def random_window(mel: np.ndarray, rng: np.random.Generator, tempo: tuple[float, float] = (0.85, 1.15)) -> np.ndarray:
    """A random N_FRAMES window of a whole spectrogram (frames, N_MELS), played at a random tempo."""
    rate = rng.uniform(*tempo)
    if len(mel) > 1 and abs(rate - 1) > 1e-3:
        mel = mel[np.minimum((np.arange(int(len(mel) / rate)) * rate).astype(int), len(mel) - 1)]
    return fit_frames(mel, int(rng.integers(0, max(1, len(mel) - N_FRAMES + 1))))


def changed(x: np.ndarray, rng: np.random.Generator, mel_shift: float = 2.0, p_eq: float = 0.5,
            eq_db: float = 4.0, p_mask: float = 0.8, freq_mask: int = 8, time_mask: int = 30) -> np.ndarray:
    """Windows (B, N_FRAMES, N_MELS) in dB, each with its mel axis shifted by up to `mel_shift` bands (pitch and
    vocal-tract length), a smooth EQ curve of up to ±`eq_db`/2 dB (with probability `p_eq`), and SpecAugment's
    masks (one band group, two time spans; with probability `p_mask`)."""
    b = len(x)
    x = np.array(x, np.float32)
    for i, s in enumerate(rng.uniform(-mel_shift, mel_shift, b)):  # output band j reads band j - s
        bands = np.clip(np.arange(N_MELS) - s, 0, N_MELS - 1)
        lo = np.floor(bands).astype(int)
        frac = (bands - lo).astype(np.float32)
        x[i] = x[i][:, lo] * (1 - frac) + x[i][:, np.minimum(lo + 1, N_MELS - 1)] * frac
    m = np.arange(N_MELS) / (N_MELS - 1)
    curve = rng.uniform(-1, 1, (b, 3)) @ np.cos(np.pi * np.arange(1, 4)[:, None] * m[None, :])
    x = x + ((rng.random(b) < p_eq) * eq_db / 2)[:, None, None] * curve[:, None, :]
    for i in np.flatnonzero(rng.random(b) < p_mask):
        fill = float(x[i].mean())
        w = int(rng.integers(0, freq_mask + 1))
        f0 = int(rng.integers(0, N_MELS - w + 1))
        x[i, :, f0:f0 + w] = fill
        for _ in range(2):
            w = int(rng.integers(0, time_mask + 1))
            t0 = int(rng.integers(0, N_FRAMES - w + 1))
            x[i, t0:t0 + w] = fill
    return x


def epoch_windows(mels: list[list[np.ndarray]], y: np.ndarray, n: int,
                  rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """`n` changed training windows (n, N_FRAMES, N_MELS) and their class indices: each from a clip drawn so that
    every emotion comes equally often, from a random one of its versions (`mels[v][clip]`: as recorded and
    its copies)."""
    counts = np.bincount(y, minlength=len(EMOTIONS))
    p = 1.0 / counts[y]
    picks = rng.choice(len(y), n, p=p / p.sum())
    x = np.stack([random_window(mels[int(rng.integers(len(mels)))][i].astype(np.float32), rng) for i in picks])
    return changed(x, rng), y[picks]

