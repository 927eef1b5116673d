"""Running the app with `streamlit run` and driving it from Debian's headless Chromium with a fake camera
and microphone (see TESTING.md). Used by the browser tests and handy for screenshots by hand."""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--use-fake-ui-for-media-stream",
                 "--use-fake-device-for-media-stream", "--autoplay-policy=no-user-gesture-required"]


def missing() -> str:
    """Why browser tests cannot run here ("" when they can)."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is not installed (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright Python package is not installed (pip install playwright)"
    return ""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(port: int, log=subprocess.DEVNULL, env: dict | None = None) -> subprocess.Popen:
    """`streamlit run streamlit_app.py` on 127.0.0.1:`port`, in its own process group (see stop_app)."""
    environ = {**os.environ, "MOODLENS_ICE_SERVERS": "[]", **(env or {})}
    return subprocess.Popen([sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.headless", "true",
                             "--server.port", str(port), "--server.address", "127.0.0.1",
                             "--browser.gatherUsageStats", "false"],
                            cwd=ROOT, env=environ, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def wait_healthy(proc: subprocess.Popen, port: int, timeout: float = 120.0) -> None:
    """Return once the server answers its health check; raise if it exits or stays silent for `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with status {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"streamlit did not answer on port {port} within {timeout:.0f} s")
        time.sleep(0.2)


def stop_app(proc: subprocess.Popen) -> None:
    """Stop the server and everything it started (its process group)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)


@contextmanager
def app_server(timeout: float = 120.0, env: dict | None = None) -> Iterator[str]:
    """`streamlit run streamlit_app.py` on a free port; yields its URL and stops it (by its process id) after."""
    port = free_port()
    log = open(ROOT / ".pytest_cache" / f"streamlit-{port}.log", "w") if (ROOT / ".pytest_cache").is_dir() \
        else subprocess.DEVNULL
    proc = start_app(port, log, env)
    try:
        wait_healthy(proc, port, timeout)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_app(proc)
        if log is not subprocess.DEVNULL:
            log.close()


def launch(playwright, camera: Path | None = None, microphone: Path | None = None):
    """Headless Chromium whose fake camera shows `camera` (.y4m) and fake microphone plays `microphone` (.wav)."""
    args = list(CHROMIUM_ARGS)
    if camera:
        args.append(f"--use-file-for-fake-video-capture={camera}")
    if microphone:
        args.append(f"--use-file-for-fake-audio-capture={microphone}")
    return playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=args)


def new_page(browser, width: int = 1400, height: int = 1600):
    context = browser.new_context(permissions=["camera", "microphone"], viewport={"width": width, "height": height})
    return context.new_page()


def open_app(page, url: str, path: str = "", title: str = "Moodlens", timeout: float = 240) -> None:
    """Go to a page of the app and wait until its title shows and nothing is still running."""
    page.goto(f"{url}/{path}")
    page.get_by_role("heading", name=title).first.wait_for(timeout=timeout * 1000)
    settle(page, timeout)


def settle(page, timeout: float = 120) -> None:
    """Wait until Streamlit's script has finished (its "running" indicator is gone)."""
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')",
                           timeout=timeout * 1000)


def wait_for_text(page, pattern, timeout: float = 120, interval: float = 1.0) -> str:
    """Poll the page's text until `pattern` (a compiled regex) matches; returns the match."""
    deadline = time.monotonic() + timeout
    while True:
        text = page.inner_text("body")
        found = pattern.search(text)
        if found:
            return found.group(0)
        if time.monotonic() > deadline:
            raise AssertionError(f"{pattern.pattern!r} did not appear within {timeout:.0f} s; the page says:\n"
                                 + text[-3000:])
        page.wait_for_timeout(interval * 1000)


ONE_MEDIUM = {  # a page streaming only this medium shows of the other: (its status, its counter)
    "camera": (re.compile(r"Voice\n+\S* ?no sound\n+The microphone is off"), "sound received: 0 s"),
    "microphone": (re.compile(r"Face\n+\S* ?no face\n+The camera is off"), "Faces in view: 0 · video frames: 0"),
}


def assert_one_medium(page, medium: str) -> None:
    """`page` streams only `medium` ("camera" or "microphone"): the other one reads nothing and has sent nothing."""
    body = page.inner_text("body")
    status, counter = ONE_MEDIUM[medium]
    assert status.search(body), f"{status.pattern!r} not on the page:\n{body[-3000:]}"
    assert counter in body, f"{counter!r} not on the page:\n{body[-3000:]}"


def check_one_medium_each(checks, wait_streaming, pause, rounds: int = 3) -> None:
    """`rounds` times: for each (page, medium, reading) in turn, `wait_streaming(page, reading)` until the page
    shows its own medium's reading (restarted if a starved machine dropped it), then `assert_one_medium`; then
    a second's pause on the page `pause`."""
    for _ in range(rounds):
        for page, medium, reading in checks:
            wait_streaming(page, reading)
            assert_one_medium(page, medium)
        pause.wait_for_timeout(1000)


def choose_mode(page, mode: str) -> None:
    """Pick Simple or Hybrid in the sidebar."""
    page.locator("[data-testid=stSidebar]").get_by_text(mode, exact=True).click()
