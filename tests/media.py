"""Test media made on the fly: tones and noise, audio files in many formats, zip archives, photos."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import cv2
import numpy as np

RATE = 16_000


def tone(freq: float, seconds: float, rate: int = RATE, amp: float = 0.5) -> np.ndarray:
    t = np.arange(int(round(seconds * rate))) / rate
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def coloured_noise(n: int, exponent: float, rng: np.random.Generator, rms: float = 0.1) -> np.ndarray:
    """Noise with power spectrum 1/f**exponent: 0 white, 1 pink, 2 brown."""
    spec = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n)
    freqs[0] = freqs[1]
    x = np.fft.irfft(spec / freqs ** (exponent / 2), n)
    return (x / x.std() * rms).astype(np.float32)


def add_noise(x: np.ndarray, snr_db: float, rng: np.random.Generator) -> np.ndarray:
    """White noise at `snr_db` below the signal's power."""
    power = float(np.mean(x.astype(np.float64) ** 2))
    noise = rng.standard_normal(len(x)) * np.sqrt(power / 10 ** (snr_db / 10))
    return (x + noise).astype(np.float32)


def gated(x: np.ndarray, on: float = 0.25, off: float = 0.25, rate: int = RATE) -> np.ndarray:
    """Switch a sound on and off (beeps, bursts): `on` seconds of it, then `off` seconds of silence."""
    t = np.arange(len(x)) / rate
    return np.where(t % (on + off) < on, x, 0).astype(np.float32)


def hum(base: float, seconds: float = 3.0, amp: float = 0.2) -> np.ndarray:
    """Mains hum with its harmonics."""
    return tone(base, seconds, amp=amp) + tone(2 * base, seconds, amp=amp / 2) + tone(3 * base, seconds, amp=amp / 4)


def clicks(every: float = 0.25, seconds: float = 3.0, rate: int = RATE) -> np.ndarray:
    """A two-sample click every `every` seconds in silence."""
    x = np.zeros(int(seconds * rate), np.float32)
    x[:: int(every * rate)] = 0.9
    x[1:: int(every * rate)] = -0.6
    return x


def dominant_frequency(x: np.ndarray, rate: int = RATE) -> float:
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.fft.rfftfreq(len(x), 1 / rate)[spectrum.argmax()])


def soundfile_bytes(samples: np.ndarray, rate: int, fmt: str, subtype: str | None = None) -> bytes:
    import soundfile as sf

    buf = io.BytesIO()
    sf.write(buf, samples, rate, format=fmt, subtype=subtype)
    return buf.getvalue()


def av_bytes(samples: np.ndarray, rate: int, container: str, codec: str, bitrate: int = 96_000) -> bytes:
    """Encode mono float samples with FFmpeg (PyAV), e.g. ("ipod", "aac") for .m4a, ("mp3", "libmp3lame")."""
    import av

    buf = io.BytesIO()
    with av.open(buf, "w", format=container) as out:
        stream = out.add_stream(codec, rate=rate, layout="mono")
        stream.bit_rate = bitrate
        frame_size = stream.codec_context.frame_size or 1024
        pcm = np.asarray(samples, np.float32)
        for start in range(0, len(pcm), frame_size):
            chunk = pcm[start:start + frame_size]
            frame = av.AudioFrame.from_ndarray(chunk[None, :], format="flt", layout="mono")
            frame.sample_rate = rate
            frame.pts = start
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return buf.getvalue()


def png_bytes(img: np.ndarray, ext: str = ".png") -> bytes:
    ok, buf = cv2.imencode(ext, img)
    assert ok
    return buf.tobytes()


def wav_bytes(seconds: float = 0.5, freq: float = 220.0) -> bytes:
    return soundfile_bytes(tone(freq, seconds), RATE, "WAV", "PCM_16")


def make_zip(entries: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


def write_tree(root: Path, entries: dict[str, bytes]) -> Path:
    for name, data in entries.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def photo_background(width: int = 640, height: int = 480, seed: int = 0) -> np.ndarray:
    """A smooth, photo-like BGR scene: a lit wall (gradient and blotches) and a dark door frame."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    base = 90 + 60 * x / width + 30 * y / height
    blotches = cv2.GaussianBlur(rng.normal(0, 1, (height, width)).astype(np.float32), (0, 0), 8) * 40
    gray = np.clip(base + blotches, 0, 255)
    scene = np.stack([gray, gray * 0.9, np.minimum(gray * 1.1, 255)], axis=2).astype(np.uint8)
    cv2.rectangle(scene, (30, 40), (200, 300), (60, 80, 120), -1)
    return scene


def face_photo(face48: np.ndarray, at: tuple[int, int] = (330, 110), side: int = 220) -> np.ndarray:
    """A 48x48 grayscale face scaled up to `side` pixels and placed at `at` (x, y) on a 640x480 scene."""
    scene = photo_background()
    face = cv2.resize(face48, (side, side), interpolation=cv2.INTER_CUBIC)
    x, y = at
    scene[y:y + side, x:x + side] = cv2.cvtColor(face, cv2.COLOR_GRAY2BGR)
    return scene
