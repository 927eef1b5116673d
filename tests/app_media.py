"""Media for the app and browser tests, made at test time from the committed fixtures (tests/fixtures/).

Generic makers (tones, encoders, zips) live in tests/media.py; this module builds on them.
"""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import soundfile as sf

from tests import media
from tests.media import make_zip, png_bytes  # noqa: F401  (the app tests use them through this module)

FIXTURES = Path(__file__).resolve().parent / "fixtures"
FACES = sorted((FIXTURES / "faces").glob("*.jpg"))
SPEECH = FIXTURES / "speech.wav"
CAMERA_FACE = FIXTURES / "faces" / "happy_PublicTest_11394394.jpg"
ROOM_FACES = tuple(FIXTURES / "faces" / n for n in ("happy_PublicTest_11394394.jpg", "happy_PublicTest_12775164.jpg",
                                                    "surprise_PublicTest_1709990.jpg"))


def face_bytes(path: Path) -> bytes:
    return path.read_bytes()


def camera_frame(face: Path = CAMERA_FACE, size: tuple[int, int] = (640, 480), face_px: int = 240) -> np.ndarray:
    """A BGR frame: the 48x48 face scaled up to `face_px`, centred on a plain light background."""
    width, height = size
    crop = cv2.imread(str(face), cv2.IMREAD_GRAYSCALE)
    big = cv2.resize(crop, (face_px, face_px), interpolation=cv2.INTER_CUBIC)
    frame = np.full((height, width), 200, np.uint8)
    y, x = (height - face_px) // 2, (width - face_px) // 2
    frame[y:y + face_px, x:x + face_px] = big
    return cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)


def room_frame(faces: tuple[Path, ...] = ROOM_FACES, size: tuple[int, int] = (480, 180),
               face_px: int = 120) -> np.ndarray:
    """A BGR frame of several faces side by side (a small classroom), each scaled up to `face_px`, on light grey."""
    width, height = size
    frame = np.full((height, width), 200, np.uint8)
    gap = (width - len(faces) * face_px) // (len(faces) + 1)
    for i, face in enumerate(faces):
        crop = cv2.imread(str(face), cv2.IMREAD_GRAYSCALE)
        crop = cv2.resize(crop, (face_px, face_px), interpolation=cv2.INTER_CUBIC)
        x, y = gap + i * (face_px + gap), (height - face_px) // 2
        frame[y:y + face_px, x:x + face_px] = crop
    return cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)


def write_y4m(path: Path, frame: np.ndarray, seconds: float = 4.0, fps: int = 15) -> Path:
    """A raw YUV4MPEG2 video of one still frame (Chromium's fake camera reads this format)."""
    height, width = frame.shape[:2]
    yuv = cv2.cvtColor(frame, cv2.COLOR_BGR2YUV_I420).tobytes()
    with open(path, "wb") as f:
        f.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(int(seconds * fps)):
            f.write(b"FRAME\n")
            f.write(yuv)
    return path


def speech(rate: int = 16000) -> np.ndarray:
    """The committed speech clip as float32 mono at `rate`."""
    import librosa

    audio, sr = sf.read(SPEECH, dtype="float32")
    return audio if sr == rate else librosa.resample(audio, orig_sr=sr, target_sr=rate)


def write_mic_wav(path: Path, seconds: float = 12.0, rate: int = 48000) -> Path:
    """A 48 kHz mono WAV for Chromium's fake microphone: the speech clip repeated with short pauses."""
    clip = speech(rate)
    pause = np.zeros(int(0.4 * rate), np.float32)
    one = np.concatenate([clip, pause])
    audio = np.tile(one, int(np.ceil(seconds * rate / len(one))))[: int(seconds * rate)]
    sf.write(path, audio, rate, subtype="PCM_16")
    return path


def wav_bytes(audio: np.ndarray, rate: int = 16000) -> bytes:
    """`audio` as a 16-bit PCM WAV file."""
    return media.soundfile_bytes(audio, rate, "WAV", "PCM_16")


def tone(seconds: float = 2.0, rate: int = 16000, hz: float = 440.0) -> np.ndarray:
    """A sine of `hz` at amplitude 0.3 (no speech)."""
    return media.tone(hz, seconds, rate, amp=0.3)


def face_dataset(unknown_folder: str | None = None) -> dict[str, bytes]:
    """Entries of a small face dataset: each fixture face under its emotion folder (plus an unnamed folder)."""
    entries = {f"faces/{p.stem.split('_')[0]}/{p.name}": p.read_bytes() for p in FACES}
    entries["faces/happy/flipped.png"] = png_bytes(cv2.flip(cv2.imread(str(CAMERA_FACE)), 1))
    if unknown_folder:
        entries[f"faces/{unknown_folder}/a.jpg"] = FACES[0].read_bytes()
        entries[f"faces/{unknown_folder}/b.jpg"] = FACES[1].read_bytes()
    return entries


def with_groups(entries: dict[str, bytes], names: tuple[str, ...] = ("kim", "lee")) -> dict[str, bytes]:
    """The entries plus a groups.csv at the top giving their media files the `names` in turn (the last file none)."""
    media = [n for n in entries if not n.endswith(".csv")]
    rows = ["file,group"] + [f"{n},{names[i % len(names)]}" for i, n in enumerate(media[:-1])]
    return {**entries, "groups.csv": ("\n".join(rows) + "\n").encode()}


def voice_dataset() -> dict[str, bytes]:
    """Entries of a small voice dataset: speech under two emotions, plus a tone (no speech)."""
    clip = speech()
    return {"voices/happy/a.wav": wav_bytes(clip), "voices/sad/b.wav": wav_bytes(clip[: len(clip) * 2 // 3]),
            "voices/neutral/tone.wav": wav_bytes(tone())}


def pairs_dataset() -> dict[str, bytes]:
    """Entries of a pairs dataset: pairs.csv linking fixture faces and speech clips."""
    clip = speech()
    entries = {f"img/{p.name}": p.read_bytes() for p in FACES[:4]}
    entries["audio/a.wav"] = wav_bytes(clip)
    entries["audio/quiet.wav"] = wav_bytes(np.zeros(16000, np.float32))
    rows = ["image,audio,label"] + [f"img/{p.name},audio/{'a' if i % 2 == 0 else 'quiet'}.wav,{p.stem.split('_')[0]}"
                                    for i, p in enumerate(FACES[:4])]
    entries["pairs.csv"] = ("\n".join(rows) + "\n").encode()
    return entries


def write_video(path: Path, seconds: float = 4.0, fps: int = 10, with_audio: bool = True) -> Path:
    """An .mp4 (H.264 + AAC) showing the camera face, with the speech clip as its sound track."""
    import av

    frame = camera_frame()
    with av.open(str(path), "w") as out:
        vs = out.add_stream("libx264", rate=fps)
        vs.width, vs.height, vs.pix_fmt = frame.shape[1], frame.shape[0], "yuv420p"
        if with_audio:
            audio_stream = out.add_stream("aac", rate=48000, layout="mono")
        for _ in range(int(seconds * fps)):
            for packet in vs.encode(av.VideoFrame.from_ndarray(frame, format="bgr24")):
                out.mux(packet)
        for packet in vs.encode(None):
            out.mux(packet)
        if with_audio:
            audio = speech(48000)[: int(seconds * 48000)]
            step = 1024
            for i in range(0, len(audio), step):
                chunk = audio[i:i + step]
                af = av.AudioFrame.from_ndarray(chunk[None, :].astype(np.float32), format="fltp", layout="mono")
                af.sample_rate = 48000
                af.pts = i
                for packet in audio_stream.encode(af):
                    out.mux(packet)
            for packet in audio_stream.encode(None):
                out.mux(packet)
    return path
