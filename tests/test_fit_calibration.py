"""benchmarks/fit_calibration.py: fits on the app's raw probabilities and saves beside the model it was given."""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from emotion.calibration import load_calibration
from emotion.face import FACE_WEIGHTS

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import fit_calibration  # noqa: E402

pytestmark = pytest.mark.slow


def test_face_calibration_is_fitted_on_a_seeded_slice_and_saved_beside_the_model(tmp_path, face_files, capsys):
    faces = tmp_path / "train"
    for label, paths in face_files.items():
        (faces / label).mkdir(parents=True)
        for p in paths:
            shutil.copy(p, faces / label / p.name)
    chosen = [item.name for item in fit_calibration.face_slice(faces, 8, seed=1)]
    assert len(chosen) == 8 and chosen == [item.name for item in fit_calibration.face_slice(faces, 8, seed=1)]
    model = tmp_path / "face.keras"
    shutil.copy(FACE_WEIGHTS, model)
    assert fit_calibration.main(["--faces", str(faces), "--n", "8", "--seed", "1", "--weights", str(model)]) == 0
    saved = load_calibration(model)
    assert 0.2 <= saved.temperature <= 5.0 and saved.bias == (0.0,) * 7
    assert saved.fitted_on == f"8 faces of {faces} (seeded slice, seed 1)"
    out = capsys.readouterr().out
    assert "ECE on the fitting items" in out and str(tmp_path / "face.calibration.json") in out


def test_missing_data_and_a_voice_fit_without_speakers_are_clear_errors(tmp_path):
    with pytest.raises(SystemExit, match="not found"):
        fit_calibration.main(["--faces", str(tmp_path / "nowhere")])
    with pytest.raises(SystemExit, match="--voices"):
        fit_calibration.main(["--model", "voice"])
