"""Metrics against hand-computed values and scikit-learn, and the batch evaluation plumbing."""
from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

from emotion.datasets import Item
from emotion.evaluate import BATCH, NO_FACE, NO_SPEECH, Report, evaluate_faces, metrics
from emotion.labels import EMOTIONS
from media import png_bytes


def test_hand_computed_example():
    y_true = ["happy", "happy", "sad", "sad", "sad", "angry"]
    y_pred = ["happy", "sad", "sad", "sad", "happy", "angry"]
    m = metrics(y_true, y_pred)
    assert m["n"] == 6
    assert m["labels"] == ["angry", "happy", "sad"]  # EMOTIONS order, only those that occur
    assert m["accuracy"] == pytest.approx(4 / 6, abs=1e-4)
    # rows = true, columns = predicted
    assert m["confusion"] == [[1, 0, 0],
                              [0, 1, 1],
                              [0, 1, 2]]
    assert m["per_class"]["angry"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 1}
    assert m["per_class"]["happy"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2}
    assert m["per_class"]["sad"] == {"precision": pytest.approx(2 / 3, abs=1e-4), "recall": pytest.approx(2 / 3, abs=1e-4),
                                     "f1": pytest.approx(2 / 3, abs=1e-4), "support": 3}
    assert m["macro_f1"] == pytest.approx((1 + 0.5 + 2 / 3) / 3, abs=1e-4)


def test_confusion_orientation_is_rows_true_columns_predicted():
    m = metrics(["fear", "fear", "fear"], ["surprise", "surprise", "fear"])
    assert m["labels"] == ["fear", "surprise"]
    assert m["confusion"] == [[1, 2], [0, 0]]


def test_macro_f1_counts_only_classes_present_in_the_truth():
    m = metrics(["happy", "happy", "sad"], ["happy", "fear", "sad"])
    assert m["labels"] == ["fear", "happy", "sad"]
    assert m["per_class"]["fear"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}
    happy_f1 = 2 * 1.0 * 0.5 / 1.5
    assert m["macro_f1"] == pytest.approx((happy_f1 + 1.0) / 2, abs=1e-4)  # fear is not averaged in


def test_no_speech_and_no_face_are_columns_but_not_classes():
    m = metrics(["happy", "sad", "sad"], [NO_SPEECH, "sad", NO_SPEECH])
    assert m["labels"] == ["happy", "sad", NO_SPEECH]
    assert m["confusion"] == [[0, 0, 1], [0, 1, 1], [0, 0, 0]]
    assert set(m["per_class"]) == {"happy", "sad"}
    assert m["accuracy"] == pytest.approx(1 / 3, abs=1e-4)
    assert m["per_class"]["sad"]["recall"] == 0.5 and m["per_class"]["sad"]["precision"] == 1.0
    assert metrics(["angry"], [NO_FACE])["labels"] == ["angry", NO_FACE]


def test_perfect_and_empty():
    perfect = metrics(list(EMOTIONS), list(EMOTIONS))
    assert perfect["accuracy"] == 1.0 and perfect["macro_f1"] == 1.0
    assert perfect["confusion"] == np.eye(7, dtype=int).tolist()
    empty = metrics([], [])
    assert empty["n"] == 0 and empty["accuracy"] is None and empty["macro_f1"] is None and empty["confusion"] == []


@pytest.mark.parametrize("seed", range(5))
def test_agrees_with_scikit_learn(seed):
    rng = np.random.default_rng(seed)
    classes = list(EMOTIONS) + [NO_SPEECH]
    y_true = list(rng.choice(EMOTIONS[: 3 + seed], 200))  # some classes never occur in the truth
    y_pred = [t if rng.random() < 0.5 else str(rng.choice(classes)) for t in y_true]
    m = metrics(y_true, y_pred)
    present_true = [e for e in EMOTIONS if e in y_true]
    assert m["accuracy"] == pytest.approx(accuracy_score(y_true, y_pred), abs=1e-4)
    assert m["macro_f1"] == pytest.approx(
        f1_score(y_true, y_pred, labels=present_true, average="macro", zero_division=0), abs=1e-4)
    assert m["confusion"] == confusion_matrix(y_true, y_pred, labels=m["labels"]).tolist()
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=m["labels"], zero_division=0)
    for i, label in enumerate(m["labels"]):
        if label in EMOTIONS:
            assert m["per_class"][label] == {"precision": pytest.approx(p[i], abs=1e-4),
                                             "recall": pytest.approx(r[i], abs=1e-4),
                                             "f1": pytest.approx(f[i], abs=1e-4), "support": int(s[i])}


def test_report_json_and_summary():
    report = Report("voice", skipped=[{"file": "x.wav", "reason": "corrupt"}])
    report.predictions += [{"file": "a.wav", "true": "happy", "pred": "happy"},
                           {"file": "b.wav", "true": "sad", "pred": NO_SPEECH}]
    d = json.loads(report.to_json())
    assert d["kind"] == "voice" and d["n"] == 2 and d["accuracy"] == 0.5
    assert d["skipped"] == [{"file": "x.wav", "reason": "corrupt"}] and len(d["predictions"]) == 2
    assert {"n", "accuracy", "macro_f1", "labels", "confusion", "per_class", "skipped"} <= set(d)
    text = report.summary()
    assert "2 items, 1 skipped" in text and "accuracy 50.00%" in text
    assert "rows = true, columns = predicted" in text and "skipped x.wav: corrupt" in text


# --- evaluate_faces plumbing, with a model whose answer is known ---------------------------------

class BrightnessModel:
    """Reads the emotion from a crop's brightness (level 20 + 30 * k -> EMOTIONS[k]); counts calls."""

    def __init__(self):
        self.batches = []

    def predict(self, crops: np.ndarray) -> np.ndarray:
        crops = np.asarray(crops)
        self.batches.append(len(crops))
        k = np.clip(np.round((crops.reshape(len(crops), -1).mean(1) - 20) / 30), 0, 6).astype(int)
        return np.eye(7, dtype=np.float32)[k] * 0.9 + 0.1 / 7


def flat_image(k: int) -> bytes:
    return png_bytes(np.full((30, 40, 3), 20 + 30 * k, np.uint8))


def test_evaluate_faces_keeps_each_prediction_with_its_file_across_batches():
    rng = np.random.default_rng(0)
    truth = [EMOTIONS[i] for i in rng.integers(0, 7, 150)]
    shown = [t if i % 3 else EMOTIONS[(EMOTIONS.index(t) + 1) % 7] for i, t in enumerate(truth)]  # every third wrong
    items = [Item(f"{t}/{i}.png", "image", t, "folder", lambda s=s: flat_image(EMOTIONS.index(s)))
             for i, (t, s) in enumerate(zip(truth, shown))]
    items.insert(70, Item("happy/broken.png", "image", "happy", "folder", lambda: b"not a png"))
    model = BrightnessModel()
    progress = []
    report = evaluate_faces(items, model, "whole", progress=lambda done, total: progress.append((done, total)))
    d = report.to_dict()
    assert [p["pred"] for p in report.predictions] == shown
    assert [p["file"] for p in report.predictions] == [i.name for i in items if "broken" not in i.name]
    assert d["skipped"] == [{"file": "happy/broken.png",
                             "reason": "not a readable image (corrupt, truncated or not an image file)"}]
    assert d["n"] == 150 and d["accuracy"] == pytest.approx(100 / 150, abs=1e-4)
    assert model.batches == [BATCH, BATCH - 1, 151 - 2 * BATCH]  # the broken image was in the second chunk
    assert progress[-1] == (151, 151) and len(progress) == 3
    assert report.predictions[0]["box"] == [0, 0, 40, 30]
    assert set(report.predictions[0]["probabilities"]) == set(EMOTIONS)


def test_evaluate_faces_in_detect_mode_counts_images_without_faces():
    items = [Item(f"sad/{i}.png", "image", "sad", "folder", lambda: flat_image(5)) for i in range(3)]
    model = BrightnessModel()
    report = evaluate_faces(items, model, "detect")
    assert [p["pred"] for p in report.predictions] == [NO_FACE] * 3
    assert model.batches == []  # nothing to classify
    assert report.to_dict()["confusion"] == [[0, 3], [0, 0]]
