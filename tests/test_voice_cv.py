"""benchmarks/voice_cv.py: each fold's temperature comes from the other folds' speakers, never its own."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from emotion.calibration import load_calibration
from emotion.evaluate import metrics
from emotion.labels import EMOTIONS

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import voice_cv  # noqa: E402


def _readings(seed: int, sharpness: float, n: int = 140) -> dict:
    """A fold's held-out part as the trainer writes it: readings alone and adapted, each [file, speaker, label,
    read, probabilities]; `sharpness` > 1 makes the probabilities surer than the accuracy warrants."""
    rng = np.random.default_rng(seed)

    def part() -> dict:
        y = rng.integers(0, len(EMOTIONS), n)
        logits = rng.normal(size=(n, len(EMOTIONS)))
        logits[np.arange(n), y] += 1.5  # right more often than not
        p = np.exp(logits * sharpness)
        p /= p.sum(1, keepdims=True)
        rows = [[f"{seed}_{i}.wav", f"s{seed}", EMOTIONS[t], EMOTIONS[int(q.argmax())], q.tolist()]
                for i, (t, q) in enumerate(zip(y, p))]
        return {"all": metrics([r[2] for r in rows], [r[3] for r in rows]), "predictions": rows}

    return {**part(), "adapted": part()}


def test_each_fold_is_calibrated_on_the_other_folds_only():
    ravdess = {"a": _readings(0, 1.0), "b": _readings(1, 1.0), "c": _readings(2, 4.0)}  # c: over-confident
    emodb = {"emodb": _readings(3, 1.0)}
    voice_cv.cross_fit(ravdess, emodb)
    for name, fold in ravdess.items():
        expected = voice_cv.fit_on([f for k, f in ravdess.items() if k != name]).temperature
        assert fold["calibration"]["temperature"] == pytest.approx(expected)
        assert fold["adapted"]["calibration"]["temperature"] == pytest.approx(expected)
    assert emodb["emodb"]["calibration"]["temperature"] == pytest.approx(
        voice_cv.fit_on(list(ravdess.values())).temperature)
    # a and b are fitted with c's over-confident readings among their fitting data, c with a and b only
    assert ravdess["c"]["calibration"]["temperature"] < ravdess["a"]["calibration"]["temperature"]
    pooled = voice_cv.pooled({k: f for k, f in ravdess.items()})
    assert set(pooled["temperatures"]) == {"a", "b", "c"} and 0 <= pooled["ece_calibrated"] <= 1


def test_calibrate_saves_the_temperature_of_every_ravdess_fold_beside_the_model(tmp_path, monkeypatch, capsys):
    runs = tmp_path / "runs"
    folds = {name: _readings(i, 2.0) for i, name in enumerate(voice_cv.RAVDESS_FOLDS)}
    for name, held in folds.items():
        (runs / name).mkdir(parents=True)
        (runs / name / "final.json").write_text(json.dumps({"held_out": held}))
    model = tmp_path / "voice.keras"
    monkeypatch.setattr(sys, "argv", ["voice_cv.py", "--runs", str(runs), "--report-only", "--calibrate", str(model)])
    assert voice_cv.main() == 0
    saved = load_calibration(model)
    assert saved.temperature == pytest.approx(voice_cv.fit_on(list(folds.values())).temperature, abs=1e-4)
    assert saved.temperature > 1  # the readings were made over-confident: the saved temperature softens them
    assert "saved to" in capsys.readouterr().out


def test_calibrate_needs_every_ravdess_fold(tmp_path, monkeypatch):
    runs = tmp_path / "runs"
    (runs / "ravdess_01-04").mkdir(parents=True)
    (runs / "ravdess_01-04" / "final.json").write_text(json.dumps({"held_out": _readings(0, 1.0)}))
    monkeypatch.setattr(sys, "argv", ["voice_cv.py", "--runs", str(runs), "--report-only",
                                      "--calibrate", str(tmp_path / "voice.keras")])
    with pytest.raises(SystemExit, match="every RAVDESS fold"):
        voice_cv.main()


def test_the_choice_readings_are_the_mean_over_the_fold_models(tmp_path):
    def part(ravdess: float, urdu: float) -> dict:
        return {"ravdess": {"accuracy": ravdess}, "urdu": {"accuracy": urdu}}

    for i, (alone, adapted) in enumerate([((0.6, 0.5), (0.7, 0.3)), ((0.8, 0.4), (0.9, 0.5))]):
        (tmp_path / f"fold{i}").mkdir()
        (tmp_path / f"fold{i}" / "final.json").write_text(json.dumps(
            {"choice": {**part(*alone), "adapted": part(*adapted)}, "held_out": {}}))
    (tmp_path / "unfinished").mkdir()
    line = voice_cv.choice_readings(tmp_path)
    assert "mean of 2 fold models" in line
    assert "RAVDESS 17-20 70.0% alone / 80.0% adapted, Urdu 45.0% / 40.0%" in line
    assert voice_cv.choice_readings(tmp_path / "unfinished") == "(no fold model read the choice speakers)"
