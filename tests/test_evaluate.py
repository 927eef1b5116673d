"""Metrics against hand-computed values and scikit-learn, and the batch evaluation plumbing."""
from __future__ import annotations

import json
import re

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

from emotion.datasets import UNGROUPED, Item
from emotion.evaluate import (
    BATCH,
    SMALL_GROUP,
    Report,
    evaluate_faces,
    group_metrics,
    grouped_metrics,
    metrics,
    wilson_interval,
)
from emotion.labels import EMOTIONS, NO_FACE, NO_SPEECH
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
    assert m["per_class"]["sad"] == {"precision": pytest.approx(2 / 3, abs=1e-4),
                                     "recall": pytest.approx(2 / 3, abs=1e-4),
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


# --- per group ------------------------------------------------------------------------------------

@pytest.mark.parametrize("correct,n", [(0, 1), (4, 5), (5, 5), (17, 40), (0, 30), (300, 1000)])
def test_wilson_interval_matches_scipy(correct, n):
    from scipy.stats import binomtest

    expected = binomtest(correct, n).proportion_ci(confidence_level=0.95, method="wilson")
    low, high = wilson_interval(correct, n)
    assert (low, high) == (pytest.approx(expected.low, abs=1e-6), pytest.approx(expected.high, abs=1e-6))
    assert 0 <= low <= correct / n <= high <= 1


def test_wilson_interval_narrows_with_more_items_and_is_everything_for_none():
    assert wilson_interval(0, 0) == (0.0, 1.0)
    widths = [high - low for low, high in (wilson_interval(4 * k, 5 * k) for k in (1, 4, 20))]
    assert widths == sorted(widths, reverse=True) and widths[0] > 0.5 > widths[-1]


def test_group_metrics_are_the_metrics_of_each_group_with_an_interval():
    rng = np.random.default_rng(1)
    y_true = list(rng.choice(EMOTIONS, 120))
    y_pred = [t if rng.random() < 0.6 else str(rng.choice(EMOTIONS)) for t in y_true]
    groups = [str(rng.choice(["room 10", "room 2", "Alice"])) for _ in y_true]
    out = group_metrics(y_true, y_pred, groups)
    assert list(out) == ["Alice", "room 2", "room 10"]  # natural order
    for name, g in out.items():
        idx = [i for i, x in enumerate(groups) if x == name]
        m = metrics([y_true[i] for i in idx], [y_pred[i] for i in idx])
        assert {k: g[k] for k in ("n", "accuracy", "macro_f1", "labels", "confusion")} == \
            {k: m[k] for k in ("n", "accuracy", "macro_f1", "labels", "confusion")}
        low, high = wilson_interval(sum(y_true[i] == y_pred[i] for i in idx), len(idx))
        assert (g["ci_low"], g["ci_high"]) == (round(low, 4), round(high, 4))
        assert g["small"] == (g["n"] < SMALL_GROUP)
    assert sum(g["n"] for g in out.values()) == 120


def test_group_gap_names_the_best_and_worst_and_whether_it_may_be_chance():
    truth = ["happy"] * 45
    preds = ["happy"] * 20 + ["happy"] * 2 + ["sad"] * 3 + ["happy"] * 5 + ["sad"] * 15
    groups = ["a"] * 20 + ["b"] * 5 + ["c"] * 20
    out = grouped_metrics(truth, preds, groups)
    assert out["groups"]["a"]["accuracy"] == 1.0 and out["groups"]["c"]["accuracy"] == 0.25
    gap = out["group_gap"]
    assert (gap["best"], gap["worst"], gap["accuracy"]) == ("a", "c", 0.75)
    assert gap["overlap"] is False  # 20/20 against 5/20: not chance
    assert out["groups"]["b"]["small"] and out["groups"]["b"]["ci_high"] - out["groups"]["b"]["ci_low"] > 0.5
    close = grouped_metrics(["happy"] * 10, ["happy"] * 4 + ["sad"] + ["happy"] * 3 + ["sad"] * 2,
                            ["x"] * 5 + ["y"] * 5)
    assert close["group_gap"]["overlap"] is True  # 4/5 against 3/5: within the uncertainty


def test_items_without_a_group_are_listed_last_but_not_counted_in_the_gap():
    out = grouped_metrics(["sad"] * 4, ["sad", "sad", "happy", "happy"], ["a", None, "b", None])
    assert list(out["groups"]) == ["a", "b", UNGROUPED] and out["groups"][UNGROUPED]["n"] == 2
    assert (out["group_gap"]["best"], out["group_gap"]["worst"]) == ("a", "b")
    assert "groups" not in grouped_metrics(["sad"], ["sad"], [None])
    assert "groups" not in grouped_metrics(["sad"], ["sad"])


def test_report_has_groups_only_when_its_items_have_them():
    plain = Report("voice", predictions=[{"file": "a.wav", "true": "happy", "pred": "happy"}])
    assert "groups" not in plain.to_dict() and "per group" not in plain.summary()
    report = Report("voice", predictions=[{"file": f"{g}/{i}.wav", "group": g, "true": "happy", "pred": p}
                                          for i, (g, p) in enumerate([("kim", "happy"), ("kim", "happy"),
                                                                      ("lee", "sad"), ("lee", "happy")])])
    d = json.loads(report.to_json())
    assert d["groups"]["kim"] == {"n": 2, "accuracy": 1.0, "macro_f1": 1.0, "ci_low": pytest.approx(0.3424, abs=1e-4),
                                  "ci_high": 1.0, "small": True, "labels": ["happy"], "confusion": [[2]]}
    assert d["group_gap"]["best"] == "kim" and d["group_gap"]["worst"] == "lee"
    text = report.summary()
    assert "per group" in text and re.search(r"kim\s+2\s+100\.00%\s+34%-100%\s+1\.000 \*", text)
    assert "gap between the best group (kim) and the worst (lee): 50.0 points of accuracy" in text


def test_evaluate_faces_puts_each_items_group_in_its_row():
    items = [Item(f"{g}/sad/{i}.png", "image", "sad", "folder sad", lambda: flat_image(5), g)
             for i, g in enumerate(["kim", "lee", "kim"])]
    report = evaluate_faces(items, BrightnessModel(), "whole")
    assert [p["group"] for p in report.predictions] == ["kim", "lee", "kim"]
    assert list(report.to_dict()["groups"]) == ["kim", "lee"]


def test_report_has_the_ece_and_a_reliability_table_when_it_has_probabilities():
    sure = {e: (0.94 if e == "happy" else 0.01) for e in EMOTIONS}  # 94% sure it is happy
    rows = [{"file": f"{i}.jpg", "true": "happy" if i < 3 else "sad", "pred": "happy", "probabilities": sure}
            for i in range(4)] + [{"file": "x.jpg", "true": "sad", "pred": NO_FACE, "confidence": 0.0}]
    d = json.loads(Report("face", predictions=rows).to_json())
    assert d["ece"] == pytest.approx(0.94 - 0.75, abs=1e-4)  # one bin: 94% sure, right 3 times in 4
    assert d["reliability"] == [{"low": pytest.approx(14 / 15, abs=1e-4), "high": 1.0, "confidence": 0.94,
                                 "accuracy": 0.75, "count": 4}]
    assert "ECE 0.190" in Report("face", predictions=rows).summary()
    without = json.loads(Report("voice", predictions=[{"file": "a.wav", "true": "sad", "pred": NO_SPEECH}]).to_json())
    assert "ece" not in without and "reliability" not in without


def test_evaluate_faces_report_carries_the_ece():
    items = [Item(f"{EMOTIONS[k]}/{k}.png", "image", EMOTIONS[k], "folder", lambda k=k: flat_image(k))
             for k in range(7)]
    d = evaluate_faces(items, BrightnessModel(), mode="whole").to_dict()
    assert d["accuracy"] == 1.0 and d["ece"] == pytest.approx(1 - (0.9 + 0.1 / 7), abs=1e-3)
    assert sum(b["count"] for b in d["reliability"]) == 7
