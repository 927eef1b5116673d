"""Long live session: stream fake camera + microphone into the Live page for several minutes in headless
Chromium and record the Streamlit server's memory (RSS) over time.

    python benchmarks/memory_live.py [--minutes 5] [--every 10] [--port 8598]

Needs ffmpeg, Debian's /usr/bin/chromium and the playwright package (see ../shared/TESTING.md). The
camera is a looping .y4m of a fixture face on a photo-like scene (tests/media.face_photo), the
microphone the fixture sentences (tests/fixtures/speech.wav) at 48 kHz; Chromium loops both files.
Prints RSS every `--every` seconds and the growth after the first minute (warm-up: graph tracing,
WebRTC buffers), and how long the page says a face reading takes at each sample. A script, not a test.
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2

from _common import CHROMIUM, ROOT

sys.path.insert(0, str(ROOT / "tests"))
from tests.browser.harness import start_app, stop_app, wait_healthy  # noqa: E402

FACE_MS = re.compile(r"face reading takes (\d+) ms")


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MB (from /proc)."""
    total = 0
    pids = [pid]
    try:
        children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def fake_media(tmp: Path, seconds: float = 20.0) -> tuple[Path, Path]:
    """A camera clip (.y4m, 640x480, 15 fps, `seconds` long) and a 48 kHz mono microphone WAV."""
    from media import face_photo

    faces = sorted((ROOT / "tests" / "fixtures" / "faces").glob("*.jpg"))
    png = tmp / "face.png"
    cv2.imwrite(str(png), face_photo(cv2.imread(str(faces[0]), cv2.IMREAD_GRAYSCALE)))
    cam, mic = tmp / "cam.y4m", tmp / "mic.wav"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-loop", "1", "-i", str(png), "-t", str(seconds), "-r", "15",
                    "-vf", "scale=640:480", "-pix_fmt", "yuv420p", str(cam)], check=True)
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-stream_loop", "3", "-i",
                    str(ROOT / "tests" / "fixtures" / "speech.wav"), "-ar", "48000", "-ac", "1", str(mic)], check=True)
    return cam, mic


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=5.0)
    ap.add_argument("--every", type=float, default=10.0, help="seconds between samples")
    ap.add_argument("--port", type=int, default=8598)
    ap.add_argument("--screenshot", help="save a screenshot of the page at the end (or on failure) here")
    ap.add_argument("--camera-seconds", type=float, default=20.0,
                    help="length of the fake camera clip (460 kB per frame at 15 fps; Chromium loops it)")
    ap.add_argument("--start-timeout", type=float, default=300.0, help="seconds to wait for the START button")
    ap.add_argument("--log", type=Path, help="write the server's output and the page's console messages here")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        cam, mic = fake_media(Path(tmp), args.camera_seconds)
        log = open(args.log, "w") if args.log else subprocess.DEVNULL
        proc = start_app(args.port, log=log)
        samples: list[tuple[float, float, bool, str]] = []
        try:
            wait_healthy(proc, args.port)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
                    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                    f"--use-file-for-fake-video-capture={cam}", f"--use-file-for-fake-audio-capture={mic}"])
                page = browser.new_context(permissions=["camera", "microphone"]).new_page()
                if args.log:
                    page.on("console", lambda m: print(f"[console {time.strftime('%H:%M:%S')}] {m.type}: {m.text}",
                                                       file=log, flush=True))
                page.goto(f"http://127.0.0.1:{args.port}/live")
                try:
                    start = page.frame_locator("iframe").first.get_by_role("button", name="START")
                    start.click(timeout=args.start_timeout * 1000)
                    page.frame_locator("iframe").first.get_by_role("button", name="STOP").wait_for(timeout=120_000)
                except Exception:
                    if args.screenshot:  # what the page showed instead
                        page.screenshot(path=args.screenshot, full_page=True)
                    raise
                print(f"streaming; RSS at start {rss_mb(proc.pid):.0f} MB", file=sys.stderr, flush=True)
                t0 = time.time()
                stop = page.frame_locator("iframe").first.get_by_role("button", name="STOP")

                def sample() -> None:
                    reading = FACE_MS.search(page.inner_text("body"))
                    samples.append((time.time() - t0, rss_mb(proc.pid), stop.is_visible(),
                                    reading.group(1) if reading else "-"))
                    print(f"{samples[-1][0]:6.0f} s  {samples[-1][1]:7.1f} MB  streaming={samples[-1][2]}  "
                          f"face reading {samples[-1][3]} ms", file=sys.stderr, flush=True)

                while time.time() - t0 < args.minutes * 60:
                    sample()
                    page.wait_for_timeout(args.every * 1000)
                sample()
                if args.screenshot:
                    page.screenshot(path=args.screenshot, full_page=True)
                browser.close()
        finally:
            stop_app(proc)

    load = os.getloadavg()
    print(f"Live session memory: Streamlit server RSS while streaming fake camera + microphone for "
          f"{args.minutes:g} min. Machine: {os.cpu_count()} CPUs, load average {load[0]:.1f}.\n")
    print("| seconds | RSS MB | streaming (STOP shown) | face reading ms (as the page says) |\n|---|---|---|---|")
    for t, mb, on, face_ms in samples:
        print(f"| {t:.0f} | {mb:.0f} | {'yes' if on else 'NO'} | {face_ms} |")
    if not all(on for _, _, on, _ in samples):
        print("\nThe stream stopped during the run: these figures do not measure a live session.")
    after = [(t, mb) for t, mb, _, _ in samples if t >= 60]
    if len(after) >= 2:
        slope = (after[-1][1] - after[0][1]) / ((after[-1][0] - after[0][0]) / 60)
        print(f"\nAfter the first minute: {after[0][1]:.0f} -> {after[-1][1]:.0f} MB, {slope:+.1f} MB per minute.")


if __name__ == "__main__":
    main()
