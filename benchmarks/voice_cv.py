"""Speaker-grouped cross-validation and leave-one-corpus-out for the voice recipe: train one model per fold
(resumable, `python -m emotion train voice --held-out ...`), then pool what each fold's model read of the
speakers it never heard.

    python benchmarks/voice_cv.py --runs runs/cv [-- extra train options]     # train what is missing, report
    python benchmarks/voice_cv.py --runs runs/cv --report-only                 # just the report

Each fold's speakers are read twice: each clip alone (against the average training speaker), and after the
model heard all of that speaker's clips (against the speaker's own voice, as the Live page does over a session).

Folds: RAVDESS actors 01-04, 05-08, 09-12, 13-16 (each fold's model never heard its 4 actors), and EmoDB as a
whole corpus (its model heard no German). Actors 17-20 and seven Urdu speakers are the choice split the recipe
was picked on: no fold trains on them, and they are no result; the report ends with the fold models' mean
reading of them, which is what recipes are compared on.

Calibration, cross-fitted: each RAVDESS fold's readings (alone and adapted) are calibrated with a temperature
fitted on the other three folds' readings (speakers the fold does not share), EmoDB's with one fitted on all
four RAVDESS folds; the ECE is reported without and with it. `--calibrate MODEL` fits the temperature on all
four folds' readings and saves it beside MODEL (`<model>.calibration.json`), which VoiceModel applies.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _common import CHOICE  # noqa: E402
from emotion.calibration import Calibration, expected_calibration_error, fit_calibration  # noqa: E402
from emotion.evaluate import metrics  # noqa: E402
from emotion.labels import INDEX  # noqa: E402

RAVDESS_FOLDS = {"ravdess_01-04": "ravdess:1-4", "ravdess_05-08": "ravdess:5-8", "ravdess_09-12": "ravdess:9-12",
                 "ravdess_13-16": "ravdess:13-16"}
CORPUS_FOLDS = {"emodb": "emodb"}


def train_fold(runs: Path, name: str, held_out: str, extra: list[str]) -> dict:
    """The fold's reading of its held-out speakers (trained first unless its run has finished)."""
    run = runs / name
    final = run / "final.json"
    if not final.exists():
        cmd = [sys.executable, "-m", "emotion", "train", "voice", "--run", str(run), "--held-out", held_out,
               "--choice", CHOICE, "--out", str(run / "voice.keras"), *extra]
        print("$ " + " ".join(cmd[1:]), flush=True)
        subprocess.run(cmd, cwd=ROOT, check=True)
    return json.loads(final.read_text())["held_out"]


def probabilities(part: dict) -> tuple[np.ndarray, np.ndarray]:
    """The probabilities and true class indices of a part's clips that had speech."""
    rows = [r for r in part["predictions"] if len(r) > 4 and r[4] is not None]
    return np.array([r[4] for r in rows], float).reshape(-1, 7), np.array([INDEX[r[2]] for r in rows], int)


def fit_on(folds: list[dict], fitted_on: str = "") -> Calibration:
    """A temperature fitted on the folds' readings, each clip alone and adapted together."""
    read = [probabilities(part) for f in folds for part in (f, f["adapted"])]
    return fit_calibration(np.concatenate([p for p, _ in read]), np.concatenate([y for _, y in read]), fitted_on)


def cross_fit(ravdess: dict[str, dict], others: dict[str, dict]) -> None:
    """Attach to each fold's readings its ECE without and with a temperature fitted on speakers it does not
    share: a RAVDESS fold's from the other RAVDESS folds, any other fold's from all of them."""
    if len(ravdess) < 2:
        return
    for name, held in {**ravdess, **others}.items():
        calibration = fit_on([f for k, f in ravdess.items() if k != name])
        for part in (held, held["adapted"]):
            probs, y = probabilities(part)
            part["calibration"] = {"temperature": calibration.temperature,
                                   "ece": expected_calibration_error(probs, y),
                                   "ece_calibrated": expected_calibration_error(calibration.apply(probs), y),
                                   "probs": probs.tolist(), "calibrated": calibration.apply(probs).tolist(),
                                   "y": y.tolist()}


def pooled(folds: dict[str, dict]) -> dict:
    """Metrics over every fold's held-out clips together, plus each fold's accuracy, mean and spread."""
    rows = [r for f in folds.values() for r in f["predictions"]]
    out = metrics([r[2] for r in rows], [r[3] for r in rows])
    accs = [f["all"]["accuracy"] for f in folds.values()]
    per_speaker: dict[str, list[bool]] = {}
    for r in rows:
        per_speaker.setdefault(r[1], []).append(r[2] == r[3])
    out.update(folds={k: f["all"]["accuracy"] for k, f in folds.items()}, fold_mean=float(np.mean(accs)),
               fold_sd=float(np.std(accs, ddof=1)) if len(accs) > 1 else 0.0,
               per_speaker={s: round(float(np.mean(v)), 4) for s, v in sorted(per_speaker.items())})
    if all("calibration" in f for f in folds.values()):
        cal = [f["calibration"] for f in folds.values()]
        y = np.concatenate([c["y"] for c in cal]).astype(int)
        out["ece"] = expected_calibration_error(np.concatenate([c["probs"] for c in cal]), y)
        out["ece_calibrated"] = expected_calibration_error(np.concatenate([c["calibrated"] for c in cal]), y)
        out["temperatures"] = {k: round(c["temperature"], 3) for k, c in zip(folds, cal)}
    return out


def table(name: str, m: dict) -> str:
    """A short Markdown summary: accuracy, macro F1, recall per class, confusion matrix."""
    labels = m["labels"]
    truth = [lab for lab in labels if m["per_class"].get(lab, {}).get("support")]
    lines = [f"### {name}: {m['n']} clips", "",
             f"accuracy **{m['accuracy']:.1%}** (folds: " + ", ".join(f"{k} {v:.1%}" for k, v in m["folds"].items())
             + (f"; mean {m['fold_mean']:.1%}, sd {m['fold_sd']:.1%}" if len(m["folds"]) > 1 else "") + ")"
             + f", macro F1 {m['macro_f1']:.3f}", "",
             "| recall | " + " | ".join(truth) + " |", "|---|" + "---|" * len(truth),
             "| | " + " | ".join(f"{m['per_class'][lab]['recall']:.0%}" for lab in truth) + " |", "",
             "| true \\ read | " + " | ".join(labels) + " |", "|---|" + "---|" * len(labels)]
    for lab, row in zip(labels, m["confusion"]):
        if lab in truth:
            lines.append(f"| {lab} | " + " | ".join(str(v) for v in row) + " |")
    lines.append("")
    lines.append("per speaker: " + ", ".join(f"{s} {v:.0%}" for s, v in m["per_speaker"].items()))
    if "ece" in m:
        temperatures = ", ".join(f"{k} T={t}" for k, t in m["temperatures"].items())
        lines += ["", f"ECE (15 bins, top label) **{m['ece']:.3f}** as the model gives it, "
                  f"**{m['ece_calibrated']:.3f}** with a temperature fitted on the other RAVDESS folds' readings "
                  f"({temperatures})"]
    return "\n".join(lines)


def choice_readings(runs: Path) -> str:
    """The fold models' mean reading of the choice speakers (none of them trained on them): what recipes are
    compared on, never a reported figure."""
    rows = []
    for final in sorted(runs.glob("*/final.json")):
        c = json.loads(final.read_text()).get("choice") or {}
        if "ravdess" in c and "urdu" in c:
            rows.append([c["ravdess"]["accuracy"], c["adapted"]["ravdess"]["accuracy"], c["urdu"]["accuracy"],
                         c["adapted"]["urdu"]["accuracy"]])
    if not rows:
        return "(no fold model read the choice speakers)"
    mean = np.mean(rows, 0)
    return (f"Choice split (for choosing recipes, not a result), mean of {len(rows)} fold models: RAVDESS 17-20 "
            f"{mean[0]:.1%} alone / {mean[1]:.1%} adapted, Urdu {mean[2]:.1%} / {mean[3]:.1%}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=Path, default=Path("runs/cv"))
    parser.add_argument("--report-only", action="store_true")
    parser.add_argument("--json", type=Path, default=None, help="write the pooled figures here")
    parser.add_argument("--folds", default=None, help="train only these folds (comma-separated names), e.g. to run "
                        "two at once; the report covers every fold that has finished")
    parser.add_argument("--calibrate", type=Path, default=None, metavar="MODEL",
                        help="fit a temperature on every RAVDESS fold's readings and save it beside MODEL")
    args, extra = parser.parse_known_args()
    extra = [e for e in extra if e != "--"]
    groups = {}
    for key, group in (("ravdess_cv", RAVDESS_FOLDS), ("emodb_loco", CORPUS_FOLDS)):
        groups[key] = {}
        for name, spec in group.items():
            wanted = not args.report_only and (args.folds is None or name in args.folds.split(","))
            if wanted:
                groups[key][name] = train_fold(args.runs, name, spec, extra)
            elif (args.runs / name / "final.json").exists():
                groups[key][name] = json.loads((args.runs / name / "final.json").read_text())["held_out"]
    cross_fit(groups["ravdess_cv"], groups["emodb_loco"])
    results = {}
    for key, folds in groups.items():
        if folds:
            name = {"ravdess_cv": "RAVDESS actors 01-16, 4 speaker folds",
                    "emodb_loco": "EmoDB, never heard (leave-one-corpus-out)"}[key]
            results[key] = pooled(folds)
            print(table(f"{name}, each clip alone", results[key]), flush=True)
            if all("adapted" in f for f in folds.values()):
                results[f"{key}_adapted"] = pooled({k: f["adapted"] for k, f in folds.items()})
                print(table(f"{name}, after hearing each speaker's clips", results[f"{key}_adapted"]), flush=True)
    print(choice_readings(args.runs), flush=True)
    if args.calibrate:
        if len(groups["ravdess_cv"]) < len(RAVDESS_FOLDS):
            sys.exit("error: --calibrate needs every RAVDESS fold to have finished")
        calibration = fit_on(list(groups["ravdess_cv"].values()),
                             f"cross-validated readings of RAVDESS actors 01-16 ({args.runs}, benchmarks/voice_cv.py)")
        print(f"temperature {calibration.temperature:.3f} saved to {calibration.save(args.calibrate)}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
