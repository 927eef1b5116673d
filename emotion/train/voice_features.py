"""Cached log-mel spectrograms of whole speech segments, one set per variant of every clip: variant 0 is the
clip as recorded, variants 1.. went through a random microphone-like chain (voice_augment.augment).

Cached once for all corpora (.cache/), so every split and recipe trains from the same features without
decoding audio again; windows are cut from them at training time.
"""
from __future__ import annotations

import hashlib
import json
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from ..audio import load_audio
from ..speech import detect_speech
from ..voice import log_mel_frames
from .voice_corpora import Clip

CACHE = Path(".cache")
VERSION = 1  # bump when the features change


def speech_segment(path: str) -> np.ndarray:
    """The clip from its first to its last speech frame (as the app reads it)."""
    audio = load_audio(path)
    start, end = detect_speech(audio).span()
    return audio[start:end]


def _clip_features(job: tuple[str, int, str]) -> np.ndarray:
    from .voice_augment import augment

    path, variant, background_path = job
    segment = speech_segment(path)
    if variant:
        rng = np.random.default_rng([variant, int(hashlib.sha1(path.encode()).hexdigest()[:8], 16)])
        segment = augment(segment, rng, load_audio(background_path) if rng.random() < 0.3 else None)
    return log_mel_frames(segment).astype(np.float16)


def variant_features(clips: list[Clip], variant: int, workers: int = 1) -> list[np.ndarray]:
    """Log-mel frames (T_i, N_MELS) float16 of every clip's speech, for one variant; cached."""
    CACHE.mkdir(exist_ok=True)
    cache = cache_file(clips, variant)
    if cache.exists():
        with np.load(cache) as z:
            frames, offsets = z["frames"], z["offsets"]
        return [frames[a:b] for a, b in zip(offsets[:-1], offsets[1:])]
    rng = np.random.default_rng(variant)
    jobs = [(c.path, variant, clips[rng.integers(len(clips))].path) for c in clips]
    feats: list[np.ndarray] = []
    # Worker processes are spawned, not forked: a fork of a process whose libraries hold threads (TensorFlow,
    # the voice detector) can hang on a lock that no thread of the child will ever release.
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) if workers > 1 else None
    try:
        results = pool.map(_clip_features, jobs, chunksize=16) if pool else map(_clip_features, jobs)
        for i, f in enumerate(results):
            feats.append(f)
            if (i + 1) % 500 == 0:
                print(f"  features v{variant}: {i + 1}/{len(jobs)}", flush=True)
    finally:
        if pool:
            pool.shutdown()
    offsets = np.cumsum([0] + [len(f) for f in feats])
    tmp = cache.with_suffix(".tmp.npz")
    np.savez(tmp, frames=np.concatenate(feats), offsets=offsets)
    tmp.replace(cache)
    return feats


def cached_variants(clips: list[Clip], most: int) -> list[list[np.ndarray]]:
    """The variants 0..most-1 that are already cached (variant 0 is computed when missing)."""
    return [variant_features(clips, 0)] + [variant_features(clips, v) for v in range(1, most)
                                            if cache_file(clips, v).exists()]


def cache_file(clips: list[Clip], variant: int) -> Path:
    """Where one variant of a clip list's features is cached."""
    key = hashlib.sha1(json.dumps([VERSION, [c.path for c in clips]]).encode()).hexdigest()[:10]
    return CACHE / f"voicemel_{key}_v{variant}.npz"
