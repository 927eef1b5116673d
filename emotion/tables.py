"""Evaluation reports as tables: every prediction (for CSV download), per-class scores, mistakes."""
from __future__ import annotations

import pandas as pd

from .labels import EMOTIONS


def predictions_table(report: dict) -> pd.DataFrame:
    """One row per item: file, true, pred, confidence, a probability column per emotion, and any notes."""
    rows = []
    for p in report.get("predictions", []):
        row = {"file": p["file"], "true": p.get("true"), "pred": p.get("pred"),
               "correct": p.get("pred") == p.get("true"),
               "confidence": p.get("confidence")}
        probs = p.get("probabilities") or {}
        row.update({f"p_{e}": probs.get(e) for e in EMOTIONS})
        row.update({k: (", ".join(map(str, v)) if isinstance(v, list) else v) for k, v in p.items()
                    if k not in row and k not in ("probabilities",)})
        rows.append(row)
    columns = ["file", "true", "pred", "correct", "confidence"] + [f"p_{e}" for e in EMOTIONS]
    return pd.DataFrame(rows, columns=columns + sorted({k for r in rows for k in r} - set(columns)))


def class_table(report: dict) -> pd.DataFrame:
    """Precision, recall, F1 and support per true class, in EMOTIONS order."""
    per_class = report.get("per_class", {})
    frame = pd.DataFrame.from_dict(per_class, orient="index", columns=["precision", "recall", "f1", "support"])
    frame.index.name = "emotion"
    return frame


def mistakes(report: dict, limit: int = 8) -> list[dict]:
    """Up to `limit` wrong predictions, the most confident first, spread over the true classes."""
    wrong = sorted((p for p in report.get("predictions", []) if p.get("pred") != p.get("true")),
                   key=lambda p: -(p.get("confidence") or 0.0))
    picked, seen = [], set()
    for p in wrong:  # first the most confident mistake of each true class, then the rest
        if p["true"] not in seen:
            picked.append(p)
            seen.add(p["true"])
    picked += [p for p in wrong if p not in picked]
    return picked[:limit]


def group_table(report: dict) -> pd.DataFrame:
    """One row per group: items, accuracy, its 95% interval, macro F1, and notes (best, worst, few items)."""
    gap = report.get("group_gap") or {}
    rows = []
    for name, g in report.get("groups", {}).items():
        notes = [note for note, hit in (("best", name == gap.get("best")), ("worst", name == gap.get("worst")),
                                        ("few items: read with care", g["small"])) if hit]
        rows.append({"group": name, "items": g["n"], "accuracy": g["accuracy"],
                     "95% interval": f"{g['ci_low']:.0%} – {g['ci_high']:.0%}", "macro F1": g["macro_f1"],
                     "notes": ", ".join(notes)})
    return pd.DataFrame(rows, columns=["group", "items", "accuracy", "95% interval", "macro F1", "notes"])
