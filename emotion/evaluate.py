"""Batch prediction over labelled datasets, and the metrics: accuracy, macro F1, confusion, per class, per group."""
from __future__ import annotations

import json
import math
import re
import warnings
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np

from .audio import AudioError, decode_audio
from .datasets import UNGROUPED, Item
from .images import ImageError, decode_image
from .labels import EMOTIONS, NO_FACE
from .readings import Progress, prob_dict

BATCH = 64
SMALL_GROUP = 30  # a group with fewer items is flagged: its figures can move a lot with a few items
Z_95 = 1.959964  # the normal quantile for a two-sided 95% interval


def metrics(y_true: Sequence[str], y_pred: Sequence[str]) -> dict:
    """Accuracy, macro F1 (over the classes present in y_true), confusion matrix and per-class scores.

    `labels` lists the EMOTIONS that occur in either list, then any other prediction ("no face",
    "no speech", ...) in alphabetical order;
    `confusion[i][j]` counts items of true label labels[i] predicted as labels[j].
    """
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

    present = set(y_true) | set(y_pred)
    labels = [e for e in EMOTIONS if e in present] + sorted(present - set(EMOTIONS))
    n = len(y_true)
    if n == 0:
        return {"n": 0, "accuracy": None, "macro_f1": None, "labels": labels, "confusion": [], "per_class": {}}
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, zero_division=0)
    per_class = {lab: {"precision": round(float(p), 4), "recall": round(float(r), 4), "f1": round(float(f), 4),
                       "support": int(s)}
                 for lab, p, r, f, s in zip(labels, precision, recall, f1, support) if lab in EMOTIONS}
    truth = [lab for lab in labels if lab in set(y_true)]
    macro = float(np.mean([per_class[lab]["f1"] for lab in truth])) if truth else 0.0
    accuracy = float(np.mean([t == p for t, p in zip(y_true, y_pred)]))
    with warnings.catch_warnings(action="ignore", category=UserWarning):  # "a single label was found": fine here
        confusion = confusion_matrix(y_true, y_pred, labels=labels).tolist()
    return {"n": n, "accuracy": round(accuracy, 4), "macro_f1": round(macro, 4), "labels": labels,
            "confusion": confusion, "per_class": per_class}


def wilson_interval(correct: int, n: int, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval (95% by default) of a proportion of `correct` out of `n`; (0, 1) when n is 0.

    Unlike the normal approximation it stays inside [0, 1] and is honest for small n: 4 right out of
    5 gives about 38%-96%.
    """
    if n <= 0:
        return 0.0, 1.0
    p = correct / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def _group_order(name: str) -> tuple:
    """Sort key for groups: natural order ("room 2" before "room 10"), UNGROUPED last."""
    parts = [(0, int(t), "") if t.isdigit() else (1, 0, t.lower()) for t in re.split(r"(\d+)", name) if t]
    return (name == UNGROUPED, parts)


def group_metrics(y_true: Sequence[str], y_pred: Sequence[str], groups: Sequence[str]) -> dict[str, dict]:
    """Per group: n, accuracy, macro_f1, the Wilson 95% interval of the accuracy (ci_low, ci_high), whether
    the group is small (fewer than SMALL_GROUP items), and its labels and confusion matrix (as in `metrics`)."""
    members: dict[str, list[int]] = defaultdict(list)
    for i, group in enumerate(groups):
        members[group].append(i)
    out = {}
    for group in sorted(members, key=_group_order):
        idx = members[group]
        m = metrics([y_true[i] for i in idx], [y_pred[i] for i in idx])
        low, high = wilson_interval(sum(y_true[i] == y_pred[i] for i in idx), len(idx))
        out[group] = {"n": m["n"], "accuracy": m["accuracy"], "macro_f1": m["macro_f1"], "ci_low": round(low, 4),
                      "ci_high": round(high, 4), "small": m["n"] < SMALL_GROUP, "labels": m["labels"],
                      "confusion": m["confusion"]}
    return out


def group_gap(groups: dict[str, dict]) -> dict | None:
    """The best and the worst group by accuracy, the gaps (accuracy, and macro F1 between the highest and the
    lowest), and whether the two groups' intervals overlap (then the gap may be chance); None under two groups.

    Items in no group (UNGROUPED) are not a group here.
    """
    named = {g: m for g, m in groups.items() if g != UNGROUPED and m["n"]}
    if len(named) < 2:
        return None
    best = max(named, key=lambda g: named[g]["accuracy"])
    worst = min(named, key=lambda g: named[g]["accuracy"])
    f1 = [m["macro_f1"] for m in named.values()]
    return {"best": best, "worst": worst, "accuracy": round(named[best]["accuracy"] - named[worst]["accuracy"], 4),
            "macro_f1": round(max(f1) - min(f1), 4), "overlap": named[best]["ci_low"] <= named[worst]["ci_high"]}


def grouped_metrics(y_true: Sequence[str], y_pred: Sequence[str], groups: Sequence[str | None] | None = None) -> dict:
    """`metrics`, plus `groups` (group_metrics) and `group_gap` when the items have groups."""
    out = metrics(y_true, y_pred)
    if groups is not None and any(g is not None for g in groups):
        named = [g if g is not None else UNGROUPED for g in groups]
        out["groups"] = group_metrics(y_true, y_pred, named)
        out["group_gap"] = group_gap(out["groups"])
    return out


def groups_summary(result: dict, title: str = "per group") -> list[str]:
    """Terminal lines for a report's per-group figures (none when it has no groups)."""
    groups = result.get("groups")
    if not groups:
        return []
    width = max(12, *(len(g) + 2 for g in groups))
    lines = [f"{title} (* fewer than {SMALL_GROUP} items: read with care):",
             f"{'group':<{width}}{'items':>6}{'accuracy':>10}{'95% interval':>15}{'macro F1':>10}"]
    for name, g in groups.items():
        interval = f"{g['ci_low']:.0%}-{g['ci_high']:.0%}"
        lines.append(f"{name:<{width}}{g['n']:>6}{g['accuracy']:>10.2%}{interval:>15}{g['macro_f1']:>10.3f}"
                     + (" *" if g["small"] else ""))
    gap = result.get("group_gap")
    if gap:
        lines.append(f"gap between the best group ({gap['best']}) and the worst ({gap['worst']}): "
                     f"{gap['accuracy'] * 100:.1f} points of accuracy; macro F1 spread {gap['macro_f1']:.3f}"
                     + ("; their intervals overlap, so the gap may be chance" if gap["overlap"] else ""))
    return lines


def calibration_metrics(rows: Sequence[dict]) -> dict:
    """`ece` (top-label, calibration.BINS bins) and the `reliability` table (bin range, confidence, accuracy,
    count) over the prediction rows that carry probabilities; {} when none do."""
    from .calibration import expected_calibration_error, reliability

    rows = [r for r in rows if r.get("probabilities") and r.get("true") in EMOTIONS]
    if not rows:
        return {}
    probs = np.array([[r["probabilities"][e] for e in EMOTIONS] for r in rows], float)
    y = np.array([EMOTIONS.index(r["true"]) for r in rows])
    return {"ece": round(expected_calibration_error(probs, y), 4), "reliability": reliability(probs, y)}


@dataclass
class Report:
    """What an evaluation found: metrics, every prediction, and the files it skipped."""

    kind: str
    predictions: list[dict] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)
    settings: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        scored = [p for p in self.predictions if "pred" in p]
        groups = [p.get("group") for p in scored] if any("group" in p for p in scored) else None
        return {"kind": self.kind, **self.settings,
                **grouped_metrics([p["true"] for p in scored], [p["pred"] for p in scored], groups),
                **calibration_metrics(scored), "skipped": self.skipped, "predictions": self.predictions}

    def summary(self) -> str:
        """A readable summary for a terminal."""
        d = self.to_dict()
        lines = [f"{self.kind} evaluation: {d['n']} items, {len(self.skipped)} skipped"
                 + (" (each group read as one speaker, after hearing all of its clips)" if d.get("adapted_to_groups")
                    else "")]
        if d["n"]:
            lines.append(f"accuracy {d['accuracy']:.2%}   macro F1 {d['macro_f1']:.3f}"
                         + (f"   ECE {d['ece']:.3f} (calibration error: 0 = confidence matches accuracy)"
                            if "ece" in d else ""))
            lines.append(f"{'class':<10}{'precision':>10}{'recall':>8}{'f1':>8}{'support':>9}")
            for lab, s in d["per_class"].items():
                lines.append(f"{lab:<10}{s['precision']:>10.3f}{s['recall']:>8.3f}{s['f1']:>8.3f}{s['support']:>9}")
            width = max(len(lab) for lab in d["labels"]) + 1
            lines.append("confusion (rows = true, columns = predicted):")
            lines.append(" " * width + "".join(f"{lab[:7]:>8}" for lab in d["labels"]))
            for lab, row in zip(d["labels"], d["confusion"]):
                lines.append(f"{lab:<{width}}" + "".join(f"{v:>8}" for v in row))
            lines += groups_summary(d)
        for s in self.skipped[:20]:
            lines.append(f"skipped {s['file']}: {s['reason']}")
        if len(self.skipped) > 20:
            lines.append(f"... and {len(self.skipped) - 20} more skipped (see the JSON)")
        return "\n".join(lines)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1)


def _row(item: Item) -> dict:
    """The start of an item's prediction row: its file, its group (when grouped) and its true label."""
    return {"file": item.name, **({"group": item.group} if item.group is not None else {}), "true": item.label}


def _chunks(items: Sequence, size: int) -> Iterable[Sequence]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def evaluate_faces(items: Sequence[Item], model, mode: str = "whole", mask: bool = False,
                   detector: str | None = None, skipped: list[dict] | None = None,
                   progress: Progress | None = None) -> Report:
    """Predict the largest face of each image. Images with no face count as "no face" (mode detect)."""
    from .detectors import DEFAULT_DETECTOR
    from .face import find_faces

    detector = detector or DEFAULT_DETECTOR
    report = Report("face", skipped=list(skipped or []), settings={"faces": mode, "mask": mask, "detector": detector})
    done = 0
    for chunk in _chunks(items, BATCH):
        crops, rows = [], []
        for item in chunk:
            try:
                image = decode_image(item.read(), item.name)
            except (ImageError, OSError, ValueError) as exc:
                report.skipped.append({"file": item.name, "reason": str(exc).removeprefix(f"{item.name}: ")})
                continue
            found = find_faces(image, mode, detector, mask, largest_only=True)
            row = _row(item)
            if not found.boxes:
                row.update(pred=NO_FACE, confidence=0.0)
            else:
                row["box"] = [int(v) for v in found.boxes[0]]
                crops.append(found.crops[0])
            rows.append(row)
        probs = iter(model.predict(np.stack(crops)) if crops else [])
        for row in rows:
            if "pred" not in row:
                p = next(probs)
                row.update(pred=EMOTIONS[int(p.argmax())], confidence=round(float(p.max()), 4),
                           probabilities=prob_dict(p))
            report.predictions.append(row)
        done += len(chunk)
        if progress:
            progress(done, len(items))
    return report


def evaluate_voices(items: Sequence[Item], model, skipped: list[dict] | None = None,
                    progress: Progress | None = None, adapt: bool = False) -> Report:
    """Predict each clip; clips without speech count as "no speech".

    With `adapt`, each group is taken to be one speaker: every clip of the group is heard first, and then each
    is read against that speaker's voice, as the Live page reads a voice it has got used to (no label is used).
    Clips in no group are read alone, against the average training speaker.
    """
    report = Report("voice", skipped=list(skipped or []), settings={"adapted_to_groups": adapt})
    heard = []
    for i, item in enumerate(items):
        try:
            audio = decode_audio(item.read(), item.name)
        except (AudioError, OSError, ValueError) as exc:
            report.skipped.append({"file": item.name, "reason": str(exc).removeprefix(f"{item.name}: ")})
        else:
            speech = model.listen(audio)
            if adapt:  # read once every group's speaker has been heard
                heard.append((item, speech))
            else:
                report.predictions.append(_row_of_reading(item, model.read_heard(speech, learn=False)))
        if progress:
            progress(i + 1, len(items))
    from .voice import read_as_speakers

    groups = [None if item.group in (None, UNGROUPED) else item.group for item, _ in heard]
    for (item, _), reading in zip(heard, read_as_speakers(model, [speech for _, speech in heard], groups)):
        report.predictions.append(_row_of_reading(item, reading))
    return report


def _row_of_reading(item: Item, reading) -> dict:
    """A prediction row of one clip's voice reading."""
    row = {**_row(item), "pred": reading.label, "confidence": round(reading.confidence, 4)}
    if reading.has_speech:
        row["probabilities"] = reading.prob_dict()
    else:
        row["reason"] = reading.reason
    return row
