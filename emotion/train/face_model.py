"""The face CNN: a VGG-style network for 48x48 grayscale faces."""
from __future__ import annotations

import keras
from keras import layers

from ..labels import EMOTIONS
from ..layers import PerImageStandardize
from .blocks import classifier_head, vgg_stages

FACE_SIZE = 48
WIDTHS = (48, 96, 192, 384)


def build_face_model(widths: tuple[int, ...] = WIDTHS, dropout: float = 0.5) -> keras.Model:
    """Four stages of two 3x3 conv+BN+ReLU and a max-pool, then a small dense head.

    Input: (48, 48, 1) grayscale pixels in [0, 255]. Output: probabilities over EMOTIONS.
    """
    inputs = keras.Input((FACE_SIZE, FACE_SIZE, 1), name="face")
    x = PerImageStandardize(name="standardize")(inputs)
    x = vgg_stages(x, widths)
    x = layers.Flatten(name="flatten")(x)
    outputs = classifier_head(x, 256, dropout, len(EMOTIONS))
    return keras.Model(inputs, outputs, name="moodlens_face")
