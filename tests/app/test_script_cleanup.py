"""Streamlit must not reset Keras after every script run (it starved live video: ui/script_cleanup.py)."""
from __future__ import annotations

import tomllib

import keras
from streamlit.runtime.scriptrunner import script_runner

from tests.app.helpers import ROOT, open_page
from ui import script_cleanup


def _next_dense_name() -> str:
    return keras.layers.Dense(1).name


def test_streamlits_own_clean_up_resets_keras():
    """Why the app replaces it: Keras' name counter (and TensorFlow's kernel cache) start again."""
    _next_dense_name()
    script_cleanup.STREAMLIT_CLEAN_UP()
    assert _next_dense_name() == "dense"


def test_after_the_app_runs_the_clean_up_leaves_keras_alone():
    open_page()
    assert script_runner._clean_problem_modules is not script_cleanup.STREAMLIT_CLEAN_UP
    before = _next_dense_name()
    script_runner._clean_problem_modules()  # what Streamlit calls after each run
    assert _next_dense_name() not in (before, "dense")  # the counter went on: no clear_session()


def test_the_forced_collection_after_each_run_is_off():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["runner"]["postScriptGC"] is False
