"""Custom Keras layers that live inside the saved models (registered so `.keras` files load)."""
from __future__ import annotations

from .runtime import import_keras

keras = import_keras()
from keras import ops  # noqa: E402  (after the quiet TensorFlow import)


@keras.saving.register_keras_serializable(package="moodlens")
class PerImageStandardize(keras.layers.Layer):
    """Scale each image to zero mean and unit variance, so lighting and contrast matter less."""

    def call(self, x):
        x = ops.cast(x, self.compute_dtype)
        axes = tuple(range(1, len(x.shape)))
        mean = ops.mean(x, axis=axes, keepdims=True)
        std = ops.std(x, axis=axes, keepdims=True)
        return (x - mean) / ops.maximum(std, 1.0)
