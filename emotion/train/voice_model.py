"""The voice networks over a 3 s log-mel spectrogram (N_FRAMES x N_MELS): a dilated 1-D convolution stack over
time (mel bands as channels: light enough for many voices on two cores) or a 2-D CNN over 20 ms frames."""
from __future__ import annotations

import keras
from keras import layers

from ..labels import EMOTIONS
from ..layers import PerImageStandardize, UtteranceNorm
from ..voice import N_FRAMES, N_MELS
from .blocks import classifier_head, vgg_stages

ARCHITECTURES = ("tdnn", "cnn")
NORMS = ("utterance", "image")
TDNN_LAYERS = ((5, 1), (3, 2), (3, 3), (3, 4))  # (kernel, dilation): 1.1 s of context at the top


def _normalise(x, norm: str):
    return UtteranceNorm(name="standardize")(x) if norm == "utterance" else PerImageStandardize(name="standardize")(x)


def build_voice_model(architecture: str = "tdnn", norm: str = "image", width: int = 128,
                      dropout: float = 0.4) -> keras.Model:
    """Input: (300 frames, 64 mel bands, 1) log-mel in dB. Output: probabilities over EMOTIONS."""
    inputs = keras.Input((N_FRAMES, N_MELS, 1), name="log_mel")
    x = _normalise(inputs, norm)
    if architecture == "cnn":
        x = layers.AveragePooling2D((2, 1), name="pool_frames")(x)  # 20 ms frames: half the cost
        x = vgg_stages(x, tuple(width // 2 ** k for k in (3, 2, 1, 0)))  # e.g. 16, 32, 64, 128
        x = layers.Reshape((x.shape[1], x.shape[2] * x.shape[3]), name="per_time")(x)
    else:
        x = layers.Reshape((N_FRAMES, N_MELS), name="per_time")(x)
        for i, (kernel, dilation) in enumerate(TDNN_LAYERS):
            x = layers.Conv1D(width, kernel, dilation_rate=dilation, padding="same", use_bias=False, name=f"tdnn{i}")(x)
            x = layers.BatchNormalization(name=f"tdnn_bn{i}")(x)
            x = layers.Activation("relu", name=f"tdnn_relu{i}")(x)
        x = layers.Conv1D(width * 3 // 2, 1, use_bias=False, name="tdnn_mix")(x)
        x = layers.BatchNormalization(name="tdnn_bn_mix")(x)
        x = layers.Activation("relu", name="tdnn_relu_mix")(x)
    # One vector per time step -> mean and max over time.
    x = layers.Concatenate(name="pool_time")([layers.GlobalAveragePooling1D()(x), layers.GlobalMaxPooling1D()(x)])
    outputs = classifier_head(x, 128, dropout, len(EMOTIONS))
    return keras.Model(inputs, outputs, name="moodlens_voice")
