"""Measure the committed models on the held-out data and write weights/eval/*.json + weights/metrics.json.

    python benchmarks/measure_models.py [--data ../shared/data] [--only face,voice,pairs]

Every figure comes from the public command line (`python -m emotion evaluate ...`), run here as a
subprocess, so the model card's numbers are exactly what a user sees when running the same commands.
The commands are printed and stored next to each result.
"""
from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import ROOT, sha256
from emotion.calibration import load_calibration  # noqa: E402
from emotion.face import INPUT_BLUR_SIGMA, MIRROR_BELOW  # noqa: E402

EVAL = ROOT / "weights" / "eval"
METRICS = ROOT / "weights" / "metrics.json"
VOICE_CV = EVAL / "voice_cv.json"
VOICE_CV_COMMAND = ("python benchmarks/voice_cv.py --runs runs/cv10 --json weights/eval/voice_cv.json "
                    "--calibrate weights/voice.keras")
# The speakers the committed voice model never heard (its training held them out).
RAVDESS_HELD_OUT = (17, 18, 19, 20)
# Urdu file names start with a code such as SM5 or SF6, apparently speaker numbers (undocumented).
URDU_HELD_OUT = ("SM1", "SM3", "SM7", "SM20", "SM23", "SF11", "SM27")


def run(args: list[str]) -> None:
    """Run `python -m emotion ...`, echoing the command as a user would type it."""
    print("$ python -m emotion " + shlex.join(args), flush=True)
    subprocess.run([sys.executable, "-m", "emotion", *args], cwd=ROOT, check=True)


def summary(report: dict, data: str, command: str) -> dict:
    """The headline numbers of one evaluate report."""
    return {"data": data, "n": report["n"], "accuracy": round(report["accuracy"], 4),
            "macro_f1": round(report["macro_f1"], 4),
            "recall": {k: round(v["recall"], 4) for k, v in report["per_class"].items() if v["support"]},
            **({"ece": report["ece"]} if "ece" in report else {}), "command": command}


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


def voice_cross_validated() -> dict:
    """The voice recipe's speaker-fold figures, as benchmarks/voice_cv.py wrote them (each clip alone, and
    after hearing its speaker): models that never heard the speakers they are scored on."""
    if not VOICE_CV.exists():
        print(f"warning: {VOICE_CV} is missing: run benchmarks/voice_cv.py first", file=sys.stderr)
        return {}
    cv = json.loads(VOICE_CV.read_text())
    names = {"ravdess_cv": "RAVDESS actors it never heard (01-16, 4 speaker folds)",
             "emodb_loco": "EmoDB left out (German)"}
    out = {}
    for key, m in cv.items():
        base = key.removesuffix("_adapted")
        out[f"voice_{key}"] = {
            "data": names[base] + (", after hearing each speaker's clips" if key != base else ", each clip alone"),
            "n": m["n"], "accuracy": round(m["accuracy"], 4), "macro_f1": round(m["macro_f1"], 4),
            "fold_mean": round(m["fold_mean"], 4), "fold_sd": round(m["fold_sd"], 4),
            "recall": {k: round(v["recall"], 4) for k, v in m["per_class"].items() if v["support"]},
            "ece": round(m["ece"], 4), "ece_calibrated": round(m["ece_calibrated"], 4),  # cross-fitted temperature
            "command": VOICE_CV_COMMAND}
    return out


def urdu_held_out(data: Path, tmp: Path) -> str:
    """Copy the held-out Urdu speakers' clips (their codes are in the file names) into `tmp`."""
    for clip in (data / "voice" / "urdu").glob("*/*.flac"):
        if clip.name.split("_")[0] in URDU_HELD_OUT:
            (tmp / clip.parent.name).mkdir(parents=True, exist_ok=True)
            shutil.copy(clip, tmp / clip.parent.name / clip.name)
    return str(tmp)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--only", default="face,voice,pairs")
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
    ravdess = [rel(data / "voice" / "ravdess" / f"Actor_{a:02d}") for a in sorted(RAVDESS_HELD_OUT)]

    if "face" in only:
        data_name = "FER2013 PublicTest (val/), 3,589 faces"
        metrics["face"] = evaluate("face", [fer_val], "face_fer2013_val", data_name, ["--faces", "whole"])
        metrics["face_masked"] = evaluate("face", [fer_val], "face_fer2013_val_masked", data_name + ", simulated mask",
                                          ["--faces", "whole", "--mask"])
        metrics["face_input_blur_sigma"] = INPUT_BLUR_SIGMA  # how the app prepared the faces measured here
        metrics["face_mirror_below"] = MIRROR_BELOW  # and which faces it read again mirrored
    if "voice" in only:
        metrics["voice"] = evaluate("voice", ravdess, "voice_ravdess_17-20",
                                    "RAVDESS actors 17-20 (never heard in training; the recipe was chosen on them)")
        with tempfile.TemporaryDirectory() as tmp:
            metrics["voice_urdu"] = evaluate("voice", [urdu_held_out(data, Path(tmp))], "voice_urdu_heldout",
                                             f"Urdu speakers {sorted(URDU_HELD_OUT)} (held out; codes undocumented)")
            metrics["voice_urdu"]["command"] += "  # the held-out speakers' clips, copied by this script"
        for key in ("voice_tess", "voice_emodb"):  # the committed model trained on these speakers now
            metrics.pop(key, None)
        metrics.update(voice_cross_validated())
        metrics["voice_temperature"] = load_calibration(ROOT / "weights" / "voice.keras").temperature  # as measured
    if "pairs" in only:
        pairs_dir = ROOT / "runs" / "pairs_val"
        run(["make-pairs", "--faces", fer_val, "--voices", *ravdess, "--out", str(pairs_dir.relative_to(ROOT)),
             "--per-class", "100", "--seed", "0"])
        fit = ["train", "fusion", "--pairs", str(pairs_dir.relative_to(ROOT)), "--faces", "whole"]
        run(fit)
        fusion = json.loads((ROOT / "weights" / "fusion.json").read_text())
        metrics["fusion"] = {"rule": fusion["params"]["rule"], "cross_fitted_accuracy": fusion["cross_fitted_accuracy"],
                             "command": "python -m emotion " + shlex.join(fit)}
        for masked in (False, True):
            name = "pairs_val_masked" if masked else "pairs_val"
            out = EVAL / f"{name}.json"
            cmd = ["evaluate", "pairs", str(pairs_dir.relative_to(ROOT)), "--faces", "whole",
                   *(["--mask"] if masked else []), "--json", str(out.relative_to(ROOT))]
            run(cmd)
            report = read_report(out)
            metrics[name] = {
                "data": "label-matched pairs: FER2013 val faces x RAVDESS actors 17-20 clips, 100 per emotion"
                        + (", simulated mask" if masked else ""),
                "n": report["n"], "default_rule": report["default_rule"],
                "face": round(report["face"]["accuracy"], 4), "voice": round(report["voice"]["accuracy"], 4),
                "fused": {rule: round(r["accuracy"], 4) for rule, r in report["fused"].items()},
                "fused_macro_f1": {rule: round(r["macro_f1"], 4) for rule, r in report["fused"].items()},
                "agreement": report.get("agreement"),
                "command": "python -m emotion " + shlex.join(cmd)}
    # which weights these numbers belong to (a test checks that the committed files still match)
    weights = [ROOT / "weights" / f"{name}.keras" for name in ("face", "voice", "voice.mel", "voice.encoder")]
    metrics["weights_sha256"] = {path.stem: sha256(path) for path in weights if path.exists()}
    METRICS.write_text(json.dumps(metrics, indent=1) + "\n")
    print(json.dumps(metrics, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
