"""ui.sessions reaches into Streamlit's runtime: this Streamlit must still have what it uses."""
from __future__ import annotations

from ui import sessions


def test_streamlit_still_has_what_the_session_sweeper_uses():
    assert sessions.check() == ""


def test_collect_runs_anywhere():
    sessions.collect()  # glibc: trims; elsewhere: collects only
