"""TFLiteModel: a Keras model run as TFLite gives the Keras model's outputs, in its order, for any batch."""
from __future__ import annotations

import threading

import numpy as np
import pytest

from emotion.runtime import import_tensorflow


@pytest.fixture(scope="module")
def two_headed():
    """A small functional model with two outputs of different shapes (like mtcnn's networks)."""
    import_tensorflow()
    import keras

    inputs = keras.Input((12, 12, 3))
    x = keras.layers.Conv2D(8, 3, activation="relu")(inputs)
    x = keras.layers.Dense(16, activation="relu")(keras.layers.Flatten()(x))  # big enough to be quantised
    boxes = keras.layers.Dense(4, name="boxes")(x)
    scores = keras.layers.Dense(2, activation="softmax", name="scores")(x)
    model = keras.Model(inputs, [boxes, scores])
    rng = np.random.default_rng(0)
    model.set_weights([rng.normal(0, 0.1, w.shape).astype(np.float32) for w in model.get_weights()])
    return model


def batch(n: int, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-1, 1, (n, 12, 12, 3)).astype(np.float32)


def test_outputs_match_keras_in_keras_order(two_headed):
    from emotion.tflite import TFLiteModel

    lite = TFLiteModel(two_headed)
    x = batch(5)
    boxes, scores = lite(x)
    want_boxes, want_scores = (np.asarray(o) for o in two_headed(x))
    assert boxes.shape == (5, 4) and scores.shape == (5, 2)
    np.testing.assert_allclose(boxes, want_boxes, atol=1e-5)
    np.testing.assert_allclose(scores, want_scores, atol=1e-5)


def test_batches_run_exact_when_small_padded_when_larger_and_chunked_when_large(two_headed):
    from emotion.tflite import MAX_BATCH, TFLiteModel

    lite = TFLiteModel(two_headed)
    for n in (1, 3, 9, 13, MAX_BATCH + 6):
        x = batch(n, seed=n)
        boxes, scores = lite(x)
        assert boxes.shape == (n, 4)
        np.testing.assert_allclose(scores, np.asarray(two_headed(x)[1]), atol=1e-5)
    # 1 and 3 exact, 9 and 13 padded to 16, 70 as 64 + 6; plus the 1 the outputs were matched on
    assert sorted({shape[0] for shape in lite.shapes}) == [1, 3, 6, 16, MAX_BATCH]


def test_an_empty_batch_gives_empty_outputs(two_headed):
    from emotion.tflite import TFLiteModel

    boxes, scores = TFLiteModel(two_headed)(np.zeros((0, 12, 12, 3), np.float32))
    assert boxes.shape == (0, 4) and scores.shape == (0, 2)


def test_keeps_at_most_max_shapes_interpreters(two_headed):
    from emotion.tflite import TFLiteModel

    lite = TFLiteModel(two_headed, max_shapes=2)
    for n in (1, 2, 3):
        lite(batch(n))
    assert lite.shapes == [(2, 12, 12, 3), (3, 12, 12, 3)]  # the oldest one went
    np.testing.assert_allclose(lite(batch(1))[0], np.asarray(two_headed(batch(1))[0]), atol=1e-5)


def test_free_spatial_axes_take_any_image_size():
    """mtcnn's PNet: one converted model, any pyramid level."""
    from mtcnn.stages import StagePNet

    from emotion.tflite import TFLiteModel

    pnet = StagePNet().model
    lite = TFLiteModel(pnet, input_shape=(None, None, 3))
    for h, w in ((12, 12), (37, 50), (144, 192)):
        x = np.random.default_rng(h).uniform(-1, 1, (1, h, w, 3)).astype(np.float32)
        for got, want in zip(lite(x), pnet(x)):
            np.testing.assert_allclose(got, np.asarray(want), atol=1e-4)


def test_calls_from_many_threads_each_get_their_own_answer(two_headed):
    from emotion.tflite import TFLiteModel

    lite = TFLiteModel(two_headed)
    inputs = [batch(1 + i % 3, seed=i) for i in range(12)]
    want = [np.asarray(two_headed(x)[1]) for x in inputs]
    got: dict[int, np.ndarray] = {}

    def work(i: int) -> None:
        for _ in range(5):
            got[i] = lite(inputs[i])[1]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i in range(12):
        np.testing.assert_allclose(got[i], want[i], atol=1e-5)


def test_int8_weights_make_a_smaller_model_that_stays_close(two_headed):
    from emotion.tflite import TFLiteModel

    full, small = TFLiteModel(two_headed), TFLiteModel(two_headed, int8_weights=True)
    assert small.size_bytes < full.size_bytes
    x = batch(16)
    assert np.abs(small(x)[1] - full(x)[1]).max() < 0.05
