"""`python -m emotion explain FILE... --out DIR`: one PNG per face and per recording, clear errors, exit status."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys

import cv2
import numpy as np
import pytest

from emotion.cli import main
from media import RATE, face_photo, png_bytes, soundfile_bytes, tone, write_tree

pytestmark = pytest.mark.slow


def run(args: list[str], capsys) -> tuple[int, list[dict], str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, [json.loads(line) for line in out.splitlines()], err


def test_writes_one_png_per_face_and_per_recording(tmp_path, face_files, speech_files, capsys):
    crop = shutil.copy(face_files["happy"][0], tmp_path / "crop.jpg")
    photo = write_tree(tmp_path, {"photo.png": png_bytes(face_photo(cv2.imread(str(crop), 0)))}) / "photo.png"
    out = tmp_path / "out"
    code, lines, _ = run(["explain", str(crop), str(photo), str(speech_files["angry"]), "--out", str(out)], capsys)
    assert code == 0
    assert [len(line["written"]) for line in lines] == [1, 1, 1] and not any("error" in line for line in lines)
    names = sorted(p.name for p in out.iterdir())
    assert names == ["angry-voice.png", "crop-face1.png", "photo-face1.png"]
    for name in names:
        picture = cv2.imread(str(out / name))
        assert picture is not None and picture.ndim == 3 and min(picture.shape[:2]) > 100


def test_unreadable_and_empty_files_give_a_clear_error_and_exit_1_without_losing_the_rest(tmp_path, face_files,
                                                                                           capsys):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8 not really a jpeg")
    silence = tmp_path / "quiet.wav"
    silence.write_bytes(soundfile_bytes(tone(440, 1.0, amp=0.0), RATE, "WAV", "PCM_16"))
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    blank = write_tree(tmp_path, {"wall.png": png_bytes(np.full((300, 400, 3), 200, np.uint8))}) / "wall.png"
    photo = write_tree(tmp_path, {"photo.png": png_bytes(face_photo(cv2.imread(str(face_files["sad"][0]), 0)))})
    files = [broken, tmp_path / "missing.png", silence, text, blank, photo / "photo.png"]
    code, lines, _ = run(["explain", *map(str, files), "--faces", "detect", "--out", str(tmp_path / "out")], capsys)
    assert code == 1 and len(lines) == len(files)
    errors = [line.get("error", "") for line in lines]
    assert "broken.jpg" in errors[0] and "no such file" in errors[1] and "no speech" in errors[2]
    assert "not an image or audio file" in errors[3] and "no face found" in errors[4]
    assert all(not line["written"] for line in lines[:5])
    assert not errors[5] and len(lines[5]["written"]) == 1  # the good file after them is still drawn


def test_the_module_runs_explain_from_the_shell(tmp_path, face_files):
    done = subprocess.run([sys.executable, "-m", "emotion", "explain", str(face_files["sad"][0]), "--out",
                           str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    written = json.loads(done.stdout.splitlines()[-1])["written"]
    assert written == [str(tmp_path / f"{face_files['sad'][0].stem}-face1.png")]
    missing = subprocess.run([sys.executable, "-m", "emotion", "explain", "nope.png"], capture_output=True, text=True,
                             timeout=120)
    assert missing.returncode == 2 and "--out" in missing.stderr
