"""Helpers the benchmark scripts share: the repository root on sys.path, the machine's load, checksums.

A script in benchmarks/ imports it first (`from _common import ROOT`): Python puts the script's own folder on
sys.path, and this module puts the repository root there too, so `emotion` imports after it.
"""
from __future__ import annotations

import hashlib
import os
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CHROMIUM = "/usr/bin/chromium"  # the browser the app benchmarks drive (Debian's chromium)
PHOTO_CACHE = ROOT / ".cache" / "photos"  # the photos fetch_photos.py downloads
PHOTO_TRUTH = Path(__file__).resolve().parent / "photos_truth.json"  # their face boxes and checksums
# The voice's choice split: the speakers recipes, shares and epochs are chosen on (never trained on, never reported
# as a result): RAVDESS actors 17-20 and seven Urdu speaker codes.
CHOICE = "ravdess:17-20+urdu:SM1,SM3,SM7,SM20,SM23,SF11,SM27"


def load_note() -> str:
    """The machine in a few words, for a benchmark's header: CPUs and load averages."""
    load = os.getloadavg()
    return f"{os.cpu_count()} CPUs, load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1/5/15 min)"


def sha256(path: Path) -> str:
    """The SHA-256 of a file, in hex."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MB (VmRSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class PeakSampler:
    """The highest VmRSS of a process, sampled every `every` s while running (a context manager)."""

    def __init__(self, pid: int, every: float = 0.1):
        self.pid, self.every, self.peak = pid, every, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_mb(self.pid))
            self._stop.wait(self.every)

    def __enter__(self) -> "PeakSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
