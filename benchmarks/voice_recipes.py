"""Choose the voice recipe on the choice split only: RAVDESS actors 17-20 and seven Urdu speakers, never trained
on and never reported as a cross-validated figure (benchmarks/voice_cv.py scores other speakers).

    python benchmarks/voice_recipes.py [--data ../shared/data/voice]

Each recipe trains on every other speaker (the trainer's adaptation-aware views) and reads the choice clips from
the cached features (each clip's whole speech as one window): alone, against the average training speaker, and
adapted, against all of its speaker's clips. Prints one line per recipe.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from _common import load_note
from emotion.labels import INDEX
from emotion.speaker import VoiceReference
from emotion.train.voice import compiled_voice_model, fit_epoch
from emotion.train.voice_corpora import collect_clips, split_clips
from emotion.train.voice_features import clip_functionals

CHOICE = "ravdess:17-20+urdu:SM1,SM3,SM7,SM20,SM23,SF11,SM27"
# (width, epochs, peak learning rate, prior) of each recipe tried
RECIPES = [(512, 30, 1e-3, 4), (256, 30, 1e-3, 4), (1024, 30, 1e-3, 4), (512, 15, 1e-3, 4), (512, 60, 1e-3, 4),
           (512, 30, 3e-4, 4), (512, 30, 1e-3, 8), (512, 30, 1e-3, 2)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/voice"))
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

    x, speakers, y, _ = part(train)
    xc, sc, yc, corpus = part(choice)
    print(f"{load_note()}; train {len(y)} clips, choice {len(yc)}", flush=True)
    for width, epochs, lr, prior in RECIPES:
        reference = VoiceReference.fit(x, speakers, prior)
        keras.utils.set_random_seed(0)
        steps = steps_per_epoch(len(y), 64)
        model = compiled_voice_model(x.shape[1], width, lr, steps * epochs, steps * 2)
        for epoch in range(epochs):
            fit_epoch(model, x, speakers, y, reference, epoch, verbose=0)
        alone = model.predict(reference.normalise(xc), verbose=0).argmax(1)
        adapted = np.empty(len(yc), int)
        for s in np.unique(sc):
            rows = sc == s
            z = reference.normalise(xc[rows], int(rows.sum()), xc[rows].mean(0), xc[rows].var(0))
            adapted[rows] = model.predict(z, verbose=0).argmax(1)
        scores = [f"{name} {c}: {np.mean(pred[corpus == c] == yc[corpus == c]):.1%}"
                  for name, pred in (("alone", alone), ("adapted", adapted)) for c in ("ravdess", "urdu")]
        print(f"width {width}, {epochs} epochs, lr {lr:g}, prior {prior}: " + ", ".join(scores), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
