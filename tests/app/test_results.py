"""The results page: upload a labelled .zip, fix unknown folders, run, and see the same numbers as the CLI."""
from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

from emotion.cli import main as cli
from emotion.labels import EMOTIONS
from tests import app_media as media
from tests.app.helpers import displayed, errors, live_markup, markdown_texts, open_page, record_downloads

PAGE = "app_pages/results.py"
SAME = ("n", "accuracy", "macro_f1", "labels", "confusion", "per_class")


def _upload(at, name: str, data: bytes):
    at.file_uploader(key="dataset").set_value((name, data, "application/zip")).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _run(at):
    at.button[0].click().run()  # "Run the evaluation": the only button on the page before results
    assert not at.exception, [e.value for e in at.exception]
    return at.session_state["results"][1]


def _cli_json(tmp_path, kind: str, archive) -> dict:
    out = tmp_path / f"{kind}.json"
    assert cli(["evaluate", kind, str(archive), "--json", str(out)]) == 0
    return json.loads(out.read_text())


@pytest.mark.parametrize("kind,entries,report_name", [
    ("face", media.face_dataset, "face"),
    ("voice", media.voice_dataset, "voice"),
])
def test_numbers_equal_the_command_line(tmp_path, kind, entries, report_name):
    archive = tmp_path / f"{kind}.zip"
    archive.write_bytes(media.make_zip(entries()))
    at = _upload(open_page(PAGE), archive.name, archive.read_bytes())
    page = _run(at)[report_name]
    expected = _cli_json(tmp_path, kind, archive)
    assert {k: page[k] for k in SAME} == {k: expected[k] for k in SAME}
    assert ([(p["file"], p["pred"]) for p in page["predictions"]]
            == [(p["file"], p["pred"]) for p in expected["predictions"]])
    metric_values = {m.label: m.value for m in at.metric}
    assert metric_values["Accuracy"] == f"{expected['accuracy']:.2%}"
    assert metric_values["Items scored"] == str(expected["n"])
    assert page["ece"] == expected["ece"] and page["reliability"] == expected["reliability"]
    assert metric_values["Calibration error (ECE)"] == f"{expected['ece']:.1%}"
    charts = at.get("plotly_chart")
    assert len(charts) == 3  # the confusion matrix (counts and row shares) and the reliability diagram
    reliability = json.loads(charts[2].proto.spec)["data"][0]
    assert reliability["y"] == [b["accuracy"] for b in expected["reliability"]]
    assert [b.proto.label for b in at.get("download_button")][:1] == ["Download every prediction (CSV)"]


def test_pairs_numbers_equal_the_command_line_and_say_they_are_label_matched(tmp_path):
    archive = tmp_path / "pairs.zip"
    archive.write_bytes(media.make_zip(media.pairs_dataset()))
    at = _upload(open_page(PAGE, "Hybrid"), archive.name, archive.read_bytes())
    assert at.radio(key="kind").value == "pairs"
    reports = _run(at)
    expected = _cli_json(tmp_path, "pairs", archive)
    page = reports["pairs"]
    for key in ("n", "face", "voice", "fused", "default_rule", "agreement"):
        assert page[key] == expected[key], key
    assert reports["fused"]["accuracy"] == expected["fused"][expected["default_rule"]]["accuracy"]
    assert any("label-matched, not recorded together" in i.value for i in at.info)
    table = at.dataframe[0].value
    assert list(table["scored"])[:2] == ["face alone", "voice alone"] and len(table) == 2 + len(expected["fused"])


def test_unknown_folders_can_be_named_or_left_out(tmp_path):
    at = _upload(open_page(PAGE), "faces.zip", media.make_zip(media.face_dataset(unknown_folder="group7")))
    assert any("cannot tell the emotion of 1 folder" in w.value for w in at.warning)
    ready = [m.value for m in at.markdown if "labelled item(s) ready" in m.value]
    assert ready and "2 left out" in ready[0]
    at.selectbox(key="map::group7").set_value("sad").run()
    ready = [m.value for m in at.markdown if "labelled item(s) ready" in m.value]
    assert "left out" not in ready[0]
    report = _run(at)["face"]
    assert sum(1 for p in report["predictions"] if "/group7/" in p["file"] and p["true"] == "sad") == 2


@pytest.mark.parametrize("name,data,expected", [
    ("broken.zip", b"PK\x03\x04 not really a zip", "not a readable .zip file"),
    ("notes.zip", media.make_zip({"readme.txt": b"hello"}), "No pictures or recordings"),
])
def test_bad_archives_give_a_clear_message(name, data, expected):
    at = _upload(open_page(PAGE), name, data)
    assert any(expected in e for e in errors(at)), errors(at)


def test_the_limits_are_said():
    at = open_page(PAGE)
    assert any("Up to 20,000 files; of a pairs.csv, the first 20,000 rows are read" in c.value for c in at.caption)


# --- names from the dataset are data, never Markdown or spreadsheet formulas ------------------------------

FORMULA_FOLDER = '=HYPERLINK("http:x","Click") happy'  # a labelled folder: its last word is an emotion
LINK_NAME = "[reset password](https:evil.example) www.evil.example.png"
CODE_FOLDER = "a`b`` [reset password](https:evil.example)"  # no emotion in it: the page asks for one


def _hostile_dataset() -> dict[str, bytes]:
    """A face in a folder named like a formula, a 4000x2 picture under every emotion with a link for a name
    (at most one of them can be right, so the others are shown as mistakes), and a folder with backticks."""
    wide = media.png_bytes(np.full((2, 4000, 3), 128, np.uint8))
    entries = {f"{FORMULA_FOLDER}/{media.CAMERA_FACE.name}": media.CAMERA_FACE.read_bytes()}
    entries.update({f"{emotion}/{LINK_NAME}": wide for emotion in EMOTIONS})
    entries[f"{CODE_FOLDER}/a.jpg"] = media.FACES[0].read_bytes()
    return entries


def test_hostile_names_show_as_text_wide_pictures_show_and_the_csv_is_safe(monkeypatch):
    downloads = record_downloads(monkeypatch)
    zip_name = "[zip](https:evil.example).zip"
    at = _upload(open_page(PAGE), zip_name, media.make_zip(_hostile_dataset()))
    report = _run(at)["face"]
    assert not at.exception, [e.value for e in at.exception]

    wide = [p for p in report["predictions"] if p["file"].endswith(LINK_NAME)]
    assert len(wide) == len(EMOTIONS), report["skipped"]  # the 4000x2 pictures are read, not skipped
    thumbnails = [c for image in at.image for c in image.captions]
    assert sum(displayed(c).startswith(LINK_NAME + ": true ") for c in thumbnails) >= len(EMOTIONS) - 1
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Download every prediction (CSV)", "Download the full report (JSON)"]  # the report went on

    shown = [(text, displayed(text)) for text in markdown_texts(at)]
    hostile = [(text, seen) for text, seen in shown if "evil.example" in seen]
    assert any(zip_name in seen for _, seen in hostile)  # the upload's caption
    assert any(seen == f"Folder {CODE_FOLDER}" for _, seen in hostile)  # the folder's label, backticks and all
    for text, seen in hostile:
        assert live_markup(text) == [], text
        assert any(name in seen for name in (zip_name, CODE_FOLDER, LINK_NAME)), (text, seen)

    rows = list(csv.DictReader(io.StringIO(downloads["moodlens-face-predictions.csv"].decode())))
    files = {row["file"] for row in rows}
    assert f"'{FORMULA_FOLDER}/{media.CAMERA_FACE.name}" in files  # escaped as OWASP advises
    assert {f"{emotion}/{LINK_NAME}" for emotion in EMOTIONS} <= files  # other names as they are
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for row in rows for cell in row.values())
    assert all(0.0 <= float(row["p_happy"]) <= 1.0 for row in rows)


# --- per group ----------------------------------------------------------------------------------------------

GROUP_KEYS = ("n", "accuracy", "macro_f1", "ci_low", "ci_high")


def _cli_groups_json(tmp_path, args: list[str]) -> dict:
    out = tmp_path / "groups.json"
    assert cli(["evaluate", *args, "--json", str(out)]) == 0
    return json.loads(out.read_text())


def test_per_group_figures_equal_the_command_line_with_the_groups_csv_of_the_zip(tmp_path):
    archive = tmp_path / "grouped.zip"
    archive.write_bytes(media.make_zip(media.with_groups(media.face_dataset())))
    at = _upload(open_page(PAGE), archive.name, archive.read_bytes())
    assert at.radio(key="groups_from").value == "dataset"  # found in the zip, used without asking
    page = _run(at)["face"]
    expected = _cli_groups_json(tmp_path, ["face", str(archive)])
    assert set(expected["groups"]) == {"kim", "lee", "(no group)"}
    assert page["groups"] == expected["groups"] and page["group_gap"] == expected["group_gap"]
    assert all(set(GROUP_KEYS) <= set(g) for g in page["groups"].values())
    assert [p["group"] for p in page["predictions"]] == [p["group"] for p in expected["predictions"]]
    table = next(d.value for d in at.dataframe if "group" in d.value.columns)
    assert list(table["group"]) == list(expected["groups"])
    assert list(table["items"]) == [g["n"] for g in expected["groups"].values()]
    assert table["notes"].str.contains("few items").all()  # 13 faces: every group is small
    charts = len(at.get("plotly_chart"))
    at.selectbox(key="face-group").set_value("kim").run()  # a group's confusion matrix, on demand
    assert len(at.get("plotly_chart")) == charts + 1


def test_groups_from_folders_and_pairs_per_group_equal_the_command_line(tmp_path):
    folders = {f"class/{'kim' if i % 2 else 'lee'}/{name.split('/', 1)[1]}": data
               for i, (name, data) in enumerate(media.voice_dataset().items())}
    archive = tmp_path / "voices.zip"
    archive.write_bytes(media.make_zip(folders))
    at = _upload(open_page(PAGE), archive.name, archive.read_bytes())
    assert at.radio(key="groups_from").value == "none"  # no groups.csv: nothing unless asked
    at.radio(key="groups_from").set_value("folder").run()
    page = _run(at)["voice"]
    expected = _cli_groups_json(tmp_path, ["voice", str(archive), "--group-from", "folder"])
    assert set(page["groups"]) == {"kim", "lee"} and page["groups"] == expected["groups"]

    pairs = tmp_path / "pairs.zip"
    pairs.write_bytes(media.make_zip(media.with_groups(media.pairs_dataset(), ("room 1", "room 2"))))
    at = _upload(open_page(PAGE, "Hybrid"), pairs.name, pairs.read_bytes())
    reports = _run(at)
    expected = _cli_groups_json(tmp_path, ["pairs", str(pairs)])
    assert reports["pairs"]["groups"] == expected["groups"] and set(expected["groups"]) >= {"room 1", "room 2"}
    for name in ("face", "voice"):
        assert reports[name]["groups"] == expected[name]["groups"]
    assert reports["fused"]["groups"] == expected["fused"][expected["default_rule"]]["groups"]


def test_voices_adapted_to_the_speakers_in_the_file_names_equal_the_command_line(tmp_path):
    clip = media.speech()
    entries = {f"voices/03-01-{code}-01-01-01-{actor}.wav": media.wav_bytes(clip[:len(clip) * part // 3] * gain)
               for actor, gain in (("21", 1.0), ("22", 0.3)) for code, part in (("03", 3), ("04", 2))}
    archive = tmp_path / "speakers.zip"
    archive.write_bytes(media.make_zip(entries))
    at = _upload(open_page(PAGE), archive.name, archive.read_bytes())
    assert "results_adapt" not in at.session_state  # no groups yet: nothing to adapt to
    at.radio(key="groups_from").set_value("speaker").run()
    at.checkbox(key="results_adapt").check().run()
    page = _run(at)["voice"]
    expected = _cli_groups_json(tmp_path, ["voice", str(archive), "--group-from", "speaker", "--adapt"])
    assert page["adapted_to_groups"] is True and set(page["groups"]) == {"RAVDESS actor 21", "RAVDESS actor 22"}
    assert page["groups"] == expected["groups"]
    assert ([(p["file"], p["probabilities"]) for p in page["predictions"]]
            == [(p["file"], p["probabilities"]) for p in expected["predictions"]])
    alone = _cli_groups_json(tmp_path, ["voice", str(archive), "--group-from", "speaker"])
    assert [p["probabilities"] for p in alone["predictions"]] != [p["probabilities"] for p in page["predictions"]]
