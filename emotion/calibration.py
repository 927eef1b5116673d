"""Calibration of a model's probabilities: a temperature and a bias per emotion, fitted on speakers (or faces)
that took no part in training, and stored beside the model file as `<model>.calibration.json`.

p' = softmax((log p + bias) / temperature). The bias undoes a model's habit of falling back to one class on
voices it never heard (a fitted prior shift); the temperature makes "70% sure" right about 70% of the time.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .labels import EMOTIONS

BINS = 15  # confidence bins of the ECE and the reliability table


@dataclass(frozen=True)
class Calibration:
    temperature: float = 1.0
    bias: tuple[float, ...] = field(default=(0.0,) * len(EMOTIONS))
    fitted_on: str = ""

    def apply(self, probs: np.ndarray) -> np.ndarray:
        """Calibrated probabilities, same shape as `probs` (..., 7)."""
        logits = (np.log(np.clip(probs, 1e-7, 1.0)) + np.asarray(self.bias)) / self.temperature
        logits -= logits.max(axis=-1, keepdims=True)
        e = np.exp(logits)
        return (e / e.sum(axis=-1, keepdims=True)).astype(np.float32)

    def save(self, model_path: Path) -> Path:
        path = calibration_path(model_path)
        path.write_text(json.dumps({"temperature": round(self.temperature, 4),
                                    "bias": {e: round(b, 4) + 0.0 for e, b in zip(EMOTIONS, self.bias)},
                                    "fitted_on": self.fitted_on}, indent=1) + "\n")
        return path


def calibration_path(model_path: Path) -> Path:
    """Where a model's calibration lives: weights/voice.keras -> weights/voice.calibration.json."""
    return Path(model_path).with_suffix(".calibration.json")


def load_calibration(model_path: Path) -> Calibration:
    """The calibration stored beside a model, or the identity when there is none."""
    path = calibration_path(model_path)
    if not path.exists():
        return Calibration()
    data = json.loads(path.read_text())
    return Calibration(float(data["temperature"]), tuple(float(data["bias"][e]) for e in EMOTIONS),
                       data.get("fitted_on", ""))


def fit_calibration(probs: np.ndarray, y: np.ndarray, fitted_on: str = "", bias: bool = False) -> Calibration:
    """The temperature (and, with `bias`, a bias per emotion) minimising the class-balanced log-loss of the
    calibrated probabilities (every emotion counts the same, so the fitting split's own mix of emotions is not
    learned as a prior). A temperature alone never changes which emotion is on top, so accuracy stays."""
    from scipy.optimize import minimize
    from scipy.special import log_softmax

    logp = np.log(np.clip(probs, 1e-7, 1.0))
    counts = np.bincount(y, minlength=len(EMOTIONS)).astype(float)
    weight = np.where(counts > 0, 1.0 / np.maximum(counts, 1), 0.0)[y]
    weight /= weight.sum()
    present = counts > 0

    def loss(params: np.ndarray) -> float:
        t, b = np.exp(params[0]), np.where(present, params[1:], 0.0)
        return float(-(weight * log_softmax((logp + b) / t, axis=1)[np.arange(len(y)), y]).sum())

    limit = 3.0 if bias else 0.0
    res = minimize(loss, np.zeros(1 + len(EMOTIONS)), method="L-BFGS-B",
                   bounds=[(np.log(0.2), np.log(5.0))] + [(-limit, limit)] * len(EMOTIONS))
    bias = np.where(present, res.x[1:], 0.0)
    bias -= bias[present].mean()  # only differences matter
    return Calibration(float(np.exp(res.x[0])), tuple(float(b) for b in bias), fitted_on)


def reliability(probs: np.ndarray, y: np.ndarray, bins: int = BINS) -> list[dict]:
    """The reliability table: for each of `bins` equal-width bins of top-label confidence that holds items, its
    range, mean confidence, accuracy (how often the top label was right) and count."""
    probs, y = np.asarray(probs, float).reshape(-1, len(EMOTIONS)), np.asarray(y)
    conf, right = probs.max(axis=1), probs.argmax(axis=1) == y
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(conf, edges[1:-1]), 0, bins - 1)
    return [{"low": round(float(edges[k]), 4), "high": round(float(edges[k + 1]), 4),
             "confidence": round(float(conf[which == k].mean()), 4),
             "accuracy": round(float(right[which == k].mean()), 4),
             "count": int((which == k).sum())}
            for k in range(bins) if (which == k).any()]


def expected_calibration_error(probs: np.ndarray, y: np.ndarray, bins: int = BINS) -> float:
    """Top-label ECE: the mean gap between confidence and accuracy over `bins` equal-width confidence bins,
    weighted by how many items fall in each (0 when there are no items)."""
    probs, y = np.asarray(probs, float).reshape(-1, len(EMOTIONS)), np.asarray(y)
    if not len(y):
        return 0.0
    conf, right = probs.max(axis=1), probs.argmax(axis=1) == y
    which = np.clip(np.digitize(conf, np.linspace(0, 1, bins + 1)[1:-1]), 0, bins - 1)
    return float(sum(abs(conf[which == k].mean() - right[which == k].mean()) * (which == k).mean()
                     for k in range(bins) if (which == k).any()))
