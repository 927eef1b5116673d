"""What the voice model hears: openSMILE's ComParE 2016 functionals of a stretch of speech.

ComParE is the feature set of the INTERSPEECH paralinguistics challenges: 6,373 statistics (means, spreads,
percentiles, slopes, peaks) of 65 contours of loudness, pitch, voice quality, spectral shape and MFCCs, taken
over the whole stretch. Statistics of a stretch, rather than the spectrogram itself, are what let a voice be
compared with the same speaker's usual voice (see speaker.py).
"""
from __future__ import annotations

import functools
import threading
from concurrent.futures import ThreadPoolExecutor
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


class _Extractor:
    """One openSMILE instance with the ComParE configuration, run once per stretch of speech. Parsing the
    configuration costs about as much as the run itself, and so does resetting the instance after a run: the
    configuration is parsed once, and each reset happens in a background thread after the features are out,
    off the next window's path. Reaches below opensmile.Smile (its `_options`/`_smile`, pinned 2.6.0; a test
    checks the features against `Smile.process_signal`)."""

    def __init__(self):
        _load_library()
        import opensmile
        from opensmile.core.config import config

        self._config = config
        smile = opensmile.Smile(feature_set=opensmile.FeatureSet.ComParE_2016,
                                feature_level=opensmile.FeatureLevel.Functionals)
        options = smile._options()
        options.update(source=str(Path(smile.default_config_root) / config.EXTERNAL_INPUT_CONFIG),
                       sampleRate=SAMPLE_RATE, nBits=16)
        self._smile = smile._smile(options=options)
        self._resetting = None
        self._background = ThreadPoolExecutor(max_workers=1, thread_name_prefix="opensmile-reset")

    def __call__(self, segment: np.ndarray) -> np.ndarray:
        """The functionals (N_FEATURES,) of float audio at SAMPLE_RATE, NaN where undefined. Not thread-safe."""
        if self._resetting is not None:
            self._resetting.result()
        out: list[np.ndarray] = []
        config, smile = self._config, self._smile
        try:
            smile.external_sink_set_callback_ex(config.EXTERNAL_OUTPUT_COMPONENT,
                                                lambda data, meta: out.append(data.copy()))
            smile.external_audio_source_write_data(config.EXTERNAL_SOURCE_COMPONENT,
                                                   (segment * 32768).astype(np.int16).tobytes())
            smile.external_audio_source_set_eoi(config.EXTERNAL_SOURCE_COMPONENT)
            smile.run()
        finally:  # reset even after a failed run, so that the next stretch starts clean
            self._resetting = self._background.submit(smile.reset)
        return out[0].reshape(-1) if out else np.full(N_FEATURES, np.nan, np.float32)


@functools.lru_cache(maxsize=1)
def _extractor() -> _Extractor:
    return _Extractor()


def functionals(segment: np.ndarray) -> np.ndarray:
    """ComParE functionals (N_FEATURES,) float32 of mono 16 kHz float audio of any length (undefined ones 0)."""
    segment = np.asarray(segment, np.float32).reshape(-1)
    if len(segment) < MIN_SAMPLES:
        segment = np.pad(segment, (0, MIN_SAMPLES - len(segment)))
    with _lock:  # one extractor per process, shared by every session's reader
        values = _extractor()(segment)
    return np.nan_to_num(values.astype(np.float32), nan=0.0, posinf=0.0, neginf=0.0)
