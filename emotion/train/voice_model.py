"""The voice CNN: 2-D convolutions over a 3 s log-mel spectrogram, pooled over time."""
from __future__ import annotations

import keras
from keras import layers

from ..labels import EMOTIONS
from ..layers import PerImageStandardize
from ..voice import N_FRAMES, N_MELS
from .blocks import classifier_head, vgg_stages

WIDTHS = (16, 32, 64, 128)


def build_voice_model(widths: tuple[int, ...] = WIDTHS, dropout: float = 0.4) -> keras.Model:
    """Input: (300 frames, 64 mel bands, 1) log-mel in dB. Output: probabilities over EMOTIONS."""
    inputs = keras.Input((N_FRAMES, N_MELS, 1), name="log_mel")
    x = PerImageStandardize(name="standardize")(inputs)
    x = vgg_stages(x, widths)
    # (time, freq, channels) -> one vector per time step -> mean and max over time.
    x = layers.Reshape((x.shape[1], x.shape[2] * x.shape[3]), name="per_time")(x)
    x = layers.Concatenate(name="pool_time")([layers.GlobalAveragePooling1D()(x), layers.GlobalMaxPooling1D()(x)])
    outputs = classifier_head(x, 128, dropout, len(EMOTIONS))
    return keras.Model(inputs, outputs, name="moodlens_voice")
