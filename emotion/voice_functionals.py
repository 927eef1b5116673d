"""What the voice model hears: openSMILE's ComParE 2016 functionals of a stretch of speech.

ComParE is the feature set of the INTERSPEECH paralinguistics challenges: 6,373 statistics (means, spreads,
percentiles, slopes, peaks) of 65 contours of loudness, pitch, voice quality, spectral shape and MFCCs, taken
over the whole stretch. Statistics of a stretch, rather than the spectrogram itself, are what let a voice be
compared with the same speaker's usual voice (see speaker.py).
"""
from __future__ import annotations

import functools
import threading
from pathlib import Path

import numpy as np

from .audio import SAMPLE_RATE

N_FEATURES = 6373
MIN_SAMPLES = SAMPLE_RATE // 10  # openSMILE needs a few frames; shorter stretches are padded with silence
_lock = threading.Lock()


def _load_library() -> None:
    """Load openSMILE's library so that it binds its own symbols first (RTLD_DEEPBIND, Linux): loaded after
    TensorFlow, which exports its symbols globally, it otherwise picks up some of TensorFlow's and corrupts
    the heap on its first run."""
    import ctypes
    import importlib.util
    import os

    spec = importlib.util.find_spec("opensmile")
    if not hasattr(os, "RTLD_DEEPBIND") or spec is None or spec.origin is None:
        return
    for library in Path(spec.origin).parent.glob("core/bin/*/libSMILEapi.so"):
        ctypes.CDLL(str(library), mode=os.RTLD_DEEPBIND | os.RTLD_LOCAL)


@functools.lru_cache(maxsize=1)
def _extractor():
    _load_library()
    import opensmile

    return opensmile.Smile(feature_set=opensmile.FeatureSet.ComParE_2016,
                           feature_level=opensmile.FeatureLevel.Functionals)


def functionals(segment: np.ndarray) -> np.ndarray:
    """ComParE functionals (N_FEATURES,) float32 of mono 16 kHz float audio of any length (undefined ones 0)."""
    segment = np.asarray(segment, np.float32).reshape(-1)
    if len(segment) < MIN_SAMPLES:
        segment = np.pad(segment, (0, MIN_SAMPLES - len(segment)))
    with _lock:  # one extractor per process, shared by every session's reader
        values = _extractor().process_signal(segment, SAMPLE_RATE).to_numpy()[0]
    return np.nan_to_num(values.astype(np.float32), nan=0.0, posinf=0.0, neginf=0.0)
