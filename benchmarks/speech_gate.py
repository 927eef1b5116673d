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
from emotion.speech import (MIN_VIBRATO, SMOOTH_HELD_PITCH, VIBRATO_CYCLE, beat_strength,  # noqa: E402
                            detect_speech, held_pitch_share, pitch_track, vibrato_strength)

AUDIO = {".wav", ".flac", ".mp3", ".ogg"}


def _vibrato(audio) -> tuple[float, float]:
    """The vibrato check's two numbers: how regularly the pitch swings, and how often its smoothed pitch holds."""
    voiced, period = pitch_track(audio)
    return vibrato_strength(voiced, period), held_pitch_share(voiced, period, VIBRATO_CYCLE, SMOOTH_HELD_PITCH)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data", type=Path, help="folder of speech datasets (one sub-folder each)")
    ap.add_argument("--per-dataset", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    print("| dataset | passed | rate |\n|---|---|---|")
    fails, total, passed, vibrato = [], 0, 0, []
    for ds in sorted(p for p in args.data.iterdir() if p.is_dir()):
        files = sorted(p for p in ds.rglob("*") if p.suffix.lower() in AUDIO)
        sample = rng.sample(files, min(args.per_dataset, len(files)))
        ok = 0
        for f in sample:
            audio = load_audio(f)
            a = detect_speech(audio)
            vibrato.append((*_vibrato(audio), str(f.relative_to(args.data))))
            ok += a.has_speech
            if not a.has_speech:
                fails.append(f"{f.relative_to(args.data)}: {a.reason}")
        print(f"| {ds.name} | {ok}/{len(sample)} | {100 * ok / len(sample):.1f}% |")
        total, passed = total + len(sample), passed + ok
    print(f"| all | {passed}/{total} | {100 * passed / total:.1f}% |\n")
    for f in fails:
        print(f"- not speech: {f}")
    swinging = sorted((v for v in vibrato if v[0] > MIN_VIBRATO), reverse=True)
    print(f"\nVibrato check: {len(swinging)} of {len(vibrato)} clips swing like a vibrato (strength > {MIN_VIBRATO}); "
          f"their smoothed pitch holds still at most {max((v[1] for v in swinging), default=0):.2f} of the time "
          f"(notes with vibrato: above 0.9). Highest strengths:")
    for strength, held, name in swinging[:5]:
        print(f"- {name}: strength {strength:.2f}, smoothed pitch held {held:.2f}")

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
    for timbre in ("flute", "piano"):
        for depth in (0.3, 0.5, 1.0):
            for seed in range(4):
                x = free_melody(seed, timbre, vibrato=depth)
                a = detect_speech(x)
                print(f"| free melody with {depth} semitone vibrato, {timbre}, seed {seed} | {beat_strength(x):.2f} | "
                      f"{'SPEECH' if a.has_speech else a.reason} |")


if __name__ == "__main__":
    main()
