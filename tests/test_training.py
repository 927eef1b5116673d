"""Training plumbing: mask augmentation copies and resumable fits that can be shortened or lengthened."""
from __future__ import annotations

import json

import numpy as np
import pytest


def test_masked_copies_cover_the_lower_face_only():
    from emotion.train.face import masked_copies

    rng = np.random.default_rng(1)
    faces = rng.integers(0, 256, (5, 48, 48, 1), dtype=np.uint8)
    masked = masked_copies(faces)
    assert masked.shape == faces.shape and masked.dtype == np.uint8
    changed = masked != faces
    assert not changed[:, :20].any()           # eyes and brows untouched
    assert changed[:, 34:44, 10:38].mean() > 0.9  # mouth and chin covered


def _tiny_model(keras):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
    return model


@pytest.mark.slow
def test_resumable_fit_continues_and_restretches_the_schedule(tmp_path):
    from emotion.runtime import import_tensorflow

    import_tensorflow()
    import keras

    from emotion.train.common import cosine_schedule, resumable_fit

    x = np.random.default_rng(0).normal(size=(32, 4)).astype("float32")
    y = keras.utils.to_categorical(np.arange(32) % 3, 3)
    steps_per_epoch = 4

    def run(epochs: int):
        def build():
            model = _tiny_model(keras)
            model.compile(keras.optimizers.SGD(cosine_schedule(0.1, steps_per_epoch * epochs, steps_per_epoch)),
                          "categorical_crossentropy")
            return model

        def fit(model, initial_epoch, callbacks):
            model.fit(x, y, batch_size=8, epochs=epochs, initial_epoch=initial_epoch, callbacks=callbacks, verbose=0)

        return resumable_fit(tmp_path, build, fit, total_steps=steps_per_epoch * epochs)

    run(2)
    assert json.loads((tmp_path / "state.json").read_text())["epoch"] == 2
    model = run(5)  # resume: three more epochs, schedule now ends at epoch 5
    state = json.loads((tmp_path / "state.json").read_text())
    assert [h["epoch"] for h in state["history"]] == [1, 2, 3, 4, 5]
    schedule = model.optimizer._learning_rate
    assert schedule.decay_steps == steps_per_epoch * 5 - steps_per_epoch
    assert int(model.optimizer.iterations.numpy()) == steps_per_epoch * 5


@pytest.mark.slow
def test_mixup_blends_inputs_and_labels_by_the_same_amount():
    from emotion.runtime import import_tensorflow

    tf = import_tensorflow()
    from emotion.train.common import mixup

    x = tf.constant(np.arange(6, dtype="float32")[:, None, None] * np.ones((6, 2, 3), "float32"))
    y = tf.one_hot(np.arange(6), 6)
    xm, ym = (t.numpy() for t in mixup(x, y, 0.4))
    assert np.allclose(ym.sum(1), 1.0)
    lam = ym[np.arange(6), np.arange(6)]  # weight kept on each example's own label (the partner is the reversed batch)
    assert np.allclose(ym[np.arange(6), 5 - np.arange(6)] + lam, 1.0, atol=1e-6)
    assert np.allclose(xm[:, 0, 0], lam * np.arange(6) + (1 - lam) * np.arange(6)[::-1], atol=1e-5)
    assert np.all((lam >= 0) & (lam <= 1)) and not np.allclose(lam, 1.0)  # something was mixed


def test_training_precision_uses_bfloat16_only_where_the_cpu_computes_it(tmp_path):
    from emotion.train.common import training_precision
    from emotion.runtime import import_tensorflow

    if import_tensorflow().config.list_physical_devices("GPU"):
        pytest.skip("a GPU always trains in bfloat16")
    intel = tmp_path / "intel"
    intel.write_text("flags\t\t: fpu sse2 avx2 avx512f avx512_bf16 amx_tile\n")
    amd = tmp_path / "amd"
    amd.write_text("flags\t\t: fpu sse2 avx2 fma\n")
    assert training_precision(intel) == "mixed_bfloat16"
    assert training_precision(amd) == "float32"
    assert training_precision(tmp_path / "missing") == "float32"
