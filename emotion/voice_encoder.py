"""A pretrained speaker encoder as a voice representation: Resemblyzer's GE2E encoder (three LSTM layers of 256
units over 40 mel bands, trained to tell thousands of speakers apart; Apache 2.0, its weights ported to Keras by
`python -m emotion.train.voice_encoder_port`). How a voice sounds over a stretch of speech (each layer's outputs,
averaged and spread over time) carries its emotion too; the encoder reader (`emotion.train.voice`) learns
emotions from these statistics.
"""
from __future__ import annotations

import numpy as np

from .audio import SAMPLE_RATE

N_BANDS = 40  # the encoder's mel bands (25 ms windows, 10 ms hop), power, not log
UNITS = 256
LAYERS = 3
N_STATS = 2 * UNITS * LAYERS  # mean and standard deviation over time of each layer's outputs
LEVEL_DBFS = -30.0  # speech is brought to this RMS level first, as Resemblyzer does


def encoder_frames(speech: np.ndarray) -> np.ndarray:
    """The encoder's input (frames, N_BANDS) for mono 16 kHz speech: power mel frames of the speech brought to
    LEVEL_DBFS."""
    import librosa

    audio = np.asarray(speech, np.float32)
    rms = float(np.sqrt(np.mean(audio.astype(np.float64) ** 2))) if len(audio) else 0.0
    if rms > 0:
        audio = audio * (10 ** (LEVEL_DBFS / 20) / rms)
    mel = librosa.feature.melspectrogram(y=audio, sr=SAMPLE_RATE, n_fft=400, hop_length=160, n_mels=N_BANDS)
    return mel.T.astype(np.float32)


def build_encoder(name: str = "speaker_encoder"):
    """The encoder (untrained): mel frames (batch, frames, N_BANDS) -> statistics (batch, N_STATS), the mean and
    standard deviation over time of each LSTM layer's outputs."""
    from .layers import MeanAndSpread, keras

    frames = keras.Input((None, N_BANDS), name="frames")
    h, stats = frames, []
    for k in range(LAYERS):
        h = keras.layers.LSTM(UNITS, return_sequences=True, name=f"lstm_{k}")(h)
        stats.append(MeanAndSpread(name=f"stats_{k}")(h))
    return keras.Model(frames, keras.layers.Concatenate(name="stats")(stats), name=name)
