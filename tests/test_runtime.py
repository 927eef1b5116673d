"""emotion.runtime.load_float32: a model saved with float16 layers computes in float32 once loaded."""
from __future__ import annotations

import numpy as np


def _saved(tmp_path, policy: str):
    import keras

    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(policy)
    try:
        inputs = keras.Input((16,))
        hidden = keras.layers.Dense(8, activation="relu")(inputs)
        inner = keras.Model(inputs, hidden, name="member")  # a nested model, as the voice ensemble's members
        outer_in = keras.Input((16,))
        outputs = keras.layers.Dense(3, activation="softmax", dtype="float32")(inner(outer_in))
        model = keras.Model(outer_in, outputs)
    finally:
        keras.mixed_precision.set_global_policy(previous)
    path = tmp_path / f"{policy}.keras"
    model.save(path)
    return path, model


def test_a_float16_model_is_loaded_to_compute_in_float32_and_reads_the_same(tmp_path, keep_keras_policy):
    from emotion.runtime import load_float32

    path, stored = _saved(tmp_path, "float16")
    assert "float16" in {w.dtype for w in stored.weights}
    plain = load_float32(path)
    assert {w.dtype for w in plain.weights} == {"float32"}
    assert all(layer.dtype_policy.name == "float32" for layer in plain.get_layer("member").layers)
    x = np.random.default_rng(0).normal(size=(5, 16)).astype(np.float32)
    np.testing.assert_allclose(plain.predict(x, verbose=0), np.asarray(stored.predict(x, verbose=0), np.float32),
                               atol=2e-3)


def test_a_float32_model_is_loaded_as_it_is(tmp_path, keep_keras_policy):
    from emotion.runtime import load_float32

    path, stored = _saved(tmp_path, "float32")
    plain = load_float32(path)
    x = np.random.default_rng(1).normal(size=(5, 16)).astype(np.float32)
    np.testing.assert_array_equal(plain.predict(x, verbose=0), stored.predict(x, verbose=0))
