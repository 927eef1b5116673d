"""Train the voice model on every speaker of RAVDESS (actors 01-20), TESS, the Urdu set and EmoDB, except
the speakers held out for measuring (`--held-out`) and those the recipe is chosen on (`--choice`).

    python -m emotion train voice --run runs/voice --held-out ravdess:1-4 --choice ravdess:17-20

Each clip's speech becomes its ComParE functionals (cached in .cache/, see voice_features), read as z-scores
against its speaker (speaker.py). Every epoch each training clip is read against a random number of its
speaker's clips (none, that is the average training speaker, then 1, 2, 4, 8, 16 or all), so one model reads a
voice heard alone as well as a voice it has got used to. `--members` networks are trained from successive
seeds and exported as one model that averages them. Every training clip is also learnt from a copy with
noise added, one in a reverberant room and one sent through the Opus codec (voice_features; `--no-noisy-copy`,
`--no-room-copy`, `--no-opus-copy`; `--speed-copy` adds a copy tried on the choice split and not adopted: see
the model card). Then the log-mel reader (voice_mel) is trained on the same clips and copies and saved beside
the model (`<out>.mel.keras`; `--no-mel-reader` leaves it out). Calm (RAVDESS) is neutral; EmoDB's boredom is
left out. Resumable: run the same command again to continue. At the end the model is read through the app's
own path on the choice and held-out clips, each clip alone and after hearing all of its speaker's clips, into
run/final.json.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from ..audio import load_audio
from ..evaluate import metrics
from ..labels import EMOTIONS, INDEX
from ..speaker import VoiceReference
from . import voice_encoder_reader as encoder_reader
from .options import run_options
from .voice_corpora import CORPORA, Clip, collect_clips, split_clips
from .voice_features import COPY_HELP, clip_functionals, clip_log_mels

ADOPTED_COPIES = ("noisy", "room", "opus")  # the copies the trainer learns from unless told not to (model card)
HEARD = (0, 1, 2, 4, 8, 16, None)  # how many of its speaker's clips a training clip is read against (None: all)


def build_voice_model(n_features: int, width: int = 256, dropout: float = 0.5, name: str = "moodlens_voice"):
    """Input: normalised functionals (n_features,). Output: probabilities over EMOTIONS."""
    import keras
    from keras import layers

    inputs = keras.Input((n_features,), name="functionals")
    x = layers.Dropout(0.2, name="drop_in")(inputs)
    x = layers.Dense(width, activation="relu", name="hidden")(x)
    x = layers.Dropout(dropout, name="drop_hidden")(x)
    outputs = layers.Dense(len(EMOTIONS), activation="softmax", name="emotion", dtype="float32")(x)
    return keras.Model(inputs, outputs, name=name)


def build_voice_ensemble(n_features: int, width: int, members: int):
    """`members` voice models (trained from different seeds) reading the same input, their probabilities
    averaged: one file, one call, for the app. One member is the plain model."""
    import keras
    from keras import layers

    if members == 1:
        return build_voice_model(n_features, width)
    inputs = keras.Input((n_features,), name="functionals")
    outputs = [build_voice_model(n_features, width, name=f"member_{k}")(inputs) for k in range(members)]
    return keras.Model(inputs, layers.Average(name="emotion")(outputs), name="moodlens_voice")


def speaker_views(features: np.ndarray, speakers: np.ndarray, reference: VoiceReference,
                  rng: np.random.Generator) -> np.ndarray:
    """Each row read against a random draw of HEARD clips of its own speaker (adaptation-aware training)."""
    out = np.empty(features.shape, np.float32)
    for s in np.unique(speakers):
        rows = np.flatnonzero(speakers == s)
        own = features[rows]
        whole = (len(rows), own.mean(0), own.var(0))
        for i, row in enumerate(rows):
            n = HEARD[rng.integers(len(HEARD))]
            if n == 0:
                out[row] = reference.normalise(features[row:row + 1])[0]
                continue
            if n is None or n >= len(rows):
                heard = whole
            else:
                pick = own[rng.choice(len(rows), n, replace=False)]
                heard = (n, pick.mean(0), pick.var(0))
            out[row] = reference.normalise(features[row:row + 1], *heard)[0]
    return out


def compiled_voice_model(n_features: int, width: int, lr: float, total_steps: int, warmup_steps: int):
    """A new voice model compiled as the trainer trains it (common.compiled_as_voice_trains)."""
    from .common import compiled_as_voice_trains

    return compiled_as_voice_trains(build_voice_model(n_features, width), lr, total_steps, warmup_steps)


def sample_weights(y: np.ndarray, speakers: np.ndarray, speaker_power: float = 0.0) -> np.ndarray:
    """Training weights, averaging 1, under which every emotion weighs the same; with `speaker_power` p > 0 a
    clip also weighs n ** -p, n its speaker's clips, so speakers with many clips count less (1: every speaker
    the same)."""
    _, index, per_speaker = np.unique(speakers, return_inverse=True, return_counts=True)
    w = per_speaker[index].astype(np.float64) ** -speaker_power
    per_class = np.bincount(y, weights=w, minlength=len(EMOTIONS))
    w = w / (len(EMOTIONS) * np.maximum(per_class, 1e-12))[y]
    return (w * len(y) / w.sum()).astype(np.float32)


def mixed(views: np.ndarray, targets: np.ndarray, weights: np.ndarray, alpha: float,
          rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mixup: each row blended with a random other row, views, targets and weights alike, by a share drawn from
    Beta(alpha, alpha) (kept at 0.5 or more, so each row stays mostly itself)."""
    share = rng.beta(alpha, alpha, len(views)).astype(np.float32)
    share = np.maximum(share, 1 - share)[:, None]
    other = rng.permutation(len(views))
    return (share * views + (1 - share) * views[other], share * targets + (1 - share) * targets[other],
            share[:, 0] * weights + (1 - share[:, 0]) * weights[other])


def fit_epoch(model, x: np.ndarray, speakers: np.ndarray, y: np.ndarray, reference: VoiceReference, epoch: int,
              seed: int = 0, batch_size: int = 64, callbacks: list | None = None, verbose: int = 2,
              speaker_power: float = 0.0, mixup: float = 0.0) -> None:
    """One epoch on fresh speaker views of the training features, weighted by `sample_weights`; with `mixup`
    alpha > 0, on rows blended by `mixed`."""
    rng = np.random.default_rng([seed, epoch])
    balance = sample_weights(y, speakers, speaker_power)
    views = speaker_views(x, speakers, reference, rng)
    targets = np.eye(len(EMOTIONS), dtype=np.float32)[y]
    if mixup > 0:
        views, targets, balance = mixed(views, targets, balance, mixup, rng)
    model.fit(views, targets, sample_weight=balance, batch_size=batch_size,
              shuffle=True, initial_epoch=epoch, epochs=epoch + 1, callbacks=callbacks or [], verbose=verbose)


def evaluate_clips(model_path: Path, clips: list[Clip]) -> dict:
    """Whole-clip metrics of the app's pipeline over `clips`, overall and per corpus, with each clip's label,
    reading and probabilities: each clip read alone, and `adapted`: read after the model heard all of its
    speaker's clips."""
    from ..voice import VoiceModel, read_as_speakers

    if not clips:
        return {}
    model = VoiceModel(model_path)
    heard = [model.listen(load_audio(c.path)) for c in clips]  # each clip's speech, heard once
    alone = [model.read_heard(h) for h in heard]
    adapted = read_as_speakers(model, heard, [c.speaker for c in clips])

    def scored(readings: list) -> dict:
        pred = [r.label for r in readings]
        out = {"all": metrics([c.label for c in clips], pred)}
        for corpus in sorted({c.corpus for c in clips}):
            pairs = [(c.label, p) for c, p in zip(clips, pred) if c.corpus == corpus]
            out[corpus] = metrics(*zip(*pairs))
        out["predictions"] = [[Path(c.path).name, c.speaker, c.label, r.label,
                               None if r.probs is None else [round(float(p), 5) for p in r.probs]]
                              for c, r in zip(clips, readings)]
        return out

    return {**scored(alone), "adapted": scored(adapted)}


def export_voice(trained: list, n_features: int, width: int, path: Path) -> None:
    """Save the trained members as one model for the app (their average when several), its hidden layers'
    weights in float16 to keep the file small (the output layer stays float32)."""
    import keras

    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy("float16")
    try:
        plain = build_voice_ensemble(n_features, width, len(trained))
    finally:
        keras.mixed_precision.set_global_policy(previous)
    members = [plain] if len(trained) == 1 else [plain.get_layer(f"member_{k}") for k in range(len(trained))]
    for member, model in zip(members, trained):
        member.set_weights([np.asarray(w, v.dtype) for w, v in zip(model.get_weights(), member.weights)])
    path.parent.mkdir(parents=True, exist_ok=True)
    plain.save(path)


def training_rows(clips: list[Clip], chosen: list[Clip], copies: list[str],
                  workers: int = 2) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(features float64, speakers, label indices) of the `chosen` clips as recorded, then again for each of
    `copies` (voice_features.COPIES), from the cached functionals of all `clips`."""
    position = {c.path: i for i, c in enumerate(clips)}
    rows = [position[c.path] for c in chosen]
    every = ["clean", *copies]
    x = np.concatenate([clip_functionals(clips, workers, copy)[rows] for copy in every]).astype(np.float64)
    return (x, np.array([c.speaker for c in chosen] * len(every)),
            np.array([INDEX[c.label] for c in chosen] * len(every)))


def add_copy_options(parser: argparse.ArgumentParser, default_on: tuple[str, ...]) -> None:
    """`--noisy-copy` / `--no-noisy-copy` and the like, one per voice_features.COPY_HELP, on by default for the
    copies in `default_on`."""
    for copy, what in COPY_HELP.items():
        on = copy in default_on
        parser.add_argument(f"--{copy}-copy", action=argparse.BooleanOptionalAction, default=on,
                            help=f"also train on a copy of every clip {what.replace('%', '%%')} "
                                 f"(default: {'on' if on else 'off'})")


def copies_of(args: argparse.Namespace) -> list[str]:
    """The copies of every training clip (voice_features.COPIES) that the options ask for."""
    return [copy for copy in COPY_HELP if getattr(args, f"{copy}_copy", False)]


def train_mel_reader(args: argparse.Namespace, clips: list[Clip], train: list[Clip], copies: list[str]):
    """The log-mel reader (voice_mel), trained on windows of the `train` clips and of their `copies`; resumable
    in run/mel."""
    from .common import compiled_as_voice_trains, resumable_fit
    from .voice_mel import build_mel_model, epoch_windows

    position = {c.path: i for i, c in enumerate(clips)}
    rows = [position[c.path] for c in train]
    mels = [[every[i] for i in rows] for every in (clip_log_mels(clips, args.workers, copy)
                                                   for copy in ["clean", *copies])]
    y = np.array([INDEX[c.label] for c in train])
    steps = max(1, len(train) // args.batch_size)
    targets = np.eye(len(EMOTIONS), dtype=np.float32)

    def build():
        return compiled_as_voice_trains(build_mel_model(args.mel_width), args.mel_lr, steps * args.epochs,
                                        steps * args.warmup_epochs)

    def fit(model, initial_epoch, callbacks):
        for epoch in range(initial_epoch, args.epochs):
            x, labels = epoch_windows(mels, y, steps * args.batch_size, np.random.default_rng([args.seed, 99, epoch]))
            model.fit(x, targets[labels], batch_size=args.batch_size, shuffle=False, initial_epoch=epoch,
                      epochs=epoch + 1, callbacks=callbacks, verbose=2)

    return resumable_fit(args.run / "mel", build, fit, total_steps=steps * args.epochs)


def train_voice(args: argparse.Namespace) -> dict:
    from ..runtime import import_tensorflow

    import_tensorflow()

    from ..voice import encoder_path, mel_path, reference_path
    from .common import resumable_fit, steps_per_epoch

    clips = collect_clips(args.data)
    train, choice, test = split_clips(clips, args.held_out, args.choice)
    print(f"train {len(train)} clips ({len({c.speaker for c in train})} speakers) "
          f"{ {e: sum(c.label == e for c in train) for e in EMOTIONS} }; choice {len(choice)}; held out {len(test)}",
          flush=True)
    x, speakers, y = training_rows(clips, train, copies_of(args), args.workers)
    reference = VoiceReference.fit(x, speakers, args.prior)
    steps = steps_per_epoch(len(x), args.batch_size)

    def build():
        return compiled_voice_model(x.shape[1], args.width, args.lr, steps * args.epochs, steps * args.warmup_epochs)

    trained = []
    for k in range(args.members):  # each member from its own seed, resumable in its own folder
        def fit(model, initial_epoch, callbacks, seed=args.seed + k):
            for epoch in range(initial_epoch, args.epochs):
                fit_epoch(model, x, speakers, y, reference, epoch, seed, args.batch_size, callbacks)

        run = args.run if args.members == 1 else args.run / f"member{k}"
        trained.append(resumable_fit(run, build, fit, total_steps=steps * args.epochs))
    export_voice(trained, x.shape[1], args.width, args.out)
    reference.save(reference_path(args.out))
    if args.mel_reader:
        import keras

        from .common import export_float32
        from .voice_mel import build_mel_model

        keras.utils.set_random_seed(args.seed)
        export_float32(train_mel_reader(args, clips, train, copies_of(args)), lambda: build_mel_model(args.mel_width),
                       mel_path(args.out))
    else:
        mel_path(args.out).unlink(missing_ok=True)
    if args.encoder_reader:
        from .voice_encoder_reader import train_encoder_reader

        # The encoder is read from --encoder before the reader is saved, so that may be the same file.
        train_encoder_reader(args, clips, train).save(encoder_path(args.out))
    else:
        encoder_path(args.out).unlink(missing_ok=True)
    result = {"settings": {k: str(v) for k, v in vars(args).items() if k not in ("func",)},
              "choice": evaluate_clips(args.out, choice), "held_out": evaluate_clips(args.out, test)}
    (args.run / "final.json").write_text(json.dumps(result, indent=1))
    for part in ("choice", "held_out"):
        if result[part]:
            print(part, "alone", {k: v["accuracy"] for k, v in result[part].items() if "accuracy" in v},
                  "adapted", {k: v["accuracy"] for k, v in result[part]["adapted"].items() if "accuracy" in v},
                  flush=True)
    return result


def options() -> argparse.ArgumentParser:
    """The options every trainer takes, with the voice trainer's defaults (a parent parser)."""
    return run_options(data=Path("../shared/data/voice"), data_help=f"folder with {', '.join(CORPORA)}",
                       run=Path("runs/voice"), out=Path("weights/voice.keras"), epochs=30, batch_size=64, lr=1e-3,
                       warmup_epochs=2)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Command-line options of `python -m emotion train voice` beyond options()."""
    parser.add_argument("--held-out", default="", help='speakers never trained on, measured at the end: e.g. '
                        '"ravdess:1-4", "emodb", "ravdess:17-20+tess:OAF" (default: none, train on all)')
    parser.add_argument("--choice", default="", help="speakers to choose recipes and epochs on (not trained on)")
    parser.add_argument("--width", type=int, default=256, help="units of the hidden layer")
    parser.add_argument("--prior", type=float, default=4.0,
                        help="how many windows of a new speaker weigh as much as the average training speaker")
    parser.add_argument("--workers", type=int, default=2, help="processes computing the features (first run)")
    parser.add_argument("--seed", type=int, default=0)
    add_copy_options(parser, ADOPTED_COPIES)
    parser.add_argument("--members", type=int, default=5,
                        help="models trained from seeds seed, seed+1, ... whose probabilities are averaged")
    parser.add_argument("--mel-reader", action=argparse.BooleanOptionalAction, default=True,
                        help="also train the log-mel reader, whose probabilities the app averages in (default: on)")
    parser.add_argument("--mel-width", type=int, default=128, help="channels of the log-mel reader's convolutions")
    parser.add_argument("--mel-lr", type=float, default=2e-3, help="peak learning rate of the log-mel reader")
    encoder_reader.add_arguments(parser)


def main(args: argparse.Namespace) -> int:
    """Entry point for `python -m emotion train voice`."""
    try:
        collect_clips(args.data)  # before anything else, so a missing corpus is named at once
    except FileNotFoundError as err:
        print(f"error: {err}")
        return 2
    train_voice(args)
    return 0
