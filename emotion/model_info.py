"""What is known about the trained models: whether they are there and how accurate they measured."""
from __future__ import annotations

import json
from pathlib import Path

from .paths import FACE_WEIGHTS, METRICS, VOICE_WEIGHTS

MODEL_FILES = {"face": FACE_WEIGHTS, "voice": VOICE_WEIGHTS}
# The figure shown for each model (a key of weights/metrics.json): for the voice, the cross-validated reading of
# speakers that took no part in training or in any choice, not the choice speakers' (optimistic) one.
HEADLINE = {"face": "face", "voice": "voice_ravdess_cv"}


def measured(path: Path | None = None) -> dict[str, dict]:
    """Measured metrics per model from weights/metrics.json (its HEADLINE entry), e.g. {"face": {"accuracy":
    0.68, ...}}. Models with no entry (or a missing/unreadable file) are left out: they are "not measured yet".
    """
    try:
        data = json.loads(Path(path or METRICS).read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    entries = {name: data.get(key) for name, key in HEADLINE.items()}
    return {name: dict(v) for name, v in entries.items()
            if isinstance(v, dict) and isinstance(v.get("accuracy"), (int, float))}


def describe(name: str, path: Path | None = None) -> str:
    """One line for a user: 'accuracy 68.2% (macro F1 0.655) on FER2013 PublicTest' or 'not measured yet'."""
    info = measured(path).get(name)
    if not info:
        return "not measured yet"
    text = f"accuracy {info['accuracy']:.1%}"
    if isinstance(info.get("macro_f1"), (int, float)):
        text += f" (macro F1 {info['macro_f1']:.3f})"
    if info.get("data"):
        text += f" on {info['data']}"
    return text
