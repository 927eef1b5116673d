"""Layer blocks shared by the face and voice CNNs."""
from __future__ import annotations

from keras import layers


def vgg_stages(x, widths: tuple[int, ...]):
    """VGG-style stages: per width, two 3x3 conv + batch norm + ReLU, a 2x2 max-pool and spatial dropout.

    Layer names (conv{stage}_{i}, bn..., relu..., pool{stage}, drop{stage}) are part of the saved models.
    """
    for stage, width in enumerate(widths):
        for i in range(2):
            x = layers.Conv2D(width, 3, padding="same", use_bias=False, name=f"conv{stage}_{i}")(x)
            x = layers.BatchNormalization(name=f"bn{stage}_{i}")(x)
            x = layers.Activation("relu", name=f"relu{stage}_{i}")(x)
        x = layers.MaxPooling2D(name=f"pool{stage}")(x)
        x = layers.SpatialDropout2D(0.1, name=f"drop{stage}")(x)
    return x
