"""How much the log-mel and encoder readers should weigh (emotion.voice.MEL_SHARE, ENCODER_SHARE), read on the
choice split only.

    python benchmarks/voice_mel_share.py --voice-model runs/voice_final9/voice.keras

The model (trained without the choice speakers: RAVDESS actors 17-20 and seven Urdu speaker codes) reads every
choice clip through the app's path once, keeping the functionals network's and each reader's window
probabilities apart; then each pair of shares (the functionals network weighing the rest) is scored, each clip
read alone and after hearing all of its speaker's clips (the readers do not adapt). Prints a Markdown table.
A clip without speech counts as read wrong. A model without an encoder reader is scored on the log-mel share
alone.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _common import CHOICE, load_note  # noqa: E402
from emotion.audio import load_audio  # noqa: E402
from emotion.labels import INDEX  # noqa: E402
from emotion.train.voice_corpora import collect_clips, split_clips  # noqa: E402
from emotion.voice import ENCODER_SHARE, MEL_SHARE, VoiceModel  # noqa: E402

SHARES = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--voice-model", type=Path, required=True, help="a model trained without the choice speakers, "
                    "with its log-mel reader (and encoder reader) beside it")
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
    parts = []  # (corpus, label, functionals alone, adapted, log-mel, encoder, window weights) per clip
    for c, h in zip(choice, heard):
        if h.features is None:
            parts.append((c.corpus, INDEX[c.label], None, None, None, None, None))
            continue
        encoder = h.encoder_probs if h.encoder_probs is not None else np.zeros_like(h.mel_probs)
        parts.append((c.corpus, INDEX[c.label], model.read_features(h.features),
                      model.read_features(h.features, speakers[c.speaker], learn=False),
                      h.mel_probs, encoder, h.weights))

    def accuracy(corpus: str, mel: float, enc: float, adapted: bool) -> tuple[float, int]:
        rows = [p for p in parts if p[0] == corpus]
        right = 0
        for _, y, alone, own, m, e, w in rows:
            if alone is None:
                continue
            probs = (1 - mel - enc) * (own if adapted else alone) + mel * m + enc * e
            right += int((probs * w[:, None]).sum(0).argmax() == y)
        return 100 * right / len(rows), len(rows)

    grid = [(mel, 0.0) for mel in SHARES]
    if model.encoder_model is not None:
        grid = [(mel, enc) for mel in SHARES[:5] for enc in SHARES if mel + enc <= 1]
    print(f"Readers' shares, choice split. Machine: {load_note()}. Model: {args.voice_model} "
          f"(the app uses {MEL_SHARE} / {ENCODER_SHARE}).\n")
    print("| log-mel share | encoder share | RAVDESS 17-20 alone | adapted | Urdu alone | adapted |\n"
          "|---|---|---|---|---|---|")
    for mel, enc in grid:
        cells = [f"{accuracy(corpus, mel, enc, adapted)[0]:.1f}%" for corpus in ("ravdess", "urdu")
                 for adapted in (False, True)]
        print(f"| {mel:.1f} | {enc:.1f} | " + " | ".join(cells) + " |")
    print(f"\nClips: RAVDESS {accuracy('ravdess', 0, 0, False)[1]}, Urdu {accuracy('urdu', 0, 0, False)[1]}.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
