"""Scoring image+audio pairs three ways: the face alone, the voice alone, and both fused.

Kept simple on purpose: the face and voice evaluations are the ordinary ones (`evaluate_faces`,
`evaluate_voices`) run over the pairs' images and clips, and the fused prediction of a pair is
`fusion.hybrid()` of those two readings (when one is missing, the other is used alone).
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .datasets import Item, Pair
from .evaluate import Progress, Report, evaluate_faces, evaluate_voices
from .fusion import hybrid
from .labels import EMOTIONS
from .readings import Reading

NO_READING = "no reading"


def _reading(row: dict | None) -> Reading | None:
    """The reading of a prediction row, or None when it has no probabilities (no face, no speech, skipped)."""
    if not row or "probabilities" not in row:
        return None
    return Reading(probs=np.array([row["probabilities"][e] for e in EMOTIONS], np.float32))


def evaluate_pairs(pairs: Sequence[Pair], face_model: Any, voice_model: Any, mode: str = "auto", mask: bool = False,
                   rule: str | None = None, skipped: list[dict] | None = None,
                   progress: Progress | None = None) -> dict[str, Report]:
    """Reports {"face", "voice", "fused"} over the same pairs; progress counts faces then voices."""
    n = len(pairs)
    images = [Item(p.image, "image", p.label, "pairs.csv", p.read_image) for p in pairs]
    clips = [Item(p.audio, "audio", p.label, "pairs.csv", p.read_audio) for p in pairs]
    face = evaluate_faces(images, face_model, mode, mask, skipped=skipped,
                          progress=(lambda d, t: progress(d, 2 * n)) if progress else None)
    voice = evaluate_voices(clips, voice_model, skipped=skipped,
                            progress=(lambda d, t: progress(n + d, 2 * n)) if progress else None)
    # Each report keeps its rows in item order, leaving out unreadable files: match them back by position.
    face_rows, voice_rows = _by_position(images, face), _by_position(clips, voice)
    fused = Report("fused", skipped=list(skipped or []), settings={"faces": mode, "mask": mask})
    for pair, f_row, v_row in zip(pairs, face_rows, voice_rows):
        if f_row is None and v_row is None:
            fused.skipped.append({"file": pair.name, "reason": "neither the image nor the audio could be read"})
            continue
        reading = hybrid(_reading(f_row), _reading(v_row), rule)
        fused.settings["rule"] = reading.rule
        row = {"file": pair.name, "true": pair.label, "pred": reading.label if reading.probs is not None else NO_READING,
               "confidence": round(reading.confidence, 4), "source": reading.source,
               "agreement": reading.agreement, "note": reading.note}
        if reading.probs is not None:
            row["probabilities"] = reading.prob_dict()
        fused.predictions.append(row)
    return {"face": face, "voice": voice, "fused": fused}


def _by_position(items: Sequence[Item], report: Report) -> list[dict | None]:
    """The report's row for each item in order (None for the items it skipped as unreadable)."""
    rows = iter(report.predictions)
    pending = next(rows, None)
    out: list[dict | None] = []
    for item in items:
        if pending is not None and pending["file"] == item.name:
            out.append(pending)
            pending = next(rows, None)
        else:
            out.append(None)
    return out
