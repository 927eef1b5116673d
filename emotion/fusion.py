"""Simple and hybrid readings: do face and voice agree, and what do they say together?

Fusion rules (all take the two probability vectors over EMOTIONS):
  average     late fusion: the mean of the two vectors
  confidence  each vector weighted by its own confidence (top probability)
  learned     per-model temperature calibration, then a weighted sum of log-probabilities, with
              temperatures and weight fitted on validation pairs (weights/fusion.json)
A missing or unusable modality (no face, no speech, confidence below the floor) is left out and the
reading says so; the other modality is then used alone.
The readings' probabilities come already calibrated by their models (`<model>.calibration.json`, see
calibration.py), and the learned rule is fitted on such readings: after changing a model's calibration,
fit it again (`python -m emotion train fusion`).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .labels import NO_READING, valence
from .paths import FUSION_PARAMS
from .readings import Reading

RULES = ("average", "confidence", "learned")
DEFAULT_PARAMS = {"rule": "average", "face_temperature": 1.0, "voice_temperature": 1.0, "face_weight": 0.5,
                  "min_confidence": 0.0}


def agreement(face_label: str, voice_label: str) -> str:
    """"same emotion", "same valence" (both positive, both negative) or "conflict"."""
    if face_label == voice_label:
        return "same emotion"
    if valence(face_label) == valence(voice_label):
        return "same valence"
    return "conflict"


def load_params(path: Path = FUSION_PARAMS) -> dict:
    """Fitted fusion parameters (default rule, temperatures, weight, confidence floor)."""
    params = dict(DEFAULT_PARAMS)
    if Path(path).exists():
        params.update(json.loads(Path(path).read_text()).get("params", {}))
    return params


def combine(face: np.ndarray, voice: np.ndarray, rule: str, params: dict) -> np.ndarray:
    """Fuse two probability vectors (or two (N, 7) arrays) with one of RULES."""
    face, voice = np.asarray(face, np.float64), np.asarray(voice, np.float64)
    if rule == "average":
        out = (face + voice) / 2
    elif rule == "confidence":
        cf, cv = face.max(-1, keepdims=True), voice.max(-1, keepdims=True)
        out = (cf * face + cv * voice) / (cf + cv)
    elif rule == "learned":
        w = params["face_weight"]
        logits = (w * np.log(np.clip(face, 1e-7, 1)) / params["face_temperature"]
                  + (1 - w) * np.log(np.clip(voice, 1e-7, 1)) / params["voice_temperature"])
        logits -= logits.max(-1, keepdims=True)
        out = np.exp(logits)
    else:
        raise ValueError(f"unknown fusion rule {rule!r}; choose from {', '.join(RULES)}")
    return (out / out.sum(-1, keepdims=True)).astype(np.float32)


@dataclass(frozen=True, eq=False)
class HybridReading(Reading):
    """Face and voice read together: whether they agree, and the fused probabilities."""

    probs: np.ndarray | None = None
    face: Reading | None = None
    voice: Reading | None = None
    agreement: str = ""  # same emotion / same valence / conflict, or "" when only one modality counted
    source: str = "none"  # "fused", "face", "voice" or "none"
    note: str = ""  # why a modality was left out
    rule: str = ""

    @property
    def label(self) -> str:
        return super().label if self.probs is not None else NO_READING

    @property
    def confidence(self) -> float:
        return super().confidence if self.probs is not None else 0.0

    def to_dict(self) -> dict:
        out = {"source": self.source, "rule": self.rule, "agreement": self.agreement, "note": self.note}
        if self.probs is not None:
            out.update(super().to_dict())
        else:
            out["label"] = NO_READING
        return out


def _usable(reading: Reading | None, floor: float, what: str) -> tuple[bool, str]:
    if reading is None:
        return False, f"no {what}"
    if getattr(reading, "probs", None) is None:
        return False, f"no {what} ({getattr(reading, 'reason', '') or 'nothing to read'})"
    if reading.confidence < floor:
        return False, f"the {what} reading is too uncertain ({reading.confidence:.0%})"
    return True, ""


def hybrid(face: Reading | None, voice: Reading | None, rule: str | None = None,
           params: dict | None = None) -> HybridReading:
    """Fuse a face reading and a voice reading; either may be None or without probabilities."""
    params = params or load_params()
    rule = rule or params["rule"]
    floor = float(params.get("min_confidence", 0.0))
    face_ok, face_why = _usable(face, floor, "face")
    voice_ok, voice_why = _usable(voice, floor, "speech")
    if face_ok and voice_ok:
        return HybridReading(probs=combine(face.probs, voice.probs, rule, params), face=face, voice=voice,
                             agreement=agreement(face.label, voice.label), source="fused", rule=rule)
    if face_ok:
        return HybridReading(probs=np.asarray(face.probs, np.float32), face=face, voice=voice, source="face",
                             note=f"{voice_why}: using the face alone", rule=rule)
    if voice_ok:
        return HybridReading(probs=np.asarray(voice.probs, np.float32), face=face, voice=voice, source="voice",
                             note=f"{face_why}: using the voice alone", rule=rule)
    return HybridReading(face=face, voice=voice, source="none", note=f"{face_why} and {voice_why}", rule=rule)
