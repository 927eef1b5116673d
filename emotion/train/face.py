"""Train the face model on FER2013 (folders of 48x48 grayscale crops, one folder per emotion).

    python -m emotion train face --data ../shared/data/face/fer2013 --run runs/face --epochs 60

Resumable: run the same command again and it continues from the last finished epoch.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import math
from pathlib import Path

import cv2
import numpy as np

from ..face import FACE_SIZE
from ..labels import EMOTIONS, INDEX, normalise

CACHE = Path(".cache")


def load_face_folder(folder: Path) -> tuple[np.ndarray, np.ndarray]:
    """All images under `folder/<emotion>/` as uint8 (N, 48, 48, 1) plus integer labels (N,).

    Cached as .cache/<name>.npz, keyed by the folder's path, since decoding 30k JPEGs takes a while.
    """
    CACHE.mkdir(exist_ok=True)
    key = hashlib.sha1(str(folder.resolve()).encode()).hexdigest()[:10]
    cache = CACHE / f"faces_{key}_{folder.name}.npz"
    if cache.exists():
        data = np.load(cache)
        return data["x"], data["y"]
    xs, ys = [], []
    for sub in sorted(p for p in folder.iterdir() if p.is_dir()):
        label = normalise(sub.name)
        if label is None:
            print(f"skipping folder {sub} (not an emotion name)")
            continue
        for f in sorted(sub.iterdir()):
            img = cv2.imread(str(f), cv2.IMREAD_GRAYSCALE)
            if img is None:
                continue
            if img.shape != (FACE_SIZE, FACE_SIZE):
                img = cv2.resize(img, (FACE_SIZE, FACE_SIZE), interpolation=cv2.INTER_AREA)
            xs.append(img)
            ys.append(INDEX[label])
    x = np.stack(xs)[..., None]
    y = np.asarray(ys, dtype=np.int64)
    np.savez(cache, x=x, y=y)
    return x, y


def make_augmenter(seed: int = 0, erase_prob: float = 0.5):
    """Random flip, rotation, zoom, shift and erasing (`erase_prob` of faces) for a batch of (B, 48, 48, 1) faces."""
    import keras
    import tensorflow as tf

    geometric = keras.Sequential([
        keras.layers.RandomFlip("horizontal", seed=seed, dtype="float32"),
        keras.layers.RandomRotation(0.035, fill_mode="reflect", seed=seed + 1, dtype="float32"),
        keras.layers.RandomZoom((-0.15, 0.1), fill_mode="reflect", seed=seed + 2, dtype="float32"),
        keras.layers.RandomTranslation(0.1, 0.1, fill_mode="reflect", seed=seed + 3, dtype="float32"),
    ])

    def random_erase(x, p=erase_prob, area=(0.02, 0.15), ratio=(0.3, 3.3)):
        b = tf.shape(x)[0]
        h = w = FACE_SIZE
        s = tf.random.uniform([b], area[0], area[1]) * h * w
        r = tf.exp(tf.random.uniform([b], math.log(ratio[0]), math.log(ratio[1])))
        eh = tf.clip_by_value(tf.round(tf.sqrt(s * r)), 1, h)
        ew = tf.clip_by_value(tf.round(tf.sqrt(s / r)), 1, w)
        y0 = tf.floor(tf.random.uniform([b]) * (h - eh + 1))
        x0 = tf.floor(tf.random.uniform([b]) * (w - ew + 1))
        yy = tf.range(h, dtype=tf.float32)[None, :, None]
        xx = tf.range(w, dtype=tf.float32)[None, None, :]
        inside = ((yy >= y0[:, None, None]) & (yy < (y0 + eh)[:, None, None])
                  & (xx >= x0[:, None, None]) & (xx < (x0 + ew)[:, None, None])
                  & (tf.random.uniform([b]) < p)[:, None, None])
        noise = tf.random.uniform(tf.shape(x), 0, 255)
        return tf.where(inside[..., None], noise, x)

    def augment(x, y):
        x = tf.cast(x, tf.float32)
        x = geometric(x, training=True)
        return random_erase(x), y

    return augment


def masked_copies(x: np.ndarray, seed: int = 0) -> np.ndarray:
    """Each (48, 48, 1) face with a random simulated mask (colour and fit vary; see masks.random_mask)."""
    from ..masks import random_mask

    rng = np.random.default_rng(seed)
    box = (0, 0, FACE_SIZE, FACE_SIZE)
    return np.stack([random_mask(face[..., 0], box, rng) for face in x])[..., None]


def train_face(data: Path, run_dir: Path, epochs: int, batch_size: int, lr: float, out: Path,
               label_smoothing: float = 0.1, limit: int | None = None, mask_prob: float = 0.0,
               init: Path | None = None, warmup_epochs: int = 3, weight_decay: float = 5e-3,
               dropout: float = 0.5, erase_prob: float = 0.5) -> dict:
    """Train (or resume) and export the float32 model to `out`; returns the final validation metrics.

    `mask_prob` replaces that share of training faces with a masked copy (mask augmentation);
    `init` starts from the weights of a trained model (fine-tuning) instead of from scratch;
    `dropout` (head) and `erase_prob` (random erasing) set how strongly training is regularised.
    """
    from ..runtime import import_tensorflow

    tf = import_tensorflow()
    import keras

    from .common import cosine_schedule, export_float32, resumable_fit, steps_per_epoch, use_training_precision
    from .face_model import build_face_model

    x_train, y_train = load_face_folder(data / "train")
    x_val, y_val = load_face_folder(data / "val")
    if limit:  # a random subset, for smoke tests
        rng = np.random.default_rng(0)
        keep_t, keep_v = rng.permutation(len(x_train))[:limit], rng.permutation(len(x_val))[:limit]
        x_train, y_train, x_val, y_val = x_train[keep_t], y_train[keep_t], x_val[keep_v], y_val[keep_v]
    print(f"train {len(x_train)}  val {len(x_val)}  counts {np.bincount(y_train, minlength=7).tolist()}", flush=True)
    n_classes = len(EMOTIONS)
    use_training_precision()

    augment = make_augmenter(erase_prob=erase_prob)
    train_ds = tf.data.Dataset.from_tensor_slices((x_train, tf.one_hot(y_train, n_classes)))
    if mask_prob > 0:
        masked = tf.data.Dataset.from_tensor_slices(masked_copies(x_train))
        train_ds = tf.data.Dataset.zip((train_ds, masked)).map(
            lambda xy, xm: (tf.where(tf.random.uniform([]) < mask_prob, xm, xy[0]), xy[1]))
    train_ds = (train_ds.shuffle(len(x_train), reshuffle_each_iteration=True)
                .batch(batch_size).map(augment, num_parallel_calls=tf.data.AUTOTUNE)
                .prefetch(tf.data.AUTOTUNE))
    val_ds = tf.data.Dataset.from_tensor_slices((x_val.astype("float32"), tf.one_hot(y_val, n_classes))).batch(256)
    steps = steps_per_epoch(len(x_train), batch_size)

    def build():
        model = build_face_model(dropout=dropout)
        if init is not None:
            from .. import layers  # noqa: F401  (registers the custom layers used in the file)
            model.set_weights(keras.models.load_model(init).get_weights())
        opt = keras.optimizers.SGD(cosine_schedule(lr, steps * epochs, steps * warmup_epochs), momentum=0.9,
                                   nesterov=True, weight_decay=weight_decay)
        opt.exclude_from_weight_decay(var_names=["bn", "gamma", "beta"])
        model.compile(opt, keras.losses.CategoricalCrossentropy(label_smoothing=label_smoothing),
                      metrics=["accuracy"])
        return model

    def fit(model, initial_epoch, callbacks):
        if initial_epoch < epochs:
            model.fit(train_ds, validation_data=val_ds, epochs=epochs, initial_epoch=initial_epoch,
                      callbacks=callbacks, verbose=2)

    model = resumable_fit(run_dir, build, fit, total_steps=steps * epochs)
    plain = export_float32(model, build_face_model, out)
    probs = plain.predict(x_val.astype("float32"), batch_size=256, verbose=0)
    probs_flip = plain.predict(x_val[:, :, ::-1].astype("float32"), batch_size=256, verbose=0)
    result = {"val_accuracy": float((probs.argmax(1) == y_val).mean()),
              "val_accuracy_flip_tta": float(((probs + probs_flip).argmax(1) == y_val).mean())}
    (run_dir / "final.json").write_text(json.dumps(result, indent=1))
    print(json.dumps(result), flush=True)
    return result


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Command-line options of `python -m emotion train face`."""
    parser.add_argument("--data", type=Path, default=Path("../shared/data/face/fer2013"),
                        help="folder with train/ and val/, one sub-folder per emotion")
    parser.add_argument("--run", type=Path, default=Path("runs/face"), help="checkpoint folder (resumable)")
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=0.02)
    parser.add_argument("--out", type=Path, default=Path("weights/face.keras"))
    parser.add_argument("--limit", type=int, default=None, help="use only the first N images (smoke test)")
    parser.add_argument("--mask-prob", type=float, default=0.0,
                        help="share of training faces shown with a simulated mask (mask augmentation)")
    parser.add_argument("--init", type=Path, default=None,
                        help="start from this trained model's weights (fine-tuning) instead of from scratch")
    parser.add_argument("--warmup-epochs", type=int, default=3)
    parser.add_argument("--weight-decay", type=float, default=5e-3,
                        help="decoupled weight decay of the SGD optimizer (lower it if training accuracy stalls)")
    parser.add_argument("--dropout", type=float, default=0.5, help="dropout rate of the dense head")
    parser.add_argument("--erase-prob", type=float, default=0.5, help="share of training faces with a random erased patch")


def main(args: argparse.Namespace) -> int:
    """Entry point for `python -m emotion train face`."""
    for split in ("train", "val"):
        if not (args.data / split).is_dir():
            print(f"error: {args.data / split} not found: FER2013 is expected as {args.data}/train and /val "
                  f"(see ../shared/data/README.md)")
            return 2
    train_face(args.data, args.run, args.epochs, args.batch_size, args.lr, args.out, limit=args.limit,
               mask_prob=args.mask_prob, init=args.init, warmup_epochs=args.warmup_epochs,
               weight_decay=args.weight_decay, dropout=args.dropout, erase_prob=args.erase_prob)
    return 0
