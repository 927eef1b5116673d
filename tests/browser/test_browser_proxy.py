"""Two app replicas behind nginx over HTTPS, as deployed (deploy/nginx/templates/moodlens.conf.template):
sessions stream through the proxy, land on different replicas, stay on theirs, and keep their own readings."""
from __future__ import annotations

import re
import time
import urllib.request
from collections import defaultdict

import pytest

from tests.browser import harness, proxy
from tests.browser.harness import check_one_medium_each, settle
from tests.browser.test_browser_pages import FACE_READ, VOICE_READ, _start, _wait_streaming  # the stream helpers

REASON = proxy.missing()
pytestmark = [pytest.mark.browser, pytest.mark.skipif(bool(REASON), reason=f"proxy test skipped: {REASON}")]

ACTIVE = re.compile(r"^active_sessions (\d+)", re.M)


@pytest.fixture(scope="module")
def replicas(tmp_path_factory):
    """Two `streamlit run` servers on loopback ports, started together, sharing a cookie secret as the
    replicas of compose.yaml do (so a browser moved to another replica keeps a valid XSRF cookie)."""
    logs = tmp_path_factory.mktemp("replicas")
    env = {"STREAMLIT_SERVER_COOKIE_SECRET": "moodlens-test-secret"}
    ports = [harness.free_port(), harness.free_port()]
    files = [open(logs / f"streamlit-{p}.log", "w") for p in ports]
    procs = [harness.start_app(p, f, env) for p, f in zip(ports, files)]
    try:
        for proc, port in zip(procs, ports):
            harness.wait_healthy(proc, port, timeout=300)
        yield ports
    finally:
        for proc, f in zip(procs, files):
            harness.stop_app(proc)
            f.close()


def _active_sessions(port: int) -> int:
    """Sessions with an open websocket on one replica, asked directly (not through the proxy)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/metrics", timeout=10) as r:
        found = ACTIVE.search(r.read().decode())
    return int(found[1]) if found else 0


def _sessions_on_two_replicas(browser, url: str) -> dict[str, object]:
    """New browser sessions (each its own cookie) until two were sent to different replicas: {replica: page}."""
    pages: dict[str, object] = {}
    for _ in range(16):  # a random key per session: two replicas differ within a few tries
        context = browser.new_context(permissions=["camera", "microphone"], viewport={"width": 1400, "height": 1600},
                                      ignore_https_errors=True)  # the test's certificate is self-signed
        page = context.new_page()
        page.set_default_timeout(60_000)
        response = page.goto(f"{url}/live")
        assert response.ok and "moodlens_replica=" in (response.header_value("set-cookie") or "")
        replica = response.header_value("x-moodlens-replica")
        if replica in pages:
            context.close()
            continue
        pages[replica] = page
        if len(pages) == 2:
            return pages
    raise AssertionError(f"16 sessions all went to {list(pages)}")


def test_sessions_through_the_https_proxy_stay_on_their_replica_with_their_own_readings(
        browser, replicas, tmp_path, shots):
    folder = tmp_path / "nginx"
    with proxy.nginx_proxy(replicas, folder) as url:
        pages = _sessions_on_two_replicas(browser, url)
        (cam_replica, cam_only), (mic_replica, mic_only) = pages.items()
        try:
            for page, source in ((cam_only, "Camera only"), (mic_only, "Microphone only")):
                assert page.evaluate("window.isSecureContext")  # camera and microphone need HTTPS
                page.get_by_role("heading", name="Live").first.wait_for(timeout=240_000)
                settle(page, 240)
                page.get_by_text(source, exact=True).click()
                settle(page)
            for page in (cam_only, mic_only):
                _start(page)
            # each shows only its own media: no face without a camera, no sound without a mic
            check_one_medium_each([(cam_only, "camera", FACE_READ), (mic_only, "microphone", VOICE_READ)],
                                  _wait_streaming, cam_only)
            cam_only.screenshot(path=shots / "proxy-camera-only.png", full_page=True)
            mic_only.screenshot(path=shots / "proxy-microphone-only.png", full_page=True)

            # Each replica holds exactly one of the two open sessions (asked directly, past the proxy).
            assert [_active_sessions(p) for p in replicas] == [1, 1]
            assert {cam_replica, mic_replica} == {f"127.0.0.1:{p}" for p in replicas}
        except BaseException:
            for name, page in (("camera", cam_only), ("microphone", mic_only)):
                page.screenshot(path=shots / f"FAILED-proxy-{name}.png", full_page=True)
            raise
        finally:
            for page in (cam_only, mic_only):
                page.context.close()
            time.sleep(2)  # nginx writes the websockets' lines when they close
    # nginx logs a request when it ends: a websocket when its tab closes. Every request of a browser (page,
    # static files, websocket, uploads, the WebRTC component) went to the replica its cookie chose.
    by_key = defaultdict(set)
    for key, upstream in proxy.sticky_log(folder):
        by_key[key].add(upstream)
    assert by_key and all(len(upstreams) == 1 for upstreams in by_key.values()), dict(by_key)
    log = (folder / "access.log").read_text().splitlines()
    websockets = [line for line in log if " 101 GET /_stcore/stream" in line]
    assert len({line.split(" ")[1] for line in websockets}) == 2, websockets  # a websocket on each replica
