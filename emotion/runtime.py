"""Importing TensorFlow (and Keras on it) once, quietly: its C++ start-up lines are noise to a user; and loading
a saved Keras model to compute in float32 on this CPU."""
from __future__ import annotations

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def import_tensorflow():
    """Import and return tensorflow, hiding the lines its C++ runtime prints to stderr on import."""
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        import tensorflow as tf
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
    return tf


def import_keras():
    """Import and return keras. With the TensorFlow backend (the default) TensorFlow is imported quietly
    first; another backend (`KERAS_BACKEND=jax` or `torch`, e.g. for training on a GPU machine that has
    no TensorFlow) is imported as it is."""
    if os.environ.get("KERAS_BACKEND", "tensorflow") == "tensorflow":
        import_tensorflow()
    import keras

    return keras


def _float32_policies(config):
    """A Keras config with every layer's dtype policy made float32."""
    if isinstance(config, dict):
        if config.get("class_name") in ("DTypePolicy", "FloatDTypePolicy"):
            return {**config, "config": {**config["config"], "name": "float32"}}
        return {key: _float32_policies(value) for key, value in config.items()}
    if isinstance(config, list):
        return [_float32_policies(value) for value in config]
    return config


def load_float32(path):
    """A saved Keras model, computing in float32 whatever dtype policy its layers were saved with. A model stored
    with float16 layers (small files) otherwise computes in float16, which a CPU without native float16 matrix
    kernels emulates, far slower (benchmarks/RESULTS-speed.md)."""
    import numpy as np

    keras = import_keras()
    model = keras.models.load_model(path, compile=False)
    config = model.get_config()
    plain_config = _float32_policies(config)
    if plain_config == config:
        return model
    plain = model.__class__.from_config(plain_config)
    plain.set_weights([np.asarray(w, v.dtype) for w, v in zip(model.get_weights(), plain.weights)])
    return plain
