"""Face training data: shuffled batches with mask augmentation, and the geometric + erasing augmenter.

Both are plain Keras (keras.ops, keras.random, keras.utils.PyDataset), so the face model trains on any
Keras backend: TensorFlow here, JAX or PyTorch on a GPU machine that has no TensorFlow.
"""
from __future__ import annotations

import math

import numpy as np

from ..face import FACE_SIZE
from ..runtime import import_keras

keras = import_keras()
from keras import ops  # noqa: E402  (after the quiet TensorFlow import)


@keras.saving.register_keras_serializable(package="moodlens")
class RandomErase(keras.layers.Layer):
    """In training, replace one random rectangle of `rate` of the images with uniform noise in [0, 255]
    (random erasing, Zhong et al. 2017): area 2-15% of the image, aspect ratio 0.3-3.3. Identity otherwise."""

    def __init__(self, rate: float = 0.5, area: tuple[float, float] = (0.02, 0.15),
                 ratio: tuple[float, float] = (0.3, 3.3), seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.rate, self.area, self.ratio, self.seed = rate, tuple(area), tuple(ratio), seed
        self.generator = keras.random.SeedGenerator(seed)

    def call(self, x, training=None):
        if not training or self.rate <= 0:
            return x
        b, h, w = ops.shape(x)[0], x.shape[1], x.shape[2]
        uniform = lambda shape, lo=0.0, hi=1.0: keras.random.uniform(shape, lo, hi, seed=self.generator)  # noqa: E731
        s = uniform((b,), self.area[0], self.area[1]) * (h * w)
        r = ops.exp(uniform((b,), math.log(self.ratio[0]), math.log(self.ratio[1])))
        eh = ops.clip(ops.round(ops.sqrt(s * r)), 1, h)
        ew = ops.clip(ops.round(ops.sqrt(s / r)), 1, w)
        y0 = ops.floor(uniform((b,)) * (h - eh + 1))
        x0 = ops.floor(uniform((b,)) * (w - ew + 1))
        yy = ops.arange(h, dtype="float32")[None, :, None]
        xx = ops.arange(w, dtype="float32")[None, None, :]
        inside = ((yy >= y0[:, None, None]) & (yy < (y0 + eh)[:, None, None])
                  & (xx >= x0[:, None, None]) & (xx < (x0 + ew)[:, None, None])
                  & (uniform((b,)) < self.rate)[:, None, None])
        noise = ops.cast(uniform(ops.shape(x), 0.0, 255.0), x.dtype)
        return ops.where(inside[..., None], noise, x)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "area": self.area, "ratio": self.ratio, "seed": self.seed}


def build_augmenter(erase_prob: float = 0.5, seed: int = 0) -> keras.Sequential:
    """Random flip, rotation (up to ±12.6°: 0.035 of a turn), zoom (in by up to 15%, out by up to 10%),
    shift (±10%) and erasing (`erase_prob` of faces) for (B, 48, 48, 1) pixels in [0, 255]; active only in
    training."""
    layers = keras.layers
    return keras.Sequential([
        keras.Input((FACE_SIZE, FACE_SIZE, 1)),
        layers.RandomFlip("horizontal", seed=seed, dtype="float32"),
        layers.RandomRotation(0.035, fill_mode="reflect", seed=seed + 1, dtype="float32"),
        layers.RandomZoom((-0.15, 0.1), fill_mode="reflect", seed=seed + 2, dtype="float32"),
        layers.RandomTranslation(0.1, 0.1, fill_mode="reflect", seed=seed + 3, dtype="float32"),
        RandomErase(erase_prob, seed=seed + 4, dtype="float32"),
    ], name="augment")


def with_augmenter(model: keras.Model, erase_prob: float, seed: int = 0) -> keras.Model:
    """`model` behind the augmenter: what is trained (and checkpointed); `model` itself is what is exported."""
    inputs = keras.Input((FACE_SIZE, FACE_SIZE, 1), name="pixels")
    return keras.Model(inputs, model(build_augmenter(erase_prob, seed)(inputs)), name="train_face")


class FaceBatches(keras.utils.PyDataset):
    """Shuffled (faces as float32 pixels, one-hot labels) batches, reshuffled every epoch. With `masked`
    copies, each face is swapped for its masked copy with probability `mask_prob`, drawn anew each epoch."""

    def __init__(self, x: np.ndarray, y: np.ndarray, batch_size: int, n_classes: int,
                 masked: np.ndarray | None = None, mask_prob: float = 0.0, seed: int = 0):
        super().__init__()
        self.x, self.masked, self.mask_prob, self.batch_size = x, masked, mask_prob, batch_size
        self.onehot = np.eye(n_classes, dtype="float32")[y]
        self.rng = np.random.default_rng(seed)
        self.on_epoch_end()

    def __len__(self) -> int:
        return math.ceil(len(self.x) / self.batch_size)

    def __getitem__(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        idx = self.order[i * self.batch_size:(i + 1) * self.batch_size]
        x = self.x[idx]
        if self.masked is not None and self.mask_prob > 0:
            x = np.where(self.use_mask[idx, None, None, None], self.masked[idx], x)
        return x.astype("float32"), self.onehot[idx]

    def on_epoch_end(self) -> None:
        self.order = self.rng.permutation(len(self.x))
        self.use_mask = self.rng.random(len(self.x)) < self.mask_prob
