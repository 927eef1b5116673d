"""How the voice reads speakers it never heard when the recording is noisy or reverberant (issue 29: robust to new
speakers and rooms), for the cross-validation fold models of one or more recipes.

    python benchmarks/voice_robustness.py --runs runs/cv9 runs/cv8
    python benchmarks/voice_robustness.py --models weights/voice.keras /tmp/old/voice.keras   # choice split

Each fold model of a run (`benchmarks/voice_cv.py`: RAVDESS actors 01-04 ... 13-16, and EmoDB) reads the clips
of the speakers it never heard through the app's own path (the speech gate, then the model), each clip alone:
as recorded, with noise added over the whole recording (white or brown, 5-20 dB below the speech, drawn per
clip), as heard in a reverberant room (RT60 0.2-0.8 s), and sent through the Opus codec at 8-32 kbit/s (as
WebRTC sends the Live page's microphone; the bit rate drawn per clip). The noise, rooms and codec are the trainer's own
(`emotion.train.voice_features`), drawn from other seeds than the training copies'; the fold models never heard
these speakers in any form. A clip the gate finds no speech in counts as read wrong. Prints, per run and
condition, the accuracy over RAVDESS (mean and spread of the four folds) and over EmoDB.

`--models` reads the choice speakers instead (RAVDESS actors 17-20 and seven Urdu speaker codes, which no fold
and no committed model trains on) with whole models, e.g. the committed one against an earlier one, without fold
runs: the same clips and conditions for each, so the models compare; the level is optimistic (recipes were
chosen on these speakers).
"""
from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _common import CHOICE, load_note  # noqa: E402
from emotion.audio import load_audio  # noqa: E402
from emotion.train.voice_corpora import collect_clips, split_clips  # noqa: E402
from emotion.train.voice_features import in_a_room, through_opus, with_noise  # noqa: E402
from voice_cv import CORPUS_FOLDS, RAVDESS_FOLDS  # noqa: E402

SEED = 2026  # not the training copies' seeds (clip positions)
CONDITIONS = {"as recorded": lambda audio, i: audio,
              "noisy": lambda audio, i: with_noise(audio, np.random.default_rng([SEED, i])),
              "in a room": lambda audio, i: in_a_room(audio, np.random.default_rng([SEED, i, 7])),
              "through Opus": lambda audio, i: through_opus(audio, np.random.default_rng([SEED, i, 11]))}


def fold_accuracy(model_path: Path, clips: list) -> dict[str, float]:
    """The share of `clips` a fold model reads right in each condition."""
    from emotion.voice import VoiceModel

    model = VoiceModel(model_path)
    right = dict.fromkeys(CONDITIONS, 0)
    for i, clip in enumerate(clips):
        audio = load_audio(clip.path)
        for name, condition in CONDITIONS.items():
            right[name] += model.read(condition(audio, i)).label == clip.label
    return {name: right[name] / len(clips) for name in CONDITIONS}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    runs = parser.add_mutually_exclusive_group(required=True)
    runs.add_argument("--runs", type=Path, nargs="+", help="voice_cv.py run folders")
    runs.add_argument("--models", type=Path, nargs="+", help="whole voice models, read on the choice speakers")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "voice")
    args = parser.parse_args()
    from emotion.runtime import import_tensorflow

    import_tensorflow()
    clips = collect_clips(args.data)
    print(load_note(), flush=True)
    if args.models:
        choice = split_clips(clips, "", CHOICE)[1]
        print("model, each clip alone | corpus | clips | " + " | ".join(CONDITIONS))
        for model in args.models:
            for corpus in sorted({c.corpus for c in choice}):
                part = [c for c in choice if c.corpus == corpus]
                acc = fold_accuracy(model, part)
                print(f"{model} | {corpus} | {len(part)} | " + " | ".join(f"{acc[c]:.1%}" for c in CONDITIONS),
                      flush=True)
        return 0
    for run in args.runs:
        ravdess = []
        for fold, held_out in RAVDESS_FOLDS.items():
            test = split_clips(clips, held_out)[2]
            ravdess.append(fold_accuracy(run / fold / "voice.keras", test))
            print(f"{run} {fold} ({len(test)} clips): " + ", ".join(f"{k} {v:.1%}" for k, v in ravdess[-1].items()),
                  flush=True)
        corpus = {}
        for fold, held_out in CORPUS_FOLDS.items():
            test = split_clips(clips, held_out)[2]
            corpus[fold] = fold_accuracy(run / fold / "voice.keras", test)
            print(f"{run} {fold} ({len(test)} clips): " + ", ".join(f"{k} {v:.1%}" for k, v in corpus[fold].items()),
                  flush=True)
        print(f"\n{run}, each clip alone | " + " | ".join(CONDITIONS))
        print("RAVDESS 01-16, 4 folds | " + " | ".join(
            f"{statistics.mean(f[c] for f in ravdess):.1%} ± {statistics.stdev(f[c] for f in ravdess):.1%}"
            for c in CONDITIONS))
        for fold, acc in corpus.items():
            print(f"{fold} | " + " | ".join(f"{acc[c]:.1%}" for c in CONDITIONS))
        print(flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
