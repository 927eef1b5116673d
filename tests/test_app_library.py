"""Library pieces made for the app: ICE settings, model info, video cutting, reading moments and clips,
pairs scoring, result tables and drawing."""
from __future__ import annotations

import csv
import io
import json
import re
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from emotion import model_info
from emotion.analyse import read_clip, read_moment, voice_over_time
from emotion.csv_out import csv_text, safe_cell
from emotion.datasets import open_dataset
from emotion.draw import draw_faces, mirror
from emotion.evaluate import evaluate_faces, metrics
from emotion.face import FaceReading
from emotion.fusion import hybrid
from emotion.labels import EMOTIONS
from emotion.pairs import evaluate_pairs, make_pairs, modality_reports
from emotion.rtc import ENV_VAR, IceConfigError, ice_servers, parse_ice_servers
from emotion.tables import class_table, group_table, mistakes, predictions_table
from emotion.video import VideoError, read_video
from tests import app_media as media
from tests.stubs import StubFaceModel, StubVoiceModel, one_hot

# --- ICE servers --------------------------------------------------------------------------------

def test_ice_servers_default_to_none_and_come_from_env_before_secrets():
    assert ice_servers(environ={}) == []
    secrets = {"ice_servers": [{"urls": "stun:stun.example.org:3478"}]}
    assert ice_servers(secrets, environ={}) == [{"urls": ["stun:stun.example.org:3478"]}]
    env = {ENV_VAR: json.dumps([{"urls": ["turn:t.example.org"], "username": "u", "credential": "p"}])}
    assert ice_servers(secrets, environ=env) == [{"urls": ["turn:t.example.org"], "username": "u", "credential": "p"}]


DEEP = "[" * 10_000 + "]" * 10_000


@pytest.mark.parametrize("bad", ["{not json", "[1, 2]", '[{"urls": ["http://x"]}]', '"stun:x"', '[{"urls": null}]',
                                 '[{"urls": 3478}]', "3478", '[{"urls": []}]', '[{"urls": {"stun:x": 1}}]', DEEP,
                                 "[" * 500 + "]" * 500, '[{"urls": ' + DEEP + "}]", "1" * 5000,
                                 '[{"urls": "stun:x", "username": ["u"]}]', 3478, [None], [[[]]]])
def test_bad_ice_settings_say_what_is_wrong(bad):
    with pytest.raises(IceConfigError) as error:
        parse_ice_servers(bad)
    assert len(str(error.value)) < 300


def test_ice_servers_in_secrets_may_be_json_text_tables_or_one_table():
    turn = {"urls": ["turn:t.example.org:3478"], "username": "u", "credential": "p"}
    for value in (json.dumps([turn]), [turn], turn, {**turn, "urls": "turn:t.example.org:3478"}):
        assert ice_servers({"ice_servers": value}, environ={}) == [turn]
    with pytest.raises(IceConfigError, match="secrets.toml"):
        ice_servers({"ice_servers": '[{"urls": null}]'}, environ={})
    with pytest.raises(IceConfigError, match=ENV_VAR):
        ice_servers(environ={ENV_VAR: "[" * 10_000})


def test_the_readmes_ice_server_examples_work_as_written():
    """Every ```toml block of the README as .streamlit/secrets.toml, and its MOODLENS_ICE_SERVERS example."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    blocks = re.findall(r"```toml\n(.*?)```", readme, re.S)
    assert blocks
    for block in blocks:
        servers = ice_servers(tomllib.loads(block), environ={})
        assert servers and all(u.startswith(("stun:", "turn:")) for s in servers for u in s["urls"]), block
        assert any(s.get("username") == "u" and s.get("credential") == "p" for s in servers)
    env = re.findall(rf"{ENV_VAR}='(.*?)'", readme, re.S)
    assert len(env) == 1
    assert ice_servers(environ={ENV_VAR: env[0]}) == [
        {"urls": ["stun:stun.example.org:3478"]},
        {"urls": ["turn:turn.example.org:3478"], "username": "u", "credential": "p"}]


# --- CSV files -------------------------------------------------------------------------------------

FORMULA = '=HYPERLINK("http://x","Click") + x.wav'


def _cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_text_a_spreadsheet_would_run_gets_a_leading_quote(start):
    assert safe_cell(start + "1+1") == "'" + start + "1+1"
    assert safe_cell("happy/" + start + "1") == "happy/" + start + "1"  # only the first character counts


def test_csv_text_escapes_text_cells_and_leaves_numbers_alone():
    frame = pd.DataFrame({"file": [FORMULA, "happy/a.jpg", "-2.5", "@user"], "score": [-1.5, 0.25, -3.0, 2.0],
                          "count": [-2, 0, 1, 5], "correct": [True, False, True, False]})
    header, *rows = _cells(csv_text(frame))
    assert header == ["file", "score", "count", "correct"]
    assert [r[0] for r in rows] == ["'" + FORMULA, "happy/a.jpg", "'-2.5", "'@user"]
    assert [float(r[1]) for r in rows] == [-1.5, 0.25, -3.0, 2.0] and [r[2] for r in rows] == ["-2", "0", "1", "5"]
    dicts = [{"time_s": -0.5, "face": FORMULA}, {"time_s": 1.0, "voice": "+x", "gain": -3}]
    assert _cells(csv_text(dicts)) == [["time_s", "face", "voice", "gain"], ["-0.5", "'" + FORMULA, "", ""],
                                       ["1.0", "", "'+x", "-3"]]
    assert _cells(csv_text(dicts, ["face", "time_s"]))[0] == ["face", "time_s"]


def test_the_prediction_table_csv_escapes_file_names():
    report = {"predictions": [{"file": FORMULA, "true": "happy", "pred": "sad", "confidence": 0.6,
                               "probabilities": {e: 1 / 7 for e in EMOTIONS}}]}
    header, row = _cells(csv_text(predictions_table(report)))
    assert row[header.index("file")] == "'" + FORMULA and float(row[header.index("confidence")]) == 0.6


def test_made_pairs_csv_escapes_source_names(tmp_path):
    folder = '=HYPERLINK("http:x","Click") happy'  # a labelled folder: its last word is an emotion
    (tmp_path / "faces" / folder).mkdir(parents=True)
    (tmp_path / "faces" / folder / "a.jpg").write_bytes(media.FACES[0].read_bytes())
    (tmp_path / "voices" / "happy").mkdir(parents=True)
    (tmp_path / "voices" / "happy" / "@b.wav").write_bytes(media.wav_bytes(media.tone()))
    assert make_pairs([tmp_path / "faces"], [tmp_path / "voices"], tmp_path / "out") == {"happy": 1}
    rows = list(csv.DictReader(io.StringIO((tmp_path / "out" / "pairs.csv").read_text())))
    assert rows[0]["image_source"] == f"'{folder}/a.jpg" and rows[0]["audio_source"] == "happy/@b.wav"
    assert open_dataset(tmp_path / "out").pairs()[0][0].label == "happy"  # the pairs still read back


# --- model info ------------------------------------------------------------------------------------

def test_model_accuracy_is_read_from_metrics_json_or_not_measured(tmp_path):
    path = tmp_path / "metrics.json"
    assert model_info.describe("face", path) == "not measured yet"
    path.write_text(json.dumps({"face": {"accuracy": 0.6812, "macro_f1": 0.655, "data": "FER2013 PublicTest"},
                                "voice": {"note": "no accuracy"}}))
    assert model_info.describe("face", path) == "accuracy 68.1% (macro F1 0.655) on FER2013 PublicTest"
    assert model_info.describe("voice", path) == "not measured yet"
    path.write_text(json.dumps({"voice": {"accuracy": 0.66, "data": "the choice speakers"},
                                "voice_ravdess_cv": {"accuracy": 0.6385, "macro_f1": 0.6306,
                                                     "data": "RAVDESS actors it never heard"}}))
    # the voice's figure is the cross-validated one, never the choice speakers'
    assert model_info.describe("voice", path) == "accuracy 63.8% (macro F1 0.631) on RAVDESS actors it never heard"
    path.write_text("{broken")
    assert model_info.measured(path) == {}


# --- drawing -----------------------------------------------------------------------------------------

def test_draw_faces_draws_a_box_in_the_emotion_colour_and_leaves_the_input_alone():
    image = np.full((200, 200, 3), 255, np.uint8)
    face = FaceReading(probs=one_hot("sad"), box=(50, 60, 80, 80))
    out = draw_faces(image, [face])
    assert (image == 255).all()  # a copy was drawn on
    assert tuple(out[100, 50]) == (180, 119, 31)  # the left edge of the box, sad blue in BGR
    assert (out[30:60, 50:120] != 255).any()  # the label above the box
    assert (mirror(out)[:, ::-1] == out).all()


# --- video ---------------------------------------------------------------------------------------------

def test_read_video_samples_frames_over_time_and_the_sound_track(tmp_path):
    clip = read_video(media.write_video(tmp_path / "v.mp4", seconds=3.0).read_bytes(), "v.mp4", every=0.5)
    times = [t for t, _ in clip.frames]
    assert len(times) == 6 and times[0] == 0 and all(b - a >= 0.49 for a, b in zip(times, times[1:]))
    assert clip.frames[0][1].shape == (480, 640, 3)
    assert clip.audio is not None and len(clip.audio) / 16000 == pytest.approx(3.0, abs=0.2)


def test_read_video_without_sound_and_bad_files(tmp_path):
    clip = read_video(media.write_video(tmp_path / "v.mp4", seconds=1.0, with_audio=False), "v.mp4")
    assert clip.audio is None and "no sound" in clip.audio_note
    with pytest.raises(VideoError, match="not a readable video"):
        read_video(b"this is not a video", "x.mp4")
    with pytest.raises(VideoError, match="no video picture"):
        read_video(media.wav_bytes(media.speech()), "speech.wav")
    with pytest.raises(VideoError, match="empty"):
        read_video(b"", "empty.mp4")


# --- reading moments and clips ---------------------------------------------------------------------------

def test_read_moment_with_either_side_missing():
    face, voice = StubFaceModel("happy"), StubVoiceModel("happy")
    both = read_moment(face, voice, media.camera_frame(), media.speech())
    assert both.face.label == "happy" and both.voice.label == "happy"
    assert both.hybrid.source == "fused" and both.hybrid.agreement == "same emotion"
    voice_only = read_moment(face, voice, None, media.speech())
    assert voice_only.faces == [] and voice_only.hybrid.source == "voice" and "no face" in voice_only.hybrid.note
    silent = read_moment(face, voice, media.camera_frame(), np.zeros(32000, np.float32))
    assert silent.voice.label == "no speech" and silent.hybrid.source == "face"


def test_read_clip_makes_a_timeline_with_the_nearest_voice_window(tmp_path):
    clip = read_video(media.write_video(tmp_path / "v.mp4", seconds=4.0), "v.mp4", every=1.0)
    seen = []
    result = read_clip(StubFaceModel("surprise"), StubVoiceModel("sad"), clip,
                       progress=lambda d, t: seen.append((d, t)))
    assert [r["time_s"] for r in result.rows] == [0, 1, 2, 3]
    assert all(r["face"] == "surprise" and r["voice"] in ("sad", "no speech") for r in result.rows)
    assert seen[-1] == (4, 4) and result.frames_with_face == 4
    assert result.overall.face.label == "surprise" and result.overall.voice.label == "sad"
    windows = voice_over_time(StubVoiceModel(), np.zeros(16000 * 7, np.float32))
    assert [round(t, 2) for t, _ in windows] == [1.5, 3.0, 4.5, 5.5]
    assert [round(t, 2) for t, _ in voice_over_time(StubVoiceModel(), np.zeros(16000, np.float32))] == [0.5]


# --- pairs and result tables ---------------------------------------------------------------------------------

def test_pairs_report_splits_into_face_voice_and_fused_reports_with_the_same_numbers():
    data = media.make_zip(media.pairs_dataset())
    progress = []
    report = evaluate_pairs(data, StubFaceModel("happy"), StubVoiceModel("sad"), face_mode="whole",
                            progress=lambda d, t: progress.append((d, t)))
    assert report["n"] == 4 and progress[-1] == (4, 4) and "label-matched" in report["note"]
    split = modality_reports(report)
    assert set(split) == {"face", "voice", "fused"}
    for name, scores in (("face", report["face"]), ("voice", report["voice"]),
                         ("fused", report["fused"][report["default_rule"]])):
        part = split[name]
        assert {k: part[k] for k in scores} == scores  # the same numbers as the pairs report
        preds = [p["pred"] for p in part["predictions"]]
        assert metrics([p["true"] for p in part["predictions"]], preds) == scores  # rows agree with the metrics
    assert [p["pred"] for p in split["voice"]["predictions"]] == ["sad", "no speech", "sad", "no speech"]
    fused = split["fused"]["predictions"]
    assert [r["source"] for r in fused] == ["fused", "face", "fused", "face"]
    expected = hybrid(FaceReading(probs=one_hot("happy")), StubVoiceModel("sad").read(media.speech()))
    assert fused[0]["pred"] == expected.label and fused[0]["agreement"] == expected.agreement
    assert fused[1]["pred"] == "happy" and fused[1]["agreement"] == ""
    table = predictions_table(split["fused"])
    assert len(table) == 4 and {"agreement", "source"} <= set(table.columns)


def test_prediction_table_has_a_row_per_item_and_a_column_per_emotion():
    dataset = open_dataset(media.make_zip(media.face_dataset()), "faces.zip")
    items, _ = dataset.items("image")
    report = evaluate_faces(items, StubFaceModel("happy"), "whole").to_dict()
    table = predictions_table(report)
    assert len(table) == len(items) == report["n"]
    assert {f"p_{e}" for e in EMOTIONS} <= set(table.columns)
    assert table["correct"].sum() == round(report["accuracy"] * report["n"])
    assert list(class_table(report).index) == [e for e in EMOTIONS if e in report["per_class"]]
    wrong = mistakes(report, limit=3)
    assert len(wrong) == 3 and all(p["pred"] != p["true"] for p in wrong)
    assert len({p["true"] for p in wrong}) == 3  # spread over the true classes


def test_grouped_predictions_carry_their_group_to_the_csv_and_the_group_table():
    dataset = open_dataset(media.make_zip(media.with_groups(media.face_dataset())), "faces.zip")
    items, _ = dataset.items("image", groups=dataset.groups())
    report = evaluate_faces(items, StubFaceModel("happy"), "whole").to_dict()
    table = predictions_table(report)
    assert list(table["group"]) == [p["group"] for p in report["predictions"]]
    assert set(table["group"]) == {"kim", "lee", "(no group)"}
    groups = group_table(report)
    assert list(groups.columns) == ["group", "items", "accuracy", "95% interval", "macro F1", "notes"]
    assert list(groups["group"]) == ["kim", "lee", "(no group)"] and groups["items"].sum() == report["n"]
    gap = report["group_gap"]
    assert groups.set_index("group")["notes"][gap["best"]].startswith("best")
    assert groups.set_index("group")["notes"][gap["worst"]].startswith("worst")
    assert group_table({"n": 1}).empty


def test_pairs_evaluate_the_same_from_zip_bytes_and_from_an_opened_dataset():
    """The results page passes the dataset it already opened; the CLI passes a path or bytes."""
    from emotion.datasets import open_dataset

    data = media.make_zip(media.pairs_dataset())
    from_bytes = evaluate_pairs(data, StubFaceModel("happy"), StubVoiceModel("sad"), face_mode="whole")
    from_dataset = evaluate_pairs(open_dataset(data), StubFaceModel("happy"), StubVoiceModel("sad"), face_mode="whole")
    assert from_dataset == from_bytes and from_dataset["n"] == 4
