"""A closed tab gives its memory back: its session and its uploads go once the reconnect time is over
(Streamlit 1.67 alone keeps the last closed tab's uploads until another tab disconnects and a garbage
collection happens to free its session)."""
from __future__ import annotations

import re
import time
import urllib.request

import pytest

from tests import app_media as media
from tests.browser import harness

pytestmark = pytest.mark.browser

UPLOADS = re.compile(r'^cache_memory_bytes\{cache_type="UploadedFileManager",cache=""\} (\d+)', re.M)
STATE = re.compile(r'^cache_memory_bytes\{cache_type="st_session_state",cache=""\} (\d+)', re.M)


def _held(url: str) -> tuple[int, int]:
    """(bytes of uploaded files, bytes of session state) the server holds, from its metrics."""
    with urllib.request.urlopen(f"{url}/_stcore/metrics", timeout=10) as r:
        text = r.read().decode()
    return tuple(int(m[1]) if (m := pattern.search(text)) else 0 for pattern in (UPLOADS, STATE))


def test_a_closed_tab_leaves_no_uploads_or_session_state(browser):
    env = {"STREAMLIT_SERVER_DISCONNECTED_SESSION_TTL": "2", "MOODLENS_SWEEP_SECONDS": "1"}
    with harness.app_server(timeout=240, env=env) as url:
        page = harness.new_page(browser)
        page.set_default_timeout(90_000)
        try:
            harness.open_app(page, url, "capture", title="Capture")
            page.get_by_role("tab", name="Upload files").click()
            uploader = page.locator("[data-testid=stFileUploader]").filter(has_text="A recording of speech")
            uploader.locator("input[type=file]").set_input_files(str(media.SPEECH))
            harness.wait_for_text(page, re.compile(r"Voice\n"), timeout=90)
            uploads, state = _held(url)
            assert uploads >= media.SPEECH.stat().st_size and state > 0
        finally:
            page.context.close()
        deadline = time.monotonic() + 60
        while _held(url) != (0, 0):
            assert time.monotonic() < deadline, f"still held a minute after the tab closed: {_held(url)}"
            time.sleep(1)
