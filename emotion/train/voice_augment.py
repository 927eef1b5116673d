"""Audio augmentation that imitates real microphones: noise, gain, pitch, tempo, echo, EQ, Opus."""
from __future__ import annotations

import io

import numpy as np

from ..audio import SAMPLE_RATE


def coloured_noise(n: int, rng: np.random.Generator, exponent: float) -> np.ndarray:
    """Unit-variance noise with power spectrum 1/f**exponent (0 white, 1 pink, 2 brown)."""
    spec = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n)
    freqs[0] = freqs[1]
    x = np.fft.irfft(spec / freqs ** (exponent / 2), n)
    return (x / (x.std() + 1e-12)).astype(np.float32)


def add_noise(x: np.ndarray, rng: np.random.Generator, snr_db: float,
              background: np.ndarray | None = None) -> np.ndarray:
    """Mix in noise (coloured, or a given background such as other speech) at `snr_db`."""
    if background is None:
        noise = coloured_noise(len(x), rng, rng.choice([0.0, 1.0, 1.5, 2.0]))
    else:
        noise = np.resize(background, len(x)).astype(np.float32)
        noise /= noise.std() + 1e-12
    power = np.mean(x ** 2) + 1e-12
    return x + noise * np.sqrt(power / 10 ** (snr_db / 10))


def room_echo(x: np.ndarray, rng: np.random.Generator, rt60: float) -> np.ndarray:
    """Convolve with a synthetic room impulse response (exponentially decaying noise)."""
    from scipy.signal import fftconvolve

    n = int(rt60 * SAMPLE_RATE)
    t = np.arange(n) / SAMPLE_RATE
    rir = rng.standard_normal(n) * np.exp(-6.9 * t / rt60)
    rir[0] = 1.0 / max(rng.uniform(0.3, 1.0), 1e-3)  # direct path, louder than the reflections
    wet = fftconvolve(x, rir)[: len(x)]
    return (wet / (np.abs(wet).max() + 1e-9) * np.abs(x).max()).astype(np.float32)


def random_eq(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A cheap microphone: band-limit and tilt the spectrum."""
    spec = np.fft.rfft(x)
    freqs = np.fft.rfftfreq(len(x), 1 / SAMPLE_RATE)
    low, high = rng.uniform(80, 400), rng.uniform(3400, 8000)
    gain = 1 / np.sqrt(1 + (low / np.maximum(freqs, 1)) ** 4) / np.sqrt(1 + (freqs / high) ** 8)
    tilt = (np.maximum(freqs, 50) / 1000) ** rng.uniform(-0.3, 0.3)
    return np.fft.irfft(spec * gain * tilt, len(x)).astype(np.float32)


def opus_roundtrip(x: np.ndarray, bitrate: int) -> np.ndarray:
    """Encode with Opus (as WebRTC does) and decode again, at 48 kHz like a browser."""
    import av
    import librosa

    y48 = librosa.resample(x, orig_sr=SAMPLE_RATE, target_sr=48000, res_type="soxr_hq")
    pcm = (np.clip(y48, -1, 1) * 32767).astype(np.int16)
    buf = io.BytesIO()
    with av.open(buf, "w", format="ogg") as out:
        stream = out.add_stream("libopus", rate=48000)
        stream.bit_rate = bitrate
        stream.layout = "mono"
        frame = av.AudioFrame.from_ndarray(pcm[None, :], format="s16", layout="mono")
        frame.rate = 48000
        for packet in stream.encode(frame):
            out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    buf.seek(0)
    chunks = []
    with av.open(buf, "r") as inp:
        for frame in inp.decode(audio=0):
            chunks.append(frame.to_ndarray().reshape(-1).astype(np.float32))
    y = np.concatenate(chunks) if chunks else np.zeros(1, np.float32)
    if y.dtype != np.float32 or np.abs(y).max() > 1.5:
        y = y / 32768.0
    y16 = librosa.resample(y, orig_sr=48000, target_sr=SAMPLE_RATE, res_type="soxr_hq")
    return np.resize(y16, len(x)).astype(np.float32)


def pitch_shift(x: np.ndarray, semitones: float) -> np.ndarray:
    """Shift pitch, keep duration: stretch time, then resample (as librosa does, with soxr)."""
    import librosa

    rate = 2.0 ** (-semitones / 12)
    stretched = librosa.effects.time_stretch(x, rate=rate)
    return librosa.resample(stretched, orig_sr=SAMPLE_RATE / rate, target_sr=SAMPLE_RATE, res_type="soxr_hq")


def augment(x: np.ndarray, rng: np.random.Generator, background: np.ndarray | None = None) -> np.ndarray:
    """One random chain of microphone-like changes to a mono 16 kHz clip."""
    import librosa

    y = x.astype(np.float32)
    if rng.random() < 0.5:
        y = pitch_shift(y, float(rng.uniform(-2.5, 2.5)))
    if rng.random() < 0.5:
        y = librosa.effects.time_stretch(y, rate=float(rng.uniform(0.85, 1.15)))
    if rng.random() < 0.4:
        y = room_echo(y, rng, float(rng.uniform(0.15, 0.8)))
    if rng.random() < 0.3:
        y = random_eq(y, rng)
    if rng.random() < 0.6:
        use_background = background is not None and rng.random() < 0.3
        y = add_noise(y, rng, float(rng.uniform(5, 30)), background if use_background else None)
    peak = np.abs(y).max() + 1e-9
    y = y / peak * 10 ** (rng.uniform(-30, 0) / 20)  # level from quiet to full scale
    if rng.random() < 0.1:  # an over-driven microphone
        y = np.clip(y * rng.uniform(1.5, 4), -1, 1)
    if rng.random() < 0.4:
        y = opus_roundtrip(y, int(rng.choice([12000, 16000, 24000, 32000])))
    return y.astype(np.float32)
