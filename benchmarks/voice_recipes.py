"""Choose the voice recipe on the choice split only: RAVDESS actors 17-20 and seven Urdu speakers, never trained
on and never reported as a cross-validated figure (benchmarks/voice_cv.py scores other speakers).

    python benchmarks/voice_recipes.py [--data ../shared/data/voice]
    python benchmarks/voice_recipes.py --seeds 0,1,2,3,4    # the chosen recipe from each seed, and their average
    python benchmarks/voice_recipes.py --seeds 0,1,2 --noisy-copy   # with a noisy copy of every training clip
    python benchmarks/voice_recipes.py --seeds 0,1,2 --noisy-copy --room-copy   # and a copy in a reverberant room
    python benchmarks/voice_recipes.py --seeds 0,1,2 --noisy-copy --room-copy --speed-copy   # and one faster/slower
    python benchmarks/voice_recipes.py --seeds 0,1,2 --noisy-copy --room-copy --also-read opus   # and through Opus

Each recipe trains on every other speaker (the trainer's adaptation-aware views) and reads the choice clips from
the cached features (each clip's whole speech as one window): alone, against the average training speaker, and
adapted, against all of its speaker's clips. Prints one line per recipe.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from _common import CHOICE, load_note
from emotion.labels import INDEX
from emotion.speaker import VoiceReference
from emotion.train.voice import add_copy_options, compiled_voice_model, copies_of, fit_epoch, training_rows
from emotion.train.voice_corpora import collect_clips, split_clips
from emotion.train.voice_features import COPY_HELP, clip_functionals

# (width, epochs, peak learning rate, prior) of each recipe tried
RECIPES = [(512, 30, 1e-3, 4), (256, 30, 1e-3, 4), (1024, 30, 1e-3, 4), (512, 15, 1e-3, 4), (512, 60, 1e-3, 4),
           (512, 30, 3e-4, 4), (512, 30, 1e-3, 8), (512, 30, 1e-3, 2)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/voice"))
    parser.add_argument("--seeds", default=None, help="train the chosen recipe (256 units, 30 epochs) from each of "
                        "these seeds (comma-separated) and also read the average of their probabilities")
    add_copy_options(parser, default_on=())  # the recipes above were compared with no copies
    parser.add_argument("--speaker-power", type=float, default=0.0, help="each clip also weighs n ** -p, n the "
                        "clips of its speaker (0: as the trainer; 1: every speaker the same)")
    parser.add_argument("--mixup", type=float, default=0.0, help="mixup alpha: each training row blended with "
                        "another by a share from Beta(alpha, alpha) (0: none, as the trainer)")
    parser.add_argument("--also-read", choices=list(COPY_HELP), help="with --seeds: also read the "
                        "choice clips' copy of this kind (e.g. opus: as the Live page hears them through WebRTC)")
    args = parser.parse_args()
    from emotion.runtime import import_tensorflow

    import_tensorflow()
    import keras

    from emotion.train.common import steps_per_epoch

    clips = collect_clips(args.data)
    features = clip_functionals(clips).astype(np.float64)
    position = {c.path: i for i, c in enumerate(clips)}
    train, choice, _ = split_clips(clips, "", CHOICE)

    def part(group):
        return (features[[position[c.path] for c in group]], np.array([c.speaker for c in group]),
                np.array([INDEX[c.label] for c in group]), np.array([c.corpus for c in group]))

    x, speakers, y = training_rows(clips, train, copies_of(args))
    xc, sc, yc, corpus = part(choice)
    print(f"{load_note()}; train {len(y)} clips, choice {len(yc)}", flush=True)
    def train(width: int, epochs: int, lr: float, prior: float, seed: int):
        """One recipe trained from `seed`: (model, reference)."""
        reference = VoiceReference.fit(x, speakers, prior)
        keras.utils.set_random_seed(seed)
        steps = steps_per_epoch(len(y), 64)
        model = compiled_voice_model(x.shape[1], width, lr, steps * epochs, steps * 2)
        for epoch in range(epochs):
            fit_epoch(model, x, speakers, y, reference, epoch, seed, verbose=0, speaker_power=args.speaker_power,
                      mixup=args.mixup)
        return model, reference

    def read(model, reference, features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Probabilities of the choice clips (their `features`), alone and adapted."""
        alone = model.predict(reference.normalise(features), verbose=0)
        adapted = np.empty_like(alone)
        for s in np.unique(sc):
            rows = sc == s
            z = reference.normalise(features[rows], int(rows.sum()), features[rows].mean(0), features[rows].var(0))
            adapted[rows] = model.predict(z, verbose=0)
        return alone, adapted

    def train_and_read(width: int, epochs: int, lr: float, prior: float, seed: int):
        """Probabilities of the choice clips, alone and adapted, of one recipe trained from `seed`."""
        return read(*train(width, epochs, lr, prior, seed), xc)

    def scores(alone: np.ndarray, adapted: np.ndarray) -> str:
        return ", ".join(f"{name} {c}: {np.mean(pred.argmax(1)[corpus == c] == yc[corpus == c]):.1%}"
                         for name, pred in (("alone", alone), ("adapted", adapted)) for c in ("ravdess", "urdu"))

    if args.seeds is not None:
        reads, copies = [], []
        copied = (clip_functionals(clips, copy=args.also_read).astype(np.float64)[[position[c.path] for c in choice]]
                  if args.also_read else None)
        for seed in (int(v) for v in args.seeds.split(",")):
            model, reference = train(256, 30, 1e-3, 4, seed)
            reads.append(read(model, reference, xc))
            print(f"seed {seed}: " + scores(*reads[-1]), flush=True)
            if copied is not None:
                copies.append(read(model, reference, copied))
                print(f"seed {seed}, {args.also_read} copies: " + scores(*copies[-1]), flush=True)
        print(f"average of {len(reads)} seeds: " + scores(*(np.mean(r, axis=0) for r in zip(*reads))), flush=True)
        if copies:
            print(f"average of {len(copies)} seeds, {args.also_read} copies: "
                  + scores(*(np.mean(r, axis=0) for r in zip(*copies))), flush=True)
        return 0
    for width, epochs, lr, prior in RECIPES:
        print(f"width {width}, {epochs} epochs, lr {lr:g}, prior {prior}: "
              + scores(*train_and_read(width, epochs, lr, prior, 0)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
