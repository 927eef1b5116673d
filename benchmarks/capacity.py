"""Capacity, measured (issue 33): how many live sessions at once can one app server keep up with?

Starts ONE app server (`streamlit run streamlit_app.py`, as harness.start_app does), then for each N in
`--sessions` opens N browser sessions at once in one headless Chromium (N contexts, each its own Streamlit
session; fake camera = a face .y4m, fake microphone = the speech clip, as the browser tests do), clicks START on
the Live page in each, lets them stream for `--seconds` after all have started, and records:

  per session  face readings per second and voice readings (count, mean and longest interval), counted in the
               server by a probe (below); video frames and seconds of sound received, from the page's status
               line; whether the stream dropped (the page says so, or its frames stop growing); time from START
               to the first face and voice reading shown on the page;
  server       CPU % of one core (from /proc) over the window, resident memory (VmRSS) at the end and at peak.

The page shows no count of readings, so the server is started with a `sitecustomize` probe on PYTHONPATH that
wraps LiveAnalyser.read_faces and LiveAnalyser.tick (emotion/live_session.py, unchanged) and appends one line
per reading to a file: "time session face|voice". The app itself is not modified.

    .venv/bin/python benchmarks/capacity.py --sessions 1,2,4,8 --seconds 40
    .venv/bin/python benchmarks/capacity.py --sessions 1,2,3,4 --pin   # server on CPU 0, browsers on CPU 1

With `--pin` the server runs on one core and the browsers on the other, so the browsers' work (encoding every
camera, decoding what comes back) no longer takes the server's CPU: what one server core holds, measured.

The bar (issue 33): in every session at least 2 face readings/s and a voice reading every 1-2 s (counted as:
mean interval at most 2 s and no gap over 3 s; the app reads the voice once a second), and no stream dropped.
Prints a table per N and the largest N meeting it. Needs /usr/bin/chromium and playwright. A script, not a test.
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _common import PeakSampler, load_note, rss_mb
from tests import app_media as media
from tests.browser import harness

FACE_READ = re.compile(r"Face\n+\S* ?(?:angry|disgust|fear|happy|neutral|sad|surprise)\s+·\s+\d+%")
VOICE_READ = re.compile(r"Voice\n+\S* ?(?:(?:angry|disgust|fear|happy|neutral|sad|surprise)\s+·\s+\d+%|no speech)")
STATUS = re.compile(r"Faces in view: (\d+) · video frames: (\d+) · sound received: (\d+) s · "
                    r"face reading takes (\d+) ms")
DROPPED = re.compile(r"the connection may have dropped|Not streaming|Stopped\. The session")
MB = 2 ** 20

# Loaded by the server at start (PYTHONPATH): counts readings without changing the app.
PROBE = '''
import importlib.abc, importlib.machinery, os, sys, threading, time

_OUT = os.environ["MOODLENS_CAPACITY_PROBE"]
_LOCK = threading.Lock()


def _note(key, what):
    with _LOCK, open(_OUT, "a") as f:
        f.write(f"{time.monotonic():.3f} {key} {what}\\n")


def _patch(module):
    cls = module.LiveAnalyser
    read_faces, tick = cls.read_faces, cls.tick

    def counted_read_faces(self, view):
        faces = read_faces(self, view)
        _note(self.reader_key, "face")
        return faces

    def counted_tick(self):
        row = tick(self)
        if self._voice is not None:
            _note(self.reader_key, "voice")
        return row

    cls.read_faces, cls.tick = counted_read_faces, counted_tick


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name != "emotion.live_session":
            return None
        sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        load = spec.loader.exec_module

        def exec_module(module):
            load(module)
            _patch(module)

        spec.loader.exec_module = exec_module
        return spec


sys.meta_path.insert(0, _Finder())
'''


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads) in seconds."""
    import os

    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of all CPUs, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def probe_events(path: Path, since: float, until: float) -> dict[int, dict[str, list[float]]]:
    """Readings the probe logged between `since` and `until` (monotonic s): {session: {"face": [t...], ...}}."""
    events: dict[int, dict[str, list[float]]] = {}
    if not path.exists():
        return events
    for line in path.read_text().splitlines():
        t, key, what = line.split()
        if since <= float(t) <= until:
            events.setdefault(int(key), {"face": [], "voice": []})[what].append(float(t))
    return events


def status(page) -> tuple[str, tuple[int, int] | None]:
    """The page's text and its (video frames, seconds of sound) from the status line (None if not shown)."""
    try:
        text = page.inner_text("body", timeout=20_000)
    except Exception:  # a starved page can time out; count it as not showing the line
        return "", None
    found = STATUS.search(text)
    return text, (int(found[2]), int(found[3])) if found else None


def run_round(browser, url: str, n: int, seconds: float, server_pid: int, probe: Path, timeout: float) -> dict:
    """N sessions at once on the Live page: start them all, stream `seconds`, measure, close them."""
    pages = [harness.new_page(browser, 1200, 1400) for _ in range(n)]
    try:
        for page in pages:
            page.set_default_timeout(timeout * 1000)
            harness.open_app(page, url, "live", title="Live", timeout=timeout)
        clicked = []
        for page in pages:  # all at once: each click right after the other
            page.frame_locator("iframe").first.get_by_role("button", name="START").click()
            clicked.append(time.monotonic())
        first_face: list[float | None] = [None] * n
        first_voice: list[float | None] = [None] * n
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and (None in first_face or None in first_voice):
            for i, page in enumerate(pages):
                if first_face[i] is None or first_voice[i] is None:
                    text, _ = status(page)
                    if first_face[i] is None and FACE_READ.search(text):
                        first_face[i] = time.monotonic() - clicked[i]
                    if first_voice[i] is None and VOICE_READ.search(text):
                        first_voice[i] = time.monotonic() - clicked[i]
            time.sleep(0.5)
        # The window: `seconds` from now (every session started, or the wait for one ran out).
        start_counts = [status(page)[1] for page in pages]
        cpu0, busy0, t0 = cpu_seconds(server_pid), machine_busy(), time.monotonic()
        counted_from = [0.0 if c else None for c in start_counts]  # when each page's count was first read
        dropped = [""] * n  # why the stream counts as dropped ("" while it has not)
        last = list(start_counts)
        with PeakSampler(server_pid, every=0.5) as sampler:
            while time.monotonic() - t0 < seconds:
                time.sleep(min(5.0, max(0.0, seconds - (time.monotonic() - t0))))
                for i, page in enumerate(pages):
                    text, counts = status(page)
                    said = DROPPED.search(text)
                    why = (f"page: {said[0]}" if said else "no status line" if counts is None else
                           "video frames stopped" if last[i] and counts[0] <= last[i][0] else "")
                    if why and not dropped[i]:
                        dropped[i] = f"{why} at {time.monotonic() - t0:.0f} s"
                    if counts and start_counts[i] is None:  # its status line was not read at the start
                        start_counts[i], counted_from[i] = counts, time.monotonic() - t0
                    last[i] = counts or last[i]
        t1, cpu1, busy1 = time.monotonic(), cpu_seconds(server_pid), machine_busy()
        events = probe_events(probe, t0, t1)
        span = t1 - t0
        sessions = []
        for key in sorted(events):
            face, voice = events[key]["face"], events[key]["voice"]
            gaps = [b - a for a, b in zip(voice, voice[1:])]
            sessions.append({"key": key, "face_per_s": len(face) / span, "voices": len(voice),
                             "voice_mean": statistics.mean(gaps) if gaps else float("inf"),
                             "voice_max": max(gaps) if gaps else float("inf")})
        while len(sessions) < n:  # a session with no reading at all in the window
            sessions.append({"key": None, "face_per_s": 0.0, "voices": 0, "voice_mean": float("inf"),
                             "voice_max": float("inf")})
        pages_seen = []
        for i in range(n):
            a, b = start_counts[i], last[i]
            frames = (b[0] - a[0]) if a and b else 0
            sound = (b[1] - a[1]) if a and b else 0
            counted = span - counted_from[i] if counted_from[i] is not None else span
            pages_seen.append({"frames_per_s": frames / max(counted, 1e-9), "sound_s": sound, "dropped": dropped[i],
                               "first_face": first_face[i], "first_voice": first_voice[i]})
        return {"n": n, "span": span, "sessions": sessions, "pages": pages_seen,
                "cpu": 100 * (cpu1 - cpu0) / span, "machine": 100 * (busy1[0] - busy0[0]) / max(1, busy1[1] - busy0[1]),
                "rss": rss_mb(server_pid), "rss_peak": sampler.peak}
    finally:
        for page in pages:
            try:
                page.frame_locator("iframe").first.get_by_role("button", name="STOP").click(timeout=5000)
            except Exception:
                pass
            page.context.close()


def meets(r: dict) -> bool:
    return (len(r["sessions"]) >= r["n"] and all(s["face_per_s"] >= 2 for s in r["sessions"])
            and all(s["voice_mean"] <= 2 and s["voice_max"] <= 3 for s in r["sessions"])
            and not any(p["dropped"] for p in r["pages"]))


def fmt(x: float | None, spec: str = ".1f") -> str:
    return "never" if x is None else format(x, spec)


def report(r: dict) -> None:
    print(f"\nN = {r['n']}: {r['span']:.0f} s window; server CPU {r['cpu']:.0f}% of one core (machine busy "
          f"{r['machine']:.0f}% of all CPUs); server RSS {r['rss']:.0f} MB (peak {r['rss_peak']:.0f} MB)")
    print(f"  {'session':>7} {'face/s':>7} {'voices':>6} {'voice every':>11} {'longest gap':>11}")
    for s in r["sessions"]:
        print(f"  {fmt(s['key'], 'd') if s['key'] else '-':>7} {s['face_per_s']:>7.2f} {s['voices']:>6} "
              f"{s['voice_mean']:>9.2f} s {s['voice_max']:>9.2f} s")
    print(f"  {'page':>7} {'frames/s':>8} {'sound s':>7} {'dropped':>7} {'first face':>10} {'first voice':>11}")
    for i, p in enumerate(r["pages"], 1):
        print(f"  {i:>7} {p['frames_per_s']:>8.1f} {p['sound_s']:>7} {'YES' if p['dropped'] else 'no':>7} "
              f"{fmt(p['first_face']):>8} s {fmt(p['first_voice']):>9} s  {p['dropped']}")
    print(f"  meets the bar: {'yes' if meets(r) else 'NO'}", flush=True)


def summary(results: list[dict]) -> None:
    print("\n| N | face readings/s per session (min / mean) | voice every (mean; longest gap) | frames/s per "
          "page (min) | dropped | server CPU % | machine % | RSS MB (peak) | first face / voice (max s) | bar |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        face = [s["face_per_s"] for s in r["sessions"]]
        means = [s["voice_mean"] for s in r["sessions"]]
        longest = max(s["voice_max"] for s in r["sessions"])
        first_face = [p["first_face"] for p in r["pages"]]
        first_voice = [p["first_voice"] for p in r["pages"]]
        print(f"| {r['n']} | {min(face):.2f} / {statistics.mean(face):.2f} | {statistics.mean(means):.2f} s; "
              f"{longest:.1f} s | {min(p['frames_per_s'] for p in r['pages']):.1f} | "
              f"{sum(bool(p['dropped']) for p in r['pages'])} of {r['n']} | {r['cpu']:.0f} | {r['machine']:.0f} | "
              f"{r['rss']:.0f} ({r['rss_peak']:.0f}) | "
              f"{fmt(None if None in first_face else max(first_face))} / "
              f"{fmt(None if None in first_voice else max(first_voice))} | {'met' if meets(r) else 'not met'} |")
    good = [r["n"] for r in results if meets(r)]
    print(f"\nLargest N meeting the bar (>= 2 face readings/s and a voice reading every 1-2 s in every session, "
          f"no stream dropped): {max(good) if good else 'none'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", default="1,2,4,8", help="the N to try, in order (default 1,2,4,8)")
    parser.add_argument("--seconds", type=float, default=40, help="seconds of streaming measured after all started")
    parser.add_argument("--camera", default="640x480", help="fake camera size (default 640x480, what the page asks)")
    parser.add_argument("--fps", type=int, default=15, help="fake camera frames per second (default 15)")
    parser.add_argument("--pin", action="store_true", help="server on CPU 0, browsers and this script on CPU 1")
    parser.add_argument("--timeout", type=float, default=240, help="longest wait for one page step (s)")
    parser.add_argument("--pause", type=float, default=8, help="seconds between rounds (the sessions wind down)")
    parser.add_argument("--log", type=Path, help="write the server's output here")
    args = parser.parse_args()
    if why := harness.missing():
        sys.exit(f"capacity: {why}")
    counts = [int(n) for n in args.sessions.split(",")]
    width, height = (int(v) for v in args.camera.split("x"))
    from playwright.sync_api import sync_playwright

    if args.pin and len(os.sched_getaffinity(0)) < 2:
        sys.exit("capacity: --pin needs two CPUs")
    print(f"Machine: {load_note()}; {args.seconds:g} s per round; camera {width}x{height} at {args.fps} fps"
          + ("; server pinned to CPU 0, browsers to CPU 1" if args.pin else ""), flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "sitecustomize.py").write_text(PROBE)
        probe = folder / "readings.log"
        camera = media.write_y4m(folder / "face.y4m", media.camera_frame(size=(width, height),
                                                                         face_px=height // 2), seconds=4, fps=args.fps)
        microphone = media.write_mic_wav(folder / "speech.wav", seconds=12.0)
        port = harness.free_port()
        env = {"PYTHONPATH": str(folder), "MOODLENS_CAPACITY_PROBE": str(probe)}
        results = []
        with open(args.log or folder / "server.log", "w") as log:
            cpus = sorted(os.sched_getaffinity(0))
            if args.pin:  # the server (started now) inherits CPU 0; the browsers (launched later) CPU 1
                os.sched_setaffinity(0, {cpus[0]})
            server = harness.start_app(port, log, env)
            if args.pin:
                os.sched_setaffinity(0, {cpus[1]})
            try:
                began = time.monotonic()
                harness.wait_healthy(server, port, args.timeout)
                url = f"http://127.0.0.1:{port}"
                with sync_playwright() as p:
                    browser = harness.launch(p, camera, microphone)
                    try:
                        warm = harness.new_page(browser)  # the home page loads the models: not a session's cost
                        harness.open_app(warm, url, timeout=args.timeout)
                        harness.wait_for_text(warm, re.compile(r"Face: .*(accuracy \d|not measured yet)"),
                                              timeout=args.timeout)
                        warm.context.close()
                        print(f"server up, models loaded in {time.monotonic() - began:.0f} s; RSS "
                              f"{rss_mb(server.pid):.0f} MB", flush=True)
                        for n in counts:
                            results.append(run_round(browser, url, n, args.seconds, server.pid, probe, args.timeout))
                            report(results[-1])
                            time.sleep(args.pause)
                    finally:
                        browser.close()
            finally:
                harness.stop_app(server)
    if results:
        summary(results)


if __name__ == "__main__":
    main()
