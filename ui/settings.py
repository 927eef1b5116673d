"""The sidebar settings every page shares: Simple / Hybrid mode and the simulated mask."""
from __future__ import annotations

import streamlit as st

MODES = ("Simple", "Hybrid")
MODE_HELP = ("**Simple** shows what the face and the voice say, side by side. "
             "**Hybrid** also says whether they agree and combines them into one reading.")


def sidebar() -> None:
    """Draw the shared controls in the sidebar (call once per run, from the entry point)."""
    with st.sidebar:
        st.radio("Mode", MODES, key="mode", horizontal=True, help=MODE_HELP)
        st.toggle("Simulate a mask", key="mask",
                  help="Draws a surgical mask over each face before reading it, to see how the face "
                       "model copes when the mouth and nose are hidden.")


def mode() -> str:
    """'Simple' or 'Hybrid'."""
    return st.session_state.get("mode", MODES[0])


def hybrid_mode() -> bool:
    return mode() == "Hybrid"


def mask() -> bool:
    """Whether faces get a simulated mask."""
    return bool(st.session_state.get("mask", False))
