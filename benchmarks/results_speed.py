"""Results-page speed: items/s of evaluate_faces on 1,000 images and evaluate_voices on 500 clips, and
the time to the first result.

    python benchmarks/results_speed.py --faces ../shared/data/face/fer2013/val --voices ../shared/data/voice/ravdess

Each PATH is a labelled dataset folder (read-only). A seeded sample of `--n-faces` images and
`--n-voices` clips is packed into an in-memory zip, as a user would upload it, then opened with
open_dataset and evaluated the way the results page does it (faces in "auto" mode, the page's
default, and in "whole" mode, for pre-cropped sets). "First result" is the first progress callback
(faces are predicted in batches of 64, so it comes after the first batch). A script, not a test.
"""
from __future__ import annotations

import argparse
import io
import random
import sys
import time
import zipfile
from pathlib import Path

from _common import load_note
from emotion.datasets import open_dataset  # noqa: E402
from emotion.evaluate import evaluate_faces, evaluate_voices  # noqa: E402

EXTENSIONS = {"face": {".jpg", ".jpeg", ".png"}, "voice": {".wav", ".flac", ".mp3", ".ogg"}}


def sample_zip(root: Path, kind: str, n: int, seed: int = 0) -> bytes:
    """A zip of n files sampled from a labelled folder, with their paths relative to it."""
    files = sorted(p for p in root.rglob("*") if p.suffix.lower() in EXTENSIONS[kind])
    if len(files) < n:
        sys.exit(f"{root} has only {len(files)} {kind} files, fewer than {n}")
    chosen = random.Random(seed).sample(files, n)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for p in chosen:
            zf.write(p, p.relative_to(root).as_posix())
    return buf.getvalue()


def run(name: str, evaluate, data: bytes, kind: str) -> str:
    t0 = time.perf_counter()
    items, left_out = open_dataset(data, f"{kind}.zip").items("image" if kind == "face" else "audio")
    t_open = time.perf_counter() - t0
    first: list[float] = []

    def progress(done: int, total: int) -> None:
        if not first:
            first.append(time.perf_counter() - t0)

    t1 = time.perf_counter()
    report = evaluate(items, progress=progress)
    total = time.perf_counter() - t1
    d = report.to_dict()
    return (f"| {name} | {len(items)} | {t_open:.2f} s | {first[0]:.2f} s | {total:.1f} s | {len(items) / total:.1f} | "
            f"{len(report.skipped) + len(left_out)} | {d['accuracy']} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--faces", type=Path, help="labelled image folder (e.g. fer2013/val)")
    ap.add_argument("--voices", type=Path, help="labelled audio folder (e.g. voice/ravdess)")
    ap.add_argument("--n-faces", type=int, default=1000)
    ap.add_argument("--n-voices", type=int, default=500)
    ap.add_argument("--modes", default="auto,whole", help="face modes to time (default auto,whole)")
    ap.add_argument("--detector", help="face detector for the auto mode (default: the library's default)")
    args = ap.parse_args()
    if not (args.faces or args.voices):
        ap.error("give --faces and/or --voices")

    from emotion.detectors import DEFAULT_DETECTOR
    from emotion.face import load_face_model
    from emotion.voice import load_voice_model

    t = time.perf_counter()
    face, voice = load_face_model(), load_voice_model()
    face.warm_up()
    voice.warm_up()
    t_models = time.perf_counter() - t
    rows = []
    if args.faces:
        data = sample_zip(args.faces, "face", args.n_faces)
        for mode in args.modes.split(","):
            det = f", {args.detector or DEFAULT_DETECTOR}" if mode != "whole" else ""
            rows.append(run(f"faces, {args.faces.name}, mode {mode}{det}",
                            lambda items, progress, m=mode: evaluate_faces(items, face, m, detector=args.detector,
                                                                           progress=progress),
                            data, "face"))
    if args.voices:
        data = sample_zip(args.voices, "voice", args.n_voices)
        rows.append(run(f"voices, {args.voices.name}",
                        lambda items, progress: evaluate_voices(items, voice, progress=progress), data, "voice"))
    print(f"Results-page speed. Machine: {load_note()}. Models loaded and warmed in {t_models:.1f} s (not counted).\n")
    print("| dataset | items | open zip | first result | total | items/s | skipped | accuracy |\n"
          "|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    print("\n(accuracy is printed to show the run was complete; it is not a validation figure: the sample may "
          "hold training speakers. The model card has the held-out numbers.)")


if __name__ == "__main__":
    main()
