"""The Live page's room view in a real browser: a fake camera showing several faces (a small classroom)."""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from emotion.labels import EMOTIONS
from tests import app_media as media
from tests.browser import harness
from tests.browser.harness import open_app, settle, wait_for_text
from tests.browser.test_browser_pages import _keep_streaming, _start, _wait_for_box  # the stream helpers

pytestmark = pytest.mark.browser

ROOM_NOW = re.compile(r"The room · (\d+) faces: ([^\n]+)")


@pytest.fixture(scope="module")
def browser(playwright, tmp_path_factory):
    """Chromium whose fake camera shows three faces side by side (conftest's `page` opens its sessions)."""
    folder = tmp_path_factory.mktemp("room-media")
    camera = media.write_y4m(folder / "room.y4m", media.room_frame())
    chromium = harness.launch(playwright, camera, media.write_mic_wav(folder / "speech.wav", seconds=12.0))
    yield chromium
    chromium.close()


def _room_now(page, timeout: float = 120) -> tuple[int, dict[str, int]]:
    """The room as the page shows it now: how many faces, and how many show each emotion."""
    for _ in range(int(timeout)):
        found = ROOM_NOW.search(page.inner_text("body"))
        if found:
            counts = {e: int(n) for e, n in re.findall(rf"({'|'.join(EMOTIONS)}) (\d+)", found.group(2))}
            return int(found.group(1)), counts
        _keep_streaming(page)
        page.wait_for_timeout(1000)
    wait_for_text(page, ROOM_NOW, timeout=0)  # fails with what the page says
    raise AssertionError("unreachable")


def test_live_page_shows_the_room_with_several_faces_and_logs_it(page, app_url, shots):
    open_app(page, app_url, "live", title="Live")
    # The room is about faces: spare the CPU. The choice shows once the models are loaded (slow the first time).
    page.get_by_text("Camera only", exact=True).click(timeout=300_000)
    settle(page)
    _start(page)
    faces, counts = _room_now(page)
    assert faces >= 2 and sum(counts.values()) == faces, (faces, counts)
    _wait_for_box(page)  # each face keeps its box and label on the video
    wait_for_text(page, re.compile(r"The room over time"), timeout=90)
    page.wait_for_timeout(3000)  # a few more rows for the timeline
    page.screenshot(path=shots / "live-room.png", full_page=True)

    page.frame_locator("iframe").first.get_by_role("button", name="STOP").click()
    wait_for_text(page, re.compile(r"Stopped\. The session so far is below"), timeout=60)
    with page.expect_download(timeout=60_000) as download:
        page.get_by_role("button", name=re.compile("Download the session log")).click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    assert {f"room_{e}" for e in EMOTIONS} <= set(rows[0])
    for row in rows:  # every face is counted once, under its emotion
        assert sum(int(row[f"room_{e}"]) for e in EMOTIONS) == int(row["faces"])
    assert any(int(row["faces"]) >= 2 for row in rows)
