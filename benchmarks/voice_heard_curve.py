"""How the voice reads as the Live page gets used to a speaker: accuracy against how much of the speaker it heard.

    python benchmarks/voice_heard_curve.py [--voice-model weights/voice.keras] [--draws 5]

Each clip of the choice speakers (RAVDESS actors 17-20 and seven Urdu speaker codes, whom the committed model
never heard) is read as the Live page reads a window: by a SpeakerAdapter that has heard k other clips of the
same speaker (drawn at random, `--draws` times) and then hears the clip itself, for k = 0 (the first words of a
session), 1, 2, 4, 8, 16 and all; "alone" is the clip read against the average training speaker, as a file is.
Prints a Markdown table: k, the seconds of speech heard before the clip (mean), accuracy on each corpus (mean
over draws). A clip without speech counts as read wrong. The choice speakers are the ones recipes were chosen
on: the level is optimistic; the rise with k is what this measures.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from _common import CHOICE, ROOT, load_note
from emotion.audio import load_audio
from emotion.paths import VOICE_WEIGHTS
from emotion.train.voice import HEARD  # the counts the trainer reads clips against (None: all the others)
from emotion.train.voice_corpora import collect_clips, split_clips
from emotion.voice import VoiceModel


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--voice-model", type=Path, default=VOICE_WEIGHTS)
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "voice")
    ap.add_argument("--draws", type=int, default=5, help="random draws of the clips heard first, per k")
    args = ap.parse_args()
    model = VoiceModel(args.voice_model)
    _, choice, _ = split_clips(collect_clips(args.data), "", CHOICE)
    heard = [model.listen(load_audio(c.path)) for c in choice]
    corpora = sorted({c.corpus for c in choice})
    print(f"Voice read after hearing k other clips of the speaker and the clip, choice split. Machine: {load_note()}. "
          f"Model: {args.voice_model}. Draws: {args.draws}.\n")
    print("| clips heard first (k) | speech heard (s, mean) | " + " | ".join(corpora) + " |")
    print("|---|---|" + "---|" * len(corpora))
    others_of = [[j for j, c in enumerate(choice)  # each clip's speaker's other clips that hold speech
                  if c.speaker == clip.speaker and j != i and heard[j].features is not None]
                 for i, clip in enumerate(choice)]
    alone = {corpus: np.mean([h.features is not None and model.read_heard(h).label == c.label
                              for c, h in zip(choice, heard) if c.corpus == corpus]) for corpus in corpora}
    print("| alone | - | " + " | ".join(f"{100 * alone[corpus]:.1f}%" for corpus in corpora) + " |")
    for k in HEARD:
        right = {corpus: [] for corpus in corpora}
        seconds = []
        for draw in range(args.draws if k != 0 and k is not None else 1):
            rng = np.random.default_rng([draw, k or 0])
            for clip, speech, others in zip(choice, heard, others_of):
                pick = others if k is None else list(rng.choice(others, min(k, len(others)), replace=False))
                speaker = model.new_speaker()
                for j in pick:
                    speaker.hear(heard[j].features)
                seconds.append(sum(heard[j].speech_seconds for j in pick))
                reading = model.read_heard(speech, speaker)  # hears the clip, then reads it
                right[clip.corpus].append(reading.has_speech and reading.label == clip.label)
        cells = [f"{100 * np.mean(right[corpus]):.1f}%" for corpus in corpora]
        print(f"| {'all others' if k is None else k} | {np.mean(seconds):.0f} | " + " | ".join(cells) + " |")
    print("\nClips: " + ", ".join(f"{corpus} {sum(c.corpus == corpus for c in choice)}" for corpus in corpora) + ".")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
