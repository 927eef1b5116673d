"""A live session: reads faces and voice from a stream in worker threads, off the media path.

The WebRTC callbacks only hand media over (`video_frame`, `audio_frame`) and draw the latest face
boxes on each frame, so video stays smooth whatever the models cost:
  face worker   reads the newest frame at most every `face_interval` seconds (older frames are
                skipped; every other reading reuses the boxes found last instead of detecting) and
                smooths the main face's probabilities over time; the sessions streaming
                video in one process share about half the CPU for faces (`face_rest`);
  voice worker  every `voice_interval` seconds (up to 1.6 s when many sessions hear a microphone at once,
                `voice_period`) reads the last 3 s of audio (every sample kept in a
                ring buffer) against the session's own voice so far (one speaker at a time: a
                `SpeakerAdapter` that hears a window every HEAR_HOP seconds of speech, until `new_speaker`
                forgets it), fuses it with the face, and appends a row to the session log.
With many sessions streaming video at once, each gets its video back at half size (`video_scale`): the
server re-encodes every frame it sends back. Workers start with the first media and end by themselves when
media stops. Nothing here touches Streamlit: the page reads `snapshot()` and `log`.
"""
from __future__ import annotations

import datetime
import itertools
import logging
import math
import threading
import time
from dataclasses import dataclass, replace
from typing import Any

import cv2
import numpy as np

from .analyse import timeline_row
from .audio import SAMPLE_RATE
from .draw import draw_faces, mirror
from .face import FaceMode, FaceReading
from .fusion import HybridReading, hybrid
from .labels import NO_SOUND
from .live import (
    AudioRing,
    Clock,
    FrameResampler,
    Latest,
    RecentReaders,
    SessionLog,
    Smoother,
    Throttle,
    face_rest,
    server_cores,
    video_scale,
    voice_period,
)
from .voice import WINDOW_SECONDS, VoiceReading

logger = logging.getLogger(__name__)

NO_MICROPHONE = "no microphone"
FACE_READERS = RecentReaders()  # the sessions of this process reading faces, to share the CPU between them
VOICE_READERS = RecentReaders()  # and those hearing a microphone
_SESSION_KEYS = itertools.count(1)  # one key per LiveAnalyser, never reused (id() is, once one is freed)
MEDIA_HOLD = 3.0  # seconds without frames (or sound) before the video (or audio) counts as stopped
# The speaker hears a window at most once per HEAR_HOP seconds of audio, so its windows overlap as a recording's
# do (hop 1.5 s); the readings in between are against the speaker without adding to it.
HEAR_HOP = WINDOW_SECONDS / 2


@dataclass(frozen=True)
class LiveSnapshot:
    """What the session knows right now, for the page to show."""

    faces: tuple[FaceReading, ...]  # every face in the latest reading, largest first
    face: FaceReading | None  # the main face with smoothed probabilities; None when no face lately
    voice: VoiceReading | None  # the last ~3 s of speech; None when no audio is arriving
    hybrid: HybridReading
    video_frames: int  # frames seen since the session started
    audio_seconds: float  # audio received since the session started
    video_active: bool  # frames arrived in the last MEDIA_HOLD seconds
    audio_active: bool
    face_ms: float  # how long the last face reading took
    error: str  # the last error in a worker, "" when none
    voice_heard: float = 0.0  # seconds of this speaker's speech the voice reading has adapted to
    video_scale: float = 1.0  # the share of its width and height the video is sent back at (video_scale)

    @property
    def media_active(self) -> bool:
        """Video or audio arrived in the last MEDIA_HOLD seconds."""
        return self.video_active or self.audio_active


@dataclass(frozen=True)
class FaceFrame:
    """A frame the faces were read from and its main face, kept so the page can freeze and explain it."""

    image: np.ndarray  # the mirrored BGR frame, as read
    face: FaceReading  # its largest face, as read from this frame (not smoothed)
    mask: bool  # whether the simulated mask was drawn on the faces
    seconds: float  # when, in seconds since the session's first media


class LiveAnalyser:
    """Thread-safe live reading of faces (video) and voice (audio); see the module docstring."""

    def __init__(self, face_model: Any, voice_model: Any, face_interval: float = 0.1,
                 voice_interval: float = 1.0, face_hold: float = 1.0, idle_stop: float = 5.0,
                 smoothing: float = 0.8, clock: Clock = time.monotonic, background: bool = True):
        """`background=False` starts no worker threads: call `read_faces` and `tick` yourself (tests)."""
        self.face_model, self.voice_model = face_model, voice_model
        self.background = background
        self.voice_interval, self.face_hold, self.idle_stop = voice_interval, face_hold, idle_stop
        self.clock = clock
        self.ring = AudioRing(seconds=10.0)
        self.smoother = Smoother(tau=smoothing)
        self.log = SessionLog()
        self._resampler = FrameResampler()
        self._frames: Latest[np.ndarray] = Latest()
        self._face_throttle = Throttle(face_interval, clock)
        self._lock = threading.Lock()
        self._mask = False
        self._faces: tuple[FaceReading, ...] = ()
        self._track: tuple = ()  # boxes the next face reading reads again instead of detecting (read_faces)
        self._read_frame: FaceFrame | None = None  # the latest frame with a face, for latest_face
        self._faces_time = self._face_seen = -math.inf
        self._face_ms = 0.0
        self._voice: VoiceReading | None = None
        self.speaker = voice_model.new_speaker()  # the voice of this session's speaker, as heard so far
        self._speaker_from = 0.0  # received seconds of audio when the speaker was last forgotten
        self._speaker_generation = 0  # counts new_speaker calls (a reading under way may predate one)
        self._ticked_at = 0.0  # received seconds of audio at the last voice reading
        self._heard_at = -math.inf  # received seconds of audio when the speaker last heard a window
        self._voice_heard = 0.0
        self._last_video = self._last_audio = -math.inf
        self._video_frames = 0
        self._video_scale = 1.0
        self._start: float | None = None
        self._error = ""
        self._generation = 0
        self._workers: dict[str, threading.Thread] = {}
        self.reader_key = next(_SESSION_KEYS)  # this session in FACE_READERS and VOICE_READERS
        self._cores = server_cores()

    # --- settings -------------------------------------------------------------------------------

    def configure(self, mask: bool = False) -> None:
        """Change settings while streaming (the page calls this on every run)."""
        with self._lock:
            self._mask = bool(mask)

    # --- media callbacks (WebRTC threads: fast, never block) ---------------------------------------

    def video_frame(self, frame: Any) -> Any:
        """`video_frame_callback`: an `av.VideoFrame` in, the mirrored, annotated frame out (in the encoder's
        own YUV 4:2:0, converted by OpenCV, which costs less than a BGR frame converted by the encoder)."""
        import av

        out = self.process_image(frame.to_ndarray(format="bgr24"))
        if out.shape[0] % 2 or out.shape[1] % 2:  # 4:2:0 needs even sides
            return av.VideoFrame.from_ndarray(out, format="bgr24")
        return av.VideoFrame.from_ndarray(cv2.cvtColor(out, cv2.COLOR_BGR2YUV_I420), format="yuv420p")

    def process_image(self, image: np.ndarray) -> np.ndarray:
        """Mirror a BGR frame, queue it for the face worker, draw the latest faces on it; at half size when
        many sessions stream video at once (`video_scale`)."""
        view = mirror(image)
        now = self.clock()
        with self._lock:
            if self._start is None:
                self._start = now
            self._last_video = now
            self._video_frames += 1
            fresh = now - self._faces_time <= self._hold()
            faces, mask = (self._faces if fresh else ()), self._mask
        self._frames.put(view)
        self._ensure_workers()
        scale = video_scale(len(FACE_READERS.recent()), self._cores)
        with self._lock:
            self._video_scale = scale
        if scale == 1.0:
            return draw_faces(view, faces, mask=mask)
        height, width = view.shape[:2]
        small = cv2.resize(view, (max(2, round(width * scale)), max(2, round(height * scale))),
                           interpolation=cv2.INTER_AREA)
        return draw_faces(small, [replace(f, box=tuple(round(v * scale) for v in f.box)) for f in faces], mask=mask)

    def audio_frame(self, frame: Any) -> None:
        """Audio sink callback: keeps every sample of an `av.AudioFrame` (as mono 16 kHz)."""
        self.push_audio(self._resampler(frame))

    def push_audio(self, samples: np.ndarray) -> None:
        """Add mono 16 kHz float32 samples to the ring buffer."""
        self.ring.push(samples)
        now = self.clock()
        with self._lock:
            if self._start is None:
                self._start = now
            self._last_audio = now
        self._ensure_workers()

    # --- one step of each worker (public so tests can drive them without threads) ----------------

    def read_faces(self, view: np.ndarray) -> tuple[FaceReading, ...]:
        """Read every face in a (mirrored) frame and fold the main one into the smoothed bars.

        Every other reading finds the faces afresh; the one in between reads them in the boxes found last
        (detection costs more than reading the faces it finds), except with the simulated mask, which
        is drawn where the detector finds the faces."""
        with self._lock:
            mask, boxes = self._mask, self._track
        began = time.perf_counter()
        if boxes and not mask:
            faces = tuple(self.face_model.read(view, mode=FaceMode.DETECT, boxes=list(boxes)))
            track = ()
        else:
            faces = tuple(self.face_model.read(view, mode=FaceMode.DETECT, mask=mask))
            track = tuple(f.box for f in faces)
        now = self.clock()
        if faces:
            self.smoother.update(faces[0].probs, now)
        with self._lock:
            self._faces, self._faces_time, self._track = faces, now, track
            self._face_ms = (time.perf_counter() - began) * 1000
            if faces:
                self._face_seen = now
                start = self._start if self._start is not None else now
                self._read_frame = FaceFrame(view, faces[0], mask, now - start)
            elif now - self._face_seen > self._hold():
                self.smoother.reset()
        return faces

    def tick(self) -> dict | None:
        """Read the last 3 s of audio against this speaker, fuse with the face, log a row; returns the row
        (None if idle). After `new_speaker`, only the audio since then is read."""
        now = self.clock()
        received = self.ring.received_seconds
        with self._lock:
            audio_active = now - self._last_audio <= MEDIA_HOLD
            seconds = min(WINDOW_SECONDS, received - self._speaker_from)
            fresh = min(WINDOW_SECONDS, max(0.0, received - max(self._ticked_at, self._speaker_from)))
            reading = audio_active and seconds >= 0.5
            if reading:
                self._ticked_at = received
            hear = received - self._heard_at >= HEAR_HOP - 1e-6
            generation = self._speaker_generation
        voice = None
        if reading:
            audio = self.ring.last(seconds)
            if len(audio) >= SAMPLE_RATE // 2:
                voice = self.voice_model.read(audio, speaker=self.speaker, learn=hear)
        with self._lock:
            self._voice = voice
            if generation != self._speaker_generation:  # the speaker changed while this was read
                self.speaker.reset()
            elif voice is not None and voice.has_speech:
                self._voice_heard += fresh
                if hear:
                    self._heard_at = received
        snap = self.snapshot(now)  # as of when this tick began, however long the voice model took
        if not snap.media_active:
            return None
        row = self._row(snap, now)
        self.log.append(row)
        return row

    # --- what the page reads ------------------------------------------------------------------------

    def snapshot(self, now: float | None = None) -> LiveSnapshot:
        """A consistent view of the latest readings (as of `now`, by default the present)."""
        now = self.clock() if now is None else now
        smoothed = self.smoother.value
        with self._lock:
            hold = self._hold()
            faces = self._faces if now - self._faces_time <= hold else ()
            face = None
            if smoothed is not None and now - self._face_seen <= hold and faces:
                face = FaceReading(probs=smoothed, box=faces[0].box, detected=True)
            voice = self._voice if now - self._last_audio <= MEDIA_HOLD else None
            snap = dict(faces=faces, face=face, voice=voice, video_frames=self._video_frames,
                        audio_seconds=self.ring.received_seconds, video_active=now - self._last_video <= MEDIA_HOLD,
                        audio_active=now - self._last_audio <= MEDIA_HOLD, face_ms=self._face_ms, error=self._error,
                        voice_heard=self._voice_heard, video_scale=self._video_scale)
        return LiveSnapshot(hybrid=hybrid(face, voice), **snap)

    def latest_face(self) -> FaceFrame | None:
        """The latest frame with a face and that face, while it is still shown (None when no face lately)."""
        now = self.clock()
        with self._lock:
            if self._read_frame is None or not self._faces or now - self._faces_time > self._hold():
                return None
            return self._read_frame

    def _hold(self) -> float:
        """How long a face reading stays shown: `face_hold`, or longer when readings are slow (call with the lock)."""
        return max(self.face_hold, 2.0 * self._face_ms / 1000.0)

    def new_speaker(self) -> None:
        """Forget the voice heard so far (someone else takes the microphone): the next readings are of the
        audio from now on, against the average training speaker until the new voice has been heard."""
        received = self.ring.received_seconds
        with self._lock:
            self.speaker.reset()
            self._speaker_from = received
            self._speaker_generation += 1
            self._voice_heard = 0.0
            self._heard_at = -math.inf

    def elapsed(self) -> float:
        """Seconds since the session's first media (0 before it)."""
        with self._lock:
            return 0.0 if self._start is None else self.clock() - self._start

    def clear(self) -> None:
        """Forget the log and the readings (a new session)."""
        self.log.clear()
        self.ring.clear()
        self.smoother.reset()
        with self._lock:
            self._faces, self._voice, self._start, self._video_frames = (), None, None, 0
            self._read_frame = None
            self._speaker_from = self._ticked_at = 0.0  # the ring counts from 0 again; the speaker stays
            self._heard_at = -math.inf

    def _row(self, snap: LiveSnapshot, now: float) -> dict:
        with self._lock:
            start = self._start if self._start is not None else now
        # No sound since START: the microphone is off (or missing); sound earlier, none now: a gap in it.
        no_voice = NO_MICROPHONE if snap.audio_seconds == 0 else NO_SOUND
        row = timeline_row(now - start, snap.faces, snap.face, snap.voice, snap.hybrid, no_voice=no_voice)
        return {"clock": datetime.datetime.now().strftime("%H:%M:%S"), **row}

    # --- workers ---------------------------------------------------------------------------------------

    def _ensure_workers(self) -> None:
        if not self.background:
            return
        with self._lock:
            for name, target in (("face", self._face_loop), ("voice", self._voice_loop)):
                if name not in self._workers:
                    thread = threading.Thread(target=target, args=(self._generation,), name=f"moodlens-{name}",
                                              daemon=True)
                    self._workers[name] = thread
                    thread.start()

    def _should_exit(self, name: str, generation: int) -> bool:
        """True when the worker is no longer wanted (stopped, or no media for `idle_stop` s)."""
        with self._lock:
            if generation != self._generation:
                return True
            idle = self.clock() - max(self._last_video, self._last_audio) > self.idle_stop
            if idle:
                self._workers.pop(name, None)  # the next media starts a fresh worker
            return idle

    def _face_loop(self, generation: int) -> None:
        while not self._should_exit("face", generation):
            time.sleep(self._face_throttle.wait_time())
            view = self._frames.take(timeout=0.5)
            if view is None or not self._face_throttle.ready():
                continue
            began = time.monotonic()
            self._guard(self.read_faces, view)
            # On a slow machine, or with several sessions streaming video, rest: faces get at most about
            # half the CPU, shared by all sessions (see face_rest).
            sessions = FACE_READERS.mark(self.reader_key)
            time.sleep(face_rest(time.monotonic() - began, self._face_throttle.interval, sessions))
        FACE_READERS.forget(self.reader_key)  # stopped: the other sessions get its share of the CPU now

    def _voice_loop(self, generation: int) -> None:
        rest = self.voice_interval
        while not self._should_exit("voice", generation):
            time.sleep(rest)
            if self._should_exit("voice", generation):
                break
            began = time.monotonic()
            self._guard(self.tick)
            took = time.monotonic() - began
            with self._lock:
                hearing = self.clock() - self._last_audio <= MEDIA_HOLD
            if hearing:  # with many sessions hearing a microphone, each reads its voice less often
                sessions = VOICE_READERS.mark(self.reader_key)
            else:
                VOICE_READERS.forget(self.reader_key)
                sessions = len(VOICE_READERS.recent())
            rest = max(0.0, voice_period(took, self.voice_interval, sessions) - took)
        VOICE_READERS.forget(self.reader_key)

    def _guard(self, step, *args) -> None:
        try:
            step(*args)
        except Exception as exc:  # a bad frame must not end the session; the page shows the error
            logger.exception("live worker step failed")
            with self._lock:
                self._error = f"{type(exc).__name__}: {exc}"

    def stop(self, timeout: float = 0.0) -> None:
        """End the workers (they restart with the next media); waits up to `timeout` s for them.

        Safe as `on_video_ended`: by default it does not wait, so the media thread is not held up.
        """
        with self._lock:
            self._generation += 1
            workers, self._workers = list(self._workers.values()), {}
        self._frames.put(None)  # wake the face worker
        for thread in workers:
            if timeout and thread is not threading.current_thread():
                thread.join(timeout)

    @property
    def running(self) -> bool:
        """Whether worker threads are alive."""
        with self._lock:
            return any(t.is_alive() for t in self._workers.values())
