"""The app in a real browser: live webcam + microphone (fake devices), capture with uploads, results with a zip."""
from __future__ import annotations

import csv
import io
import re
import time
from pathlib import Path

import pytest

from tests import app_media as media
from tests.browser.harness import check_one_medium_each, choose_mode, open_app, settle, wait_for_text

pytestmark = pytest.mark.browser

EMOTION = "(?:angry|disgust|fear|happy|neutral|sad|surprise)"
FACE_READ = re.compile(rf"Face\n+\S* ?{EMOTION}\s+·\s+\d+%")
VOICE_READ = re.compile(rf"Voice\n+\S* ?(?:{EMOTION}\s+·\s+\d+%|no speech)")
NOT_STREAMING = re.compile(r"Not streaming|Stopped\. The session")
AGREEMENT = re.compile(r"same emotion|same valence|conflict|Only one side could be read")

# Saturated pixels in the video: the camera shows a grey face, so colour can only come from the drawn box and label.
COLOURED_PIXELS = """(video) => {
  const c = document.createElement('canvas');
  c.width = video.videoWidth; c.height = video.videoHeight;
  if (!c.width) return -1;
  const g = c.getContext('2d'); g.drawImage(video, 0, 0);
  const d = g.getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 0; i < d.length; i += 4) {
    if (Math.max(d[i], d[i+1], d[i+2]) - Math.min(d[i], d[i+1], d[i+2]) > 90) n++;
  }
  return n;
}"""


def _coloured_pixels(page) -> int:
    """Saturated pixels in the streamed video now (-1 when no video is showing)."""
    for frame in page.frames:
        video = frame.query_selector("video")
        if video:
            return video.evaluate(COLOURED_PIXELS)
    return -1


def _wait_for_box(page, timeout: float = 60) -> int:
    for _ in range(int(timeout)):
        n = _coloured_pixels(page)
        if n > 200:
            return n
        _keep_streaming(page)
        page.wait_for_timeout(1000)
    raise AssertionError("no face box was drawn on the video")


def _keep_streaming(page) -> None:
    """A starved machine can drop the WebRTC connection (the page then says so): start it again."""
    buttons = page.frame_locator("iframe").first
    body = page.inner_text("body")
    if "the connection may have dropped" in body:  # the component still plays, but no media arrives
        buttons.get_by_role("button", name="STOP").click()
        wait_for_text(page, NOT_STREAMING, timeout=60)
        buttons.get_by_role("button", name="START").wait_for(timeout=60_000)
        body = page.inner_text("body")
    # The page's words can lag a moment behind the component (a starved machine pauses the media): start
    # only when the component really shows START; while it shows STOP, the stream is still on.
    if NOT_STREAMING.search(body) and buttons.get_by_role("button", name="START").count():
        _start(page)


def _wait_streaming(page, pattern, timeout: float = 120) -> None:
    """Wait for `pattern` while streaming, starting the stream again if a starved machine drops it."""
    deadline = time.monotonic() + timeout
    while not pattern.search(page.inner_text("body")):
        if time.monotonic() > deadline:
            wait_for_text(page, pattern, timeout=0)  # fails with what the page says
        _keep_streaming(page)
        page.wait_for_timeout(1000)


def _start(page, tries: int = 2) -> None:
    """Click START and wait until media arrives; on a starved machine a first connection can fail, so retry once."""
    for attempt in range(tries):
        page.frame_locator("iframe").first.get_by_role("button", name="START").click()
        try:
            wait_for_text(page, re.compile(r"video frames: [1-9]|sound received: [1-9]"), timeout=120)
            return
        except AssertionError:
            if attempt == tries - 1:
                raise
            stop = page.frame_locator("iframe").first.get_by_role("button", name="STOP")
            if stop.count():
                stop.click()
            settle(page)


def test_home_page_explains_the_app(page, app_url, shots):
    open_app(page, app_url)
    wait_for_text(page, re.compile(r"Face: .*(accuracy \d|not measured yet)"), timeout=240)  # after the models load
    assert "emotions from a face and from a voice" in page.inner_text("body")
    page.screenshot(path=shots / "home.png", full_page=True)


def test_live_page_labels_the_face_and_the_voice_in_both_modes_and_keeps_the_log(page, app_url, shots):
    open_app(page, app_url, "live", title="Live")
    page.screenshot(path=shots / "live-before-start.png", full_page=True)
    _start(page)
    wait_for_text(page, FACE_READ, timeout=120)
    _wait_for_box(page)  # the box and its label are drawn on the video itself
    _keep_streaming(page)
    wait_for_text(page, VOICE_READ, timeout=90)
    page.screenshot(path=shots / "live-simple.png", full_page=True)

    choose_mode(page, "Hybrid")
    _keep_streaming(page)
    wait_for_text(page, re.compile(r"Face \+ voice together"), timeout=60)
    wait_for_text(page, AGREEMENT, timeout=60)
    wait_for_text(page, FACE_READ, timeout=60)
    page.screenshot(path=shots / "live-hybrid.png", full_page=True)

    wait_for_text(page, re.compile(r"Download the session log \(CSV\)"), timeout=60)
    page.frame_locator("iframe").first.get_by_role("button", name="STOP").click()
    wait_for_text(page, re.compile(r"Stopped\. The session so far is below"), timeout=60)
    wait_for_text(page, re.compile(r"Download the session log \(CSV\)"), timeout=30)  # the log outlives the stream
    page.screenshot(path=shots / "live-stopped.png", full_page=True)
    with page.expect_download(timeout=60_000) as download:
        page.get_by_role("button", name=re.compile("Download the session log")).click()
    assert download.value.suggested_filename == "moodlens-session.csv"
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    assert len(rows) >= 3 and {"clock", "face", "voice"} <= set(rows[0])  # a row a second while it streamed
    assert any(row["face"] and row["face"] != "no face" for row in rows)


# Keeps every RTCPeerConnection a frame makes in window.__pcs, so a test can cut the media off.
CAPTURE_PEER_CONNECTIONS = """(() => {
  const Original = window.RTCPeerConnection;
  if (!Original) return;
  window.__pcs = [];
  function Capturing(...args) { const pc = new Original(...args); window.__pcs.push(pc); return pc; }
  Capturing.prototype = Original.prototype;
  Object.setPrototypeOf(Capturing, Original);
  window.RTCPeerConnection = Capturing;
})();"""


def _cut_media(page) -> int:
    """Stop sending camera and microphone on every peer connection, leaving the connections up; returns
    how many senders were cut. The server then receives nothing, as when a network drops media."""
    for frame in page.frames:
        n = frame.evaluate("""() => { if (!window.__pcs) return 0;
            const senders = window.__pcs.flatMap(pc => pc.getSenders()).filter(s => s.track);
            senders.forEach(s => s.replaceTrack(null)); return senders.length; }""")
        if n:
            return n
    return 0


def test_live_page_says_when_media_stops_arriving_and_recovers_with_the_log_kept(page, app_url, shots):
    page.add_init_script(CAPTURE_PEER_CONNECTIONS)
    open_app(page, app_url, "live", title="Live")
    _start(page)
    wait_for_text(page, FACE_READ, timeout=120)
    wait_for_text(page, re.compile(r"Download the session log \(CSV\)"), timeout=60)
    assert _cut_media(page) == 2  # video and audio
    wait_for_text(page, re.compile(r"the connection may have dropped"), timeout=60)
    page.screenshot(path=shots / "live-stalled.png", full_page=True)
    _keep_streaming(page)  # what the page asks for: STOP, then START
    wait_for_text(page, FACE_READ, timeout=120)
    assert "the connection may have dropped" not in page.inner_text("body")
    assert "Download the session log (CSV)" in page.inner_text("body")


def test_capture_page_reads_an_uploaded_picture_and_recording(page, app_url, shots, tmp_path):
    image = tmp_path / "face.png"
    image.write_bytes(media.png_bytes(media.camera_frame()))
    open_app(page, app_url, "capture", title="Capture")
    page.get_by_role("tab", name="Upload files").click()
    uploaders = page.locator("[data-testid=stFileUploader]")
    uploaders.filter(has_text="A picture with a face").locator("input[type=file]").set_input_files(str(image))
    wait_for_text(page, FACE_READ, timeout=60)  # read before the next upload, which a rerun could otherwise swallow
    uploaders.filter(has_text="A recording of speech").locator("input[type=file]").set_input_files(str(media.SPEECH))
    wait_for_text(page, VOICE_READ, timeout=60)
    settle(page)
    looked = rf'What the model looked at[\s\S]{{0,600}}?brighter = mattered more for "{EMOTION}"'
    listened = rf'What it listened to[\s\S]{{0,600}}?Brighter = mattered more for "{EMOTION}".* Hz'
    wait_for_text(page, re.compile(looked), timeout=60)
    wait_for_text(page, re.compile(listened), timeout=60)
    page.get_by_text("What the model looked at").scroll_into_view_if_needed()
    page.screenshot(path=shots / "capture-explanations.png")
    page.screenshot(path=shots / "capture-simple.png", full_page=True)
    choose_mode(page, "Hybrid")
    settle(page)
    wait_for_text(page, AGREEMENT, timeout=60)
    page.screenshot(path=shots / "capture-hybrid.png", full_page=True)


def test_results_page_measures_a_small_zip(page, app_url, shots, tmp_path):
    archive = tmp_path / "faces.zip"
    archive.write_bytes(media.make_zip(media.face_dataset()))
    open_app(page, app_url, "results", title="Results")
    page.locator("[data-testid=stFileUploader] input[type=file]").set_input_files(str(archive))
    settle(page)
    page.get_by_role("button", name="Run the evaluation").click()
    settle(page)
    wait_for_text(page, re.compile(r"Accuracy\n+\d+\.\d\d%"), timeout=120)
    page.get_by_text("Confusion matrix: counts").first.wait_for()
    heatmap = page.locator("[data-testid=stPlotlyChart] .js-plotly-plot").first
    heatmap.wait_for(timeout=90_000)  # the confusion matrix, drawn by plotly
    assert heatmap.locator("text", has_text="predicted").count() >= 1
    wait_for_text(page, re.compile(r"Calibration error \(ECE\)\n+\d+\.\d%"), timeout=60)
    diagram = page.locator(".js-plotly-plot", has=page.locator("text", has_text="how often it was right"))
    diagram.wait_for(timeout=60_000)  # the reliability diagram, drawn by plotly
    page.get_by_role("heading", name="Results").last.scroll_into_view_if_needed()
    page.screenshot(path=shots / "results-faces.png")
    diagram.scroll_into_view_if_needed()
    page.screenshot(path=shots / "results-reliability.png")


def test_results_page_scores_pairs_three_ways_and_says_they_are_label_matched(page, app_url, shots, tmp_path):
    archive = tmp_path / "pairs.zip"
    archive.write_bytes(media.make_zip(media.pairs_dataset()))
    open_app(page, app_url, "results", title="Results")
    choose_mode(page, "Hybrid")
    page.locator("[data-testid=stFileUploader] input[type=file]").set_input_files(str(archive))
    settle(page)
    page.get_by_role("button", name="Run the evaluation").click()
    settle(page)
    wait_for_text(page, re.compile(r"label-matched, not recorded together"), timeout=120)
    wait_for_text(page, re.compile(r"Face \+ voice\s+Face alone\s+Voice alone"), timeout=60)  # a tab for each
    wait_for_text(page, re.compile(r"Accuracy\n+\d+\.\d\d%"), timeout=60)
    page.get_by_role("heading", name="Results").last.scroll_into_view_if_needed()
    page.screenshot(path=shots / "results-pairs.png")


def test_three_sessions_at_once_keep_their_own_readings(browser, app_url, shots):
    """Three browser sessions stream together: camera and microphone, microphone only, camera only.
    None may show another's readings: no face without a camera, no sound without a microphone."""
    both, mic_only, cam_only = harness_page(browser), harness_page(browser), harness_page(browser)
    pages = {"both": both, "mic": mic_only, "cam": cam_only}
    try:
        for page, source in ((mic_only, "Microphone only"), (cam_only, "Camera only")):
            open_app(page, app_url, "live", title="Live")
            page.get_by_text(source, exact=True).click()
            settle(page)
        open_app(both, app_url, "live", title="Live")
        for page in pages.values():
            _start(page)
        _wait_streaming(both, FACE_READ)
        _wait_streaming(both, VOICE_READ)
        # while the others see a face and hear speech, these have none of it
        check_one_medium_each([(mic_only, "microphone", VOICE_READ), (cam_only, "camera", FACE_READ)],
                              _wait_streaming, both)
        mic_only.screenshot(path=shots / "live-microphone-only.png", full_page=True)
        cam_only.screenshot(path=shots / "live-camera-only.png", full_page=True)
    except BaseException:
        for name, page in pages.items():
            page.screenshot(path=shots / f"FAILED-sessions-{name}.png", full_page=True)
        raise
    finally:
        for page in pages.values():
            page.context.close()


def harness_page(browser):
    from tests.browser.harness import new_page

    page = new_page(browser)
    page.set_default_timeout(60_000)
    return page
