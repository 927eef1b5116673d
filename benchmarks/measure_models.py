"""Measure the committed models on the held-out data and write weights/eval/*.json + weights/metrics.json.

    python benchmarks/measure_models.py [--data ../shared/data] [--only face,voice,pairs]

Every figure comes from the public command line (`python -m emotion evaluate ...`, and for the voice's
cross-validation `python benchmarks/voice_cv.py`), run here as a subprocess, so the model card's numbers are
exactly what a user sees when running the same commands. The commands are printed and stored next to each
result. The voice figures need the fold runs of benchmarks/voice_cv.py (--cv).
"""
from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from emotion.face import INPUT_BLUR_SIGMA  # noqa: E402

EVAL = ROOT / "weights" / "eval"
METRICS = ROOT / "weights" / "metrics.json"
PAIR_ACTORS = (13, 14, 15, 16)  # the voices of the fusion pairs: one speaker fold of benchmarks/voice_cv.py
PAIR_FOLD = "ravdess_13-16"


def run(args: list[str]) -> None:
    """Run `python -m emotion ...`, echoing the command as a user would type it."""
    print("$ python -m emotion " + shlex.join(args), flush=True)
    subprocess.run([sys.executable, "-m", "emotion", *args], cwd=ROOT, check=True)


def sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def summary(report: dict, data: str, command: str) -> dict:
    """The headline numbers of one evaluate report."""
    return {"data": data, "n": report["n"], "accuracy": round(report["accuracy"], 4),
            "macro_f1": round(report["macro_f1"], 4),
            "recall": {k: round(v["recall"], 4) for k, v in report["per_class"].items() if v["support"]},
            "command": command}


def read_report(out: Path) -> dict:
    """Read an evaluate report and rewrite it without its per-file rows (thousands of them; the committed
    reports keep the scores, which is what the model card and the tests read)."""
    report = json.loads(out.read_text())
    report.pop("predictions", None)
    out.write_text(json.dumps(report, indent=1) + "\n")
    return report


def evaluate(kind: str, paths: list[str], name: str, data: str, extra: list[str] = ()) -> dict:
    out = EVAL / f"{name}.json"
    args = ["evaluate", kind, *paths, *extra, "--json", str(out.relative_to(ROOT))]
    run(args)
    return summary(read_report(out), data, "python -m emotion " + shlex.join(args))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--only", default="face,voice,pairs")
    parser.add_argument("--cv", type=Path, default=ROOT / "runs" / "cv", help="the runs of benchmarks/voice_cv.py")
    args = parser.parse_args()
    data = args.data.resolve()
    if not data.is_dir():
        print(f"error: {data} not found (the datasets of ../shared/data/README.md)", file=sys.stderr)
        return 2
    rel = lambda p: os.path.relpath(p, ROOT)  # noqa: E731  (commands as typed from the repository root)
    EVAL.mkdir(parents=True, exist_ok=True)
    metrics = json.loads(METRICS.read_text()) if METRICS.exists() else {}
    only = set(args.only.split(","))
    fer_val = rel(data / "face" / "fer2013" / "val")
    # The shipped voice model heard every speaker; its figures come from models that never heard the ones
    # measured: the speaker folds of benchmarks/voice_cv.py (same recipe), whose runs live in --cv.
    cv = Path(os.path.relpath(args.cv.resolve(), ROOT))
    pair_actors = [rel(data / "voice" / "ravdess" / f"Actor_{a:02d}") for a in PAIR_ACTORS]
    pair_voice_model = str(cv / PAIR_FOLD / "voice.keras")

    if "face" in only:
        data_name = "FER2013 PublicTest (val/), 3,589 faces"
        metrics["face"] = evaluate("face", [fer_val], "face_fer2013_val", data_name, ["--faces", "whole"])
        metrics["face_masked"] = evaluate("face", [fer_val], "face_fer2013_val_masked", data_name + ", simulated mask",
                                          ["--faces", "whole", "--mask"])
        metrics["face_input_blur_sigma"] = INPUT_BLUR_SIGMA  # how the app prepared the faces measured here
    if "voice" in only:
        cv_json = EVAL / "voice_cv.json"
        cmd = [sys.executable, "benchmarks/voice_cv.py", "--runs", str(cv), "--report-only", "--json",
               str(cv_json.relative_to(ROOT))]
        print("$ python " + shlex.join(cmd[1:]), flush=True)
        subprocess.run(cmd, cwd=ROOT, check=True)
        pooled = json.loads(cv_json.read_text())
        ravdess = pooled["ravdess_cv"]
        metrics["voice"] = {**summary(ravdess, "RAVDESS actors 01-16, 4 speaker folds (each fold's model never "
                                      "heard its 4 actors)", "python " + shlex.join(cmd[1:3] + cmd[3:5])),
                            "fold_mean": round(ravdess["fold_mean"], 4), "fold_sd": round(ravdess["fold_sd"], 4),
                            "folds": ravdess["folds"]}
        metrics["voice_emodb"] = evaluate("voice", [rel(data / "voice" / "emodb")], "voice_emodb_loco",
                                          "EmoDB, 454 clips of 6 shared emotions (the model never heard German)",
                                          ["--voice-model", str(cv / "emodb" / "voice.keras")])
    if "pairs" in only:
        pairs_dir = ROOT / "runs" / "pairs_val"
        run(["make-pairs", "--faces", fer_val, "--voices", *pair_actors, "--out", str(pairs_dir.relative_to(ROOT)),
             "--per-class", "100", "--seed", "0"])
        fit = ["train", "fusion", "--pairs", str(pairs_dir.relative_to(ROOT)), "--faces", "whole",
               "--voice-model", pair_voice_model]
        run(fit)
        fusion = json.loads((ROOT / "weights" / "fusion.json").read_text())
        metrics["fusion"] = {"rule": fusion["params"]["rule"], "cross_fitted_accuracy": fusion["cross_fitted_accuracy"],
                             "command": "python -m emotion " + shlex.join(fit)}
        for masked in (False, True):
            name = "pairs_val_masked" if masked else "pairs_val"
            out = EVAL / f"{name}.json"
            cmd = ["evaluate", "pairs", str(pairs_dir.relative_to(ROOT)), "--faces", "whole",
                   *(["--mask"] if masked else []), "--voice-model", pair_voice_model, "--json", str(out.relative_to(ROOT))]
            run(cmd)
            report = read_report(out)
            metrics[name] = {
                "data": f"label-matched pairs: FER2013 val faces x RAVDESS actors {PAIR_ACTORS[0]}-{PAIR_ACTORS[-1]} clips "
                        "(read by the fold model that never heard them), 100 per emotion"
                        + (", simulated mask" if masked else ""),
                "n": report["n"], "default_rule": report["default_rule"],
                "face": round(report["face"]["accuracy"], 4), "voice": round(report["voice"]["accuracy"], 4),
                "fused": {rule: round(r["accuracy"], 4) for rule, r in report["fused"].items()},
                "fused_macro_f1": {rule: round(r["macro_f1"], 4) for rule, r in report["fused"].items()},
                "agreement": report.get("agreement"),
                "command": "python -m emotion " + shlex.join(cmd)}
    # which weights these numbers belong to (a test checks that the committed files still match)
    metrics["weights_sha256"] = {name: sha256(ROOT / "weights" / f"{name}.keras") for name in ("face", "voice")}
    METRICS.write_text(json.dumps(metrics, indent=1) + "\n")
    print(json.dumps(metrics, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
