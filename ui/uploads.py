"""Uploads in a page: no copy of the file per run, a readable message instead of a traceback, and no
decoding twice."""
from __future__ import annotations

import copy
import hashlib
import io
from typing import Any, Callable

import streamlit as st
from streamlit.runtime.uploaded_file_manager import UploadedFile

from ui.sessions import collect
from ui.show import plain


def _share_buffer(self: UploadedFile, memo: dict) -> UploadedFile:
    """A deep copy of an upload that shares its bytes until one of them is written to.

    `io.BytesIO(data)` keeps `data` itself (CPython copies it only on a write, as Streamlit's own
    UploadedFile relies on), so the copy has its own position and its own contents without holding the
    file twice. Its attributes (name, type, size, URLs: small) are deep-copied as before.
    """
    twin = UploadedFile.__new__(type(self))
    memo[id(self)] = twin
    io.BytesIO.__init__(twin, self.getvalue())
    twin.seek(self.tell())
    twin.__dict__.update(copy.deepcopy(self.__dict__, memo))
    return twin


def share_upload_buffers() -> None:
    """Stop Streamlit from copying every uploaded file on every run of a page (idempotent).

    Streamlit 1.67 returns a `copy.deepcopy` of a widget's value on each run so that a page cannot
    change the widget's state (`SessionState.register_widget`). For `st.file_uploader`, `st.camera_input`
    and `st.audio_input` that value is an UploadedFile, and the deep copy of an `io.BytesIO` copies its
    whole buffer: a 470 MB upload held twice from its first run on, and a new copy on every rerun
    (benchmarks/RESULTS-upload-memory.md). With this, the copy shares the buffer (see `_share_buffer`).
    """
    UploadedFile.__deepcopy__ = _share_buffer


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
