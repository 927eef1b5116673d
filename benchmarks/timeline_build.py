"""Live timeline: how long the figure takes to build (and how big it is) as a session grows.

    python benchmarks/timeline_build.py

The live page rebuilds the session's timeline every 3 s while streaming. Rows are one per second, with
face, voice and fused labels drawn at random (the worst case: a label change almost every second).
A script, not a test: it prints Markdown.
"""
from __future__ import annotations

import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from emotion import plots  # noqa: E402
from emotion.labels import EMOTIONS  # noqa: E402


def main() -> None:
    rng = random.Random(0)
    labels = list(EMOTIONS)
    plots.timeline([{"time_s": 0, "face": "happy"}], ("face",))  # imports and plotly's first figure
    print("| session (1 row/s) | traces | build | JSON sent to the browser |\n|---|---|---|---|")
    for minutes in (2, 10, 30, 60):
        rows = [{"time_s": float(t), "face": rng.choice(labels), "voice": rng.choice(labels + ["no speech"]),
                 "fused": rng.choice(labels)} for t in range(60 * minutes)]
        began = time.perf_counter()
        fig = plots.timeline(rows, ("face", "voice", "fused"))
        build = time.perf_counter() - began
        print(f"| {minutes} min | {len(fig.data)} | {build * 1000:.0f} ms | {len(fig.to_json()) / 1000:.0f} kB |")


if __name__ == "__main__":
    main()
