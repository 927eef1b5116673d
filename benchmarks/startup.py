"""Startup: seconds from `streamlit run streamlit_app.py` to the server answering and to the models being
ready (the home page shows the model descriptions, which it writes only after loading and warming both
models), then a second visit (models cached in the server process).

    python benchmarks/startup.py [--port 8599] [--runs 1]

The models load on the first page view (st.cache_resource), not at server start, so a headless
Chromium (Debian's /usr/bin/chromium via playwright, as in ../shared/TESTING.md) opens the page.
A script, not a test: it prints Markdown.
"""
from __future__ import annotations

import argparse
import os
import time

from _common import CHROMIUM  # importing _common puts the repository on sys.path
from tests.browser.harness import start_app, stop_app, wait_healthy  # noqa: E402

READY_TEXT = "48×48 grey face crops"  # in the home page's model description, written after models() returns


def one_run(port: int, timeout: float) -> dict:
    from playwright.sync_api import sync_playwright

    t0 = time.perf_counter()
    proc = start_app(port)
    try:
        wait_healthy(proc, port, timeout)
        t_health = time.perf_counter() - t0
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
                "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"])
            page = browser.new_page()
            t_open = time.perf_counter()
            page.goto(f"http://127.0.0.1:{port}")
            page.get_by_text(READY_TEXT, exact=False).wait_for(timeout=timeout * 1000)
            t_ready = time.perf_counter() - t0
            first_view = time.perf_counter() - t_open
            page2 = browser.new_page()
            t = time.perf_counter()
            page2.goto(f"http://127.0.0.1:{port}")
            page2.get_by_text(READY_TEXT, exact=False).wait_for(timeout=timeout * 1000)
            second = time.perf_counter() - t
            browser.close()
        return {"health": t_health, "ready": t_ready, "first_view": first_view, "second_view": second}
    finally:
        stop_app(proc)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, default=8599)
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for each step")
    args = ap.parse_args()
    rows = [one_run(args.port, args.timeout) for _ in range(args.runs)]
    load = os.getloadavg()
    print(f"Startup. Machine: {os.cpu_count()} CPUs, load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}.\n")
    print("| run | server answers (health) | models ready (first view) | first view alone | second view |\n"
          "|---|---|---|---|---|")
    for i, r in enumerate(rows, 1):
        print(f"| {i} | {r['health']:.1f} s | {r['ready']:.1f} s | {r['first_view']:.1f} s "
              f"| {r['second_view']:.1f} s |")


if __name__ == "__main__":
    main()
