"""The ComParE functionals of every clip's speech, computed once for all corpora and cached (.cache/), so every
split and recipe trains from the same features without decoding audio again; and of copies of each clip as
heard through a room's hum or a cheap microphone's hiss (`copy="noisy"`: white or brown noise at 5-20 dB SNR)
or in a reverberant room (`copy="room"`: a synthetic echo, RT60 0.2-0.8 s), and as if from another speaker
(`copy="speed"`: played 5-15% faster or slower, so its pitch and formants move with it), or sent through the
Opus codec as WebRTC sends a browser's microphone (`copy="opus"`, 8-32 kbit/s), each drawn from the clip's
position, so the model also learns voices recorded less cleanly, and voices other than the corpora's."""
from __future__ import annotations

import hashlib
import json
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from ..audio import load_audio
from ..speech import detect_speech
from .voice_corpora import Clip

CACHE = Path(".cache")
VERSION = 2  # bump when the features change


def speech_segment(path: str) -> np.ndarray:
    """The clip from its first to its last speech frame (as the app reads it)."""
    audio = load_audio(path)
    start, end = detect_speech(audio).span()
    return audio[start:end]


def with_noise(speech: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """`speech` with white or (equally often) brown noise added at an SNR drawn from 5-20 dB. The brown noise
    loses its drift below about 40 Hz (a 25 ms moving average taken off), where it would only move the mean."""
    x = speech.astype(np.float64)
    noise = rng.normal(size=len(x))
    if rng.random() < 0.5:
        noise = np.cumsum(noise)
        noise -= np.convolve(noise, np.ones(400) / 400, "same")
    snr_db = rng.uniform(5, 20)
    power = (np.mean(x ** 2) + 1e-12) / ((np.mean(noise ** 2) + 1e-12) * 10 ** (snr_db / 10))
    return (x + noise * np.sqrt(power)).astype(np.float32)


def in_a_room(speech: np.ndarray, rng: np.random.Generator, rate: int = 16000) -> np.ndarray:
    """`speech` as heard in a reverberant room: convolved with a synthetic impulse response (the direct sound,
    then exponentially decaying noise with an RT60 drawn from 0.2-0.8 s, its energy 0.3-1 times the direct
    sound's), at the loudness it had."""
    from scipy.signal import fftconvolve

    x = speech.astype(np.float64)
    rt60 = rng.uniform(0.2, 0.8)
    t = np.arange(int(rt60 * rate)) / rate
    response = rng.normal(size=len(t)) * np.exp(-6.9 * t / rt60)
    response[0] = 0.0
    response *= rng.uniform(0.3, 1.0) / np.sqrt(np.sum(response ** 2))
    response[0] = 1.0
    y = fftconvolve(x, response)[: len(x)]
    return (y * np.sqrt(np.mean(x ** 2) / (np.mean(y ** 2) + 1e-12))).astype(np.float32)


def at_speed(speech: np.ndarray, rng: np.random.Generator, rate: int = 16000) -> np.ndarray:
    """`speech` played 5-15% faster or (equally often) slower: its pitch and formants move by the same factor,
    as a shorter or longer vocal tract would move them (speed perturbation), at the loudness it had."""
    import librosa

    factor = rng.uniform(1.05, 1.15) ** rng.choice([-1, 1])
    y = librosa.resample(speech.astype(np.float32), orig_sr=rate * factor, target_sr=rate)
    return (y * np.sqrt(np.mean(speech.astype(np.float64) ** 2) / (np.mean(y.astype(np.float64) ** 2) + 1e-12))
            ).astype(np.float32)


def through_opus(speech: np.ndarray, rng: np.random.Generator, rate: int = 16000) -> np.ndarray:
    """`speech` encoded with Opus at a bit rate drawn from 8-32 kbit/s (WebRTC sends a microphone this way, lower
    on a poor network) in 20 ms frames, and decoded back to mono `rate` Hz float32 (PyAV's libopus)."""
    import av

    encoder = av.CodecContext.create("libopus", "w")
    encoder.sample_rate, encoder.layout, encoder.format = rate, "mono", "flt"
    encoder.bit_rate = int(rng.uniform(8, 32)) * 1000
    decoder = av.CodecContext.create("libopus", "r")
    decoder.sample_rate, decoder.layout = rate, "mono"  # else it decodes to stereo, and the downmix is 3 dB louder
    back = av.AudioResampler(format="flt", layout="mono", rate=rate)
    step = rate // 50
    x = np.pad(np.asarray(speech, np.float32), (0, (-len(speech)) % step))
    out: list[np.ndarray] = []

    def decode(packets) -> None:
        for packet in packets:
            for frame in decoder.decode(packet):
                out.extend(r.to_ndarray().reshape(-1) for r in back.resample(frame))

    for start in range(0, len(x), step):
        frame = av.AudioFrame.from_ndarray(x[None, start:start + step], format="flt", layout="mono")
        frame.sample_rate, frame.pts = rate, start
        decode(encoder.encode(frame))
    decode(encoder.encode(None))
    return np.concatenate(out).astype(np.float32) if out else np.zeros(0, np.float32)


# What each copy of a clip is (every COPIES entry but "clean"), for the options that ask for one.
COPY_HELP = {"noisy": "with white or brown noise added (5-20 dB SNR)",
             "room": "in a reverberant room (a synthetic echo, RT60 0.2-0.8 s)",
             "speed": "played 5-15% faster or slower, its pitch and formants moved with it, as another speaker's",
             "opus": "sent through the Opus codec at 8-32 kbit/s, as WebRTC sends a microphone"}

COPIES = {"clean": lambda speech, index: speech,
          "noisy": lambda speech, index: with_noise(speech, np.random.default_rng(index)),
          "room": lambda speech, index: in_a_room(speech, np.random.default_rng([index, 7])),
          "speed": lambda speech, index: at_speed(speech, np.random.default_rng([index, 11])),
          "opus": lambda speech, index: through_opus(speech, np.random.default_rng([index, 13]))}


def _clip_functionals(job: tuple[int, str, str]) -> np.ndarray:
    from ..voice_functionals import functionals

    index, path, copy = job
    return functionals(COPIES[copy](speech_segment(path), index))


def _clip_log_mel(job: tuple[int, str, str]) -> np.ndarray:
    from ..voice import log_mel_frames

    index, path, copy = job
    return log_mel_frames(COPIES[copy](speech_segment(path), index)).astype(np.float16)


def _clip_encoder_windows(job: tuple[int, str, str]) -> np.ndarray:
    from ..voice import encoder_window, speech_windows

    index, path, copy = job
    return np.stack([encoder_window(w) for w in speech_windows(COPIES[copy](speech_segment(path), index))]
                    ).astype(np.float16)


def _computed(clips: list[Clip], copy: str, work, workers: int, what: str) -> list[np.ndarray]:
    """`work((index, path, copy))` of every clip, in `workers` processes."""
    # Worker processes are spawned, not forked: a fork of a process whose libraries hold threads (TensorFlow,
    # the voice detector) can hang on a lock that no thread of the child will ever release.
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) if workers > 1 else None
    jobs, out = [(i, c.path, copy) for i, c in enumerate(clips)], []
    try:
        for i, f in enumerate(pool.map(work, jobs, chunksize=8) if pool else map(work, jobs)):
            out.append(f)
            if (i + 1) % 500 == 0:
                print(f"  {copy} {what}: {i + 1}/{len(jobs)}", flush=True)
    finally:
        if pool:
            pool.shutdown()
    return out


def _save(cache: Path, **arrays: np.ndarray) -> None:
    tmp = cache.with_suffix(".tmp.npz")
    np.savez(tmp, **arrays)
    tmp.replace(cache)


def clip_functionals(clips: list[Clip], workers: int = 2, copy: str = "clean") -> np.ndarray:
    """ComParE functionals (N, N_FEATURES) float32 of every clip's speech, or of one of its COPIES; cached."""
    cache = cache_file(clips, copy)
    if cache.exists():
        with np.load(cache) as z:
            return z["features"]
    features = np.stack(_computed(clips, copy, _clip_functionals, workers, "features")).astype(np.float32)
    _save(cache, features=features)
    return features


def clip_log_mels(clips: list[Clip], workers: int = 2, copy: str = "clean") -> list[np.ndarray]:
    """Log-mel spectrograms (frames_i, N_MELS) float16 of every clip's speech, or of one of its COPIES; cached."""
    cache = cache_file(clips, copy, "voicemel")
    if not cache.exists():
        mels = _computed(clips, copy, _clip_log_mel, workers, "log-mels")
        _save(cache, frames=np.concatenate(mels), offsets=np.cumsum([0] + [len(m) for m in mels]))
    with np.load(cache) as z:
        frames, offsets = z["frames"], z["offsets"]
    return [frames[a:b] for a, b in zip(offsets[:-1], offsets[1:])]


def clip_encoder_stats(clips: list[Clip], encoder, workers: int = 2, copy: str = "clean") -> list[np.ndarray]:
    """The speaker encoder's statistics (windows_i, N_STATS) float32 of the 3 s windows the app reads of every
    clip's speech, or of one of its COPIES; cached (for the one pretrained encoder: delete the cache if it
    changes). `encoder` maps mel windows (n, N_FRAMES, N_BANDS) to statistics."""
    cache = cache_file(clips, copy, "voiceenc")
    if not cache.exists():
        windows = _computed(clips, copy, _clip_encoder_windows, workers, "encoder windows")
        stats = [np.concatenate([encoder(w[i:i + 64].astype(np.float32)) for i in range(0, len(w), 64)])
                 for w in windows]
        _save(cache, stats=np.concatenate(stats).astype(np.float32),
              offsets=np.cumsum([0] + [len(w) for w in windows]))
    with np.load(cache) as z:
        stats, offsets = z["stats"], z["offsets"]
    return [stats[a:b] for a, b in zip(offsets[:-1], offsets[1:])]


def cache_file(clips: list[Clip], copy: str = "clean", kind: str = "voicefunc") -> Path:
    """Where the features of a clip list (or of one of its COPIES) are cached: `kind` voicefunc (functionals),
    voicemel (log-mel spectrograms) or voiceenc (speaker-encoder statistics)."""
    CACHE.mkdir(exist_ok=True)
    key = hashlib.sha1(json.dumps([VERSION, [c.path for c in clips]]).encode()).hexdigest()[:10]
    return CACHE / f"{kind}{'' if copy == 'clean' else '_' + copy}_{key}.npz"
