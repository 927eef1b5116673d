"""The seven emotions, their valence groups, and how dataset labels map onto them."""
from __future__ import annotations

import re
from pathlib import PurePath

EMOTIONS: tuple[str, ...] = ("angry", "disgust", "fear", "happy", "neutral", "sad", "surprise")
INDEX: dict[str, int] = {e: i for i, e in enumerate(EMOTIONS)}

# What a reading says instead of an emotion when there is nothing to read (in tables, reports and pages).
NO_FACE = "no face"  # no face in the picture (face mode "detect")
NO_SPEECH = "no speech"  # a recording with silence, noise, music or tones only
NO_SOUND = "no sound"  # no recording at all
NO_READING = "no reading"  # face + voice: neither side could be read

VALENCE: dict[str, str] = {
    "happy": "positive",
    "surprise": "positive",
    "angry": "negative",
    "disgust": "negative",
    "fear": "negative",
    "sad": "negative",
    "neutral": "neutral",
}

# Calm has no counterpart among the seven emotions; it is closest to neutral (low arousal, no
# valence), so every dataset reader maps it there. Contempt is closest to disgust.
CALM_AS = "neutral"

SYNONYMS: dict[str, str] = {
    **{e: e for e in EMOTIONS},
    "anger": "angry", "angry": "angry", "mad": "angry", "ang": "angry",
    "disgusted": "disgust", "disgust": "disgust", "dis": "disgust", "contempt": "disgust",
    "fear": "fear", "fearful": "fear", "afraid": "fear", "scared": "fear", "fea": "fear",
    "happy": "happy", "happiness": "happy", "joy": "happy", "hap": "happy",
    "neutral": "neutral", "neu": "neutral", "calm": CALM_AS,
    "sad": "sad", "sadness": "sad",
    "surprise": "surprise", "surprised": "surprise", "pleasant_surprise": "surprise",
    "pleasant_surprised": "surprise", "ps": "surprise", "sur": "surprise",
}

# File-name conventions of public emotional speech sets.
RAVDESS_CODES = {"01": "neutral", "02": CALM_AS, "03": "happy", "04": "sad", "05": "angry",
                 "06": "fear", "07": "disgust", "08": "surprise"}
CREMAD_CODES = {"ANG": "angry", "DIS": "disgust", "FEA": "fear", "HAP": "happy", "NEU": "neutral",
                "SAD": "sad"}
SAVEE_CODES = {"a": "angry", "d": "disgust", "f": "fear", "h": "happy", "n": "neutral", "sa": "sad",
               "su": "surprise"}
# EmoDB letters are German: W=Wut, L=Langeweile (boredom, not one of ours), E=Ekel, A=Angst,
# F=Freude, T=Trauer, N=neutral.
EMODB_CODES = {"W": "angry", "E": "disgust", "A": "fear", "F": "happy", "T": "sad", "N": "neutral"}
EMODB_OTHER = {"L": "boredom"}

_RAVDESS = re.compile(r"^\d\d-\d\d-(\d\d)-\d\d-\d\d-\d\d-\d\d$")
_CREMAD = re.compile(r"^\d{4}_[A-Z]{3}_([A-Z]{3})_[A-Z]{2}$")
_SAVEE = re.compile(r"^(?:[A-Z]{2}_)?(a|d|f|h|n|sa|su)\d\d$")
_EMODB = re.compile(r"^\d\d[a-z]\d\d([A-Z])[a-z]$")
_TESS = re.compile(r"^(?:OAF|YAF)_[a-z]+_([a-z_]+)$", re.IGNORECASE)


def normalise(name: str) -> str | None:
    """Map a folder or label name ("Happiness", "pleasant_surprise", "ps") to an emotion, or None."""
    key = re.sub(r"[\s\-]+", "_", name.strip().lower())
    if key in SYNONYMS:
        return SYNONYMS[key]
    # Folder names such as "OAF_angry" or "03_happy": try the last and first word.
    words = [w for w in key.split("_") if w]
    for candidate in (words[-1:], words[1:], words[:1]):
        joined = "_".join(candidate)
        if joined in SYNONYMS:
            return SYNONYMS[joined]
    return None


def other_emotion_from_filename(stem: str) -> str | None:
    """An emotion outside the seven that a public set's file name names (EmoDB's boredom), or None."""
    if (m := _EMODB.match(stem)) and m.group(1) not in EMODB_CODES:
        return EMODB_OTHER.get(m.group(1))
    return None


def label_from_filename(stem: str) -> str | None:
    """Emotion encoded in a file name (RAVDESS, CREMA-D, SAVEE, EmoDB, TESS), or None."""
    if m := _RAVDESS.match(stem):
        return RAVDESS_CODES.get(m.group(1))
    if m := _CREMAD.match(stem):
        return CREMAD_CODES.get(m.group(1))
    if m := _EMODB.match(stem):
        return EMODB_CODES.get(m.group(1))
    if m := _SAVEE.match(stem):
        return SAVEE_CODES.get(m.group(1))
    if m := _TESS.match(stem):
        return normalise(m.group(1))
    return None


_SPEAKERS = ((re.compile(r"^\d\d-\d\d-\d\d-\d\d-\d\d-\d\d-(\d\d)$"), "RAVDESS actor {}"),
             (re.compile(r"^(\d{4})_[A-Z]{3}_[A-Z]{3}_[A-Z]{2}$"), "CREMA-D speaker {}"),
             (re.compile(r"^(\d\d)[a-z]\d\d[A-Z][a-z]$"), "EmoDB speaker {}"),
             (re.compile(r"^([A-Z]{2})_(?:a|d|f|h|n|sa|su)\d\d$"), "SAVEE speaker {}"),
             (re.compile(r"^(OAF|YAF)_[a-z]+_[a-z_]+$", re.IGNORECASE), "TESS speaker {}"))


def speaker_from_filename(stem: str) -> str | None:
    """The speaker a public speech set's file name names (RAVDESS, CREMA-D, EmoDB, SAVEE, TESS), or None."""
    for pattern, name in _SPEAKERS:
        if m := pattern.match(stem):
            return name.format(m.group(1).upper())
    return None


def label_for_path(path: str | PurePath) -> str | None:
    """Emotion of a dataset file: from its file name convention, else from its nearest folder name."""
    p = PurePath(path)
    found = label_from_filename(p.stem)
    if found:
        return found
    for parent in reversed(p.parent.parts):
        found = normalise(parent)
        if found:
            return found
    return None


def valence(emotion: str) -> str:
    """Valence group ("positive", "negative", "neutral") of an emotion."""
    return VALENCE[emotion]
