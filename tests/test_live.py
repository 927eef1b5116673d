"""The thread-safe live pieces (emotion.live) and the live analyser (emotion.live_session)."""
from __future__ import annotations

import csv
import io
import math
import threading
import time

import av
import numpy as np
import pytest

from emotion.labels import EMOTIONS
from emotion.live import AudioRing, FrameResampler, Latest, SessionLog, Smoother, Throttle
from emotion.live_session import LiveAnalyser
from tests import app_media as media
from tests.stubs import StubFaceModel, StubVoiceModel, one_hot


class FakeClock:
    def __init__(self, t: float = 100.0):
        self.t = t

    def __call__(self) -> float:
        return self.t


# --- primitives -----------------------------------------------------------------------------------

def test_throttle_lets_one_action_through_per_interval():
    clock = FakeClock()
    throttle = Throttle(0.2, clock)
    assert throttle.ready() and not throttle.ready()
    assert throttle.wait_time() == pytest.approx(0.2)
    clock.t += 0.15
    assert not throttle.ready() and throttle.wait_time() == pytest.approx(0.05)
    clock.t += 0.05
    assert throttle.ready()


def test_smoother_moves_by_elapsed_time_and_resets():
    s = Smoother(tau=1.0)
    a, b = one_hot("happy", 1.0), one_hot("sad", 1.0)
    np.testing.assert_allclose(s.update(a, 0.0), a)
    out = s.update(b, 1.0)  # one time constant later: 1 - 1/e of the way to b
    alpha = 1 - math.exp(-1)
    np.testing.assert_allclose(out, (1 - alpha) * a + alpha * b, rtol=1e-5)
    assert out.sum() == pytest.approx(1.0, abs=1e-5)
    # many quick updates at the same time change nothing: smoothing does not depend on the frame rate
    np.testing.assert_allclose(s.update(a, 1.0), out, rtol=1e-6)
    s.reset()
    assert s.value is None
    np.testing.assert_allclose(s.update(b, 5.0), b)


def test_audio_ring_keeps_the_latest_samples_and_counts_all():
    ring = AudioRing(seconds=1.0, rate=100)
    chunks = [np.arange(i * 30, i * 30 + 30, dtype=np.float32) for i in range(10)]  # 300 samples
    for c in chunks:
        ring.push(c)
    assert ring.received_seconds == pytest.approx(3.0)
    np.testing.assert_array_equal(ring.last(0.5), np.arange(250, 300, dtype=np.float32))
    np.testing.assert_array_equal(ring.last(5.0), np.arange(200, 300, dtype=np.float32))  # capacity 1 s
    ring.push(np.arange(1000, dtype=np.float32))  # more than the capacity at once
    np.testing.assert_array_equal(ring.last(1.0), np.arange(900, 1000, dtype=np.float32))
    ring.clear()
    assert len(ring.last(1.0)) == 0 and ring.received_seconds == 0


def test_audio_ring_is_safe_with_concurrent_writers_and_readers():
    ring = AudioRing(seconds=2.0, rate=1000)
    errors = []

    def write():
        for _ in range(200):
            ring.push(np.ones(17, np.float32))

    def read():
        for _ in range(200):
            x = ring.last(1.0)
            if len(x) and not np.all(x == 1):
                errors.append(x)

    threads = [threading.Thread(target=write) for _ in range(3)] + [threading.Thread(target=read)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert ring.received_seconds == pytest.approx(3 * 200 * 17 / 1000)


def _frames(audio: np.ndarray, rate: int = 48000, channels: int = 2, size: int = 960):
    """WebRTC-like frames: packed s16, `channels` interleaved, 20 ms each."""
    pcm = (np.clip(audio, -1, 1) * 32767).astype(np.int16)
    for i in range(0, len(pcm) - size + 1, size):
        block = np.repeat(pcm[i:i + size], channels)[None, :]
        frame = av.AudioFrame.from_ndarray(block, format="s16", layout="stereo" if channels == 2 else "mono")
        frame.sample_rate = rate
        frame.pts = i
        yield frame


def test_frame_resampler_turns_48k_stereo_into_16k_mono_without_losing_audio():
    t = np.arange(48000) / 48000
    sine = 0.5 * np.sin(2 * np.pi * 440 * t)
    resample = FrameResampler()
    out = np.concatenate([resample(f) for f in _frames(sine)])
    assert out.dtype == np.float32
    assert abs(len(out) - 16000) < 64  # one second in, one second out (minus the resampler's delay)
    spectrum = np.abs(np.fft.rfft(out[1000:9000]))
    assert np.fft.rfftfreq(8000, 1 / 16000)[spectrum.argmax()] == pytest.approx(440, abs=4)
    assert 0.4 < np.abs(out[1000:]).max() < 0.6


def test_latest_keeps_only_the_newest_item():
    box: Latest[int] = Latest()
    assert box.take(timeout=0.01) is None
    box.put(1)
    box.put(2)
    assert box.take(timeout=0.01) == 2
    assert box.take(timeout=0.01) is None
    threading.Timer(0.05, box.put, args=(3,)).start()
    assert box.take(timeout=2.0) == 3


def test_session_log_csv_has_every_row_and_column():
    log = SessionLog()
    log.append({"time_s": 0.0, "face": "happy"})
    log.append({"time_s": 1.0, "face": "sad", "voice": "no speech"})
    rows = list(csv.DictReader(io.StringIO(log.to_csv())))
    assert [r["face"] for r in rows] == ["happy", "sad"]
    assert list(rows[0]) == ["time_s", "face", "voice"] and rows[1]["voice"] == "no speech"
    assert len(log) == 2
    log.clear()
    assert len(log) == 0 and log.to_csv().strip() == ""


def test_session_log_csv_escapes_text_a_spreadsheet_would_run():
    log = SessionLog()
    log.append({"time_s": 0.0, "face": '=HYPERLINK("http://x","Click") + x.wav', "gain": -1.5})
    rows = list(csv.DictReader(io.StringIO(log.to_csv())))
    assert rows[0]["face"] == '\'=HYPERLINK("http://x","Click") + x.wav' and rows[0]["gain"] == "-1.5"


# --- the analyser, driven step by step -------------------------------------------------------------------

def test_frames_are_mirrored_and_get_the_latest_boxes():
    clock = FakeClock()
    live = LiveAnalyser(StubFaceModel("happy"), StubVoiceModel(), clock=clock, background=False)
    frame = np.zeros((120, 160, 3), np.uint8)
    frame[:, :10] = 255  # a white stripe on the left...
    out = live.process_image(frame)
    assert out[:, -10:].min() == 255 and out[:, :10].max() == 0  # ...is on the right, like a mirror
    live.read_faces(live._frames.take(0.1))
    boxed = live.process_image(frame)
    assert (boxed != out).any()  # a box and a label were drawn
    snap = live.snapshot()
    assert len(snap.faces) == 1 and snap.face.label == "happy" and snap.video_active
    clock.t += 5  # readings older than face_hold are not drawn or shown
    assert not live.snapshot().faces and live.snapshot().face is None


def test_video_comes_back_whole_until_more_than_three_sessions_a_core_stream_video():
    from emotion.live import video_scale

    assert video_scale(1, 1) == video_scale(3, 1) == video_scale(6, 2) == 1.0
    assert video_scale(4, 1) == video_scale(7, 2) == 0.5
    assert video_scale(3, 0) == 1.0 and video_scale(4, 0) == 0.5  # no core count: as one core


def test_server_cores_are_those_the_process_may_run_on_within_its_containers_cpu_limit(tmp_path):
    import os

    from emotion.live import server_cores

    allowed = len(os.sched_getaffinity(0))
    limit = tmp_path / "cpu.max"
    assert server_cores(str(tmp_path / "missing")) == allowed  # no cgroup limit: the affinity
    limit.write_text("max 100000\n")
    assert server_cores(str(limit)) == allowed
    limit.write_text("100000 100000\n")  # docker run --cpus 1
    assert server_cores(str(limit)) == 1
    limit.write_text("50000 100000\n")  # half a core still counts as one
    assert server_cores(str(limit)) == 1
    limit.write_text(f"{100000 * (allowed + 4)} 100000\n")  # a limit above the cores it may run on
    assert server_cores(str(limit)) == allowed


def test_with_many_sessions_streaming_the_frame_comes_back_at_half_size_with_the_boxes_where_the_faces_are(
        monkeypatch):
    import av

    from emotion import live_session

    clock = FakeClock()
    face = StubFaceModel("happy")  # its face: the middle of the frame, (80, 60) to (240, 180) here
    live = LiveAnalyser(face, StubVoiceModel(), clock=clock, background=False)
    live._cores = 1
    frame = np.zeros((240, 320, 3), np.uint8)
    live.read_faces(live.process_image(frame))
    assert live.process_image(frame).shape == (240, 320, 3) and live.snapshot().video_scale == 1.0
    others = [10_000 + k for k in range(4)]  # four more sessions streaming video in this process
    try:
        for key in others:
            live_session.FACE_READERS.mark(key)
        small = live.process_image(frame)
        assert small.shape == (120, 160, 3) and live.snapshot().video_scale == 0.5
        assert small[60, 40].max() > 0 and small[60, 20].max() == 0  # the box's left edge, at half the coordinates
        assert (small[95:, 125:] == 0).all()  # nothing drawn beyond the box
        out = live.video_frame(av.VideoFrame.from_ndarray(frame, format="bgr24"))
        assert (out.width, out.height, out.format.name) == (160, 120, "yuv420p")
    finally:
        for key in others:
            live_session.FACE_READERS.forget(key)
    whole = live.video_frame(av.VideoFrame.from_ndarray(frame, format="bgr24"))
    assert (whole.width, whole.height) == (320, 240)


def test_every_other_face_reading_reads_the_boxes_found_last_instead_of_detecting():
    face = StubFaceModel("happy")
    live = LiveAnalyser(face, StubVoiceModel(), clock=FakeClock(), background=False)
    frame = np.zeros((120, 160, 3), np.uint8)
    found = live.read_faces(frame)
    again = live.read_faces(frame[:, ::-1])
    assert face.given_boxes == [None, [found[0].box]]  # detected, then read where the face was found
    assert [f.box for f in again] == [f.box for f in found]
    live.read_faces(frame)
    assert face.given_boxes[-1] is None  # and detected again
    empty = StubFaceModel(faces=0)
    nobody = LiveAnalyser(empty, StubVoiceModel(), clock=FakeClock(), background=False)
    nobody.read_faces(frame)
    nobody.read_faces(frame)
    assert empty.given_boxes == [None, None]  # no face found: look again every time
    live.configure(mask=True)
    live.read_faces(frame)
    live.read_faces(frame)
    assert face.given_boxes[-2:] == [None, None]  # the mask is drawn where the detector finds the faces


def test_no_face_for_a_while_resets_the_smoothed_bars():
    clock = FakeClock()
    face = StubFaceModel("happy")
    live = LiveAnalyser(face, StubVoiceModel(), face_hold=1.0, clock=clock, background=False)
    image = np.zeros((120, 160, 3), np.uint8)
    live.process_image(image)
    live.read_faces(image)
    live.read_faces(image)  # read again in the box found (every other reading), so the next one detects
    face.faces = 0
    clock.t += 0.5
    live.process_image(image)
    assert not live.read_faces(image)
    assert live.smoother.value is not None  # a short miss keeps the bars
    clock.t += 1.0
    live.process_image(image)
    live.read_faces(image)
    assert live.smoother.value is None and live.snapshot().face is None


def test_tick_reads_the_last_seconds_of_audio_and_logs_a_row():
    clock = FakeClock()
    live = LiveAnalyser(StubFaceModel("happy"), StubVoiceModel("sad"), clock=clock, background=False)
    image = np.zeros((120, 160, 3), np.uint8)
    live.process_image(image)
    live.read_faces(image)
    live.push_audio(media.speech())
    row = live.tick()
    assert row["face"] == "happy" and row["voice"] == "sad"
    assert row["agreement"] == "same valence" or row["agreement"] == "conflict"
    assert row["fused"] in EMOTIONS and row["fused_from"] == "fused"
    assert set(f"face_{e}" for e in EMOTIONS) <= set(row)
    clock.t += 1
    live.push_audio(np.zeros(16000 * 3, np.float32))
    row = live.tick()
    assert row["voice"] == "no speech" and row["fused_from"] == "face" and row["time_s"] == pytest.approx(1.0)
    assert len(live.log) == 2
    clock.t += 10  # nothing arriving: nothing logged
    assert live.tick() is None and len(live.log) == 2


def test_the_voice_is_read_against_the_sessions_speaker_until_a_new_speaker():
    clock = FakeClock()
    voice = StubVoiceModel("sad")
    given: list[tuple[float, object, bool]] = []  # (seconds of audio, speaker, learn) of each reading
    read = voice.read
    voice.read = lambda audio, **kw: given.append((len(audio) / 16000, kw["speaker"], kw["learn"])) or read(audio, **kw)
    live = LiveAnalyser(StubFaceModel(), voice, clock=clock, background=False)
    speech = media.speech()

    def tick(audio: np.ndarray) -> dict:
        clock.t += len(audio) / 16000
        live.push_audio(audio)
        return live.tick()

    assert tick(speech[:2 * 16000])["voice"] == "sad"
    assert live.speaker.heard == 1 and live.snapshot().voice_heard == pytest.approx(2.0)
    assert given[-1][1] is live.speaker and given[-1][2]
    # 1 s later the last 3 s overlap the window heard by more than a recording's windows do: read against the
    # speaker, not added to it
    assert tick(speech[2 * 16000:3 * 16000])["voice"] == "sad"
    assert live.speaker.heard == 1 and live.snapshot().voice_heard == pytest.approx(3.0)  # only the new second
    assert given[-1][1] is live.speaker and not given[-1][2]
    tick(speech[3 * 16000:4 * 16000])  # 2 s after the window heard: heard
    assert live.speaker.heard == 2 and live.snapshot().voice_heard == pytest.approx(4.0)
    assert tick(np.zeros(3 * 16000, np.float32))["voice"] == "no speech"
    assert live.speaker.heard == 2 and live.snapshot().voice_heard == pytest.approx(4.0)  # silence is not the voice

    live.new_speaker()  # someone else takes the microphone
    assert live.speaker.heard == 0 and live.snapshot().voice_heard == 0
    calls = voice.calls
    tick(speech[:int(0.2 * 16000)])  # too little of the new voice yet: the last speaker's audio is not theirs
    assert voice.calls == calls and live.speaker.heard == 0
    tick(speech[16000:2 * 16000])
    assert given[-1][0] == pytest.approx(1.2, abs=1e-3) and live.speaker.heard == 1  # only what came since
    assert live.snapshot().voice_heard == pytest.approx(1.2)


class RoomModel:
    """Finds one face per label in `labels`, side by side, each read as its label."""

    def __init__(self, labels: list[str]):
        self.labels = labels

    def read(self, image, mode="auto", detector=None, mask=False, boxes=None):
        from emotion.face import FaceReading

        return [FaceReading(probs=one_hot(label), box=(10 + 50 * i, 10, 40, 40)) for i, label in enumerate(self.labels)]


def test_with_several_faces_each_keeps_its_box_and_the_log_counts_the_room():
    clock = FakeClock()
    model = RoomModel(["happy", "sad", "happy"])
    live = LiveAnalyser(model, StubVoiceModel(), clock=clock, background=False)
    image = np.zeros((80, 200, 3), np.uint8)
    live.process_image(image)
    live.read_faces(image)
    drawn = live.process_image(image)
    for i in range(3):  # a box per face, each in its own place
        assert (drawn[10:50, 10 + 50 * i:50 + 50 * i] != 0).any()
    snap = live.snapshot()
    assert [f.label for f in snap.faces] == ["happy", "sad", "happy"]
    row = live.tick()
    assert row["faces"] == 3
    assert {e: row[f"room_{e}"] for e in EMOTIONS} == {**dict.fromkeys(EMOTIONS, 0), "happy": 2, "sad": 1}
    model.labels = ["neutral"]
    clock.t += 1
    live.read_faces(image)
    live.tick()
    rows = list(csv.DictReader(io.StringIO(live.log.to_csv())))
    assert [(r["faces"], r["room_happy"], r["room_sad"], r["room_neutral"]) for r in rows] == [
        ("3", "2", "1", "0"), ("1", "0", "0", "1")]


def _tick_with_a_face(live: LiveAnalyser) -> dict:
    """A camera frame seen and its faces read, then a tick: the row it logs."""
    image = np.zeros((60, 80, 3), np.uint8)
    live.process_image(image)
    live.read_faces(image)
    return live.tick()


def test_without_a_microphone_the_voice_says_so():
    live = LiveAnalyser(StubFaceModel("happy"), StubVoiceModel(), clock=FakeClock(), background=False)
    row = _tick_with_a_face(live)
    assert row["voice"] == "no microphone" and row["fused_from"] == "face"


def test_a_gap_in_the_sound_is_no_sound_not_no_microphone():
    clock = FakeClock()
    live = LiveAnalyser(StubFaceModel("happy"), StubVoiceModel(), clock=clock, background=False)
    live.push_audio(np.zeros(16_000, np.float32))  # a second of sound
    clock.t += 5  # the microphone's sound stops arriving; the camera goes on
    row = _tick_with_a_face(live)
    assert row["voice"] == "no sound" and row["fused_from"] == "face"


def test_the_log_survives_the_stream_stopping_and_clear_forgets_it():
    clock = FakeClock()
    live = LiveAnalyser(StubFaceModel(), StubVoiceModel(), clock=clock, background=False)
    live.process_image(np.zeros((60, 80, 3), np.uint8))
    live.tick()
    live.stop()
    clock.t += 60
    assert len(live.log) == 1 and "happy" in live.log.to_csv()
    live.clear()
    assert len(live.log) == 0 and live.elapsed() == 0


# --- the analyser with its worker threads ------------------------------------------------------------------

def test_workers_read_in_the_background_and_never_hold_up_frames():
    face = StubFaceModel("surprise", delay=0.3)  # a slow model
    live = LiveAnalyser(face, StubVoiceModel("happy"), face_interval=0.05, voice_interval=0.2, idle_stop=0.5)
    image = np.zeros((240, 320, 3), np.uint8)
    clip = media.speech()
    slowest = 0.0
    began = time.monotonic()
    i = 0
    while time.monotonic() - began < 1.5:  # 1.5 s of 30 fps video and 20 ms audio chunks
        t0 = time.perf_counter()
        live.process_image(image)
        slowest = max(slowest, time.perf_counter() - t0)
        for _ in range(2):
            live.push_audio(clip[i % len(clip): i % len(clip) + 320])
            i += 320
        time.sleep(1 / 30)
    try:
        assert slowest < 0.1, f"a frame waited {slowest:.3f}s for the model"
        assert 2 <= face.calls <= 8  # throttled: it skipped frames instead of queueing them
        assert live.snapshot().face.label == "surprise"
        assert len(live.log) >= 3 and live.log.rows()[-1]["voice"] == "happy"
        assert live.ring.received_seconds == pytest.approx(i / 16000)
    finally:
        live.stop(timeout=2.0)
    assert not live.running


def test_workers_end_by_themselves_when_media_stops_and_come_back():
    live = LiveAnalyser(StubFaceModel(), StubVoiceModel(), voice_interval=0.05, idle_stop=0.2)
    live.process_image(np.zeros((60, 80, 3), np.uint8))
    assert live.running
    deadline = time.monotonic() + 3
    while live.running and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not live.running
    live.process_image(np.zeros((60, 80, 3), np.uint8))
    assert live.running
    live.stop(timeout=2.0)


def test_av_frames_round_trip_through_the_callbacks():
    live = LiveAnalyser(StubFaceModel(), StubVoiceModel(), background=False)
    frame = av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), np.uint8), format="bgr24")
    out = live.video_frame(frame)
    assert isinstance(out, av.VideoFrame) and (out.width, out.height) == (64, 48)
    for f in _frames(np.zeros(48000 // 2)):
        live.audio_frame(f)
    assert live.ring.received_seconds == pytest.approx(0.5, abs=0.01)
    live.stop(timeout=2.0)


# --- with the real models ---------------------------------------------------------------------------------------

def test_real_models_read_the_camera_face_and_the_speech(face_model, voice_model):
    live = LiveAnalyser(face_model, voice_model, background=False)
    frame = media.camera_frame()
    live.process_image(frame)
    faces = live.read_faces(live._frames.take(0.1))
    assert len(faces) == 1 and faces[0].label in EMOTIONS
    x, y, w, h = faces[0].box
    assert 150 < w < 350 and abs(x + w / 2 - 320) < 40  # the face in the middle of the frame
    live.push_audio(media.speech())
    row = live.tick()
    assert row["voice"] in EMOTIONS and row["face"] in EMOTIONS
    assert live.speaker.heard == 1  # the session's own voice, heard by the real adapter
    live.push_audio(media.speech()[:16000])
    assert live.tick()["voice"] in EMOTIONS and live.speaker.heard == 1  # 1 s on: read against it, not added
    live.new_speaker()
    assert live.speaker.heard == 0
    live.stop(timeout=2.0)


# --- sessions: stop/start, one side only, several at once ------------------------------------------------------

def test_microphone_only_reads_the_voice_and_says_there_is_no_face():
    clock = FakeClock()
    live = LiveAnalyser(StubFaceModel("happy"), StubVoiceModel("sad"), clock=clock, background=False)
    live.push_audio(media.speech())
    row = live.tick()
    assert row["face"] == "no face" and row["faces"] == 0
    assert row["voice"] == "sad" and row["fused"] == "sad" and row["fused_from"] == "voice"
    assert "no face" in live.snapshot().hybrid.note


def test_stop_and_start_again_and_again_keeps_one_log():
    live = LiveAnalyser(StubFaceModel(), StubVoiceModel(), face_interval=0.01, voice_interval=0.05, idle_stop=5)
    image = np.zeros((60, 80, 3), np.uint8)
    try:
        for round_ in range(3):
            began = len(live.log)
            deadline = time.monotonic() + 3
            while len(live.log) <= began and time.monotonic() < deadline:
                live.process_image(image)
                time.sleep(0.02)
            assert live.running and len(live.log) > began, f"no new rows after start number {round_ + 1}"
            live.stop(timeout=2.0)  # STOP (or the stream ending): the workers go, the log stays
            assert not live.running and len(live.log) > began
    finally:
        live.stop(timeout=2.0)
    times = [r["time_s"] for r in live.log.rows()]
    assert times == sorted(times)  # one session, one clock


def test_sessions_at_once_keep_their_own_readings():
    """Several browser sessions share the models but each has its own analyser: nothing is mixed up."""
    labels = ("happy", "sad", "surprise")
    sessions = [LiveAnalyser(StubFaceModel(label), StubVoiceModel(label), face_interval=0.01, voice_interval=0.05)
                for label in labels]
    image = np.zeros((60, 80, 3), np.uint8)
    clip = media.speech()

    def stream(live):
        for i in range(40):
            live.process_image(image)
            live.push_audio(clip[(i * 1600) % len(clip):][:1600])
            time.sleep(0.01)

    threads = [threading.Thread(target=stream, args=(s,)) for s in sessions]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    deadline = time.monotonic() + 30  # generous: CI machines can be busy
    while any(len(s.log) == 0 for s in sessions) and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        for label, live in zip(labels, sessions):
            rows = live.log.rows()
            assert rows and {r["face"] for r in rows} <= {label, "no face"}
            assert {r["voice"] for r in rows} <= {label, "no speech", "no sound"}
            assert live.snapshot().face is None or live.snapshot().face.label == label
    finally:
        for live in sessions:
            live.stop(timeout=2.0)


def test_face_rest_shares_the_cpu_between_sessions():
    from emotion.live import face_rest

    assert face_rest(0.02, 0.1, 1) == 0.0  # fast readings: the throttle's interval is the only wait
    assert face_rest(0.3, 0.1, 1) == pytest.approx(0.2)  # slow: rest as long as the reading took
    assert face_rest(0.3, 0.1, 3) == pytest.approx(1.4)  # three sessions: each reads 1/6 of the time, 1/2 in all
    assert face_rest(0.3, 0.1, 0) == pytest.approx(0.2)


def test_voice_period_stretches_with_many_sessions_up_to_the_longest():
    from emotion.live import LONGEST_VOICE_PERIOD, voice_period

    assert voice_period(0.08, 1.0, 1) == 1.0  # one session, a quick reading: once a second
    assert voice_period(0.08, 1.0, 4) == 1.0  # four: 0.96 s of readings a second in all, still within a third
    assert voice_period(0.1, 1.0, 4) == pytest.approx(1.2)  # more than a third: each reads less often
    assert voice_period(0.3, 1.0, 12) == LONGEST_VOICE_PERIOD == 1.6  # never longer than that
    assert voice_period(0.08, 1.0, 0) == 1.0


def test_recent_readers_count_sessions_that_read_lately_and_forget_the_others():
    from emotion.live import RecentReaders

    clock = FakeClock()
    readers = RecentReaders(window=5.0, clock=clock)
    assert readers.mark(1) == 1 and readers.recent() == {1}
    assert readers.mark(2) == 2 and readers.mark(1) == 2
    clock.t += 6  # session 2 stopped reading; session 1 goes on
    assert readers.mark(1) == 1
    readers.forget(1)
    assert readers.recent() == set() and readers.mark(2) == 1


def test_only_sessions_reading_faces_count_as_face_readers_and_only_those_hearing_sound_as_voice_readers():
    """A microphone-only session must not slow the camera sessions' face readings down, nor a camera-only
    session the voice readings."""
    from emotion import live_session

    cam = LiveAnalyser(StubFaceModel("happy"), StubVoiceModel(), face_interval=0.01, voice_interval=0.05)
    mic = LiveAnalyser(StubFaceModel("sad"), StubVoiceModel(), face_interval=0.01, voice_interval=0.05)
    try:
        clip = media.speech()
        for i in range(30):
            cam.process_image(np.zeros((60, 80, 3), np.uint8))
            mic.push_audio(clip[(i * 1600) % len(clip):][:1600])
            time.sleep(0.01)
        deadline = time.monotonic() + 30
        while not cam.snapshot().faces and time.monotonic() < deadline:
            time.sleep(0.05)
        recent = live_session.FACE_READERS.recent()
        # the microphone-only session never read a face
        assert cam.reader_key in recent and mic.reader_key not in recent
        while mic.reader_key not in live_session.VOICE_READERS.recent() and time.monotonic() < deadline:
            time.sleep(0.05)
        # and the camera-only session never heard a microphone
        assert mic.reader_key in live_session.VOICE_READERS.recent()
        assert cam.reader_key not in live_session.VOICE_READERS.recent()
    finally:
        cam.stop(timeout=2)
        mic.stop(timeout=2)
    assert cam.reader_key not in live_session.FACE_READERS.recent()  # stopped: no longer counted
    assert mic.reader_key not in live_session.VOICE_READERS.recent()


def test_the_latest_face_can_be_frozen_with_the_frame_it_was_read_from():
    clock = FakeClock()
    face = StubFaceModel("happy")
    live = LiveAnalyser(face, StubVoiceModel(), face_hold=1.0, clock=clock, background=False)
    assert live.latest_face() is None  # nothing read yet
    frame = np.zeros((120, 160, 3), np.uint8)
    frame[:, :10] = 255
    live.configure(mask=True)
    live.process_image(frame)
    live.read_faces(live._frames.take(0.1))
    frozen = live.latest_face()
    assert frozen.face.label == "happy" and frozen.face.box == (40, 30, 80, 60) and frozen.mask
    assert frozen.image[:, -10:].min() == 255  # the mirrored frame, as read
    face.faces = 0
    clock.t += 0.5
    live.read_faces(frame)  # no face now: nothing to freeze, though the bars are still held
    assert live.latest_face() is None
