"""Browser tests: one `streamlit run` server for the session, and Debian's Chromium with a fake camera (a face)
and a fake microphone (speech). Skipped, with the reason, when Chromium or playwright is missing."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests import app_media as media
from tests.browser import harness

REASON = harness.missing()


def pytest_collection_modifyitems(config, items):
    if not REASON:
        return
    skip = pytest.mark.skip(reason=f"browser test skipped: {REASON}")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def shots(tmp_path_factory) -> Path:
    """Where screenshots go: $MOODLENS_SCREENSHOTS if set, else a temporary folder."""
    folder = Path(os.environ.get("MOODLENS_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def fake_media(tmp_path_factory) -> dict[str, Path]:
    """A camera showing a face (320x240, small so a slow machine keeps up) and a microphone playing speech."""
    folder = tmp_path_factory.mktemp("fake-media")
    return {"camera": media.write_y4m(folder / "face.y4m", media.camera_frame(size=(320, 240), face_px=140)),
            "microphone": media.write_mic_wav(folder / "speech.wav", seconds=12.0)}


@pytest.fixture(scope="session")
def app_url() -> str:
    with harness.app_server(timeout=240) as url:
        yield url


@pytest.fixture(scope="session")
def playwright():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright, fake_media):
    chromium = harness.launch(playwright, fake_media["camera"], fake_media["microphone"])
    yield chromium
    chromium.close()


@pytest.fixture
def page(browser):
    """A fresh browser session (its own Streamlit session) on a desktop-sized window."""
    page = harness.new_page(browser)
    page.set_default_timeout(60_000)
    yield page
    page.context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """When a browser test fails, save what its page showed (FAILED-<test>.png in the screenshots folder)."""
    outcome = yield
    report = outcome.get_result()
    page = item.funcargs.get("page") if hasattr(item, "funcargs") else None
    if report.when == "call" and report.failed and page is not None and "shots" in item.funcargs:
        try:
            page.screenshot(path=item.funcargs["shots"] / f"FAILED-{item.name}.png", full_page=True)
        except Exception:  # the page may be gone; the failure itself is what matters
            pass
