"""Importing TensorFlow (and Keras on it) once, quietly: its C++ start-up lines are noise to a user."""
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
