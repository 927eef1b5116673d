"""Property-based tests: whatever bytes arrive, the decoders and the dataset reader either work or
raise their own error (ImageError, AudioError, DatasetError), never anything else."""
from __future__ import annotations

import io
import zipfile

import numpy as np
from hypothesis import HealthCheck, given, settings, strategies as st

from emotion.audio import AudioError, decode_audio
from emotion.datasets import DatasetError, open_dataset
from emotion.images import ImageError, decode_image
from media import RATE, png_bytes, soundfile_bytes, tone

FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])  # examples: see conftest.py

_picture = np.random.default_rng(0).integers(0, 255, (12, 16, 3), np.uint8)
IMAGES = [png_bytes(_picture, ext) for ext in (".png", ".jpg", ".bmp", ".webp", ".tiff", ".gif")]
IMAGE_MAGIC = [b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"BM", b"GIF89a", b"RIFF\x00\x00\x00\x00WEBPVP8X",
               b"II*\x00", b"MM\x00*", b"P6\n", b"\x00\x00\x00\x0cjP  ", b"\x59\xa6\x6a\x95"]

_clip = tone(300, 0.1, RATE, 0.3)
SOUNDS = [soundfile_bytes(_clip, RATE, fmt, sub) for fmt, sub in
          (("WAV", "PCM_16"), ("WAV", "FLOAT"), ("FLAC", "PCM_16"), ("OGG", "VORBIS"), ("MP3", "MPEG_LAYER_III"))]
AUDIO_MAGIC = [b"RIFF\x00\x00\x00\x00WAVEfmt ", b"fLaC", b"OggS", b"ID3", b"\xff\xfb", b"FORM\x00\x00\x00\x00AIFF",
               b"\x1aE\xdf\xa3", b"\x00\x00\x00\x20ftypM4A "]


@st.composite
def mutated(draw, originals: list[bytes]) -> bytes:
    """A real file with some bytes changed, cut short, or with bytes inserted."""
    data = bytearray(draw(st.sampled_from(originals)))
    for _ in range(draw(st.integers(1, 8))):
        pos = draw(st.integers(0, len(data) - 1))
        action = draw(st.sampled_from(["set", "cut", "insert"]))
        if action == "set":
            data[pos] = draw(st.integers(0, 255))
        elif action == "cut":
            del data[pos:]
            if not data:
                break
        else:
            data[pos:pos] = draw(st.binary(min_size=1, max_size=16))
    return bytes(data)


def prefixed(magic: list[bytes]):
    return st.builds(lambda m, rest: m + rest, st.sampled_from(magic), st.binary(max_size=600))


def check_image(data: bytes) -> None:
    try:
        out = decode_image(data, "fuzz")
    except ImageError as exc:
        assert str(exc).startswith("fuzz: ")
    else:
        assert out.dtype == np.uint8 and out.ndim == 3 and out.shape[2] == 3


def check_audio(data: bytes) -> None:
    try:
        out = decode_audio(data, "fuzz")
    except AudioError as exc:
        assert str(exc).startswith("fuzz: ")
    else:
        assert out.dtype == np.float32 and out.ndim == 1 and np.all(np.abs(out) <= 1.0)


@FUZZ
@given(st.binary(max_size=2000))
def test_decode_image_random_bytes(data):
    check_image(data)


@FUZZ
@given(prefixed(IMAGE_MAGIC))
def test_decode_image_bytes_behind_a_real_signature(data):
    check_image(data)


@FUZZ
@given(mutated(IMAGES))
def test_decode_image_damaged_real_files(data):
    check_image(data)


@FUZZ
@given(st.binary(max_size=2000))
def test_decode_audio_random_bytes(data):
    check_audio(data)


@FUZZ
@given(prefixed(AUDIO_MAGIC))
def test_decode_audio_bytes_behind_a_real_signature(data):
    check_audio(data)


@FUZZ
@given(mutated(SOUNDS))
def test_decode_audio_damaged_real_files(data):
    check_audio(data)


# --- datasets -----------------------------------------------------------------------------------

def use(ds) -> None:
    """Everything a caller does with a dataset; each read may fail only with DatasetError."""
    ds.folder_mapping()
    items, left_out = ds.items()
    assert all({"file", "reason"} <= set(entry) for entry in left_out)
    for item in items:
        try:
            item.read()
        except DatasetError:
            pass
    try:
        ds.pairs()
    except DatasetError:
        pass


def check_dataset(data: bytes) -> None:
    try:
        ds = open_dataset(data, "fuzz.zip")
    except DatasetError:
        return
    use(ds)


NAME_PARTS = st.sampled_from(["happy", "Sad", "anger", "misc", "..", ".", "", "/", "\\", "C:", "__MACOSX", ".hidden",
                              "a.png", "b.wav", "03-01-05-01-01-01-01.flac", "pairs.csv", "ü.jpg", "x.txt"])
ENTRY_NAMES = st.lists(NAME_PARTS, min_size=1, max_size=5).map("/".join)
CSV = st.sampled_from([b"image,audio,label\na.png,b.wav,happy\n", b"image,audio\n", b"\xff\xfe\x00", b""])


@st.composite
def zips(draw) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for _ in range(draw(st.integers(0, 8))):
            info = zipfile.ZipInfo(draw(ENTRY_NAMES))
            info.compress_type = draw(st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED]))
            info.external_attr = draw(st.sampled_from([0, 0o644 << 16, 0o120777 << 16, 0o040755 << 16]))
            payload = draw(st.one_of(st.binary(max_size=200), CSV, st.sampled_from(IMAGES + SOUNDS)))
            zf.writestr(info, payload)
    return buf.getvalue()


@FUZZ
@given(st.binary(max_size=2000))
def test_open_dataset_random_bytes(data):
    check_dataset(data)


@FUZZ
@given(zips())
def test_open_dataset_random_zips(data):
    check_dataset(data)


@FUZZ
@given(zips().flatmap(lambda z: mutated([z]) if z else st.just(z)))
def test_open_dataset_damaged_zips(data):
    check_dataset(data)
