"""Train the face model on FER2013 (folders of 48x48 grayscale crops, one folder per emotion).

    python -m emotion train face --data ../shared/data/face/fer2013 --run runs/face --epochs 60

Resumable: run the same command again and it continues from the last finished epoch.
"""
from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

import cv2
import numpy as np

from ..face import FACE_SIZE, soften
from ..labels import EMOTIONS, INDEX, normalise
from .options import run_options

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


def choice_and_val_faces(root: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """FER2013 faces for inference-time choices: every 8th training face (where a setting is chosen; the
    model has seen them, so levels are optimistic but comparisons fair) and val/ (the estimate, not used
    for choosing). Keys are "train (every 8th)" and "val"; raises FileNotFoundError when a split is missing.
    """
    for part in ("train", "val"):
        if not (root / part).is_dir():
            raise FileNotFoundError(f"{root / part} is missing: pass the folder holding FER2013's train/ and val/")
    x, y = load_face_folder(root / "train")
    return {"train (every 8th)": (x[::8], y[::8]), "val": load_face_folder(root / "val")}


def masked_copies(x: np.ndarray, seed: int = 0) -> np.ndarray:
    """Each (48, 48, 1) face with a random simulated mask (colour and fit vary; see masks.random_mask)."""
    from ..masks import random_mask

    rng = np.random.default_rng(seed)
    box = (0, 0, FACE_SIZE, FACE_SIZE)
    return np.stack([random_mask(face[..., 0], box, rng) for face in x])[..., None]


def train_face(data: Path, run_dir: Path, epochs: int, batch_size: int, lr: float, out: Path,
               label_smoothing: float = 0.1, limit: int | None = None, mask_prob: float = 0.0,
               init: Path | None = None, warmup_epochs: int = 3, weight_decay: float = 5e-3,
               dropout: float = 0.5, erase_prob: float = 0.5, average_last: int = 1) -> dict:
    """Train (or resume) and export the float32 model to `out`; returns the final validation metrics
    (empty when `data` has no val/ split: then validate elsewhere, e.g. with `python -m emotion evaluate`).

    `mask_prob` replaces that share of training faces with a masked copy (mask augmentation);
    `init` starts from the weights of a trained model (fine-tuning) instead of from scratch;
    `dropout` (head) and `erase_prob` (random erasing) set how strongly training is regularised;
    `average_last` > 1 exports the average of the last epochs' weights (those of them the run saved:
    epochs trained before the option was given are not) instead of the last epoch's.
    Plain Keras: runs on TensorFlow, or on JAX / PyTorch with KERAS_BACKEND set.
    """
    from ..runtime import import_keras

    keras = import_keras()
    from .common import (
        EpochExport,
        cosine_schedule,
        epoch_export_path,
        export_float32,
        mean_weights,
        resumable_fit,
        steps_per_epoch,
        use_training_precision,
    )
    from .face_augment import FaceBatches, with_augmenter
    from .face_model import build_face_model

    x_train, y_train = load_face_folder(data / "train")
    x_val, y_val = load_face_folder(data / "val") if (data / "val").is_dir() else (None, None)
    if limit:  # a random subset, for smoke tests
        rng = np.random.default_rng(0)
        keep = rng.permutation(len(x_train))[:limit]
        x_train, y_train = x_train[keep], y_train[keep]
        if x_val is not None:
            keep = rng.permutation(len(x_val))[:limit]
            x_val, y_val = x_val[keep], y_val[keep]
    print(f"train {len(x_train)}  val {0 if x_val is None else len(x_val)}  "
          f"counts {np.bincount(y_train, minlength=7).tolist()}", flush=True)
    n_classes = len(EMOTIONS)
    use_training_precision()

    train_batches = FaceBatches(x_train, y_train, batch_size, n_classes,
                                masked_copies(x_train) if mask_prob > 0 else None, mask_prob)
    if x_val is not None:  # validated as the app reads faces: softened like the resampled training faces
        x_val = soften(x_val[..., 0])[..., None]
    val_data = None if x_val is None else (x_val.astype("float32"), np.eye(n_classes, dtype="float32")[y_val])
    steps = steps_per_epoch(len(x_train), batch_size)

    def build():
        model = build_face_model(dropout=dropout)
        if init is not None:
            from .. import layers  # noqa: F401  (registers the custom layers used in the file)
            model.set_weights(keras.models.load_model(init).get_weights())
        trainer = with_augmenter(model, erase_prob)
        opt = keras.optimizers.SGD(cosine_schedule(lr, steps * epochs, steps * warmup_epochs), momentum=0.9,
                                   nesterov=True, weight_decay=weight_decay)
        opt.exclude_from_weight_decay(var_names=["bn", "gamma", "beta"])
        trainer.compile(opt, keras.losses.CategoricalCrossentropy(label_smoothing=label_smoothing),
                        metrics=["accuracy"])
        return trainer

    def fit(trainer, initial_epoch, callbacks):
        if initial_epoch < epochs:
            if average_last > 1:  # before the checkpoint: a run stopped between the two repeats the epoch
                callbacks = [EpochExport(run_dir, epochs, average_last, build_face_model, "moodlens_face"), *callbacks]
            trainer.fit(train_batches, validation_data=val_data, validation_batch_size=256, epochs=epochs,
                        initial_epoch=initial_epoch, callbacks=callbacks, verbose=2)

    trainer = resumable_fit(run_dir, build, fit, total_steps=steps * epochs)
    window = range(epochs - average_last + 1, epochs + 1) if average_last > 1 else range(0)
    averaged = [e for e in window if epoch_export_path(run_dir, e).exists()]
    if averaged:
        from .. import layers  # noqa: F401  (registers the custom layers used in the files)

        parts = [keras.models.load_model(epoch_export_path(run_dir, e), compile=False) for e in averaged]
        plain = parts[0]  # already a plain float32 model: it takes the average
        plain.set_weights(mean_weights(parts))
        plain.save(out)
        print(f"exported the average of epochs {averaged} to {out}", flush=True)
    else:
        plain = export_float32(trainer.get_layer("moodlens_face"), build_face_model, out)
    if x_val is None:
        return {}
    probs = plain.predict(x_val.astype("float32"), batch_size=256, verbose=0)
    probs_flip = plain.predict(x_val[:, :, ::-1].astype("float32"), batch_size=256, verbose=0)
    result = {"val_accuracy": float((probs.argmax(1) == y_val).mean()),
              "val_accuracy_flip_tta": float(((probs + probs_flip).argmax(1) == y_val).mean())}
    if average_last > 1:
        result["averaged_epochs"] = averaged
    (run_dir / "final.json").write_text(json.dumps(result, indent=1))
    print(json.dumps(result), flush=True)
    return result


def options() -> argparse.ArgumentParser:
    """The options every trainer takes, with the face trainer's defaults (a parent parser)."""
    return run_options(data=Path("../shared/data/face/fer2013"),
                       data_help="folder with train/ and val/, one sub-folder per emotion", run=Path("runs/face"),
                       out=Path("weights/face.keras"), epochs=60, batch_size=128, lr=0.02, warmup_epochs=3)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Command-line options of `python -m emotion train face` beyond options()."""
    parser.add_argument("--limit", type=int, default=None, help="use only the first N images (smoke test)")
    parser.add_argument("--mask-prob", type=float, default=0.0,
                        help="share of training faces shown with a simulated mask (mask augmentation)")
    parser.add_argument("--init", type=Path, default=None,
                        help="start from this trained model's weights (fine-tuning) instead of from scratch")
    parser.add_argument("--weight-decay", type=float, default=5e-3,
                        help="decoupled weight decay of the SGD optimizer (lower it if training accuracy stalls)")
    parser.add_argument("--dropout", type=float, default=0.5, help="dropout rate of the dense head")
    parser.add_argument("--erase-prob", type=float, default=0.5,
                        help="share of training faces with a random erased patch")
    parser.add_argument("--average-last", type=int, default=1,
                        help="export the average of the last N epochs' weights (stochastic weight averaging)")


def main(args: argparse.Namespace) -> int:
    """Entry point for `python -m emotion train face`."""
    if not (args.data / "train").is_dir():
        print(f"error: {args.data / 'train'} not found: FER2013 is expected as {args.data}/train and /val "
              f"(see ../shared/data/README.md; without val/ the model trains without validation)")
        return 2
    train_face(args.data, args.run, args.epochs, args.batch_size, args.lr, args.out, limit=args.limit,
               mask_prob=args.mask_prob, init=args.init, warmup_epochs=args.warmup_epochs,
               weight_decay=args.weight_decay, dropout=args.dropout, erase_prob=args.erase_prob,
               average_last=args.average_last)
    return 0
