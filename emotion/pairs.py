"""Face + voice pairs: building label-matched pairs, and scoring face, voice and fused readings on them.

No public dataset here holds faces and voices recorded together, so, as the papers behind this app
did, pairs are made by matching labels: each face is paired with a voice clip of the same emotion
from another dataset. Such pairs are label-matched, not recorded together: the two halves are
independent given the emotion, which real recordings are not.
"""
from __future__ import annotations

from collections import defaultdict
from pathlib import Path, PurePosixPath
from typing import Sequence

import numpy as np

from .audio import AudioError, decode_audio
from .csv_out import csv_text
from .datasets import Dataset, Groups, Item, Pair, open_dataset
from .evaluate import calibration_metrics, grouped_metrics, groups_summary
from .fusion import RULES, hybrid, load_params
from .images import ImageError, decode_image
from .labels import EMOTIONS, NO_FACE, NO_SPEECH
from .readings import Progress, prob_dict

PAIRS_NOTE = ("These pairs are label-matched, not recorded together: each face was paired with a voice "
              "clip of the same emotion from a different dataset and person.")


def make_pairs(face_dirs: Sequence[Path], voice_dirs: Sequence[Path], out: Path, per_class: int | None = None,
               seed: int = 0) -> dict[str, int]:
    """Pair faces with same-emotion voice clips into `out` (images/, audio/, pairs.csv, README.txt).

    Up to `per_class` faces per emotion (all when None), drawn at random with `seed`; voice clips are
    shuffled and reused in turn when there are fewer voices than faces. Returns pairs per emotion.
    """
    rng = np.random.default_rng(seed)
    faces = _by_label(face_dirs, "image")
    voices = _by_label(voice_dirs, "audio")
    out.mkdir(parents=True, exist_ok=True)
    (out / "images").mkdir(exist_ok=True)
    (out / "audio").mkdir(exist_ok=True)
    rows, counts = [], {}
    for label in EMOTIONS:
        if not faces.get(label) or not voices.get(label):
            continue
        chosen = [faces[label][i] for i in rng.permutation(len(faces[label]))]
        if per_class:
            chosen = chosen[:per_class]
        clips = [voices[label][i] for i in rng.permutation(len(voices[label]))]
        for n, face in enumerate(chosen):
            voice = clips[n % len(clips)]
            image_name = f"images/{label}_{n:04d}{PurePosixPath(face.name).suffix.lower()}"
            audio_name = f"audio/{label}_{n:04d}{PurePosixPath(voice.name).suffix.lower()}"
            (out / image_name).write_bytes(face.read())
            (out / audio_name).write_bytes(voice.read())
            rows.append({"image": image_name, "audio": audio_name, "label": label,
                         "image_source": face.name, "audio_source": voice.name})
        counts[label] = len(chosen)
    (out / "pairs.csv").write_text(csv_text(rows, ["image", "audio", "label", "image_source", "audio_source"]),
                                   encoding="utf-8")
    (out / "README.txt").write_text(
        f"{PAIRS_NOTE}\nMade by: python -m emotion make-pairs --faces {' '.join(map(str, face_dirs))} "
        f"--voices {' '.join(map(str, voice_dirs))} --out {out} --per-class {per_class} --seed {seed}\n")
    return counts


def _by_label(dirs: Sequence[Path], kind: str) -> dict[str, list[Item]]:
    grouped: dict[str, list[Item]] = defaultdict(list)
    for d in dirs:
        items, _ = open_dataset(d).items(kind)
        for item in items:
            grouped[item.label].append(item)
    return grouped


def read_pairs(pairs: Sequence[Pair], face_model, voice_model, face_mode: str = "auto", mask: bool = False,
               progress: Progress | None = None) -> tuple[list[dict], list[dict]]:
    """Face and voice probabilities for each pair (None where there is no face / no speech).

    Returns (rows, skipped); each row has file, true, face_probs, voice_probs, voice_reason (and group, when
    the pairs have groups).
    """
    from .face import find_faces

    rows, skipped = [], []
    for i, pair in enumerate(pairs):
        try:
            image = decode_image(pair.read_image(), pair.image)
            audio = decode_audio(pair.read_audio(), pair.audio)
        except (ImageError, AudioError, OSError, ValueError) as exc:
            skipped.append({"file": pair.name, "reason": str(exc)})
        else:
            found = find_faces(image, face_mode, mask=mask, largest_only=True)
            face_probs = face_model.predict(found.crops)[0] if found.boxes else None
            voice = voice_model.read(audio)
            rows.append({"file": pair.name, **({"group": pair.group} if pair.group is not None else {}),
                         "true": pair.label, "face_probs": face_probs, "voice_probs": voice.probs,
                         "voice_reason": voice.reason})
        if progress:
            progress(i + 1, len(pairs))
    return rows, skipped


def score_pairs(rows: Sequence[dict], params: dict | None = None, rules: Sequence[str] = RULES) -> dict:
    """Face-only, voice-only and fused (per rule) metrics on the same pairs, plus agreement figures.

    When the rows have groups, each of these carries its per-group figures, and `groups` (top level) holds
    those of the fused reading by the default rule.
    """
    params = params or load_params()
    default = params["rule"]
    truth = [r["true"] for r in rows]
    groups = [r.get("group") for r in rows] if any("group" in r for r in rows) else None
    face_pred = [_top(r["face_probs"], NO_FACE) for r in rows]
    voice_pred = [_top(r["voice_probs"], NO_SPEECH) for r in rows]
    fused_pred = {rule: _fused_labels(rows, rule, params) for rule in dict.fromkeys([*rules, default])}
    both = [i for i, r in enumerate(rows) if r["face_probs"] is not None and r["voice_probs"] is not None]
    agree = [i for i in both if face_pred[i] == voice_pred[i]]
    disagree = [i for i in both if face_pred[i] != voice_pred[i]]

    def fused_accuracy(idx: list[int]) -> float | None:
        return round(float(np.mean([fused_pred[default][i] == truth[i] for i in idx])), 4) if idx else None

    fused = {rule: grouped_metrics(truth, pred, groups) for rule, pred in fused_pred.items()}
    return {
        "n": len(rows),
        "face": grouped_metrics(truth, face_pred, groups),
        "voice": grouped_metrics(truth, voice_pred, groups),
        "fused": fused,
        "default_rule": default,
        "agreement": {
            "pairs_with_both": len(both),
            "agreement_rate": round(len(agree) / len(both), 4) if both else None,
            "accuracy_when_agree": fused_accuracy(agree),
            "accuracy_when_disagree": fused_accuracy(disagree),
        },
        **({"groups": fused[default]["groups"], "group_gap": fused[default]["group_gap"]} if groups else {}),
    }


def _top(probs: np.ndarray | None, missing: str) -> str:
    return EMOTIONS[int(np.argmax(probs))] if probs is not None else missing


def _fused_readings(rows: Sequence[dict], rule: str, params: dict) -> list:
    from .readings import Reading

    def reading(p):
        return Reading(p) if p is not None else None

    return [hybrid(reading(r["face_probs"]), reading(r["voice_probs"]), rule, params) for r in rows]


def _fused_labels(rows: Sequence[dict], rule: str, params: dict) -> list[str]:
    return [r.label for r in _fused_readings(rows, rule, params)]


def evaluate_pairs(source: Path | bytes | Dataset, face_model, voice_model, face_mode: str = "auto",
                   mask: bool = False, progress: Progress | None = None, groups: Groups | None = None) -> PairsReport:
    """Everything `python -m emotion evaluate pairs` reports, for a folder or .zip with pairs.csv
    (or a dataset already opened from one); per group too with `groups`."""
    dataset = source if isinstance(source, Dataset) else open_dataset(source)
    pairs, left_out = dataset.pairs(groups)
    rows, skipped = read_pairs(pairs, face_model, voice_model, face_mode, mask, progress)
    params = load_params()
    report = score_pairs(rows, params)
    fused = _fused_readings(rows, report["default_rule"], params)
    report.update(faces=face_mode, mask=mask, note=PAIRS_NOTE, skipped=left_out + skipped,
                  predictions=[_row_json(r, f) for r, f in zip(rows, fused)])
    return PairsReport(report)


def _probs_json(p: np.ndarray | None) -> dict | None:
    return prob_dict(p) if p is not None else None


def _row_json(row: dict, fused) -> dict:
    """A pair's probabilities (face, voice, fused by the default rule) and what each predicted."""
    return {"file": row["file"], **({"group": row["group"]} if "group" in row else {}), "true": row["true"],
            "face": _probs_json(row["face_probs"]),
            "voice": _probs_json(row["voice_probs"]), "fused": _probs_json(fused.probs),
            "pred": {"face": _top(row["face_probs"], NO_FACE), "voice": _top(row["voice_probs"], NO_SPEECH),
                     "fused": fused.label},
            "agreement": fused.agreement, "fused_from": fused.source}


class PairsReport(dict):
    """What evaluate_pairs found: a dict (the JSON the command line writes), with the views of it that the
    command line and the Results page both show."""

    def scores(self, face: str = "face only", voice: str = "voice only",
               fused: str = "fused") -> list[tuple[str, dict]]:
        """(name, metrics) of each way the pairs were scored: face alone, voice alone, fused by each rule."""
        rows = [(face, self["face"]), (voice, self["voice"])]
        rows += [(f"{fused} ({rule}{', default' if rule == self['default_rule'] else ''})", m)
                 for rule, m in self["fused"].items()]
        return rows

    def by_modality(self) -> dict[str, dict]:
        """The report split into one report per modality: "face", "voice" and "fused" (default rule).

        Each is shaped like `evaluate.Report.to_dict()`: the same metrics as in the report, one prediction
        row per pair (pred, confidence, probabilities) and the skipped files, for tables and downloads.
        """
        out = {}
        for name in ("face", "voice", "fused"):
            scores = self["fused"][self["default_rule"]] if name == "fused" else self[name]
            rows = []
            for row in self["predictions"]:
                probs = row[name]
                pred = {"file": row["file"], **({"group": row["group"]} if "group" in row else {}),
                        "true": row["true"], "pred": row["pred"][name],
                        "confidence": max(probs.values()) if probs else 0.0}
                if probs:
                    pred["probabilities"] = probs
                if name == "fused":
                    pred.update(agreement=row["agreement"], source=row["fused_from"])
                rows.append(pred)
            out[name] = {"kind": name, **scores, **calibration_metrics(rows), "skipped": self["skipped"],
                         "predictions": rows}
        return out

    def summary(self) -> str:
        """A readable summary for a terminal."""
        lines = [f"pairs evaluation: {self['n']} pairs, {len(self['skipped'])} skipped"
                 f"{' (faces masked)' if self.get('mask') else ''}", self["note"],
                 f"{'':<28}{'accuracy':>9}{'macro F1':>10}"]
        for name, m in self.scores():
            if m["n"]:
                lines.append(f"{name:<28}{m['accuracy']:>9.2%}{m['macro_f1']:>10.3f}")
        a = self["agreement"]
        if a["pairs_with_both"]:
            lines.append(f"face and voice agree on {a['agreement_rate']:.1%} of {a['pairs_with_both']} pairs; fused "
                         f"accuracy {_share(a['accuracy_when_agree'])} when they agree, "
                         f"{_share(a['accuracy_when_disagree'])} when they disagree")
        lines += groups_summary(self, f"per group, face + voice ({self['default_rule']})")
        for s in self["skipped"][:10]:
            lines.append(f"skipped {s['file']}: {s['reason']}")
        return "\n".join(lines)


def _share(x: float | None) -> str:
    """A percentage, or "-" when there were no such pairs."""
    return "-" if x is None else f"{x:.1%}"


def modality_reports(report: dict) -> dict[str, dict]:
    """PairsReport.by_modality of an evaluate_pairs report."""
    return PairsReport(report).by_modality()


def pairs_summary(report: dict) -> str:
    """PairsReport.summary of an evaluate_pairs report."""
    return PairsReport(report).summary()
