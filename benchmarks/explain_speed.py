"""How long an explanation takes on this machine: a face (occlusion over the 48x48 crop) and a recording
(occlusion of time x frequency patches of its speech windows, each read through the functionals), after a
warm-up, median of several runs.

    python benchmarks/explain_speed.py [--runs 5] [--voice-model runs/x/voice.keras]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from emotion.audio import SAMPLE_RATE, load_audio  # noqa: E402
from emotion.explain import explain_face, explain_voice  # noqa: E402
from emotion.face import load_face_model  # noqa: E402
from emotion.voice import VOICE_WEIGHTS, load_voice_model  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures"


def median_seconds(run, runs: int) -> float:
    run()  # warm-up
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        run()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--voice-model", default=str(VOICE_WEIGHTS),
                        help="a voice model (with its .reference.npz beside it); default weights/voice.keras")
    args = parser.parse_args()
    face, voice = load_face_model(), load_voice_model(Path(args.voice_model))
    face.warm_up()
    voice.warm_up()
    crops = [cv2.imread(str(p), cv2.IMREAD_GRAYSCALE) for p in sorted((FIXTURES / "faces").glob("*.jpg"))]
    face_s = median_seconds(lambda: [explain_face(face, c) for c in crops], args.runs) / len(crops)
    print(f"face explanation: {face_s * 1000:.0f} ms a face (median over {args.runs} runs of {len(crops)} faces; "
          f"a reading of one crop: {median_seconds(lambda: face.predict(crops[0]), args.runs) * 1000:.1f} ms)")
    speech = load_audio(FIXTURES / "speech" / "angry.flac")
    for seconds in (3, 10):
        audio = np.tile(speech, int(np.ceil(seconds * SAMPLE_RATE / len(speech))))[: seconds * SAMPLE_RATE]
        took = median_seconds(lambda: explain_voice(voice, audio), args.runs)
        windows = voice.read(audio).windows
        print(f"voice explanation of {seconds} s of speech: {took:.2f} s ({windows} windows, "
              f"{took / seconds * 3:.2f} s per 3 s of speech)")


if __name__ == "__main__":
    main()
