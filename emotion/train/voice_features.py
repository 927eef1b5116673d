"""The ComParE functionals of every clip's speech, computed once for all corpora and cached (.cache/), so every
split and recipe trains from the same features without decoding audio again; and of a noisy copy of each clip
(`noisy=True`: white or brown noise at 5-20 dB SNR, drawn from the clip's position), so the model also learns
voices heard through a room's hum or a cheap microphone's hiss."""
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


def _clip_functionals(job: tuple[int, str, bool]) -> np.ndarray:
    from ..voice_functionals import functionals

    index, path, noisy = job
    speech = speech_segment(path)
    return functionals(with_noise(speech, np.random.default_rng(index)) if noisy else speech)


def clip_functionals(clips: list[Clip], workers: int = 2, noisy: bool = False) -> np.ndarray:
    """ComParE functionals (N, N_FEATURES) float32 of every clip's speech (`noisy`: of its noisy copy); cached."""
    CACHE.mkdir(exist_ok=True)
    cache = cache_file(clips, noisy)
    if cache.exists():
        with np.load(cache) as z:
            return z["features"]
    # Worker processes are spawned, not forked: a fork of a process whose libraries hold threads (TensorFlow,
    # the voice detector) can hang on a lock that no thread of the child will ever release.
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) if workers > 1 else None
    jobs, feats = [(i, c.path, noisy) for i, c in enumerate(clips)], []
    try:
        results = pool.map(_clip_functionals, jobs, chunksize=8) if pool else map(_clip_functionals, jobs)
        for i, f in enumerate(results):
            feats.append(f)
            if (i + 1) % 500 == 0:
                print(f"  {'noisy ' if noisy else ''}features: {i + 1}/{len(jobs)}", flush=True)
    finally:
        if pool:
            pool.shutdown()
    features = np.stack(feats).astype(np.float32)
    tmp = cache.with_suffix(".tmp.npz")
    np.savez(tmp, features=features)
    tmp.replace(cache)
    return features


def cache_file(clips: list[Clip], noisy: bool = False) -> Path:
    """Where a clip list's features (or its noisy copies' features) are cached."""
    key = hashlib.sha1(json.dumps([VERSION, [c.path for c in clips]]).encode()).hexdigest()[:10]
    return CACHE / f"voicefunc{'_noisy' if noisy else ''}_{key}.npz"
