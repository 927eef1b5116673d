"""Training plumbing shared by the face and voice trainers: resumable fit, schedule, export."""
from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Callable

import numpy as np

from ..runtime import import_keras

keras = import_keras()


BF16_CPU_FLAGS = {"avx512_bf16", "amx_bf16"}


def training_precision(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    """The Keras mixed-precision policy to train with: "mixed_bfloat16" on a GPU or on a CPU that computes
    bfloat16 natively (AVX-512 BF16 or AMX), else "float32" (emulated bfloat16 is several times slower)."""
    if any(d.startswith(("gpu", "cuda")) for d in keras.distribution.list_devices()):
        return "mixed_bfloat16"
    try:
        flags = set(cpuinfo.read_text().split())
    except OSError:
        flags = set()
    return "mixed_bfloat16" if flags & BF16_CPU_FLAGS else "float32"


def use_training_precision() -> str:
    """Set (and print) the global Keras policy from training_precision(); returns it."""
    policy = training_precision()
    keras.mixed_precision.set_global_policy(policy)
    print(f"precision {policy}", flush=True)
    return policy


def cosine_schedule(peak_lr: float, total_steps: int,
                    warmup_steps: int) -> keras.optimizers.schedules.LearningRateSchedule:
    """Linear warm-up to `peak_lr`, then cosine decay to zero at `total_steps`."""
    return keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=peak_lr / 100, decay_steps=max(1, total_steps - warmup_steps), alpha=0.0,
        warmup_target=peak_lr, warmup_steps=warmup_steps)


def compiled_as_voice_trains(model: keras.Model, lr: float, total_steps: int, warmup_steps: int) -> keras.Model:
    """`model` compiled as the voice trainer trains its networks: AdamW (weight decay 0.05) on a cosine schedule
    peaking at `lr`, cross-entropy with label smoothing 0.1."""
    opt = keras.optimizers.AdamW(cosine_schedule(lr, total_steps, warmup_steps), weight_decay=0.05)
    model.compile(opt, keras.losses.CategoricalCrossentropy(label_smoothing=0.1), metrics=["accuracy"])
    return model


class EpochCheckpoint(keras.callbacks.Callback):
    """Save the whole model (weights + optimizer state) and a JSON history after every epoch."""

    def __init__(self, run_dir: Path, history: list[dict]):
        super().__init__()
        self.run_dir = run_dir
        self.history = history
        self.started = time.time()

    def on_epoch_begin(self, epoch, logs=None):
        self.started = time.time()

    def on_epoch_end(self, epoch, logs=None):
        entry = {"epoch": epoch + 1, "seconds": round(time.time() - self.started, 1)}
        entry.update({k: float(v) for k, v in (logs or {}).items()})
        self.history.append(entry)
        tmp = self.run_dir / "checkpoint.tmp.keras"
        self.model.save(tmp)
        tmp.replace(self.run_dir / "checkpoint.keras")
        (self.run_dir / "state.json").write_text(json.dumps({"epoch": epoch + 1, "history": self.history}, indent=1))
        print(json.dumps(entry), flush=True)


def resumable_fit(run_dir: Path, build: Callable[[], keras.Model], fit: Callable[[keras.Model, int, list], None],
                  total_steps: int | None = None) -> keras.Model:
    """Build and compile a new model, or load the last checkpoint in `run_dir`, and train on.

    `build()` returns a compiled model; `fit(model, initial_epoch, callbacks)` runs model.fit.
    On resume, a cosine schedule is stretched or shrunk to end at `total_steps`, so a run can be
    shortened or lengthened with `--epochs`.
    """
    run_dir.mkdir(parents=True, exist_ok=True)
    state_file, ckpt = run_dir / "state.json", run_dir / "checkpoint.keras"
    if ckpt.exists() and state_file.exists():
        state = json.loads(state_file.read_text())
        model = keras.models.load_model(ckpt)
        print(f"resuming {run_dir} after epoch {state['epoch']}", flush=True)
        schedule = getattr(model.optimizer, "_learning_rate", None)
        if total_steps and isinstance(schedule, keras.optimizers.schedules.CosineDecay):
            schedule.decay_steps = max(1, total_steps - (schedule.warmup_steps or 0))
    else:
        state = {"epoch": 0, "history": []}
        model = build()
    fit(model, state["epoch"], [EpochCheckpoint(run_dir, state["history"])])
    return model


def export_float32(trained: keras.Model, build_plain: Callable[[], keras.Model], path: Path) -> keras.Model:
    """Copy trained weights into a float32 model of the same architecture and save it for inference."""
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy("float32")
    try:
        plain = build_plain()
    finally:
        keras.mixed_precision.set_global_policy(previous)
    plain.set_weights([np.asarray(w, dtype=np.float32) for w in trained.get_weights()])
    path.parent.mkdir(parents=True, exist_ok=True)
    plain.save(path)
    return plain


def mean_weights(models: list[keras.Model]) -> list[np.ndarray]:
    """The equal-weight average of models of one architecture, weight by weight (batch-norm statistics
    included): a "model soup", or stochastic weight averaging when the models are epochs of one run."""
    return [np.mean(ws, axis=0) for ws in zip(*(m.get_weights() for m in models))]


class EpochExport(keras.callbacks.Callback):
    """After each of the last `last` epochs of an `epochs`-long run, export the model (or its layer `layer`)
    as a plain float32 model to run_dir/epochNNN.keras, to be averaged when the run ends."""

    def __init__(self, run_dir: Path, epochs: int, last: int, build_plain: Callable[[], keras.Model],
                 layer: str | None = None):
        super().__init__()
        self.run_dir, self.first, self.build_plain, self.layer = run_dir, epochs - last + 1, build_plain, layer

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 >= self.first:
            trained = self.model.get_layer(self.layer) if self.layer else self.model
            export_float32(trained, self.build_plain, epoch_export_path(self.run_dir, epoch + 1))


def epoch_export_path(run_dir: Path, epoch: int) -> Path:
    """Where EpochExport puts the model of one (1-based) epoch."""
    return run_dir / f"epoch{epoch:03d}.keras"


def mixup(x, y, alpha: float):
    """Mix each example of a batch with another one (the batch reversed): x and y both become
    lam * a + (1 - lam) * b, with lam ~ Beta(alpha, alpha) per example (Zhang et al., 2018)."""
    import tensorflow as tf

    b = tf.shape(x)[0]
    g1 = tf.random.gamma([b], alpha)
    g2 = tf.random.gamma([b], alpha)
    lam = g1 / (g1 + g2)
    lam_x = tf.reshape(tf.cast(lam, x.dtype), [-1] + [1] * (len(x.shape) - 1))
    lam_y = tf.reshape(tf.cast(lam, y.dtype), [-1, 1])
    return lam_x * x + (1 - lam_x) * tf.reverse(x, [0]), lam_y * y + (1 - lam_y) * tf.reverse(y, [0])


def steps_per_epoch(n: int, batch_size: int) -> int:
    """Number of batches in an epoch of `n` items."""
    return math.ceil(n / batch_size)
