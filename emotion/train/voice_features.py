"""The ComParE functionals of every clip's speech, computed once for all corpora and cached (.cache/), so every
split and recipe trains from the same features without decoding audio again."""
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


def _clip_functionals(path: str) -> np.ndarray:
    from ..voice_functionals import functionals

    return functionals(speech_segment(path))


def clip_functionals(clips: list[Clip], workers: int = 2) -> np.ndarray:
    """ComParE functionals (N, N_FEATURES) float32 of every clip's speech; cached."""
    CACHE.mkdir(exist_ok=True)
    cache = cache_file(clips)
    if cache.exists():
        with np.load(cache) as z:
            return z["features"]
    # Worker processes are spawned, not forked: a fork of a process whose libraries hold threads (TensorFlow,
    # the voice detector) can hang on a lock that no thread of the child will ever release.
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) if workers > 1 else None
    paths, feats = [c.path for c in clips], []
    try:
        results = pool.map(_clip_functionals, paths, chunksize=8) if pool else map(_clip_functionals, paths)
        for i, f in enumerate(results):
            feats.append(f)
            if (i + 1) % 500 == 0:
                print(f"  features: {i + 1}/{len(paths)}", flush=True)
    finally:
        if pool:
            pool.shutdown()
    features = np.stack(feats).astype(np.float32)
    tmp = cache.with_suffix(".tmp.npz")
    np.savez(tmp, features=features)
    tmp.replace(cache)
    return features


def cache_file(clips: list[Clip]) -> Path:
    """Where a clip list's features are cached."""
    key = hashlib.sha1(json.dumps([VERSION, [c.path for c in clips]]).encode()).hexdigest()[:10]
    return CACHE / f"voicefunc_{key}.npz"
