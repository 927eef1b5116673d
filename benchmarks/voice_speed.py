"""Voice speed: latency of one 3 s window (target < 100 ms) and throughput on a long recording.

    python benchmarks/voice_speed.py                     # 3 s window + a 10 min recording
    python benchmarks/voice_speed.py --minutes 2 --file some_long_talk.flac
    python benchmarks/voice_speed.py --voice-model runs/x/voice.keras   # a candidate (reference beside it)

A 3 s window is timed step by step: the speech gate, the ComParE functionals (openSMILE), the z-scores against
a speaker, the network, the log-mel spectrogram and the log-mel reader, the encoder's frames and the encoder
reader (each when the model has it), and the whole
`VoiceModel.read` (alone, and against a speaker as the live page reads), `--gap` seconds apart as the Live page
reads them (once a second), so that the work a reading leaves to a background thread (openSMILE's reset) is
done before the next, as it is live. The whole reading runs the encoder reader in a second thread beside
openSMILE, so it takes less than the sum of its steps.

The speech is the committed eSpeak fixtures (tests/fixtures/speech*), tiled with short pauses and a
little noise to the length asked; the long recording is written as 44.1 kHz stereo FLAC so loading
includes decoding, down-mixing and resampling. Numbers are medians of `--repeats` runs after a
warm-up, wall-clock, default threads. A script, not a test: it prints Markdown.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from _common import ROOT, load_note
from emotion.audio import SAMPLE_RATE, load_audio  # noqa: E402
from emotion.speech import detect_speech  # noqa: E402
from emotion.voice import VOICE_WEIGHTS, WINDOW, encoder_window, load_voice_model, log_mel_window  # noqa: E402
from emotion.voice_functionals import functionals  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures"


def speech(seconds: float, seed: int = 0) -> np.ndarray:
    """The fixture sentences one after another (0.3-0.8 s pauses), in faint noise, cut to `seconds`."""
    rng = np.random.default_rng(seed)
    clips = [load_audio(p) for p in sorted((FIXTURES / "speech").glob("*.flac")) + [FIXTURES / "speech.wav"]]
    parts, total, i = [], 0, 0
    while total < seconds * SAMPLE_RATE:
        clip = clips[i % len(clips)]
        pause = np.zeros(int(rng.uniform(0.3, 0.8) * SAMPLE_RATE), np.float32)
        parts += [clip, pause]
        total += len(clip) + len(pause)
        i += 1
    x = np.concatenate(parts)[: int(seconds * SAMPLE_RATE)]
    return (x + rng.normal(0, 0.002, len(x))).astype(np.float32)


def timed(fn, repeats: int, gap: float = 0.0) -> tuple[float, object]:
    """Median milliseconds of `repeats` calls after a warm-up, `gap` seconds apart, and the last result."""
    out = fn()  # warm-up
    times = []
    for _ in range(repeats):
        time.sleep(gap)
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=10.0, help="length of the long recording (default 10)")
    ap.add_argument("--file", help="time this audio file too")
    ap.add_argument("--repeats", type=int, default=20, help="runs per short measurement (default 20)")
    ap.add_argument("--gap", type=float, default=0.2,
                    help="seconds between the timed whole readings of a 3 s window (default 0.2; the Live page "
                         "reads one a second)")
    ap.add_argument("--voice-model", default=str(VOICE_WEIGHTS),
                    help="a voice model (with its .reference.npz beside it); default weights/voice.keras")
    args = ap.parse_args()

    model = load_voice_model(Path(args.voice_model))
    model.warm_up()
    window = speech(3.0)[:WINDOW]
    speaker = model.new_speaker()
    rows = []
    gate, _ = timed(lambda: detect_speech(window), args.repeats)
    feats, f = timed(lambda: functionals(window), args.repeats, args.gap)
    norm, z = timed(lambda: speaker.normalise(f[None]), args.repeats)
    net, _ = timed(lambda: model.predict(z), args.repeats)
    mel_rows = []
    if model.mel_model is not None:
        spectrogram, mel = timed(lambda: log_mel_window(window), args.repeats)
        mel_net, _ = timed(lambda: model.predict_mels(mel[None]), args.repeats)
        mel_rows = [("3 s window: log-mel spectrogram", spectrogram), ("3 s window: log-mel reader", mel_net)]
    if model.encoder_model is not None:
        frames, _ = timed(lambda: encoder_window(window), args.repeats)
        encoder, _ = timed(lambda: model.read_encoder([window]), args.repeats)
        mel_rows += [("3 s window: encoder's mel frames", frames),
                     ("3 s window: encoder reader (its mel frames included)", encoder)]
    total, reading = timed(lambda: model.read(window), args.repeats, args.gap)
    live, _ = timed(lambda: model.read(window, speaker=speaker), args.repeats, args.gap)
    rows += [("3 s window: speech gate", gate), ("3 s window: ComParE functionals (openSMILE)", feats),
             ("3 s window: z-scores against the speaker", norm), ("3 s window: network", net), *mel_rows,
             ("3 s window: all (VoiceModel.read)", total),
             ("3 s window: all, against a speaker (VoiceModel.read(speaker=), as live)", live)]

    long = speech(args.minutes * 60, seed=1)
    with tempfile.TemporaryDirectory() as tmp:
        import soundfile as sf
        from scipy.signal import resample_poly

        path = Path(tmp) / "long.flac"
        stereo = resample_poly(long, 441, 160).astype(np.float32)
        sf.write(path, np.stack([stereo, stereo * 0.9], 1), 44_100, subtype="PCM_16")
        files = [("long recording", path)]
        files += [("--file " + Path(args.file).name, Path(args.file))] if args.file else []
        long_rows = []
        for name, p in files:
            t = time.perf_counter()
            audio = load_audio(p)
            t_load = time.perf_counter() - t
            seconds = len(audio) / SAMPLE_RATE
            t = time.perf_counter()
            activity = detect_speech(audio)
            t_gate = time.perf_counter() - t
            t = time.perf_counter()
            r64 = model.read(audio)  # the default: at most 64 windows, spread evenly
            t64 = time.perf_counter() - t
            t = time.perf_counter()
            rall = model.read(audio, max_windows=10 ** 9)  # every window (hop 1.5 s)
            tall = time.perf_counter() - t
            long_rows.append((name, seconds, t_load, t_gate, t64, r64.windows, tall, rall.windows, activity.has_speech))

    print(f"Voice speed. Machine: {load_note()}.\n")
    print("| what | ms |\n|---|---|")
    for name, ms in rows:
        print(f"| {name} | {ms:.1f} |")
    print(f"\n3 s window read as {reading.label!r} by {args.voice_model}.\n")
    print("| recording | length | load (decode+resample) | speech gate | read, default (≤64 windows) | x real time "
          "| read, every window | x real time |\n|---|---|---|---|---|---|---|---|")
    for name, sec, tl, tg, t64, w64, tall, wall, ok in long_rows:
        print(f"| {name} | {sec / 60:.1f} min | {tl:.2f} s | {tg:.2f} s | {tl + t64:.2f} s ({w64} windows) | "
              f"{sec / (tl + t64):.0f}x | {tl + tall:.2f} s ({wall} windows) | {sec / (tl + tall):.0f}x |")
    print("\n(x real time = recording length / (load + read); the read includes the speech gate.)")


if __name__ == "__main__":
    main()
