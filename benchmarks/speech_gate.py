"""Speech gate: how much real speech passes it, and what it says about synthetic music.

    python benchmarks/speech_gate.py ../shared/data/voice --per-dataset 200

DATA holds one folder per dataset (e.g. ravdess, tess, urdu) with audio files below it (read-only).
A seeded sample of `--per-dataset` files from each is run through emotion.speech.detect_speech; every
file that fails is listed with the reason. Then the synthetic music of tests/music.py, with each piece's
beat strength. A script, not a test: it prints Markdown.
"""
from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from emotion.audio import load_audio  # noqa: E402
from emotion.speech import beat_strength, detect_speech  # noqa: E402

AUDIO = {".wav", ".flac", ".mp3", ".ogg"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data", type=Path, help="folder of speech datasets (one sub-folder each)")
    ap.add_argument("--per-dataset", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    print("| dataset | passed | rate |\n|---|---|---|")
    fails, total, passed = [], 0, 0
    for ds in sorted(p for p in args.data.iterdir() if p.is_dir()):
        files = sorted(p for p in ds.rglob("*") if p.suffix.lower() in AUDIO)
        sample = rng.sample(files, min(args.per_dataset, len(files)))
        ok = 0
        for f in sample:
            a = detect_speech(load_audio(f))
            ok += a.has_speech
            if not a.has_speech:
                fails.append(f"{f.relative_to(args.data)}: {a.reason}")
        print(f"| {ds.name} | {ok}/{len(sample)} | {100 * ok / len(sample):.1f}% |")
        total, passed = total + len(sample), passed + ok
    print(f"| all | {passed}/{total} | {100 * passed / total:.1f}% |\n")
    for f in fails:
        print(f"- not speech: {f}")

    from music import music
    print("\n| synthetic music (tests/music.py) | beat strength | gate says |\n|---|---|---|")
    for name, x in music().items():
        a = detect_speech(x)
        print(f"| {name} | {beat_strength(x):.2f} | {'SPEECH' if a.has_speech else a.reason} |")
    from music import free_melody
    for timbre in ("piano", "flute", "organ", "strings", "clarinet"):
        for seed in range(4):
            x = free_melody(seed, timbre)
            a = detect_speech(x)
            print(f"| free melody (random notes and lengths), {timbre}, seed {seed} | {beat_strength(x):.2f} | "
                  f"{'SPEECH' if a.has_speech else a.reason} |")


if __name__ == "__main__":
    main()
