"""Where the trained models and their measured figures live (weights/), with no import of any model stack."""
from __future__ import annotations

from pathlib import Path

WEIGHTS = Path(__file__).resolve().parent.parent / "weights"
FACE_WEIGHTS = WEIGHTS / "face.keras"
VOICE_WEIGHTS = WEIGHTS / "voice.keras"
FUSION_PARAMS = WEIGHTS / "fusion.json"
METRICS = WEIGHTS / "metrics.json"
