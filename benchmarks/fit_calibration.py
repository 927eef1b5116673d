"""Fit a model's calibration (a temperature; a bias per emotion with --bias) and save it beside the model.

The probabilities are read through the app's own path with the model's current calibration switched off,
then `emotion.calibration.fit_calibration` is fitted on them and saved as `<model>.calibration.json`, which
FaceModel and VoiceModel load. It prints the top-label ECE on the fitting items before and after; the
honest figure is measured on other items (`python -m emotion evaluate ... --json`, field `ece`).

    python benchmarks/fit_calibration.py --model face [--faces ../shared/data/face/fer2013/train --n 3000 --seed 0]
    python benchmarks/fit_calibration.py --model voice --voices ../shared/data/voice/ravdess/Actor_17 ...

Face: a fixed seeded slice of FER2013 *train* (never val/, which is what the model card reports). Voice: the
clips of the speakers given with --voices (folders or zips of speakers the model never trained on).
"""
from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from emotion.calibration import Calibration, expected_calibration_error, fit_calibration  # noqa: E402
from emotion.datasets import DatasetError, Item, open_dataset  # noqa: E402
from emotion.evaluate import evaluate_faces, evaluate_voices  # noqa: E402
from emotion.labels import EMOTIONS, INDEX  # noqa: E402

FER_TRAIN = Path("../shared/data/face/fer2013/train")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", choices=["face", "voice"], default="face")
    parser.add_argument("--faces", type=Path, default=FER_TRAIN, help="labelled face folder (face model)")
    parser.add_argument("--n", type=int, default=3000, help="faces in the seeded slice (face model)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--voices", type=Path, nargs="+", help="labelled clips of the fitting speakers (voice model)")
    parser.add_argument("--weights", type=Path, help="the model file (default: the committed one)")
    parser.add_argument("--bias", action="store_true", help="fit a bias per emotion too (default: temperature only)")
    return parser.parse_args(argv)


def labelled_items(paths: list[Path], kind: str) -> list:
    """Every labelled item of `kind` ("image" or "audio") in the folders or zips `paths`."""
    items = []
    for path in paths:
        if not path.exists():
            sys.exit(f"error: {path} not found (the data lives in ../shared/data; see its README)")
        try:
            items += open_dataset(path).items(kind)[0]
        except DatasetError as exc:
            sys.exit(f"error: {exc}")
    if not items:
        sys.exit(f"error: no labelled {kind} items in {', '.join(map(str, paths))}")
    return items


def face_slice(root: Path, n: int, seed: int) -> list[Item]:
    """A fixed seeded slice of `n` faces of a folder with one sub-folder per emotion (FER2013 train holds
    more files than open_dataset reads at once)."""
    if not root.is_dir():
        sys.exit(f"error: {root} not found (the data lives in ../shared/data; see its README)")
    files = [(e, p) for e in EMOTIONS for p in sorted((root / e).glob("*.jpg"))]
    if not files:
        sys.exit(f"error: no faces in {root}/<emotion>/*.jpg")
    chosen = random.Random(seed).sample(files, min(n, len(files)))
    return [Item(f"{e}/{p.name}", "image", e, f"folder {e}", p.read_bytes) for e, p in chosen]


def raw_probabilities(args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray, Path, str]:
    """(uncalibrated probabilities, true label indices, model path, what they were fitted on)."""
    if args.model == "face":
        from emotion.face import FACE_WEIGHTS, FaceModel

        items = face_slice(args.faces, args.n, args.seed)
        model = FaceModel(args.weights or FACE_WEIGHTS)
        model.calibration = Calibration()  # the raw probabilities
        rows = evaluate_faces(items, model, mode="whole").predictions
        fitted_on = f"{len(items)} faces of {args.faces} (seeded slice, seed {args.seed})"
    else:
        from emotion.voice import VOICE_WEIGHTS, VoiceModel

        if not args.voices:
            sys.exit("error: --model voice needs --voices (folders of the fitting speakers' clips)")
        model = VoiceModel(args.weights or VOICE_WEIGHTS)
        model.calibration = Calibration()
        rows = evaluate_voices(labelled_items(args.voices, "audio"), model).predictions
        fitted_on = "clips of " + ", ".join(str(p) for p in args.voices)
    rows = [r for r in rows if "probabilities" in r]
    probs = np.array([[r["probabilities"][e] for e in EMOTIONS] for r in rows], np.float32)
    return probs, np.array([INDEX[r["true"]] for r in rows]), model.path, fitted_on


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    probs, y, model_path, fitted_on = raw_probabilities(args)
    calibration = fit_calibration(probs, y, fitted_on=fitted_on, bias=args.bias)
    saved = calibration.save(model_path)
    print(f"{args.model}: fitted on {len(y)} items; temperature {calibration.temperature:.4f}"
          + (f", bias {dict(zip(EMOTIONS, np.round(calibration.bias, 3)))}" if args.bias else ""))
    print(f"ECE on the fitting items: {expected_calibration_error(probs, y):.4f} before, "
          f"{expected_calibration_error(calibration.apply(probs), y):.4f} after; accuracy "
          f"{(probs.argmax(1) == y).mean():.2%}")
    print(f"saved {saved}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
