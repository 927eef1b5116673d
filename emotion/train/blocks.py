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


def classifier_head(x, units: int, dropout: float, n_classes: int):
    """Dropout, a dense+BN+ReLU layer of `units`, dropout, then softmax over `n_classes` (kept in float32).

    Layer names (drop_head0, fc, bn_fc, relu_fc, drop_head1, logits, probs) are part of the saved models.
    """
    x = layers.Dropout(dropout, name="drop_head0")(x)
    x = layers.Dense(units, use_bias=False, name="fc")(x)
    x = layers.BatchNormalization(name="bn_fc")(x)
    x = layers.Activation("relu", name="relu_fc")(x)
    x = layers.Dropout(dropout, name="drop_head1")(x)
    x = layers.Dense(n_classes, name="logits")(x)
    return layers.Activation("softmax", dtype="float32", name="probs")(x)
