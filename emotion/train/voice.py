"""Train the voice model on every speaker of RAVDESS (actors 01-20), TESS, the Urdu set and EmoDB, except
the speakers held out for measuring (`--held-out`) and those the recipe is chosen on (`--choice`).

    python -m emotion train voice --run runs/voice --held-out ravdess:1-4 --choice ravdess:17-20

Windows are cut from cached log-mel spectrograms (.cache/, see voice_features) and changed in the log-mel
domain every epoch (voice_windows). Calm (RAVDESS) is neutral; EmoDB's boredom is left out. Resumable: run
the same command again to continue. At the end the model is read through the app's own path (speech gate,
3 s windows, weighted average) on the choice and held-out clips, into run/final.json.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from ..audio import load_audio
from ..evaluate import metrics
from ..labels import EMOTIONS, INDEX
from .options import run_options
from .voice_corpora import CORPORA, Clip, collect_clips, split_clips
from .voice_features import cached_variants
from .voice_model import ARCHITECTURES, NORMS
from .voice_windows import MelAugment, batches, fit_frames, sampling_weights


def evaluate_clips(model_path: Path, clips: list[Clip]) -> dict:
    """Whole-clip metrics of the app's pipeline over `clips`, overall and per corpus, with each clip's label."""
    from ..voice import VoiceModel

    if not clips:
        return {}
    model = VoiceModel(model_path)
    pred = [model.read(load_audio(c.path)).label for c in clips]
    out = {"all": metrics([c.label for c in clips], pred)}
    for corpus in sorted({c.corpus for c in clips}):
        pairs = [(c.label, p) for c, p in zip(clips, pred) if c.corpus == corpus]
        out[corpus] = metrics(*zip(*pairs))
    out["predictions"] = [[Path(c.path).name, c.speaker, c.label, p] for c, p in zip(clips, pred)]
    return out


def train_voice(args: argparse.Namespace) -> dict:
    from ..runtime import import_tensorflow

    tf = import_tensorflow()
    import keras

    from .common import cosine_schedule, export_float32, mixup, resumable_fit, steps_per_epoch, use_training_precision
    from .voice_model import build_voice_model

    clips = collect_clips(args.data)
    train, choice, test = split_clips(clips, args.held_out, args.choice)
    position = {c.path: i for i, c in enumerate(clips)}
    print(f"train {len(train)} clips ({len({c.speaker for c in train})} speakers) "
          f"{ {e: sum(c.label == e for c in train) for e in EMOTIONS} }; choice {len(choice)}; held out {len(test)}",
          flush=True)
    every = cached_variants(clips, args.variants)
    print(f"variants cached and used: {len(every)}", flush=True)
    rows = [position[c.path] for c in train]
    variants = [[v[i] for i in rows] for v in every]
    y = np.array([INDEX[c.label] for c in train])
    weights = sampling_weights([c.label for c in train], [c.speaker for c in train], args.balance)

    use_training_precision()
    n = len(EMOTIONS)
    draw = batches(variants, y, weights, args.batch_size, MelAugment(), args.seed)
    steps = steps_per_epoch(len(train), args.batch_size)

    def epoch_data():
        """One epoch of freshly changed windows, made in numpy up front (a tf.data generator starved the steps)."""
        xs, ys = zip(*(next(draw) for _ in range(steps)))
        x, t = np.concatenate(xs), np.eye(n, dtype=np.float32)[np.concatenate(ys)]
        if args.mixup > 0:
            x, t = (np.asarray(a) for a in mixup(tf.constant(x), tf.constant(t), args.mixup))
        return x, t

    val_ds = None
    if choice:  # the choice clips' first window: a quick per-epoch view, not the reported figure
        x_val = np.stack([fit_frames(every[0][position[c.path]].astype(np.float32), 0) for c in choice])[..., None]
        y_val = tf.one_hot([INDEX[c.label] for c in choice], n)
        val_ds = (x_val, np.asarray(y_val))

    def build_plain():
        return build_voice_model(args.arch, args.norm, args.width)

    def build():
        model = build_plain()
        opt = keras.optimizers.AdamW(cosine_schedule(args.lr, steps * args.epochs, steps * args.warmup_epochs),
                                     weight_decay=0.05)
        model.compile(opt, keras.losses.CategoricalCrossentropy(label_smoothing=0.1), metrics=["accuracy"])
        return model

    def fit(model, initial_epoch, callbacks):
        for epoch in range(initial_epoch, args.epochs):
            x, t = epoch_data()
            model.fit(x, t, batch_size=args.batch_size, shuffle=False, validation_data=val_ds,
                      initial_epoch=epoch, epochs=epoch + 1, callbacks=callbacks, verbose=2)

    model = resumable_fit(args.run, build, fit, total_steps=steps * args.epochs)
    export_float32(model, build_plain, args.out)
    result = {"settings": {k: str(v) for k, v in vars(args).items() if k not in ("func",)},
              "choice": evaluate_clips(args.out, choice), "held_out": evaluate_clips(args.out, test)}
    (args.run / "final.json").write_text(json.dumps(result, indent=1))
    for part in ("choice", "held_out"):
        if result[part]:
            print(part, {k: v["accuracy"] for k, v in result[part].items() if k != "predictions"}, flush=True)
    return result


def options() -> argparse.ArgumentParser:
    """The options every trainer takes, with the voice trainer's defaults (a parent parser)."""
    return run_options(data=Path("../shared/data/voice"), data_help=f"folder with {', '.join(CORPORA)}",
                       run=Path("runs/voice"), out=Path("weights/voice.keras"), epochs=30, batch_size=64, lr=2e-3,
                       warmup_epochs=2)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Command-line options of `python -m emotion train voice` beyond options()."""
    parser.add_argument("--held-out", default="", help='speakers never trained on, measured at the end: e.g. '
                        '"ravdess:1-4", "emodb", "ravdess:17-20+tess:OAF" (default: none, train on all)')
    parser.add_argument("--choice", default="", help="speakers to choose recipes and epochs on (not trained on)")
    parser.add_argument("--arch", choices=ARCHITECTURES, default="tdnn")
    parser.add_argument("--norm", choices=NORMS, default="image")
    parser.add_argument("--width", type=int, default=128,
                        help="channels of the 1-D convolutions (tdnn) or of the last stage (cnn; the others halve)")
    parser.add_argument("--balance", choices=("none", "class", "class+speaker"), default="class")
    parser.add_argument("--variants", type=int, default=1,
                        help="cached feature variants to draw from: the clean clip and up to N-1 augmented copies")
    parser.add_argument("--mixup", type=float, default=0.0,
                        help="mixup's Beta(alpha, alpha) parameter; 0 = no mixup (0.2-0.4 is usual)")
    parser.add_argument("--seed", type=int, default=0)


def main(args: argparse.Namespace) -> int:
    """Entry point for `python -m emotion train voice`."""
    missing = [c for c in CORPORA if not (args.data / c).is_dir()]
    if missing:
        print(f"error: {', '.join(missing)} not found under {args.data} (see ../shared/data/README.md)")
        return 2
    train_voice(args)
    return 0
