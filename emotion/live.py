"""Thread-safe pieces for live streams: the WebRTC callbacks write into them, the page reads them.

Everything here is guarded by a lock and never blocks for long, so it is safe to call from the
media threads (which must stay fast) and from the Streamlit script thread at the same time.
"""
from __future__ import annotations

import math
import threading
import time
from typing import Any, Callable, Generic, TypeVar

import numpy as np

from .audio import SAMPLE_RATE
from .csv_out import csv_text

T = TypeVar("T")
Clock = Callable[[], float]


class Throttle:
    """Lets an action through at most once per `interval` seconds."""

    def __init__(self, interval: float, clock: Clock = time.monotonic):
        self.interval, self.clock = interval, clock
        self._last = -math.inf
        self._lock = threading.Lock()

    def ready(self) -> bool:
        """True (and the interval restarts) when `interval` has passed since the last True."""
        with self._lock:
            now = self.clock()
            if now - self._last >= self.interval:
                self._last = now
                return True
            return False

    def wait_time(self) -> float:
        """Seconds until the next action may run (0 when it may run now)."""
        with self._lock:
            return max(0.0, self._last + self.interval - self.clock())


class RecentReaders:
    """Which live sessions read a face (or a voice) lately (one registry for the whole process, shared by
    sessions)."""

    def __init__(self, window: float = 5.0, clock: Clock = time.monotonic):
        self.window, self.clock = window, clock
        self._last: dict[int, float] = {}
        self._lock = threading.Lock()

    def mark(self, session: int) -> int:
        """Note that `session` just read; returns how many sessions read within `window` s."""
        now = self.clock()
        with self._lock:
            self._last[session] = now
            self._last = {k: t for k, t in self._last.items() if now - t <= self.window}
            return len(self._last)

    def forget(self, session: int) -> None:
        """`session` stopped reading: stop counting it now rather than after `window` s."""
        with self._lock:
            self._last.pop(session, None)

    def recent(self) -> set[int]:
        """The sessions that read within `window` seconds."""
        now = self.clock()
        with self._lock:
            return {k for k, t in self._last.items() if now - t <= self.window}


def face_rest(reading_seconds: float, interval: float, sessions: int) -> float:
    """How long a face worker rests after a reading that took `reading_seconds`.

    The face readings of all `sessions` streaming at once should take at most about half the time: each
    session rests (2 * sessions - 1) times as long as its reading took, minus the `interval` the throttle
    waits anyway. One session alone reads as before (rest = reading); three read a fifth as often each when
    readings are slow. Frames in between are skipped, never queued, so the media threads (and the WebRTC
    connections) keep up.
    """
    return max(0.0, reading_seconds * (2 * max(1, sessions) - 1) - interval)


SHARP_SESSIONS_PER_CORE = 3  # sessions streaming video that get their video back whole, per CPU core


def video_scale(sessions: int, cores: int) -> float:
    """The share of its width and height at which a session's video is sent back to its browser.

    Whole while at most SHARP_SESSIONS_PER_CORE sessions per core stream video; beyond, half (a quarter of the
    pixels), as a video call lowers its quality when the line is busy: the server re-encodes every frame it
    sends back, and a smaller frame costs much less (benchmarks/RESULTS-capacity.md). The faces are still read
    from the camera's whole frame.
    """
    return 1.0 if sessions <= SHARP_SESSIONS_PER_CORE * max(1, cores) else 0.5


def server_cores(cpu_max: str = "/sys/fs/cgroup/cpu.max") -> int:
    """CPU cores this process may use: those it may run on (fewer than the machine's when it is pinned), and
    no more than its container's CPU limit (cgroup v2 `cpu.max`, "quota period", as Docker's `cpus` and
    Kubernetes' CPU limits set it)."""
    import math
    import os
    from pathlib import Path

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    try:
        quota, period = Path(cpu_max).read_text().split()[:2]
        if quota != "max":
            cores = min(cores, max(1, math.ceil(int(quota) / int(period))))
    except (OSError, ValueError):  # no cgroup v2 limit to read
        pass
    return cores


LONGEST_VOICE_PERIOD = 1.6  # seconds: a voice reading at least this often, however many sessions (the bar is 2 s)


def voice_period(reading_seconds: float, interval: float, sessions: int,
                 longest: float = LONGEST_VOICE_PERIOD) -> float:
    """Seconds from the start of one voice reading of a session to the start of its next.

    Every `interval` seconds while the voice readings of all `sessions` hearing a microphone take at most about
    a third of the time (each reading took `reading_seconds`); beyond that the period stretches, up to
    `longest`, so that many sessions at once still leave the CPU for faces and the media.
    """
    return min(longest, max(interval, 3 * max(1, sessions) * reading_seconds))


class Smoother:
    """Exponential moving average of probability vectors, by time rather than by count.

    A reading `dt` seconds after the previous one moves the average by 1 - exp(-dt / tau), so the
    bars settle in about `tau` seconds whatever the frame rate. `reset()` forgets the past.
    """

    def __init__(self, tau: float = 0.8):
        self.tau = tau
        self._value: np.ndarray | None = None
        self._time = 0.0
        self._lock = threading.Lock()

    def update(self, probs: np.ndarray, now: float) -> np.ndarray:
        """Fold in a new reading taken at time `now` (seconds); returns the smoothed vector."""
        probs = np.asarray(probs, np.float64)
        with self._lock:
            if self._value is None or self.tau <= 0:
                self._value = probs.copy()
            else:
                alpha = 1.0 - math.exp(-max(0.0, now - self._time) / self.tau)
                self._value = (1 - alpha) * self._value + alpha * probs
            self._time = now
            return self._value.astype(np.float32)

    @property
    def value(self) -> np.ndarray | None:
        with self._lock:
            return None if self._value is None else self._value.astype(np.float32)

    def reset(self) -> None:
        with self._lock:
            self._value = None


class AudioRing:
    """The last `seconds` of mono 16 kHz audio; older samples are overwritten."""

    def __init__(self, seconds: float = 10.0, rate: int = SAMPLE_RATE):
        self.rate = rate
        self._buf = np.zeros(int(seconds * rate), np.float32)
        self._filled = 0  # valid samples at the end of the buffer
        self._received = 0  # samples pushed since the start (or the last clear)
        self._lock = threading.Lock()

    def push(self, samples: np.ndarray) -> None:
        """Append samples (float32 in [-1, 1])."""
        x = np.asarray(samples, np.float32).reshape(-1)
        if not len(x):
            return
        n = len(self._buf)
        with self._lock:
            self._received += len(x)
            if len(x) >= n:
                self._buf[:] = x[-n:]
                self._filled = n
                return
            self._buf[:-len(x)] = self._buf[len(x):]
            self._buf[-len(x):] = x
            self._filled = min(n, self._filled + len(x))

    def last(self, seconds: float) -> np.ndarray:
        """A copy of the most recent `seconds` of audio (shorter while the buffer fills)."""
        want = int(seconds * self.rate)
        with self._lock:
            k = min(want, self._filled)
            return self._buf[len(self._buf) - k:].copy()

    @property
    def received_seconds(self) -> float:
        """How much audio was pushed in all (nothing is lost: every sample is counted)."""
        with self._lock:
            return self._received / self.rate

    def clear(self) -> None:
        with self._lock:
            self._filled = 0
            self._received = 0


class FrameResampler:
    """Turns WebRTC audio frames (48 kHz, stereo or mono, s16) into mono float32 at 16 kHz.

    Channels are averaged (no gain change), then FFmpeg's resampler, which keeps state between
    frames, converts the rate, so frame edges leave no clicks.
    """

    def __init__(self, rate: int = SAMPLE_RATE):
        self.rate = rate
        self._resampler = None
        self._input_rate = 0

    def __call__(self, frame: Any) -> np.ndarray:
        """Samples of one `av.AudioFrame`, as mono float32 at `rate`."""
        import av

        x = frame.to_ndarray()
        channels = len(frame.layout.channels)
        mono = x.mean(axis=0) if frame.format.is_planar else x.reshape(-1, channels).mean(axis=1)
        if x.dtype.kind in "iu":
            mono = mono / float(np.iinfo(x.dtype).max + 1)
        if self._resampler is None or frame.sample_rate != self._input_rate:  # the rate changed: start again
            self._resampler = av.AudioResampler(format="flt", layout="mono", rate=self.rate)
            self._input_rate = frame.sample_rate
        block = av.AudioFrame.from_ndarray(mono.astype(np.float32)[None, :], format="flt", layout="mono")
        block.sample_rate = frame.sample_rate
        chunks = [out.to_ndarray().reshape(-1) for out in self._resampler.resample(block)]
        return np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32)


class Latest(Generic[T]):
    """A one-item mailbox: `put` replaces what is there, `take` waits for and removes the newest.

    Producers never block; a slow consumer simply skips the items it was too slow for.
    """

    def __init__(self) -> None:
        self._item: T | None = None
        self._cond = threading.Condition()

    def put(self, item: T) -> None:
        with self._cond:
            self._item = item
            self._cond.notify()

    def take(self, timeout: float | None = None) -> T | None:
        """The newest item, or None if nothing arrives within `timeout` seconds."""
        with self._cond:
            if self._item is None:
                self._cond.wait(timeout)
            item, self._item = self._item, None
            return item


class SessionLog:
    """Rows of what was read during a session, in time order; survives the stream stopping."""

    def __init__(self, max_rows: int = 36_000):
        self.max_rows = max_rows
        self._rows: list[dict] = []
        self._lock = threading.Lock()

    def append(self, row: dict) -> None:
        with self._lock:
            self._rows.append(dict(row))
            if len(self._rows) > self.max_rows:  # ten hours at one row a second
                del self._rows[: len(self._rows) - self.max_rows]

    def rows(self) -> list[dict]:
        """A copy of every row."""
        with self._lock:
            return [dict(r) for r in self._rows]

    def __len__(self) -> int:
        with self._lock:
            return len(self._rows)

    def clear(self) -> None:
        with self._lock:
            self._rows.clear()

    def to_csv(self) -> str:
        """All rows as CSV text (see `csv_out.csv_text`); columns in the order they first appear."""
        return csv_text(self.rows())
