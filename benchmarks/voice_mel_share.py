"""How much the log-mel reader should weigh (emotion.voice.MEL_SHARE), read on the choice split only.

    python benchmarks/voice_mel_share.py --voice-model runs/voice_final9/voice.keras

The model (trained without the choice speakers: RAVDESS actors 17-20 and seven Urdu speaker codes) reads every
choice clip through the app's path once, keeping the functionals network's and the log-mel reader's window
probabilities apart; then each share from 0 (functionals alone) to 1 (log-mel alone) is scored, each clip read
alone and after hearing all of its speaker's clips (the log-mel reader does not adapt). Prints a Markdown table.
A clip without speech counts as read wrong.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _common import CHOICE, load_note  # noqa: E402
from emotion.audio import load_audio  # noqa: E402
from emotion.labels import INDEX  # noqa: E402
from emotion.train.voice_corpora import collect_clips, split_clips  # noqa: E402
from emotion.voice import MEL_SHARE, VoiceModel  # noqa: E402

SHARES = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--voice-model", type=Path, required=True, help="a model trained without the choice speakers, "
                    "with its log-mel reader beside it")
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "voice")
    args = ap.parse_args()
    model = VoiceModel(args.voice_model)
    if model.mel_model is None:
        sys.exit(f"error: {args.voice_model} has no log-mel reader beside it")
    _, choice, _ = split_clips(collect_clips(args.data), "", CHOICE)
    heard = [model.listen(load_audio(c.path)) for c in choice]
    speakers: dict[str, object] = {}
    for c, h in zip(choice, heard):
        if h.features is not None:
            speakers.setdefault(c.speaker, model.new_speaker()).hear(h.features)
    parts = []  # (corpus, label, functionals alone, functionals adapted, log-mel, window weights) per clip
    for c, h in zip(choice, heard):
        if h.features is None:
            parts.append((c.corpus, INDEX[c.label], None, None, None, None))
            continue
        parts.append((c.corpus, INDEX[c.label], model.read_features(h.features),
                      model.read_features(h.features, speakers[c.speaker], learn=False),
                      h.mel_probs, h.weights))

    def accuracy(corpus: str, share: float, adapted: bool) -> tuple[float, int]:
        rows = [p for p in parts if p[0] == corpus]
        right = 0
        for _, y, alone, own, mel, w in rows:
            if alone is None:
                continue
            probs = (1 - share) * (own if adapted else alone) + share * mel
            right += int((probs * w[:, None]).sum(0).argmax() == y)
        return 100 * right / len(rows), len(rows)

    print(f"Log-mel reader's share, choice split. Machine: {load_note()}. Model: {args.voice_model} "
          f"(the app uses {MEL_SHARE}).\n")
    print("| share | RAVDESS 17-20 alone | adapted | Urdu alone | adapted |\n|---|---|---|---|---|")
    for share in SHARES:
        cells = [f"{accuracy(corpus, share, adapted)[0]:.1f}%" for corpus in ("ravdess", "urdu")
                 for adapted in (False, True)]
        print(f"| {share:.1f} | " + " | ".join(cells) + " |")
    print(f"\nClips: RAVDESS {accuracy('ravdess', 0, False)[1]}, Urdu {accuracy('urdu', 0, False)[1]}.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
