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


@keras.saving.register_keras_serializable(package="moodlens")
class MeanAndSpread(keras.layers.Layer):
    """The mean and standard deviation over time of a sequence (batch, time, units) -> (batch, 2 * units)."""

    def call(self, x):
        return ops.concatenate([ops.mean(x, axis=1), ops.std(x, axis=1)], axis=-1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], 2 * input_shape[-1])
