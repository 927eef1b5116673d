"""ui.sessions reaches into Streamlit's runtime: this Streamlit must still have what it uses."""
from __future__ import annotations

from ui import sessions


def test_streamlit_still_has_what_the_session_sweeper_uses():
    assert sessions.check() == ""


def test_collect_runs_anywhere():
    sessions.collect()  # glibc: trims; elsewhere: collects only


def test_a_swept_session_lets_go_of_its_state_and_uploads():
    """Streamlit's message loop keeps the last session it flushed in a loop variable after the tab closed, so
    a shut-down session's state (the uploaded file its widget holds, the page's opened archive) must go with
    the sweep, not with the session object."""
    from types import SimpleNamespace

    from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager
    from streamlit.runtime.state.session_state import SessionState
    from streamlit.runtime.uploaded_file_manager import UploadedFileRec

    class Session:
        def __init__(self, session_id: str):
            self.id, self.session_state, self.shut = session_id, SessionState(), False
            self.session_state["dataset_opened"] = ("f1", object(), None)

        def shutdown(self):
            self.shut = True
            files.remove_session_files(self.id)

    closed, open_tab = Session("closed"), Session("open")
    files = MemoryUploadedFileManager("/upload")
    for session_id in ("closed", "open", "gone"):  # "gone": a session the server no longer knows
        files.add_file(session_id, UploadedFileRec(f"{session_id}-f", "a.zip", "application/zip", b"zip"))
    expired = [("closed", SimpleNamespace(session=closed))]
    known = {"open": SimpleNamespace(session=open_tab)}
    cache = SimpleNamespace(expire=lambda: [expired.pop() for _ in list(expired)])
    manager = SimpleNamespace(_session_storage=SimpleNamespace(_cache=cache), get_session_info=known.get)
    runtime = SimpleNamespace(_session_mgr=manager, uploaded_file_mgr=files)

    assert sessions.sweep(runtime) == 2  # the closed session and the unknown session's upload
    assert closed.shut and "dataset_opened" not in closed.session_state
    assert not open_tab.shut and "dataset_opened" in open_tab.session_state
    assert set(files.file_storage) == {"open"}
    assert sessions.sweep(runtime) == 0
