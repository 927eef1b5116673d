"""The voice CNN: 2-D convolutions over a 3 s log-mel spectrogram, pooled over time."""
from __future__ import annotations

import keras
from keras import layers

from ..labels import EMOTIONS
from ..layers import PerImageStandardize
from ..voice import N_FRAMES, N_MELS
from .blocks import vgg_stages

WIDTHS = (16, 32, 64, 128)


def build_voice_model(widths: tuple[int, ...] = WIDTHS, dropout: float = 0.4) -> keras.Model:
    """Input: (300 frames, 64 mel bands, 1) log-mel in dB. Output: probabilities over EMOTIONS."""
    inputs = keras.Input((N_FRAMES, N_MELS, 1), name="log_mel")
    x = PerImageStandardize(name="standardize")(inputs)
    x = vgg_stages(x, widths)
    # (time, freq, channels) -> one vector per time step -> mean and max over time.
    x = layers.Reshape((x.shape[1], x.shape[2] * x.shape[3]), name="per_time")(x)
    x = layers.Concatenate(name="pool_time")([layers.GlobalAveragePooling1D()(x), layers.GlobalMaxPooling1D()(x)])
    x = layers.Dropout(dropout, name="drop_head0")(x)
    x = layers.Dense(128, use_bias=False, name="fc")(x)
    x = layers.BatchNormalization(name="bn_fc")(x)
    x = layers.Activation("relu", name="relu_fc")(x)
    x = layers.Dropout(dropout, name="drop_head1")(x)
    x = layers.Dense(len(EMOTIONS), name="logits")(x)
    outputs = layers.Activation("softmax", dtype="float32", name="probs")(x)
    return keras.Model(inputs, outputs, name="moodlens_voice")
