"""Stop Streamlit from resetting Keras after every script run.

After each run of a script or fragment, Streamlit calls `keras.backend.clear_session()` when Keras is
imported (`_clean_problem_modules` in streamlit.runtime.scriptrunner.script_runner). That runs a full
garbage collection while holding the GIL (0.3-0.45 s here) and empties TensorFlow's kernel cache, so the
next face reading takes about 4 times as long. The live page reruns a fragment every second per session:
on a 2-core AVX2 machine the resets starved WebRTC until it dropped the connection. The app never builds
Keras models during a run (they load once, see ui/models.py), so there is nothing to clear.
(`runner.postScriptGC = false` in .streamlit/config.toml turns off the other forced collection.)
"""
from __future__ import annotations

import sys

from streamlit.runtime.scriptrunner import script_runner

# Streamlit's own, kept for the tests; this line fails loudly (AttributeError) if Streamlit renames it.
STREAMLIT_CLEAN_UP = script_runner._clean_problem_modules


def _clean_problem_modules_but_keras() -> None:
    """Streamlit's clean-up without the Keras reset: close matplotlib figures, if any."""
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close("all")


def skip_keras_reset() -> None:
    """Replace Streamlit's post-run clean-up with one that leaves Keras alone (idempotent)."""
    script_runner._clean_problem_modules = _clean_problem_modules_but_keras
