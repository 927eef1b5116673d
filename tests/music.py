"""Synthetic music for the speech gate's tests: chords, melodies with instrument-like harmonics, drums."""
from __future__ import annotations

import numpy as np

RATE = 16_000


def midi_hz(note: float) -> float:
    return 440.0 * 2 ** ((note - 69) / 12)


def _env(n: int, kind: str) -> np.ndarray:
    """Amplitude envelope of one note: 'pluck' (piano/guitar-like decay), 'bow' (organ/flute/strings), 'soft'."""
    t = np.arange(n) / RATE
    attack = np.minimum(1.0, t / 0.01)
    if kind == "pluck":
        return attack * np.exp(-t / 0.35)
    release = np.minimum(1.0, (n / RATE - t) / 0.03).clip(0, 1)
    rise = np.minimum(1.0, t / (0.06 if kind == "soft" else 0.02))
    return rise * release


def note(freq: float, seconds: float, timbre: str = "piano", vibrato: float = 0.0) -> np.ndarray:
    """One note with harmonics: piano (1/n, decaying), organ (few strong), clarinet (odd), strings, flute."""
    n = int(round(seconds * RATE))
    t = np.arange(n) / RATE
    phase = 2 * np.pi * freq * t
    if vibrato:
        depth = 2 ** (vibrato / 12) - 1  # `vibrato` semitones at 5.5 Hz
        phase -= depth * freq / 5.5 * np.cos(2 * np.pi * 5.5 * t)
    amps = {"piano": [1 / k for k in range(1, 9)], "organ": [1, 0.8, 0.6, 0.5, 0.3],
            "clarinet": [1, 0, 0.5, 0, 0.3, 0, 0.2, 0, 0.1], "strings": [1 / k ** 0.8 for k in range(1, 12)],
            "flute": [1, 0.3, 0.1]}[timbre]
    x = sum(a * np.sin(k * phase) for k, a in enumerate(amps, 1) if a and k * freq < RATE / 2 - 200)
    kind = "pluck" if timbre == "piano" else ("soft" if timbre == "flute" else "bow")
    return (x * _env(n, kind) / sum(amps)).astype(np.float32)


def sequence(notes: list[tuple[float, float]], timbre: str, gap: float = 0.0, vibrato: float = 0.0) -> np.ndarray:
    """(midi note, seconds) one after another; `gap` seconds of silence after each (staccato)."""
    parts = []
    for midi, sec in notes:
        parts.append(note(midi_hz(midi), sec - gap, timbre, vibrato))
        parts.append(np.zeros(int(gap * RATE), np.float32))
    return np.concatenate(parts)


def chords(progression: list[tuple[int, ...]], seconds: float, timbre: str = "piano") -> np.ndarray:
    """Each chord (midi notes) held for `seconds`."""
    return np.concatenate([sum(note(midi_hz(m), seconds, timbre) for m in chord) / len(chord)
                           for chord in progression]).astype(np.float32)


def drums(seconds: float, bpm: float = 120.0, rng: np.random.Generator | None = None) -> np.ndarray:
    """Kick on beats 1 and 3, snare on 2 and 4, hi-hat on eighths."""
    rng = rng or np.random.default_rng(0)
    n = int(seconds * RATE)
    out = np.zeros(n + RATE, np.float32)
    beat = 60.0 / bpm
    t = np.arange(int(0.3 * RATE)) / RATE
    kick = np.sin(2 * np.pi * (50 * t + 100 * 0.04 * (1 - np.exp(-t / 0.04)))) * np.exp(-t / 0.12)
    snare = (0.6 * rng.standard_normal(len(t)) + 0.5 * np.sin(2 * np.pi * 190 * t)) * np.exp(-t / 0.06)
    hat_noise = np.diff(rng.standard_normal(len(t) + 1))
    hat = 0.25 * hat_noise * np.exp(-t / 0.02)
    for i in range(int(seconds / beat * 2) + 1):
        s = int(i * beat / 2 * RATE)
        out[s:s + len(t)] += hat
        if i % 2 == 0:
            out[s:s + len(t)] += kick if (i // 2) % 2 == 0 else snare
    return (0.4 * out[:n] / np.abs(out).max()).astype(np.float32)


def free_melody(seed: int, timbre: str, seconds: float = 3.0, vibrato: float = 0.0) -> np.ndarray:
    """A legato melody of random notes with random lengths (0.12-0.7 s): music without a steady beat.
    `vibrato`: the pitch swings this many semitones at 5.5 Hz."""
    rng = np.random.default_rng(seed)
    notes = [(int(rng.integers(45, 76)), float(rng.uniform(0.12, 0.7))) for _ in range(12)]
    return fit(sequence(notes, timbre, vibrato=vibrato), seconds)


def fit(x: np.ndarray, seconds: float) -> np.ndarray:
    return np.resize(x, int(seconds * RATE)).astype(np.float32)


MELODY = [(60, 0.3), (62, 0.3), (64, 0.3), (65, 0.3), (67, 0.6), (65, 0.3), (64, 0.3), (62, 0.3), (60, 0.6)]
LOW_MELODY = [(m - 12, s) for m, s in MELODY]
ARPEGGIO = [(m, 0.15) for m in (48, 52, 55, 60, 55, 52) * 4]
PROGRESSION = [(48, 52, 55), (53, 57, 60), (55, 59, 62), (48, 52, 55)]  # C F G C


def music(seconds: float = 3.0) -> dict[str, np.ndarray]:
    """Name -> a few seconds of synthetic music (mono 16 kHz float32)."""
    pieces = {
        "piano melody": sequence(MELODY, "piano"),
        "low piano melody": sequence(LOW_MELODY, "piano"),
        "organ melody": sequence(MELODY, "organ"),
        "clarinet melody": sequence(LOW_MELODY, "clarinet"),
        "flute melody with vibrato": sequence(MELODY, "flute", vibrato=0.5),
        "string melody with vibrato": sequence(LOW_MELODY, "strings", vibrato=0.5),
        "staccato organ": sequence(MELODY, "organ", gap=0.12),
        "guitar arpeggio": sequence(ARPEGGIO, "piano"),
        "piano chords": chords(PROGRESSION, 0.75, "piano"),
        "organ chords": chords(PROGRESSION, 0.75, "organ"),
        "string chords": chords(PROGRESSION, 0.75, "strings"),
        "drum loop": drums(seconds),
        "fast drum loop": drums(seconds, bpm=170),
    }
    out = {k: fit(v, seconds) for k, v in pieces.items()}
    band = fit(sequence(MELODY, "organ"), seconds) * 0.5 + fit(chords(PROGRESSION, 0.75, "piano"), seconds) * 0.4
    out["band (melody, chords, drums)"] = (band + 0.5 * drums(seconds)).astype(np.float32)
    out["melody over drums"] = (fit(sequence(LOW_MELODY, "clarinet"), seconds) * 0.6
                                + 0.4 * drums(seconds, 100)).astype(np.float32)
    return out
