"""The labelled speech corpora under ../shared/data/voice: every clip with its corpus and speaker, and
speaker-grouped splits (who is held out of training) described by short specs such as "ravdess:1-4".
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..labels import label_for_path

CORPORA = ("ravdess", "tess", "urdu", "emodb")


@dataclass(frozen=True)
class Clip:
    path: str
    label: str
    corpus: str
    speaker: str  # unique across corpora: "ravdess:07", "tess:OAF", "urdu:SM1", "emodb:03"


def _speaker(corpus: str, path: Path) -> str:
    if corpus == "ravdess":  # Actor_07
        return f"ravdess:{path.parent.name.split('_')[-1]}"
    if corpus == "tess":  # OAF_angry/...
        return f"tess:{path.parent.name.split('_')[0]}"
    if corpus == "urdu":  # SM1_F10_A010: the leading code looks like a speaker (undocumented)
        return f"urdu:{path.stem.split('_')[0]}"
    return f"emodb:{path.stem[:2]}"  # 03a01Fa


def collect_clips(root: Path, corpora: tuple[str, ...] = CORPORA) -> list[Clip]:
    """Every clip under root/<corpus> whose label is one of EMOTIONS (EmoDB's boredom is left out).
    Raises FileNotFoundError naming the corpora that are not there."""
    missing = [c for c in corpora if not (Path(root) / c).is_dir()]
    if missing:
        raise FileNotFoundError(f"{', '.join(missing)} not found under {root} (see ../shared/data/README.md)")
    clips = []
    for corpus in corpora:
        for path in sorted((root / corpus).rglob("*.flac")):
            label = label_for_path(path.relative_to(root / corpus))
            if label is not None:
                clips.append(Clip(str(path), label, corpus, _speaker(corpus, path)))
    return clips


def parse_speakers(spec: str) -> set[str]:
    """Speakers named by a spec: "ravdess:1-4" (actors 01-04), "ravdess:17,18", "emodb" (the whole
    corpus), "tess:OAF", "urdu:SM1,SM3"; several specs joined with "+"."""
    speakers: set[str] = set()
    for part in filter(None, spec.split("+")):
        corpus, _, names = part.partition(":")
        if corpus not in CORPORA:
            raise ValueError(f"unknown corpus {corpus!r} in {spec!r} (known: {', '.join(CORPORA)})")
        if not names:
            speakers.add(f"{corpus}:*")
            continue
        for name in names.split(","):
            if corpus == "ravdess" and "-" in name:
                a, b = (int(v) for v in name.split("-"))
                speakers.update(f"ravdess:{i:02d}" for i in range(a, b + 1))
            elif corpus in ("ravdess", "emodb") and name.isdigit():
                speakers.add(f"{corpus}:{int(name):02d}")
            else:
                speakers.add(f"{corpus}:{name}")
    return speakers


def in_speakers(clip: Clip, speakers: set[str]) -> bool:
    """Whether a clip's speaker is named by `speakers` (from parse_speakers)."""
    return clip.speaker in speakers or f"{clip.corpus}:*" in speakers


def split_clips(clips: list[Clip], held_out: str, choice: str = "") -> tuple[list[Clip], list[Clip], list[Clip]]:
    """(train, choice, test): `held_out` speakers are the test set, `choice` speakers the inner split that
    epochs and recipes are chosen on; neither is trained on."""
    test_speakers, choice_speakers = parse_speakers(held_out), parse_speakers(choice)
    test = [c for c in clips if in_speakers(c, test_speakers)]
    inner = [c for c in clips if in_speakers(c, choice_speakers) and not in_speakers(c, test_speakers)]
    train = [c for c in clips if not in_speakers(c, test_speakers) and not in_speakers(c, choice_speakers)]
    return train, inner, test
