"""The command line in the exact forms other tools depend on: predict, evaluate face|voice|pairs, make-pairs."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from emotion.cli import main
from emotion.labels import EMOTIONS
from media import RATE, face_photo, png_bytes, soundfile_bytes, tone, write_tree

pytestmark = pytest.mark.slow

REPORT_KEYS = {"n", "accuracy", "macro_f1", "labels", "confusion", "per_class", "skipped"}


@pytest.fixture(scope="module")
def face_folder(tmp_path_factory, face_files) -> Path:
    """FER-style folders (happy/, Surprised/ as a synonym, ...) with the fixture faces and one broken file."""
    root = tmp_path_factory.mktemp("faces")
    names = {"happy": "happy", "surprise": "Surprised", "angry": "anger", "neutral": "neutral", "sad": "sadness"}
    for label, paths in face_files.items():
        for p in paths:
            (root / names[label]).mkdir(exist_ok=True)
            shutil.copy(p, root / names[label] / p.name)
    (root / "happy" / "broken.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    return root


@pytest.fixture(scope="module")
def voice_folder(tmp_path_factory, speech_files) -> Path:
    """RAVDESS-named copies of the fixture sentences plus a silent clip (no speech)."""
    import soundfile as sf

    root = tmp_path_factory.mktemp("voices")
    codes = {"neutral": "01", "happy": "03", "angry": "05"}
    for name, path in speech_files.items():
        audio, rate = sf.read(path, dtype="float32")
        sf.write(root / f"03-01-{codes[name]}-01-01-01-21.wav", audio, rate)
    sf.write(root / "03-01-04-01-01-01-21.wav", tone(440, 2.0, amp=0.0), RATE)
    return root


def run_cli(args: list[str], capsys) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_predict_prints_one_json_object_per_file(tmp_path, face_files, speech_files, capsys):
    photo = write_tree(tmp_path, {"photo.png": png_bytes(face_photo(__import__("cv2").imread(
        str(face_files["happy"][0]), 0)))}) / "photo.png"
    silence = tmp_path / "quiet.wav"
    silence.write_bytes(soundfile_bytes(tone(440, 1.0, amp=0.0), RATE, "WAV", "PCM_16"))
    code, out, _ = run_cli(["predict", str(photo), str(speech_files["neutral"]), str(silence)], capsys)
    assert code == 0
    image, speech, quiet = (json.loads(line) for line in out.strip().splitlines())
    assert image["type"] == "image" and len(image["faces"]) == 1
    face = image["faces"][0]
    assert face["label"] in EMOTIONS and len(face["box"]) == 4
    assert set(face["probabilities"]) == set(EMOTIONS)
    assert abs(sum(face["probabilities"].values()) - 1) < 1e-3
    assert speech["type"] == "audio" and speech["label"] in EMOTIONS
    assert set(speech["probabilities"]) == set(EMOTIONS)
    assert quiet["label"] == "no speech"


def test_predict_reports_bad_files_and_exits_non_zero(tmp_path, capsys):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"nope")
    code, out, _ = run_cli(["predict", str(bad), str(tmp_path / "missing.wav")], capsys)
    rows = [json.loads(line) for line in out.strip().splitlines()]
    assert code == 1 and len(rows) == 2 and all("error" in r for r in rows)


def test_evaluate_face_writes_the_report(face_folder, tmp_path, capsys):
    out_json = tmp_path / "face.json"
    code, out, _ = run_cli(["evaluate", "face", str(face_folder), "--faces", "whole", "--json", str(out_json)], capsys)
    assert code == 0 and "accuracy" in out.lower()
    report = json.loads(out_json.read_text())
    assert REPORT_KEYS <= set(report)
    n_faces = sum(1 for p in face_folder.rglob("*.jpg")) - 1
    assert report["n"] == n_faces
    assert [s["file"].endswith("broken.jpg") for s in report["skipped"]] == [True]
    confusion = report["confusion"]
    assert len(confusion) == len(report["labels"]) and sum(map(sum, confusion)) == n_faces
    # surprise came from a folder named "Surprised", anger -> angry, sadness -> sad
    assert {"surprise", "angry", "sad"} <= {report["labels"][i] for i, row in enumerate(confusion) if sum(row)}
    correct = sum(confusion[i][i] for i in range(len(confusion)))
    assert report["accuracy"] == pytest.approx(correct / n_faces, abs=1e-4)  # rounded to 4 places


def test_evaluate_face_with_a_mask_pools_two_folders(face_folder, face_files, tmp_path, capsys):
    more = tmp_path / "more" / "fearful"
    more.mkdir(parents=True)
    shutil.copy(face_files["sad"][0], more / "x.jpg")
    out_json = tmp_path / "masked.json"
    code, _, _ = run_cli(["evaluate", "face", str(face_folder), str(more.parent),
                          "--faces", "whole", "--mask", "--json", str(out_json)], capsys)
    assert code == 0
    report = json.loads(out_json.read_text())
    assert report["mask"] is True
    assert report["n"] == sum(1 for _ in face_folder.rglob("*.jpg")) - 1 + 1
    fear = report["labels"].index("fear")
    assert sum(report["confusion"][fear]) == 1  # "fearful" is a synonym of fear


def test_evaluate_voice_reports_no_speech(voice_folder, tmp_path, capsys):
    out_json = tmp_path / "voice.json"
    code, _, _ = run_cli(["evaluate", "voice", str(voice_folder), "--json", str(out_json)], capsys)
    assert code == 0
    report = json.loads(out_json.read_text())
    assert report["n"] == 4 and "no speech" in report["labels"]
    col = report["labels"].index("no speech")
    sad = report["labels"].index("sad")
    assert report["confusion"][sad][col] == 1  # the silent "sad" clip is no speech, not an emotion


@pytest.mark.parametrize("kind", ["face", "voice", "pairs"])
def test_evaluate_a_bad_path_exits_with_a_message(kind, tmp_path, capsys):
    code, _, err = run_cli(["evaluate", kind, str(tmp_path / "nowhere")], capsys)
    assert code != 0 and "error" in err.lower()


def test_evaluate_an_empty_folder_says_what_labels_look_like(tmp_path, capsys):
    code, _, err = run_cli(["evaluate", "face", str(tmp_path)], capsys)
    assert code == 2 and "folder names" in err


def test_make_pairs_then_evaluate_pairs(face_folder, voice_folder, tmp_path, capsys):
    out = tmp_path / "pairs"
    code, text, _ = run_cli(["make-pairs", "--faces", str(face_folder), "--voices", str(voice_folder),
                             "--out", str(out), "--seed", "3"], capsys)
    assert code == 0 and "label-matched" in text.lower()
    rows = (out / "pairs.csv").read_text().splitlines()
    assert rows[0].startswith("image,audio,label") and len(rows) > 1
    # reproducible with the same seed
    again = tmp_path / "again"
    run_cli(["make-pairs", "--faces", str(face_folder), "--voices", str(voice_folder), "--out", str(again),
             "--seed", "3"], capsys)
    assert (again / "pairs.csv").read_text() == (out / "pairs.csv").read_text()

    report_path = tmp_path / "pairs.json"
    code, text, _ = run_cli(["evaluate", "pairs", str(out), "--faces", "whole", "--json", str(report_path)], capsys)
    assert code == 0
    report = json.loads(report_path.read_text())
    broken = [r for r in rows[1:] if "broken.jpg" in r]  # the unreadable face is paired too, then skipped
    assert len(report["skipped"]) == len(broken) and "label-matched" in report["note"]
    assert report["n"] == len(rows) - 1 - len(broken)
    parts = [report["face"], report["voice"], *report["fused"].values()]
    assert report["default_rule"] in report["fused"] and {"average", "confidence", "learned"} <= set(report["fused"])
    for part in parts:
        assert REPORT_KEYS - {"skipped"} <= set(part) and part["n"] == report["n"]


def test_module_entry_point_runs(tmp_path):
    result = subprocess.run([sys.executable, "-m", "emotion", "evaluate", "face", str(tmp_path / "missing")],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode != 0 and "error" in result.stderr.lower() and "Traceback" not in result.stderr


def test_pairs_summary_when_face_and_voice_never_agree():
    from emotion.pairs import pairs_summary

    part = {"n": 2, "accuracy": 0.5, "macro_f1": 0.5}
    report = {"n": 2, "skipped": [], "note": "label-matched", "face": part, "voice": part,
              "fused": {"average": part}, "default_rule": "average",
              "agreement": {"pairs_with_both": 2, "agreement_rate": 0.0, "accuracy_when_agree": None,
                            "accuracy_when_disagree": 0.5}}
    text = pairs_summary(report)
    assert "agree on 0.0% of 2 pairs" in text and "- when they agree, 50.0% when they disagree" in text


# --- per group ----------------------------------------------------------------------------------------

GROUP_KEYS = {"n", "accuracy", "macro_f1", "ci_low", "ci_high"}


@pytest.fixture(scope="module")
def grouped_faces(tmp_path_factory, face_files) -> Path:
    """GROUP/EMOTION/file: the fixture faces split between two pupils, kim and lee."""
    root = tmp_path_factory.mktemp("grouped")
    for i, path in enumerate(p for paths in face_files.values() for p in paths):
        folder = root / ("kim" if i % 2 else "lee") / path.name.split("_")[0]
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, folder / path.name)
    return root


def test_evaluate_face_per_group_from_folders(grouped_faces, tmp_path, capsys):
    from emotion.evaluate import group_metrics

    out_json = tmp_path / "groups.json"
    code, out, _ = run_cli(["evaluate", "face", str(grouped_faces), "--faces", "whole", "--group-from", "folder",
                            "--json", str(out_json)], capsys)
    assert code == 0
    report = json.loads(out_json.read_text())
    assert set(report["groups"]) == {"kim", "lee"} and all(GROUP_KEYS <= set(g) for g in report["groups"].values())
    assert sum(g["n"] for g in report["groups"].values()) == report["n"]
    assert {p["group"] for p in report["predictions"]} == {"kim", "lee"}
    scored = report["predictions"]
    expected = group_metrics([p["true"] for p in scored], [p["pred"] for p in scored], [p["group"] for p in scored])
    assert report["groups"] == expected  # the same function the Results page uses
    gap = report["group_gap"]
    assert {gap["best"], gap["worst"]} == {"kim", "lee"}
    kim, lee = report["groups"]["kim"]["accuracy"], report["groups"]["lee"]["accuracy"]
    assert gap["accuracy"] == pytest.approx(abs(kim - lee))
    assert "per group" in out and re.search(r"kim\s+\d+\s+\d+\.\d\d%\s+\d+%-\d+%", out)


def test_evaluate_voice_with_a_groups_csv_warns_about_what_it_cannot_match(voice_folder, tmp_path, capsys):
    names = sorted(p.name for p in voice_folder.glob("*.wav"))
    groups = tmp_path / "who.csv"
    groups.write_text("file,group\n" + "".join(f"{n},{'adults' if i < 2 else 'children'}\n"
                                               for i, n in enumerate(names[:3])) + "missing.wav,adults\n")
    out_json = tmp_path / "voice-groups.json"
    code, _, err = run_cli(["evaluate", "voice", str(voice_folder), "--groups", str(groups), "--json", str(out_json)],
                           capsys)
    assert code == 0
    report = json.loads(out_json.read_text())
    assert {k: g["n"] for k, g in report["groups"].items()} == {"adults": 2, "children": 1, "(no group)": 1}
    assert "1 file(s) not in the dataset: missing.wav" in err and "1 item(s) belong to no group" in err


def test_evaluate_pairs_finds_the_groups_csv_in_the_dataset(tmp_path, face_files, speech_files, capsys):
    root = tmp_path / "pairs"
    (root / "img").mkdir(parents=True)
    shutil.copy(face_files["happy"][0], root / "img" / "h.jpg")
    shutil.copy(face_files["sad"][0], root / "img" / "s.jpg")
    shutil.copy(speech_files["happy"], root / "a.flac")
    (root / "pairs.csv").write_text("image,audio,label\nimg/h.jpg,a.flac,happy\nimg/s.jpg,a.flac,sad\n")
    (root / "groups.csv").write_text("file,group\nimg/h.jpg,room A\nimg/s.jpg,room B\n")
    out_json = tmp_path / "pairs-groups.json"
    code, out, _ = run_cli(["evaluate", "pairs", str(root), "--faces", "whole", "--json", str(out_json)], capsys)
    assert code == 0
    report = json.loads(out_json.read_text())
    assert set(report["groups"]) == {"room A", "room B"}
    assert report["groups"] == report["fused"][report["default_rule"]]["groups"]
    assert set(report["face"]["groups"]) == set(report["voice"]["groups"]) == {"room A", "room B"}
    assert [p["group"] for p in report["predictions"]] == ["room A", "room B"]
    assert "per group, face + voice" in out


def test_group_options_that_cannot_work_exit_with_a_message(grouped_faces, tmp_path, capsys):
    code, _, err = run_cli(["evaluate", "face", str(grouped_faces), "--groups", str(tmp_path / "none.csv")], capsys)
    assert code == 2 and "none.csv: cannot be read" in err
    listed = tmp_path / "g.csv"
    listed.write_text("file,group\n")
    code, _, err = run_cli(["evaluate", "face", str(grouped_faces), "--groups", str(listed), "--group-from", "folder"],
                           capsys)
    assert code == 2 and "use one of them" in err
    listed.write_text("name,team\na.jpg,x\n")
    code, _, err = run_cli(["evaluate", "voice", str(grouped_faces), "--groups", str(listed)], capsys)
    assert code == 2 and "needs the columns file,group" in err


def test_evaluate_voice_adapts_to_each_speaker_named_in_the_file_names(tmp_path, speech_files, voice_model, capsys):
    import soundfile as sf

    from emotion.audio import load_audio

    codes = {"neutral": "01", "happy": "03", "angry": "05"}
    root = tmp_path / "two-speakers"
    (root / "happy").mkdir(parents=True)
    for actor, gain in (("21", 1.0), ("22", 0.25)):  # the same sentences, the second speaker further away
        for name, path in speech_files.items():
            audio, rate = sf.read(path, dtype="float32")
            sf.write(root / f"03-01-{codes[name]}-01-01-01-{actor}.wav", audio * gain, rate)
    shutil.copy(speech_files["happy"], root / "happy" / "unnamed.flac")  # no speaker in its name: read alone
    alone_json, adapted_json = tmp_path / "alone.json", tmp_path / "adapted.json"
    code, _, _ = run_cli(["evaluate", "voice", str(root), "--group-from", "speaker", "--json", str(alone_json)], capsys)
    assert code == 0
    code, _, _ = run_cli(["evaluate", "voice", str(root), "--group-from", "speaker", "--adapt",
                            "--json", str(adapted_json)], capsys)
    assert code == 0
    alone, adapted = (json.loads(p.read_text()) for p in (alone_json, adapted_json))
    assert adapted["adapted_to_groups"] is True and alone["adapted_to_groups"] is False
    assert {k: g["n"] for k, g in adapted["groups"].items()} == {"RAVDESS actor 21": 3, "RAVDESS actor 22": 3,
                                                                  "(no group)": 1}
    # each clip of a speaker is read against that speaker, who heard all three of its clips first
    for actor in ("21", "22"):
        files = sorted(root.glob(f"*-{actor}.wav"))
        speaker = voice_model.new_speaker()
        heard = [voice_model.listen(load_audio(f)) for f in files]
        for h in heard:
            speaker.hear(h.features)
        for f, h in zip(files, heard):
            expected = voice_model.read_heard(h, speaker, learn=False).prob_dict()
            row = next(p for p in adapted["predictions"] if p["file"] == f.name)
            assert row["probabilities"] == pytest.approx(expected, abs=2e-3)
            assert row["probabilities"] != pytest.approx(
                next(p for p in alone["predictions"] if p["file"] == f.name)["probabilities"], abs=2e-3)
    unnamed = [next(p for p in r["predictions"] if p["file"] == "happy/unnamed.flac") for r in (alone, adapted)]
    assert unnamed[0]["probabilities"] == unnamed[1]["probabilities"]


def test_evaluate_voice_adapt_needs_groups(voice_folder, capsys):
    code, _, err = run_cli(["evaluate", "voice", str(voice_folder), "--adapt"], capsys)
    assert code == 2 and "--group-from speaker" in err
