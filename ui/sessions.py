"""Closed browser tabs give their memory back.

When a tab closes, Streamlit keeps its session for `server.disconnectedSessionTTL` seconds (120 by
default) so that a short network drop can resume it. After that, Streamlit 1.67 drops the session from
its storage only when another session is written there (another tab disconnects), and shuts it down
(its uploaded files leave the upload manager) only when the garbage collector frees the dropped
session (`AppSession.__del__`); it sits in reference cycles and the app turns the post-run collection
off. On a quiet server the last closed tab's uploads stayed in memory indefinitely, and on a busy one
every closed tab's did for a while (benchmarks/RESULTS-upload-memory.md).

`start()` (once per process) runs `sweep` on the server's event loop every SWEEP_SECONDS: sessions
past their time are shut down the way Streamlit shuts down a session it closes itself (uploaded files,
media, script runner) and their session state is emptied, uploads that no session holds any more are
removed, and when something went, the freed memory is collected and handed back to the system
(`collect`). The state is emptied because a shut-down session object can outlive its tab: Streamlit's
message loop (`Runtime._loop_coroutine`) keeps the last session it flushed in its loop variable until
another session sends something, so on a quiet server the last closed tab's state (the uploaded file
its widget holds, the page's opened archive) stayed in memory with it.

This reaches into Streamlit's runtime (`Runtime._session_mgr`, its session storage's cache, the upload
manager's `file_storage`); `check()` says what is missing if a Streamlit upgrade moves them, and a
test calls it, so the upgrade fails loudly instead of leaking quietly.
"""
from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import gc
import logging
import os
import threading

SWEEP_SECONDS = float(os.environ.get("MOODLENS_SWEEP_SECONDS", "30"))

_log = logging.getLogger(__name__)
_started = threading.Lock()
_thread: threading.Thread | None = None


def collect() -> None:
    """Collect garbage now and give freed heap memory back to the system.

    The server runs no collection after a script run (`runner.postScriptGC = false`), and a page's
    objects sit in reference cycles; glibc keeps freed small blocks in its arenas (one per thread
    that allocated them) until asked to trim.
    """
    gc.collect()
    _malloc_trim()


def _malloc_trim() -> None:
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)


_LIBC: list = []


def _libc():
    if not _LIBC:
        try:
            lib = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            lib.malloc_trim.argtypes = [ctypes.c_size_t]
            _LIBC.append(lib)
        except (OSError, AttributeError):  # not glibc (macOS, musl): nothing to trim
            _LIBC.append(None)
    return _LIBC[0]


def _parts(runtime):
    """(session manager, its storage's cache, upload manager's per-session files) of a running server."""
    manager = runtime._session_mgr
    cache = manager._session_storage._cache
    files = runtime.uploaded_file_mgr
    return manager, cache, files, files.file_storage


def check() -> str:
    """What `sweep` needs from Streamlit and cannot find ("" when all is there)."""
    from streamlit.runtime import Runtime
    from streamlit.runtime.app_session import AppSession
    from streamlit.runtime.memory_session_storage import MemorySessionStorage
    from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager
    from streamlit.runtime.websocket_session_manager import WebsocketSessionManager

    return ", ".join(name for name, ok in (
        ("Runtime._get_async_objs", hasattr(Runtime, "_get_async_objs")),
        ("Runtime.uploaded_file_mgr", hasattr(Runtime, "uploaded_file_mgr")),
        ("AppSession.session_state", hasattr(AppSession, "session_state")),
        ("WebsocketSessionManager.get_session_info", hasattr(WebsocketSessionManager, "get_session_info")),
        ("MemorySessionStorage._cache.expire", hasattr(getattr(MemorySessionStorage(), "_cache", None), "expire")),
        ("MemoryUploadedFileManager.file_storage", hasattr(MemoryUploadedFileManager("/upload"), "file_storage")),
        ("MemoryUploadedFileManager.remove_session_files", hasattr(MemoryUploadedFileManager, "remove_session_files")),
    ) if not ok)


def sweep(runtime) -> int:
    """Shut down sessions whose tab closed more than disconnectedSessionTTL ago and empty their state,
    and remove uploaded files that belong to no session. Returns how many sessions and orphaned uploads
    went.

    Runs on the server's event loop thread (where Streamlit itself opens and closes sessions).
    """
    manager, cache, files, by_session = _parts(runtime)
    gone = 0
    for _, info in cache.expire():
        info.session.shutdown()  # what Streamlit's close_session does: uploads, media, script runner
        info.session.session_state.clear()  # widget values (uploaded files) and the page's own entries
        gone += 1
    for session_id in list(by_session):
        if manager.get_session_info(session_id) is None:
            files.remove_session_files(session_id)
            gone += 1
    return gone


def _run(interval: float) -> None:
    from streamlit.runtime import Runtime

    while True:
        threading.Event().wait(interval)
        if not Runtime.exists():
            continue
        runtime = Runtime.instance()
        try:
            loop = runtime._get_async_objs().eventloop
        except Exception:  # the server is not running (yet, or any more)
            continue
        if loop.is_closed():
            return

        async def on_loop() -> int:
            return sweep(runtime)

        try:
            gone = asyncio.run_coroutine_threadsafe(on_loop(), loop).result(timeout=60)
        except RuntimeError:  # the loop stopped
            return
        except Exception:  # never let the sweeper die of one bad sweep
            _log.exception("sweeping closed sessions failed")
            continue
        if gone:
            collect()  # on this thread, not the event loop's


def start(interval: float = SWEEP_SECONDS) -> None:
    """Start the sweeper thread once per process (later calls do nothing). Not started when Streamlit
    lacks what it needs (a warning in the log says what), or when `interval` <= 0."""
    global _thread
    with _started:
        if _thread is not None or interval <= 0:
            return
        missing = check()
        if missing:
            _log.warning("closed sessions are not swept: this Streamlit lacks %s", missing)
            _thread = threading.current_thread()  # mark as done: do not warn on every run
            return
        _thread = threading.Thread(target=_run, args=(interval,), name="moodlens-session-sweeper", daemon=True)
        _thread.start()
