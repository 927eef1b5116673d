"""Train the voice model on RAVDESS (actors 01-20), TESS and the Urdu set, speaker-independently.

    python -m emotion train voice --data ../shared/data/voice --run runs/voice --epochs 40

Held out of training (never heard by the model, used for the reported numbers):
  RAVDESS actors 17-20, TESS speaker OAF, Urdu speaker codes in URDU_HELD_OUT.
Calm (RAVDESS) is mapped to neutral. Resumable: run the same command again to continue.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..audio import load_audio
from ..labels import EMOTIONS, INDEX, label_for_path
from ..speech import detect_speech
from ..voice import WINDOW, fit_window, log_mel

CACHE = Path(".cache")
RAVDESS_HELD_OUT = {17, 18, 19, 20}
TESS_HELD_OUT = {"OAF"}
# Urdu file names start with a code such as SM5 or SF6, apparently speaker (Male/Female) numbers; the
# set's documentation does not say, so its figures are optimistic. These codes cover all 4 classes.
URDU_HELD_OUT = {"SM1", "SM3", "SM7", "SM20", "SM23", "SF11", "SM27"}


@dataclass(frozen=True)
class Clip:
    path: str
    label: str
    corpus: str
    speaker: str

    @property
    def held_out(self) -> bool:
        if self.corpus == "ravdess":
            return int(self.speaker.split("_")[-1]) in RAVDESS_HELD_OUT
        if self.corpus == "tess":
            return self.speaker in TESS_HELD_OUT
        return self.speaker in URDU_HELD_OUT


def collect_clips(root: Path) -> list[Clip]:
    """Every labelled clip under root/{ravdess,tess,urdu}, with its corpus and speaker."""
    clips = []
    for corpus in ("ravdess", "tess", "urdu"):
        for path in sorted((root / corpus).rglob("*.flac")):
            label = label_for_path(path.relative_to(root))
            if label is None:
                continue
            if corpus == "ravdess":
                speaker = path.parent.name
            elif corpus == "tess":
                speaker = path.parent.name.split("_")[0]
            else:
                speaker = path.stem.split("_")[0]
            clips.append(Clip(str(path), label, corpus, speaker))
    return clips


def _speech_segment(path: str) -> np.ndarray:
    audio = load_audio(path)
    start, end = detect_speech(audio).span()
    return audio[start:end]


def _random_window(segment: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    if len(segment) > WINDOW:
        start = rng.integers(0, len(segment) - WINDOW + 1)
        return segment[start:start + WINDOW]
    return fit_window(segment)


def _features_for_clip(job: tuple[str, int, int, str | None]) -> np.ndarray:
    """Log-mel windows for one clip: the clean one first, then `variants` augmented ones."""
    from .voice_augment import augment

    path, variants, seed, background_path = job
    rng = np.random.default_rng(seed)
    segment = _speech_segment(path)
    background = load_audio(background_path) if background_path else None
    out = [log_mel(_random_window(segment, rng))]
    for _ in range(variants):
        out.append(log_mel(_random_window(augment(segment, rng, background), rng)))
    return np.stack(out).astype(np.float16)


def build_features(clips: list[Clip], variants: int, workers: int, tag: str) -> np.ndarray:
    """(N, 1 + variants, frames, mels) float16, cached in .cache/ by clip list and settings."""
    CACHE.mkdir(exist_ok=True)
    key = hashlib.sha1(json.dumps([[c.path for c in clips], variants]).encode()).hexdigest()[:10]
    cache = CACHE / f"voice_{tag}_{key}.npy"
    if cache.exists():
        return np.load(cache)
    rng = np.random.default_rng(0)
    others = [c.path for c in clips]
    jobs = [(c.path, variants, i, others[rng.integers(len(others))] if variants else None)
            for i, c in enumerate(clips)]
    with ProcessPoolExecutor(workers) as pool:
        feats = []
        for i, f in enumerate(pool.map(_features_for_clip, jobs, chunksize=8)):
            feats.append(f)
            if (i + 1) % 200 == 0:
                print(f"  features {tag}: {i + 1}/{len(jobs)}", flush=True)
    arr = np.stack(feats)
    np.save(cache, arr)
    return arr


def spec_augment(x, y):
    """SpecAugment: mask one band of mel channels and two stretches of time, per example."""
    import tensorflow as tf

    b, t, f = tf.shape(x)[0], tf.shape(x)[1], tf.shape(x)[2]
    mean = tf.reduce_mean(x, axis=[1, 2, 3], keepdims=True)

    def band(size, max_width):
        width = tf.random.uniform([b], 0, max_width, dtype=tf.int32)
        start = tf.cast(tf.random.uniform([b]) * tf.cast(size - width, tf.float32), tf.int32)
        pos = tf.range(size)[None, :]
        return (pos >= start[:, None]) & (pos < (start + width)[:, None])

    freq_mask = band(f, 10)[:, None, :, None]
    time_mask = (band(t, 40) | band(t, 40))[:, :, None, None]
    x = tf.where(freq_mask | time_mask, mean, x)
    shift = tf.random.uniform([], 0, t, dtype=tf.int32)
    return tf.roll(x, shift, axis=1), y


def evaluate_clips(model_path: Path, clips: list[Clip]) -> dict:
    """Clip-level accuracy of the full pipeline (speech gate, windows, averaging) per corpus."""
    from ..voice import VoiceModel

    model = VoiceModel(model_path)
    results: dict[str, dict] = {}
    for corpus in sorted({c.corpus for c in clips}):
        subset = [c for c in clips if c.corpus == corpus]
        y_true, y_pred = [], []
        for c in subset:
            reading = model.read(load_audio(c.path))
            y_true.append(c.label)
            y_pred.append(reading.label)
        acc = float(np.mean([t == p for t, p in zip(y_true, y_pred)]))
        results[corpus] = {"n": len(subset), "accuracy": round(acc, 4),
                           "no_speech": sum(p == "no speech" for p in y_pred)}
    return results


def train_voice(data: Path, run_dir: Path, epochs: int, batch_size: int, lr: float, out: Path,
                variants: int, workers: int, limit: int | None = None, init: Path | None = None,
                mixup_alpha: float = 0.0, warmup_epochs: int = 2) -> dict:
    from ..runtime import import_tensorflow

    tf = import_tensorflow()
    import keras

    from .common import (cosine_schedule, export_float32, mixup, resumable_fit, steps_per_epoch,
                         use_training_precision)
    from .voice_model import build_voice_model

    clips = collect_clips(data)
    if limit:
        rng = np.random.default_rng(0)
        clips = [clips[i] for i in sorted(rng.permutation(len(clips))[:limit])]
    train = [c for c in clips if not c.held_out]
    val = [c for c in clips if c.held_out]
    counts = {e: sum(c.label == e for c in train) for e in EMOTIONS}
    print(f"train clips {len(train)} {counts}; held-out clips {len(val)}", flush=True)

    x_train = build_features(train, variants, workers, "train")
    x_val = build_features(val, 0, workers, "val")[:, 0]
    y_train = np.repeat(np.array([INDEX[c.label] for c in train]), x_train.shape[1])
    x_train = x_train.reshape(-1, *x_train.shape[2:])
    y_val = np.array([INDEX[c.label] for c in val])
    print(f"train windows {len(x_train)}  val windows {len(x_val)}", flush=True)

    use_training_precision()
    n = len(EMOTIONS)
    train_ds = (tf.data.Dataset.from_tensor_slices((x_train[..., None], tf.one_hot(y_train, n)))
                .shuffle(len(x_train), reshuffle_each_iteration=True).batch(batch_size)
                .map(lambda x, y: spec_augment(tf.cast(x, tf.float32), y), num_parallel_calls=tf.data.AUTOTUNE))
    if mixup_alpha > 0:
        train_ds = train_ds.map(lambda x, y: mixup(x, y, mixup_alpha), num_parallel_calls=tf.data.AUTOTUNE)
    train_ds = train_ds.prefetch(tf.data.AUTOTUNE)
    val_ds = tf.data.Dataset.from_tensor_slices((x_val[..., None].astype("float32"), tf.one_hot(y_val, n))).batch(128)
    steps = steps_per_epoch(len(x_train), batch_size)

    def build():
        model = build_voice_model()
        if init is not None:
            from .. import layers  # noqa: F401  (registers the custom layers used in the file)
            model.set_weights(keras.models.load_model(init).get_weights())
        opt = keras.optimizers.AdamW(cosine_schedule(lr, steps * epochs, steps * warmup_epochs), weight_decay=0.05)
        model.compile(opt, keras.losses.CategoricalCrossentropy(label_smoothing=0.1), metrics=["accuracy"])
        return model

    def fit(model, initial_epoch, callbacks):
        if initial_epoch < epochs:
            model.fit(train_ds, validation_data=val_ds, epochs=epochs, initial_epoch=initial_epoch,
                      callbacks=callbacks, verbose=2)

    model = resumable_fit(run_dir, build, fit, total_steps=steps * epochs)
    export_float32(model, build_voice_model, out)
    result = evaluate_clips(out, val)
    (run_dir / "final.json").write_text(json.dumps(result, indent=1))
    print(json.dumps(result), flush=True)
    return result


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Command-line options of `python -m emotion train voice`."""
    parser.add_argument("--data", type=Path, default=Path("../shared/data/voice"),
                        help="folder with ravdess/, tess/ and urdu/")
    parser.add_argument("--run", type=Path, default=Path("runs/voice"), help="checkpoint folder (resumable)")
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--variants", type=int, default=6, help="augmented copies of each training clip")
    parser.add_argument("--workers", type=int, default=max(1, (os.cpu_count() or 2)))
    parser.add_argument("--out", type=Path, default=Path("weights/voice.keras"))
    parser.add_argument("--limit", type=int, default=None, help="use only N random clips (smoke test)")
    parser.add_argument("--init", type=Path, default=None,
                        help="start from this trained model's weights (fine-tuning) instead of from scratch")
    parser.add_argument("--mixup", type=float, default=0.0,
                        help="mixup's Beta(alpha, alpha) parameter; 0 = no mixup (0.2-0.4 is usual)")
    parser.add_argument("--warmup-epochs", type=int, default=2)


def main(args: argparse.Namespace) -> int:
    """Entry point for `python -m emotion train voice`."""
    missing = [c for c in ("ravdess", "tess", "urdu") if not (args.data / c).is_dir()]
    if missing:
        print(f"error: {', '.join(missing)} not found under {args.data} (see ../shared/data/README.md)")
        return 2
    train_voice(args.data, args.run, args.epochs, args.batch_size, args.lr, args.out, args.variants,
                args.workers, args.limit, init=args.init, mixup_alpha=args.mixup,
                warmup_epochs=args.warmup_epochs)
    return 0
