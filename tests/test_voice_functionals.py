"""The voice model's input: openSMILE ComParE functionals, whatever was imported before them."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

from emotion.audio import load_audio
from emotion.voice_functionals import MIN_SAMPLES, N_FEATURES, functionals

ROOT = Path(__file__).resolve().parents[1]
SPEECH = Path(__file__).parent / "fixtures" / "speech"


def test_functionals_are_one_finite_vector_per_stretch_and_tell_voices_apart():
    happy, sad = (load_audio(SPEECH / f"{name}.flac") for name in ("happy", "neutral"))
    a, b = functionals(happy), functionals(sad)
    assert a.shape == b.shape == (N_FEATURES,) and a.dtype == np.float32
    assert np.isfinite(a).all() and np.isfinite(b).all()
    assert not np.allclose(a, b)
    np.testing.assert_array_equal(functionals(happy), a)  # the same stretch gives the same features


def test_a_stretch_shorter_than_a_few_frames_is_padded_not_refused():
    out = functionals(np.zeros(MIN_SAMPLES // 4, np.float32))
    assert out.shape == (N_FEATURES,) and np.isfinite(out).all()


def test_functionals_run_after_tensorflow_was_imported_first():
    """openSMILE's library corrupted the heap when TensorFlow was imported first (docs/NOTES.md)."""
    code = ("import tensorflow, numpy as np\n"
            "from emotion.voice_functionals import functionals\n"
            "x = np.random.default_rng(0).normal(0, 0.1, 48000).astype(np.float32)\n"
            "print(functionals(x).shape)\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "(6373,)" in done.stdout


def test_functionals_are_the_libraries_own_for_one_stretch_after_another():
    """One openSMILE instance serves every stretch (configured once, reset after each run in the background):
    each stretch's features must be exactly what opensmile.Smile computes afresh for it alone."""
    import opensmile

    smile = opensmile.Smile(feature_set=opensmile.FeatureSet.ComParE_2016,
                            feature_level=opensmile.FeatureLevel.Functionals)
    rng = np.random.default_rng(3)
    happy, sad = (load_audio(SPEECH / f"{name}.flac") for name in ("happy", "neutral"))
    stretches = [happy, sad[:16000], rng.normal(0, 0.1, 8000).astype(np.float32), np.zeros(MIN_SAMPLES, np.float32),
                 happy, sad]
    for stretch in stretches:
        own = smile.process_signal(stretch, 16000).to_numpy()[0].astype(np.float32)
        np.testing.assert_array_equal(functionals(stretch), np.nan_to_num(own, nan=0.0, posinf=0.0, neginf=0.0))


def test_functionals_from_several_threads_agree_with_one_after_another():
    from concurrent.futures import ThreadPoolExecutor

    clips = [load_audio(p) for p in sorted(SPEECH.glob("*.flac"))] * 3
    serial = [functionals(x) for x in clips]
    with ThreadPoolExecutor(3) as pool:
        for got, want in zip(pool.map(functionals, clips), serial):
            np.testing.assert_array_equal(got, want)
