"""Fit the learned fusion rule on validation pairs and pick the default rule from measurements.

    python -m emotion train fusion --pairs runs/pairs_val [--out weights/fusion.json]

The pairs are read twice, with and without a simulated mask, so one set of parameters serves both.
Parameters: a temperature per model (calibration, by log-loss), the face weight of the weighted
log-probability sum (by log-loss), and a confidence floor below which a modality is left out. Every
figure is cross-fitted: fitted on one half of the voice speakers and scored on the other half, so
the numbers reported are never measured on the pairs a parameter was fitted on.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from ..face import FaceMode
from ..labels import INDEX
from ..pairs import read_pairs, score_pairs

FLOORS = (0.0, 0.2, 0.25, 0.3, 0.35, 0.4)


def _log_loss(logits: np.ndarray, y: np.ndarray) -> float:
    from scipy.special import log_softmax

    return float(-log_softmax(logits, axis=1)[np.arange(len(y)), y].mean())


def fit_temperature(probs: np.ndarray, y: np.ndarray) -> float:
    """The temperature T minimising the log-loss of softmax(log(p) / T)."""
    from scipy.optimize import minimize_scalar

    logp = np.log(np.clip(probs, 1e-7, 1))
    res = minimize_scalar(lambda t: _log_loss(logp / t, y), bounds=(0.2, 5.0), method="bounded")
    return float(res.x)


def fit_params(rows: list[dict]) -> dict:
    """Temperatures, face weight and confidence floor fitted on `rows` (from read_pairs)."""
    both = [r for r in rows if r["face_probs"] is not None and r["voice_probs"] is not None]
    y = np.array([INDEX[r["true"]] for r in both])
    face = np.stack([r["face_probs"] for r in both])
    voice = np.stack([r["voice_probs"] for r in both])
    tf, tv = fit_temperature(face, y), fit_temperature(voice, y)
    lf, lv = np.log(np.clip(face, 1e-7, 1)) / tf, np.log(np.clip(voice, 1e-7, 1)) / tv
    weights = np.round(np.arange(0.0, 1.0001, 0.05), 2)
    w = float(weights[int(np.argmin([_log_loss(a * lf + (1 - a) * lv, y) for a in weights]))])
    params = {"rule": "learned", "face_temperature": round(tf, 4), "voice_temperature": round(tv, 4),
              "face_weight": w, "min_confidence": 0.0}
    scores = []
    for floor in FLOORS:
        trial = {**params, "min_confidence": floor}
        scores.append(score_pairs(rows, trial, rules=["learned"])["fused"]["learned"]["accuracy"])
    params["min_confidence"] = FLOORS[int(np.argmax(scores))]
    return params


def cross_fitted_predictions(rows: list[dict], folds: list[list[int]]) -> dict[str, list[str]]:
    """Fused label of every row for each rule, with parameters fitted on the other folds only."""
    from ..fusion import RULES, hybrid
    from ..readings import Reading

    preds = {rule: [""] * len(rows) for rule in RULES}
    for k, test_idx in enumerate(folds):
        params = fit_params([rows[i] for j, fold in enumerate(folds) if j != k for i in fold])
        for i in test_idx:
            face = Reading(rows[i]["face_probs"]) if rows[i]["face_probs"] is not None else None
            voice = Reading(rows[i]["voice_probs"]) if rows[i]["voice_probs"] is not None else None
            for rule in RULES:
                preds[rule][i] = hybrid(face, voice, rule, params).label
    return preds


def speaker_folds(pairs_dir: Path, rows: list[dict]) -> list[list[int]]:
    """Two folds of rows split by the voice clip's speaker (RAVDESS actor, else clip name)."""
    import csv

    source = {}
    with open(pairs_dir / "pairs.csv") as f:
        for rec in csv.DictReader(f):
            source[f"{rec['image']} + {rec['audio']}"] = rec.get("audio_source", rec["audio"])
    speakers = sorted({_speaker_of(source.get(r["file"], r["file"])) for r in rows})
    half = set(speakers[::2])
    a = [i for i, r in enumerate(rows) if _speaker_of(source.get(r["file"], r["file"])) in half]
    b = [i for i in range(len(rows)) if i not in set(a)]
    return [a, b]


def _speaker_of(audio_source: str) -> str:
    parts = Path(audio_source).stem.split("-")
    return parts[-1] if len(parts) == 7 else Path(audio_source).parent.name or audio_source


def main(args: argparse.Namespace) -> int:
    from ..datasets import DatasetError, open_dataset
    from ..evaluate import metrics
    from ..face import load_face_model
    from ..voice import VOICE_WEIGHTS, load_voice_model

    try:
        pairs, _ = open_dataset(args.pairs).pairs()
    except DatasetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    face_model, voice_model = load_face_model(), load_voice_model(args.voice_model or VOICE_WEIGHTS)
    rows = []
    for mask in (False, True):
        got, _ = read_pairs(pairs, face_model, voice_model, args.faces, mask)
        rows += [{**r, "masked": mask} for r in got]
    preds = cross_fitted_predictions(rows, speaker_folds(args.pairs, rows))
    report = {}
    for condition, keep in (("all", lambda r: True), ("unmasked", lambda r: not r["masked"]),
                            ("masked", lambda r: r["masked"])):
        idx = [i for i, r in enumerate(rows) if keep(r)]
        truth = [rows[i]["true"] for i in idx]
        report[condition] = {rule: metrics(truth, [p[i] for i in idx])["accuracy"] for rule, p in preds.items()}
    params = fit_params(rows)
    params["rule"] = max(report["all"], key=report["all"].get)
    summary = {"params": params,
               "chosen_by": "cross-fitted fused accuracy over masked + unmasked pairs "
                            "(2 folds split by voice speaker; parameters never scored on the pairs they were "
                            "fitted on)",
               "cross_fitted_accuracy": report, "pairs": str(args.pairs), "n_pairs": len(pairs),
               "command": f"python -m emotion train fusion --pairs {args.pairs} --faces {args.faces}"
                          + (f" --voice-model {args.voice_model}" if args.voice_model else "")}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=1))
    print(json.dumps(summary, indent=1))
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--pairs", type=Path, required=True, help="folder with pairs.csv (see make-pairs)")
    parser.add_argument("--faces", choices=[m.value for m in FaceMode], default=FaceMode.WHOLE.value)
    parser.add_argument("--out", type=Path, default=Path("weights/fusion.json"))
    parser.add_argument("--voice-model", type=Path, default=None,
                        help="read the voices with this model (one that never heard the pairs' speakers)")
