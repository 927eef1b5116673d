"""Print the Markdown tables of weights/metrics.json (for the README and the model card).

    python benchmarks/metrics_tables.py
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from emotion.labels import EMOTIONS  # noqa: E402

METRICS = Path(__file__).resolve().parents[1] / "weights" / "metrics.json"


def pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def recall_table(metrics: dict, keys: list[str]) -> str:
    rows = ["| data | n | accuracy | macro F1 | " + " | ".join(f"{e} recall" for e in EMOTIONS) + " |",
            "|---|---|---|---|" + "---|" * len(EMOTIONS)]
    for key in keys:
        m = metrics.get(key)
        if not m:
            continue
        recalls = " | ".join(pct(m["recall"].get(e)) if e in m["recall"] else "-" for e in EMOTIONS)
        rows.append(f"| {m['data']} | {m['n']} | **{pct(m['accuracy'])}** | {m['macro_f1']:.3f} | {recalls} |")
    return "\n".join(rows)


def fusion_table(metrics: dict) -> str:
    rows = ["| pairs (label-matched) | face only | voice only | fused (default rule) | average | confidence "
            "| learned |",
            "|---|---|---|---|---|---|---|"]
    for key, name in (("pairs_val", "unmasked faces"), ("pairs_val_masked", "masked faces")):
        m = metrics.get(key)
        if not m:
            continue
        f = m["fused"]
        rows.append(f"| {name} (n={m['n']}) | {pct(m['face'])} | {pct(m['voice'])} | "
                    f"**{pct(f[m['default_rule']])}** ({m['default_rule']}) | {pct(f.get('average'))} | "
                    f"{pct(f.get('confidence'))} | {pct(f.get('learned'))} |")
    return "\n".join(rows)


def commands(metrics: dict) -> str:
    return "\n".join(f"- {key}: `{m['command']}`" for key, m in metrics.items()
                     if isinstance(m, dict) and "command" in m)


def main() -> None:
    metrics = json.loads(METRICS.read_text())
    print("## Face\n\n" + recall_table(metrics, ["face", "face_masked"]))
    print("\n## Voice\n\n" + recall_table(metrics, ["voice_ravdess_cv", "voice_ravdess_cv_adapted", "voice_emodb_loco",
                                                         "voice_emodb_loco_adapted", "voice", "voice_urdu"]))
    print("\n## Fusion\n\n" + fusion_table(metrics))
    print("\n## Commands\n\n" + commands(metrics))


if __name__ == "__main__":
    main()
