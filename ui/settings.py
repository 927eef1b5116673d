"""Settings the pages share: the Simple / Hybrid mode (sidebar) and the simulated-mask toggle (on a page)."""
from __future__ import annotations

import streamlit as st

MODES = ("Simple", "Hybrid")
MODE_HELP = ("**Simple** shows what the face and the voice say, side by side. "
             "**Hybrid** also says whether they agree and combines them into one reading.")
MASK_HELP = ("Draws a surgical mask over each face before reading it, to see how the face model copes when the "
             "mouth and nose are hidden, and how the voice helps in Hybrid mode.")


def sidebar() -> None:
    """Draw the shared controls in the sidebar (call once per run, from the entry point)."""
    with st.sidebar:
        st.radio("Mode", MODES, key="mode", horizontal=True, help=MODE_HELP)
        st.caption("Simple: face and voice side by side. Hybrid: also whether they agree, and both combined.")


def mode() -> str:
    """'Simple' or 'Hybrid'."""
    return st.session_state.get("mode", MODES[0])


def hybrid_mode() -> bool:
    return mode() == "Hybrid"


def mask_toggle(key: str) -> bool:
    """The "Simulate a mask" toggle of a page; whether faces get a simulated mask."""
    return st.toggle("Simulate a mask", key=key, help=MASK_HELP)
