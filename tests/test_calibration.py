"""Calibration: fitted temperature and bias, stored beside a model, and the expected calibration error."""
from __future__ import annotations

import numpy as np

from emotion.calibration import (
    Calibration,
    calibration_path,
    expected_calibration_error,
    fit_calibration,
    load_calibration,
    reliability,
)


def _overconfident(n: int = 2000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Probabilities that say 95% but are right 60% of the time."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 7, n)
    top = np.where(rng.random(n) < 0.6, y, rng.integers(0, 7, n))
    probs = np.full((n, 7), 0.05 / 6)
    probs[np.arange(n), top] = 0.95
    return probs, y


def test_ece_is_the_gap_between_confidence_and_accuracy():
    probs, y = _overconfident()
    right = (probs.argmax(1) == y).mean()
    assert abs(expected_calibration_error(probs, y) - (0.95 - right)) < 1e-6
    perfect = np.eye(7)[y] * 0.999 + 0.001 / 7
    assert expected_calibration_error(perfect, y) < 0.01


def test_fitted_temperature_cools_an_overconfident_model_and_keeps_its_labels():
    probs, y = _overconfident()
    cal = fit_calibration(probs, y)
    assert cal.temperature > 1.5
    fixed = cal.apply(probs)
    assert np.allclose(fixed.sum(1), 1, atol=1e-5)
    assert expected_calibration_error(fixed, y) < 0.05 < expected_calibration_error(probs, y)


def test_bias_undoes_a_fallback_to_one_class():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 7, 3000)
    logits = np.eye(7)[y] * 2.0 + rng.normal(0, 1, (3000, 7))
    logits[:, 4] += 2.5  # the model leans on "neutral"
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    cal = fit_calibration(probs, y, bias=True)
    assert cal.bias[4] == min(cal.bias)
    before, after = (probs.argmax(1) == y).mean(), (cal.apply(probs).argmax(1) == y).mean()
    assert after > before + 0.1


def test_a_temperature_alone_keeps_every_top_label():
    rng = np.random.default_rng(2)
    y = rng.integers(0, 7, 2000)
    logits = (np.eye(7)[y] * 2.0 + rng.normal(0, 1, (2000, 7))) * 3  # over-confident
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    cal = fit_calibration(probs, y)
    assert cal.temperature > 1.2 and not any(cal.bias)
    np.testing.assert_array_equal(cal.apply(probs).argmax(1), probs.argmax(1))
    assert expected_calibration_error(cal.apply(probs), y) < expected_calibration_error(probs, y)


def test_reliability_table_counts_every_item_once():
    probs = np.array([[0.9] + [0.1 / 6] * 6, [0.5, 0.5] + [0.0] * 5, [0.2] * 5 + [0.0, 0.0]])
    table = reliability(probs, np.array([0, 1, 0]))
    assert sum(row["count"] for row in table) == 3
    top = [row for row in table if row["low"] <= 0.9 < row["high"]][0]
    assert top["accuracy"] == 1.0 and abs(top["confidence"] - 0.9) < 1e-4


def test_calibration_round_trips_beside_the_model_and_defaults_to_identity(tmp_path):
    model = tmp_path / "voice.keras"
    assert calibration_path(model) == tmp_path / "voice.calibration.json"
    probs = np.array([[0.1, 0.1, 0.1, 0.4, 0.1, 0.1, 0.1]])
    np.testing.assert_allclose(load_calibration(model).apply(probs), probs, atol=1e-6)
    Calibration(2.0, (0.5, 0, 0, 0, -0.5, 0, 0), "test speakers").save(model)
    loaded = load_calibration(model)
    assert loaded.temperature == 2.0 and loaded.bias[0] == 0.5 and loaded.fitted_on == "test speakers"
    assert not np.allclose(loaded.apply(probs), probs)
