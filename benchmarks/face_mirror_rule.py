"""Which faces to read again mirrored (emotion.face.MIRROR_BELOW): accuracy and share of faces mirrored by
threshold on the top probability of the first reading, on every 8th training face (where the threshold is
chosen) and on FER2013 val (reported, not used for the choice).

    python benchmarks/face_mirror_rule.py [--data ../shared/data/face/fer2013]

Averaging every face with its mirror image costs the classifier twice per face; a face the model already
reads with a clear top label rarely changes its label when mirrored. The rule chosen is the lowest threshold
whose accuracy on the training slice is at least that of mirroring every face. The app's path throughout:
softened crops, the int8 TFLite copy, no calibration (none is committed). Prints Markdown.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from _common import load_note
from emotion.face import load_face_model
from emotion.train.face import load_face_folder

THRESHOLDS = (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7, 0.8, 0.9)


def readings(model, crops: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The model's probabilities for each crop and for its mirror image, one reading each."""
    model.mirror_below = 0.0
    once = np.concatenate([model.predict(crops[i:i + 256]) for i in range(0, len(crops), 256)])
    mirrored = np.concatenate([model.predict(crops[i:i + 256, :, ::-1]) for i in range(0, len(crops), 256)])
    return once, mirrored


def rule(once: np.ndarray, mirrored: np.ndarray, threshold: float) -> tuple[np.ndarray, float]:
    """Probabilities under the rule (mirror the faces whose top probability is under `threshold`) and the
    share of faces mirrored."""
    unsure = once.max(axis=1) < threshold
    return np.where(unsure[:, None], (once + mirrored) / 2, once), float(unsure.mean())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="../shared/data/face/fer2013", help="folder with train/ and val/")
    args = ap.parse_args()
    model = load_face_model()
    model.calibration = type(model.calibration)()  # the identity: the model's own probabilities decide
    sets = {}
    for name, folder, step in (("training slice (every 8th)", "train", 8), ("val", "val", 1)):
        x, y = load_face_folder(Path(args.data) / folder)
        sets[name] = (*readings(model, x[::step, ..., 0]), y[::step])
    rules = [("read once", 0.0), *((f"mirror if top < {t}", t) for t in THRESHOLDS), ("mirror every face", 2.0)]
    acc = {}  # (set, threshold) -> (accuracy, share mirrored)
    for name, (once, mirrored, y) in sets.items():
        for _, threshold in rules:
            probs, share = rule(once, mirrored, threshold)
            acc[name, threshold] = float((probs.argmax(1) == y).mean()), share
    print(f"Machine: {load_note()}.\n")
    print("| rule | " + " | ".join(f"{n}: accuracy | {n}: mirrored" for n in sets) + " |")
    print("|---|" + "---|---|" * len(sets))
    for label, threshold in rules:
        cells = [f"{100 * acc[n, threshold][0]:.2f}% | {100 * acc[n, threshold][1]:.1f}%" for n in sets]
        print(f"| {label} | " + " | ".join(cells) + " |")
    train = next(iter(sets))
    every = acc[train, 2.0][0]
    lowest = next((t for t in THRESHOLDS if acc[train, t][0] >= every), None)
    print(f"\nThe lowest threshold at least as accurate as mirroring every face on the {train}: {lowest}")

if __name__ == "__main__":
    main()
