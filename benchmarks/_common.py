"""Helpers the benchmark scripts share: the repository root on sys.path, the machine's load, checksums.

A script in benchmarks/ imports it first (`from _common import ROOT`): Python puts the script's own folder on
sys.path, and this module puts the repository root there too, so `emotion` imports after it.
"""
from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CHROMIUM = "/usr/bin/chromium"  # the browser the app benchmarks drive (Debian's chromium)
PHOTO_CACHE = ROOT / ".cache" / "photos"  # the photos fetch_photos.py downloads
PHOTO_TRUTH = Path(__file__).resolve().parent / "photos_truth.json"  # their face boxes and checksums


def load_note() -> str:
    """The machine in a few words, for a benchmark's header: CPUs and load averages."""
    load = os.getloadavg()
    return f"{os.cpu_count()} CPUs, load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1/5/15 min)"


def sha256(path: Path) -> str:
    """The SHA-256 of a file, in hex."""
    return hashlib.sha256(path.read_bytes()).hexdigest()
