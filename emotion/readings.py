"""A reading: probabilities over EMOTIONS with the top label and its confidence."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .labels import EMOTIONS

Progress = Callable[[int, int], None]  # called with (items done, items in all) by the batch readers


def prob_dict(probs: np.ndarray) -> dict[str, float]:
    """Probabilities over EMOTIONS as {emotion: probability rounded to 4 places}, in EMOTIONS order."""
    return {e: round(float(p), 4) for e, p in zip(EMOTIONS, probs)}


@dataclass(frozen=True, eq=False)
class Reading:
    """Probabilities over EMOTIONS (always in that order)."""

    probs: np.ndarray

    @property
    def label(self) -> str:
        return EMOTIONS[int(np.argmax(self.probs))]

    @property
    def confidence(self) -> float:
        return float(np.max(self.probs))

    def prob_dict(self) -> dict[str, float]:
        return prob_dict(self.probs)

    def to_dict(self) -> dict:
        return {"label": self.label, "confidence": round(self.confidence, 4), "probabilities": self.prob_dict()}
