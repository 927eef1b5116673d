"""Batch prediction over labelled datasets, and the metrics: accuracy, macro F1, confusion, per class."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

import numpy as np

from .audio import AudioError, decode_audio
from .datasets import Item
from .images import ImageError, decode_image
from .labels import EMOTIONS

Progress = Callable[[int, int], None]
NO_FACE, NO_SPEECH = "no face", "no speech"
BATCH = 64


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
    return {"n": n, "accuracy": round(accuracy, 4), "macro_f1": round(macro, 4), "labels": labels,
            "confusion": confusion_matrix(y_true, y_pred, labels=labels).tolist(), "per_class": per_class}


@dataclass
class Report:
    """What an evaluation found: metrics, every prediction, and the files it skipped."""

    kind: str
    predictions: list[dict] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)
    settings: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        scored = [p for p in self.predictions if "pred" in p]
        return {"kind": self.kind, **self.settings,
                **metrics([p["true"] for p in scored], [p["pred"] for p in scored]),
                "skipped": self.skipped, "predictions": self.predictions}

    def summary(self) -> str:
        """A readable summary for a terminal."""
        d = self.to_dict()
        lines = [f"{self.kind} evaluation: {d['n']} items, {len(self.skipped)} skipped"]
        if d["n"]:
            lines.append(f"accuracy {d['accuracy']:.2%}   macro F1 {d['macro_f1']:.3f}")
            lines.append(f"{'class':<10}{'precision':>10}{'recall':>8}{'f1':>8}{'support':>9}")
            for lab, s in d["per_class"].items():
                lines.append(f"{lab:<10}{s['precision']:>10.3f}{s['recall']:>8.3f}{s['f1']:>8.3f}{s['support']:>9}")
            width = max(len(lab) for lab in d["labels"]) + 1
            lines.append("confusion (rows = true, columns = predicted):")
            lines.append(" " * width + "".join(f"{lab[:7]:>8}" for lab in d["labels"]))
            for lab, row in zip(d["labels"], d["confusion"]):
                lines.append(f"{lab:<{width}}" + "".join(f"{v:>8}" for v in row))
        for s in self.skipped[:20]:
            lines.append(f"skipped {s['file']}: {s['reason']}")
        if len(self.skipped) > 20:
            lines.append(f"... and {len(self.skipped) - 20} more skipped (see the JSON)")
        return "\n".join(lines)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1)


def _chunks(items: Sequence, size: int) -> Iterable[Sequence]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def evaluate_faces(items: Sequence[Item], model, mode: str = "whole", mask: bool = False,
                   detector: str | None = None, skipped: list[dict] | None = None,
                   progress: Progress | None = None) -> Report:
    """Predict the largest face of each image. Images with no face count as "no face" (mode detect)."""
    from .face import DEFAULT_DETECTOR, crop_face, locate_faces

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
            image, boxes, _ = locate_faces(image, mode, detector, mask)
            row = {"file": item.name, "true": item.label}
            if not boxes:
                row.update(pred=NO_FACE, confidence=0.0)
            else:
                row["box"] = [int(v) for v in boxes[0]]
                crops.append(crop_face(image, boxes[0]))
            rows.append(row)
        probs = iter(model.predict(np.stack(crops)) if crops else [])
        for row in rows:
            if "pred" not in row:
                p = next(probs)
                row.update(pred=EMOTIONS[int(p.argmax())], confidence=round(float(p.max()), 4),
                           probabilities={e: round(float(v), 4) for e, v in zip(EMOTIONS, p)})
            report.predictions.append(row)
        done += len(chunk)
        if progress:
            progress(done, len(items))
    return report


def evaluate_voices(items: Sequence[Item], model, skipped: list[dict] | None = None,
                    progress: Progress | None = None) -> Report:
    """Predict each clip; clips without speech count as "no speech"."""
    report = Report("voice", skipped=list(skipped or []))
    for i, item in enumerate(items):
        try:
            audio = decode_audio(item.read(), item.name)
        except (AudioError, OSError, ValueError) as exc:
            report.skipped.append({"file": item.name, "reason": str(exc).removeprefix(f"{item.name}: ")})
        else:
            reading = model.read(audio)
            row = {"file": item.name, "true": item.label, "pred": reading.label,
                   "confidence": round(reading.confidence, 4)}
            if reading.has_speech:
                row["probabilities"] = reading.prob_dict()
            else:
                row["reason"] = reading.reason
            report.predictions.append(row)
        if progress:
            progress(i + 1, len(items))
    return report
