"""Decoding uploads in a page: a readable message instead of a traceback, and no decoding twice."""
from __future__ import annotations

import hashlib
from typing import Any, Callable

import streamlit as st

from ui.sessions import collect
from ui.show import plain


def decode(upload, loader: Callable[[bytes, str], Any], errors: type[Exception] | tuple,
           keep_as: str | None = None) -> Any:
    """`loader(bytes, name)` of an upload, or None (nothing uploaded, or the reason shown in the page).

    With `keep_as`, the result for the latest file is kept in the session under that name, by the
    digest of its bytes: reruns (a changed setting) do not decode the same upload again.
    """
    slot = f"decoded::{keep_as}"
    if upload is None:
        release(slot)  # a removed upload's decoded picture or recording goes now
        return None
    data = upload.getvalue()
    digest = hashlib.sha1(data).hexdigest()
    kept = st.session_state.get(slot) if keep_as else None
    if kept is None or kept[0] != digest:
        try:
            kept = (digest, loader(data, upload.name), None)
        except errors as exc:
            kept = (digest, None, str(exc).removeprefix(upload.name + ": "))
        if keep_as:
            st.session_state[slot] = kept
    if kept[2]:
        st.error(f"Could not use **{plain(upload.name)}**: {plain(kept[2])}", icon="🚫")
    return kept[1]


def release(*keys: str) -> None:
    """Drop these session entries (an opened archive, its results) and collect them now.

    The server runs no collection after a script run (`runner.postScriptGC = false`), and the page's
    objects sit in reference cycles, so without this they would stay in memory for many minutes.
    """
    if any(st.session_state.pop(key, None) is not None for key in list(keys)):
        collect()
