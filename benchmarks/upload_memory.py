"""Server memory over several uploads: does a closed tab give its memory back?

Starts the app (`streamlit run`, as harness.start_app does), opens it in headless Chromium, and for each
of N uploads in a row: opens the Results page in a new tab, uploads a labelled dataset (.zip of large
face pictures, stored so the file is as big as asked), runs the evaluation, closes the tab, and waits
until the server has dropped that session (`server.disconnectedSessionTTL`, shortened here, then the
sweep of ui/sessions.py). It prints the server's resident memory (VmRSS) before, at its peak during,
and after each upload, and what the server says it holds (uploaded files, session state).

    .venv/bin/python benchmarks/upload_memory.py --uploads 5 --mb 195
    .venv/bin/python benchmarks/upload_memory.py --uploads 3 --mb 60 --no-sweep   # Streamlit alone

Goal (issue 34): flat within 100 MB after the tabs close, and no upload within the upload limit
(500 MB) raising memory by more than 1 GB while it runs. Needs /usr/bin/chromium and playwright.
"""
from __future__ import annotations

import argparse
import io
import re
import sys
import tempfile
import time
import urllib.request
import zipfile
from pathlib import Path

import cv2
import numpy as np

from _common import PeakSampler, rss_mb
from tests import app_media as media
from tests.browser import harness

HELD = re.compile(r'^cache_memory_bytes\{cache_type="(UploadedFileManager|st_session_state)",cache=""\} (\d+)', re.M)
MB = 2 ** 20


def held(url: str) -> dict[str, int]:
    """Bytes the server says it holds for sessions: uploaded files and session state."""
    with urllib.request.urlopen(f"{url}/_stcore/metrics", timeout=10) as r:
        text = r.read().decode()
    found = {name: int(value) for name, value in HELD.findall(text)}
    return {"uploads": found.get("UploadedFileManager", 0), "state": found.get("st_session_state", 0)}


def dataset(mb: float, seed: int) -> bytes:
    """A .zip (stored, not compressed) of face pictures in happy/ and sad/, about `mb` MB.

    Each picture is the test face on a 2000x1500 frame with noise, saved as PNG (noise keeps it
    large: about 9 MB each), so a few pictures make a big upload and the run stays short.
    """
    rng = np.random.default_rng(seed)
    frame = cv2.resize(media.camera_frame(), (2000, 1500), interpolation=cv2.INTER_LINEAR)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        k = 0
        while buf.tell() < mb * MB:
            noisy = np.clip(frame.astype(np.int16) + rng.integers(-40, 41, frame.shape), 0, 255).astype(np.uint8)
            z.writestr(f"faces/{('happy', 'sad')[k % 2]}/{k:03d}.png", media.png_bytes(noisy))
            k += 1
    return buf.getvalue()


def upload_and_run(browser, url: str, archive: Path, timeout: float, run: bool = True) -> None:
    """One tab: Results page, upload, run (unless not `run`), wait for the accuracy, then close the tab."""
    page = harness.new_page(browser)
    page.set_default_timeout(timeout * 1000)
    try:
        harness.open_app(page, url, "results", title="Results", timeout=timeout)
        page.locator("[data-testid=stFileUploader] input[type=file]").set_input_files(str(archive))
        page.get_by_role("button", name="Run the evaluation").wait_for()
        harness.settle(page, timeout)
        if not run:
            return
        page.get_by_role("button", name="Run the evaluation").click()
        harness.settle(page, timeout)
        harness.wait_for_text(page, re.compile(r"Accuracy\n+\d+\.\d\d%"), timeout=timeout)
    finally:
        page.context.close()


def wait_released(url: str, timeout: float) -> float:
    """Seconds until the server holds no uploads and no session state (or `timeout`)."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if held(url) == {"uploads": 0, "state": 0}:
            return time.monotonic() - start
        time.sleep(0.5)
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--uploads", type=int, default=5, help="uploads in a row (default 5)")
    parser.add_argument("--mb", type=float, default=195, help="size of each dataset in MB (default 195)")
    parser.add_argument("--ttl", type=int, default=5, help="server.disconnectedSessionTTL in s (default 5; "
                                                            "Streamlit's default is 120)")
    parser.add_argument("--sweep", type=float, default=2, help="MOODLENS_SWEEP_SECONDS (default 2)")
    parser.add_argument("--no-sweep", action="store_true", help="turn the sweep of ui/sessions.py off")
    parser.add_argument("--no-run", action="store_true", help="upload and open each dataset, but do not run")
    parser.add_argument("--settle", type=float, default=60, help="longest wait for a closed tab to be dropped")
    parser.add_argument("--timeout", type=float, default=600, help="longest wait for one page step (s)")
    args = parser.parse_args()
    if why := harness.missing():
        sys.exit(f"upload_memory: {why}")

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        archives = []
        for i in range(args.uploads):  # different bytes each time: nothing can be shared between uploads
            archives.append(Path(tmp) / f"dataset-{i}.zip")
            archives[-1].write_bytes(dataset(args.mb, seed=i))
        with zipfile.ZipFile(archives[0]) as z:
            pictures = len(z.namelist())
        print(f"{args.uploads} datasets of {archives[0].stat().st_size / MB:.0f} MB ({pictures} pictures of "
              f"2000x1500 each); disconnectedSessionTTL {args.ttl} s; sweep "
              f"{'off' if args.no_sweep else f'every {args.sweep:g} s'}", flush=True)

        port = harness.free_port()
        env = {"STREAMLIT_SERVER_DISCONNECTED_SESSION_TTL": str(args.ttl),
               "MOODLENS_SWEEP_SECONDS": "0" if args.no_sweep else str(args.sweep)}
        with open(Path(tmp) / "server.log", "w") as log:
            server = harness.start_app(port, log, env)
            try:
                harness.wait_healthy(server, port, 240)
                url = f"http://127.0.0.1:{port}"
                with sync_playwright() as p:
                    browser = harness.launch(p)
                    warm = harness.new_page(browser)  # the home page loads the models: not an upload's cost
                    harness.open_app(warm, url, timeout=args.timeout)
                    warm.context.close()
                    wait_released(url, args.settle)
                    print(f"\nmodels loaded, no session: {rss_mb(server.pid):.0f} MB")
                    # One small upload first: the face detector's first pictures of this size build its graphs
                    # and TensorFlow's caches once per process; that is not what a later upload costs.
                    small = Path(tmp) / "warm-up.zip"
                    small.write_bytes(dataset(1, seed=99))
                    with PeakSampler(server.pid) as sampler:
                        before = rss_mb(server.pid)
                        upload_and_run(browser, url, small, args.timeout)
                    wait_released(url, args.settle)
                    time.sleep(args.sweep + 1)
                    base = rss_mb(server.pid)
                    print(f"after a warm-up upload of one picture (peak {sampler.peak:.0f} MB): {base:.0f} MB = "
                          f"the baseline\n")
                    print(f"{'upload':>6} {'before':>8} {'peak':>8} {'rise':>8} {'after close':>12} "
                          f"{'vs baseline':>12} {'dropped after':>14} {'held after':>16}")
                    rows = []
                    for i, archive in enumerate(archives, 1):
                        before = rss_mb(server.pid)
                        with PeakSampler(server.pid) as sampler:
                            t0 = time.monotonic()
                            upload_and_run(browser, url, archive, args.timeout, run=not args.no_run)
                            took = time.monotonic() - t0
                        released = wait_released(url, args.settle)
                        time.sleep(args.sweep + 1)  # one more sweep: its collection comes after the release
                        after = rss_mb(server.pid)
                        h = held(url)
                        rows.append((before, sampler.peak, after))
                        print(f"{i:>6} {before:>6.0f}MB {sampler.peak:>6.0f}MB {sampler.peak - before:>6.0f}MB "
                              f"{after:>10.0f}MB {after - base:>+10.0f}MB {released:>12.1f} s "
                              f"{h['uploads'] / MB:>6.1f}+{h['state'] / MB:.1f} MB   ({took:.0f} s run)", flush=True)
                    browser.close()
            finally:
                harness.stop_app(server)
    afters = [r[2] for r in rows]
    print(f"\nafter the last upload: {afters[-1] - base:+.0f} MB over the baseline; spread of the after-close "
          f"figures {max(afters) - min(afters):.0f} MB; largest rise during one upload "
          f"{max(r[1] - r[0] for r in rows):.0f} MB")


if __name__ == "__main__":
    main()
