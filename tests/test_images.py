"""Image decoding: formats, colour layouts, bit depths, EXIF rotation, bad and oversized files."""
from __future__ import annotations

import io
import struct
import zlib

import cv2
import numpy as np
import pytest
from PIL import Image

from emotion import images
from emotion.images import MAX_PIXELS, ImageError, decode_image, fit_width, fit_within, load_image


def encode(img: np.ndarray, ext: str, params: tuple = ()) -> bytes:
    ok, buf = cv2.imencode(ext, img, list(params))
    assert ok, ext
    return buf.tobytes()


def pil_bytes(img: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


@pytest.fixture(scope="module")
def quadrants() -> np.ndarray:
    """A 60x80 BGR picture with four flat colours, easy to check after lossy coding."""
    img = np.zeros((60, 80, 3), np.uint8)
    img[:30, :40] = (255, 0, 0)  # blue, top left
    img[:30, 40:] = (0, 255, 0)  # green, top right
    img[30:, :40] = (0, 0, 255)  # red, bottom left
    img[30:, 40:] = (255, 255, 255)
    return img


@pytest.mark.parametrize("ext, params, tolerance", [
    (".png", (), 0), (".bmp", (), 0), (".tiff", (), 0), (".webp", (cv2.IMWRITE_WEBP_QUALITY, 101), 0),
    (".jpg", (cv2.IMWRITE_JPEG_QUALITY, 95), 40), (".webp", (cv2.IMWRITE_WEBP_QUALITY, 90), 40),
])
def test_common_formats_decode_to_the_same_bgr_picture(quadrants, ext, params, tolerance):
    out = decode_image(encode(quadrants, ext, params))
    assert out.dtype == np.uint8 and out.shape == (60, 80, 3)
    # compare away from the edges, where lossy codecs blur
    for ys, xs in ((slice(5, 25), slice(5, 35)), (slice(5, 25), slice(45, 75)),
                   (slice(35, 55), slice(5, 35)), (slice(35, 55), slice(45, 75))):
        diff = np.abs(out[ys, xs].astype(int) - quadrants[ys, xs].astype(int))
        assert diff.max() <= tolerance, ext


def test_gif_and_pnm_decode():
    red = Image.new("RGB", (30, 20), (255, 0, 0))
    assert decode_image(pil_bytes(red, "GIF"))[10, 10].tolist() == [0, 0, 255]
    assert decode_image(pil_bytes(Image.new("L", (5, 4), 77), "PPM")).shape == (4, 5, 3)


def test_grayscale_becomes_three_equal_channels():
    gray = np.tile(np.arange(0, 250, 5, dtype=np.uint8), (10, 1))
    out = decode_image(encode(gray, ".png"))
    assert out.shape == (10, 50, 3)
    for c in range(3):
        np.testing.assert_array_equal(out[:, :, c], gray)


def test_rgba_is_composited_on_white():
    bgra = np.zeros((10, 20, 4), np.uint8)
    bgra[:, :10] = (0, 0, 255, 255)  # opaque red
    bgra[:, 10:] = (0, 0, 255, 0)  # fully transparent (the colour underneath must not show)
    out = decode_image(encode(bgra, ".png"))
    assert out.shape == (10, 20, 3)
    assert out[5, 2].tolist() == [0, 0, 255]
    assert out[5, 15].tolist() == [255, 255, 255]


def test_gray_with_alpha_is_composited_on_white():
    la = Image.new("LA", (8, 8), (40, 255))
    la.paste((40, 0), (0, 0, 4, 8))  # left half transparent
    out = decode_image(pil_bytes(la, "PNG"))
    assert out.shape == (8, 8, 3)
    assert out[4, 6].tolist() == [40, 40, 40]
    assert out[4, 1].tolist() == [255, 255, 255]


@pytest.mark.parametrize("ext", [".png", ".tiff"])
def test_16_bit_is_scaled_to_8_bit(ext):
    ramp = np.linspace(0, 65535, 256).round().astype(np.uint16)[None, :].repeat(4, axis=0)
    out = decode_image(encode(ramp, ext))
    assert out.dtype == np.uint8 and out.shape == (4, 256, 3)
    row = out[0, :, 0].astype(int)
    assert row[0] == 0 and row[-1] == 255
    assert np.all(np.diff(row) >= 0)
    assert abs(row[128] - 128) <= 1


def test_16_bit_colour_png():
    img = np.zeros((4, 4, 3), np.uint16)
    img[..., 2] = 65535  # red at full 16-bit scale
    img[..., 1] = 128 * 257  # half green
    out = decode_image(encode(img, ".png"))
    assert out[0, 0].tolist() == [0, 128, 255]


def test_float_tiff_in_unit_range_is_scaled():
    img = np.full((4, 4), 0.5, np.float32)
    out = decode_image(encode(img, ".tiff"))
    assert out.dtype == np.uint8
    assert abs(int(out[0, 0, 0]) - 127) <= 1


def _exif_jpeg(orientation: int) -> bytes:
    """A 40x20 JPEG whose left half is black and right half white, with an EXIF Orientation tag."""
    img = Image.new("RGB", (40, 20), (0, 0, 0))
    img.paste((255, 255, 255), (20, 0, 40, 20))
    exif = Image.Exif()
    exif[0x0112] = orientation
    return pil_bytes(img, "JPEG", quality=95, exif=exif.tobytes())


def _is_dark(region: np.ndarray) -> bool:
    return region.mean() < 60


def _is_bright(region: np.ndarray) -> bool:
    return region.mean() > 195


def test_exif_orientation_1_leaves_the_picture_as_stored():
    out = decode_image(_exif_jpeg(1))
    assert out.shape == (20, 40, 3)
    assert _is_dark(out[:, :15]) and _is_bright(out[:, 25:])


def test_exif_orientation_3_rotates_180():
    out = decode_image(_exif_jpeg(3))
    assert out.shape == (20, 40, 3)
    assert _is_bright(out[:, :15]) and _is_dark(out[:, 25:])


def test_exif_orientation_6_rotates_clockwise():
    out = decode_image(_exif_jpeg(6))
    assert out.shape == (40, 20, 3)  # portrait now
    assert _is_dark(out[:15]) and _is_bright(out[25:])  # the left (dark) half is now on top


def test_exif_orientation_8_rotates_counter_clockwise():
    out = decode_image(_exif_jpeg(8))
    assert out.shape == (40, 20, 3)
    assert _is_bright(out[:15]) and _is_dark(out[25:])


def test_exif_orientation_2_mirrors():
    out = decode_image(_exif_jpeg(2))
    assert out.shape == (20, 40, 3)
    assert _is_bright(out[:, :15]) and _is_dark(out[:, 25:])


@pytest.mark.parametrize("data, why", [
    (b"", "empty"),
    (b"hello, I am a text file with a .jpg name\n" * 20, "text"),
    (bytes(range(256)) * 8, "random bytes"),
    (b"\xff\xd8\xff\xe0" + b"\x00" * 300, "a JPEG start and nothing else"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "a PNG signature and nothing else"),
    (b"RIFF\x10\x00\x00\x00WEBPVP8 ", "a WebP start"),
])
def test_unreadable_bytes_raise_image_error(data, why):
    with pytest.raises(ImageError):
        decode_image(data, "upload.jpg")


@pytest.mark.parametrize("ext", [".jpg", ".png", ".webp", ".bmp", ".tiff"])
@pytest.mark.parametrize("keep", [0.3, 0.7])
def test_truncated_files_raise_image_error(quadrants, ext, keep):
    data = encode(cv2.resize(quadrants, (320, 240)), ext)
    with pytest.raises(ImageError, match="photo.x"):
        decode_image(data[: int(len(data) * keep)], "photo.x")


def test_corrupted_middle_of_a_png_raises_image_error(quadrants):
    data = bytearray(encode(quadrants, ".png"))
    data[60:120] = b"\x00" * 60  # breaks the IDAT checksum
    with pytest.raises(ImageError):
        decode_image(bytes(data))


def test_messages_name_the_file():
    with pytest.raises(ImageError, match=r"^holiday\.png: .*empty"):
        decode_image(b"", "holiday.png")


# --- oversized pictures: refused from the header, before any decoding --------------------------

def _png_header(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + chunk + struct.pack(">I", zlib.crc32(chunk)) + b"\x00" * 64


def _jpeg_header(width: int, height: int) -> bytes:
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof0 = b"\xff\xc0" + struct.pack(">HBHHB", 17, 8, height, width, 3) + b"\x01\x22\x00\x02\x11\x01\x03\x11\x01"
    return b"\xff\xd8" + app0 + sof0 + b"\x00" * 64


def _bmp_header(width: int, height: int) -> bytes:
    return (b"BM" + struct.pack("<IHHI", 54, 0, 0, 54)
            + struct.pack("<IiiHHIIiiII", 40, width, height, 1, 24, 0, 0, 0, 0, 0, 0) + b"\x00" * 64)


def _gif_header(width: int, height: int) -> bytes:
    return b"GIF89a" + struct.pack("<HHBBB", width, height, 0, 0, 0) + b"\x00" * 64


def _webp_vp8x_header(width: int, height: int) -> bytes:
    body = b"WEBP" + b"VP8X" + struct.pack("<I", 10) + b"\x00\x00\x00\x00" + \
        (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    return b"RIFF" + struct.pack("<I", len(body)) + body + b"\x00" * 64


def _webp_vp8l_header(width: int, height: int) -> bytes:
    bits = (width - 1) | ((height - 1) << 14)
    body = b"WEBP" + b"VP8L" + struct.pack("<I", 5) + b"\x2f" + bits.to_bytes(4, "little")
    return b"RIFF" + struct.pack("<I", len(body)) + body + b"\x00" * 64


def _tiff(width: int, height: int, order: str = "<", pixels: bytes = b"") -> bytes:
    """An uncompressed 8-bit grayscale TIFF ("<" little-endian II, ">" big-endian MM)."""
    n = 8
    offset = 8 + 2 + 12 * n + 4
    entries = [(256, 4, 1, width), (257, 4, 1, height), (258, 3, 1, 8), (259, 3, 1, 1), (262, 3, 1, 1),
               (273, 4, 1, offset), (278, 4, 1, height), (279, 4, 1, width * height)]

    def entry(tag, typ, count, value):
        value_bytes = struct.pack(order + ("HH" if typ == 3 else "I"), *((value, 0) if typ == 3 else (value,)))
        return struct.pack(order + "HHI", tag, typ, count) + value_bytes

    magic = b"II*\x00" if order == "<" else b"MM\x00*"
    ifd = struct.pack(order + "H", n) + b"".join(entry(*e) for e in entries) + b"\x00" * 4
    return magic + struct.pack(order + "I", 8) + ifd + (pixels or b"\x00" * 64)


def _tiff_header(width: int, height: int) -> bytes:
    return _tiff(width, height, ">")


def _pgm_header(width: int, height: int) -> bytes:
    return f"P5\n# a comment\n{width} {height}\n255\n".encode() + b"\x00" * 64


def _j2k_header(width: int, height: int) -> bytes:
    """A JPEG 2000 codestream's SIZ marker (three 8-bit components) and nothing after it."""
    siz = struct.pack(">HHIIIIIIIIH", 47, 0, width, height, 0, 0, width, height, 0, 0, 3) + b"\x07\x01\x01" * 3
    return b"\xff\x4f\xff\x51" + siz


def _pam_header(width: int, height: int) -> bytes:
    return f"P7\nWIDTH {width}\nHEIGHT {height}\nDEPTH 3\nMAXVAL 255\nTUPLTYPE RGB\nENDHDR\n".encode() + b"\x00" * 64


def _pfm_header(width: int, height: int) -> bytes:
    return f"PF\n{width} {height}\n-1\n".encode() + b"\x00" * 64


def _hdr_header(width: int, height: int) -> bytes:
    return f"#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y {height} +X {width}\n".encode() + b"\x00" * 64


def _sun_header(width: int, height: int) -> bytes:
    return struct.pack(">8I", 0x59A66A95, width, height, 8, 0, 1, 0, 0) + b"\x00" * 64


HEADERS = {"png": _png_header, "jpeg": _jpeg_header, "bmp": _bmp_header, "gif": _gif_header,
           "webp-vp8x": _webp_vp8x_header, "webp-vp8l": _webp_vp8l_header, "tiff": _tiff_header,
           "pgm": _pgm_header, "jpeg2000": _j2k_header, "pam": _pam_header, "pfm": _pfm_header,
           "hdr": _hdr_header, "sun": _sun_header}


@pytest.mark.parametrize("kind", sorted(HEADERS))
@pytest.mark.parametrize("size", [(16384, 6200), (16384, 16384)])  # both fit every format's size fields
def test_oversized_headers_are_refused_without_decoding(monkeypatch, kind, size):
    monkeypatch.setattr(images.cv2, "imdecode", lambda *a, **k: pytest.fail("decoded an image over the limit"))
    assert size[0] * size[1] > MAX_PIXELS
    with pytest.raises(ImageError, match=r"^bomb: .*too large"):
        decode_image(HEADERS[kind](*size), "bomb")


def test_jpeg_2000_bomb_named_jpg_is_refused_before_decoding(monkeypatch):
    """82 bytes declaring 32000x32000 took 5 GB before OpenCV refused it; 20000x20000 was accepted."""
    monkeypatch.setattr(images.cv2, "imdecode", lambda *a, **k: pytest.fail("decoded an image over the limit"))
    for side in (32000, 20000, 10001):
        data = _j2k_header(side, side)
        assert len(data) < 100
        with pytest.raises(ImageError, match=r"^bomb.jpg: .*too large.*limit is 100 megapixels"):
            decode_image(data, "bomb.jpg")


def test_jpeg_2000_wrapped_in_jp2_boxes_is_measured(monkeypatch):
    monkeypatch.setattr(images.cv2, "imdecode", lambda *a, **k: pytest.fail("decoded an image over the limit"))
    ihdr = struct.pack(">I4sIIHBBBB", 22, b"ihdr", 20000, 20000, 3, 7, 7, 0, 0)
    jp2 = (b"\x00\x00\x00\x0cjP  \r\n\x87\n" + struct.pack(">I4s4sI4s", 20, b"ftyp", b"jp2 ", 0, b"jp2 ")
           + struct.pack(">I4s", 8 + len(ihdr), b"jp2h") + ihdr + b"\x00" * 32)
    with pytest.raises(ImageError, match="too large"):
        decode_image(jp2, "x.jpg")


def test_a_format_whose_size_is_not_read_is_not_decoded(monkeypatch):
    """OpenCV decodes more formats than the size check reads; those are refused, not decoded."""
    monkeypatch.setattr(images.cv2, "imdecode", lambda *a, **k: pytest.fail("decoded a picture of unknown size"))
    exr = b"\x76\x2f\x31\x01\x02\x00\x00\x00" + b"\x00" * 200  # OpenEXR magic
    with pytest.raises(ImageError, match="not a readable image"):
        decode_image(exr, "x.exr")


def test_real_jpeg_2000_sun_pam_pfm_and_hdr_files_decode():
    img = np.random.default_rng(1).integers(0, 255, (37, 123, 3), np.uint8)
    assert decode_image(pil_bytes(Image.fromarray(img), "JPEG2000")).shape == (37, 123, 3)
    for ext in (".ras", ".pam"):
        assert decode_image(encode(img, ext)).shape == (37, 123, 3), ext
    for ext in (".pfm", ".hdr"):
        out = decode_image(encode(img.astype(np.float32) / 255, ext))
        assert out.shape == (37, 123, 3) and out.dtype == np.uint8, ext
        assert images._header_size(encode(img.astype(np.float32), ext)) == (123, 37), ext


def test_jpeg_fill_bytes_before_markers_are_skipped():
    data = _jpeg_header(640, 480)
    assert images._header_size(data[:2] + b"\xff\xff" + data[2:]) == (640, 480)


def test_greyscale_over_the_limit_is_refused_after_decoding_too(monkeypatch):
    """img.size > 4 * MAX_PIXELS let a greyscale picture of 4x the limit through."""
    monkeypatch.setattr(images, "MAX_PIXELS", 1000)
    monkeypatch.setattr(images, "_header_size", lambda data: (10, 10))  # a header that lies
    with pytest.raises(ImageError, match="too large"):
        decode_image(encode(np.zeros((40, 40), np.uint8), ".png"), "gray.png")


def test_16_bit_rgba_is_converted_without_full_size_float_copies():
    """A 16-bit RGBA picture at the pixel limit took 9.2 GB through float64 copies; the conversion
    now needs the 8-bit output and one band of rows."""
    import tracemalloc

    img = np.full((1500, 2000, 4), 40000, np.uint16)
    img[..., 3] = 65535
    tracemalloc.start()
    try:
        out = images._to_bgr8(img)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert out.shape == (1500, 2000, 3) and out[0, 0].tolist() == [156, 156, 156]
    assert peak < out.nbytes + 40 * images._BAND_PIXELS  # float64 copies would be 8 bytes x 4 x pixels



def _png16(width: int, height: int, colour_type: int, sample) -> bytes:
    """A 16-bit PNG (colour type 2, 4 or 6) whose every pixel is `sample` (one value per channel)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    row = b"\x00" + struct.pack(f">{len(sample)}H", *sample) * width
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 16, colour_type, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(row * height)) + chunk(b"IEND", b""))


@pytest.mark.parametrize("colour_type, sample, expected", [
    (2, (65535, 128 * 257, 0), [0, 128, 255]),  # RGB: red full, green half -> BGR
    (6, (40000, 40000, 40000, 65535), [156, 156, 156]),  # opaque
    (6, (0, 0, 0, 0), [255, 255, 255]),  # transparent black is white
    (6, (0, 0, 65535, 32896), [255, 127, 127]),  # half-transparent blue on white (BGR)
    (4, (40000, 30000), [210, 210, 210]),  # grey with alpha: (156 * 117 + 255 * 138) / 255
])
def test_16_bit_colour_pngs_decode_like_opencv(colour_type, sample, expected):
    """16-bit colour PNGs go through Pillow (less memory); the picture is the one OpenCV's path gave."""
    data = _png16(5, 3, colour_type, sample)
    out = decode_image(data)
    assert out.shape == (3, 5, 3) and out.dtype == np.uint8
    assert np.abs(out[1, 2].astype(int) - expected).max() <= 1
    by_opencv = images._to_bgr8(cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED))
    assert np.abs(out.astype(int) - by_opencv).max() <= 1


def test_16_bit_rgba_png_decodes_without_a_16_bit_copy():
    """OpenCV decoded a 16-bit RGBA PNG to 8 bytes a pixel and held a second buffer as large while
    doing it (1.5 GB over the output at the 100 MP limit). Through Pillow, only the 8-bit output and
    one band of rows are numpy arrays (Pillow's own 4 bytes a pixel are not traced here)."""
    import tracemalloc

    data = _png16(2000, 1500, 6, (40000, 40000, 40000, 65535))
    tracemalloc.start()
    try:
        out = decode_image(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert out.shape == (1500, 2000, 3) and out[700, 900].tolist() == [156, 156, 156]
    assert peak < out.nbytes + 40 * images._BAND_PIXELS  # OpenCV's 16-bit picture alone is 8 bytes x pixels


@pytest.mark.parametrize("channels", [3, 4])
@pytest.mark.parametrize("params", [(), (cv2.IMWRITE_TIFF_COMPRESSION, 1), (cv2.IMWRITE_TIFF_COMPRESSION, 8)])
def test_16_bit_colour_tiffs_decode_like_opencv(channels, params):
    """16-bit RGB and RGBA TIFFs (LZW, none, deflate) go through Pillow too, with OpenCV's picture."""
    img = np.zeros((6, 9, channels), np.uint16)
    img[..., 0], img[..., 1], img[..., 2] = 65535, 128 * 257, 1000  # BGR as OpenCV writes it
    if channels == 4:
        img[:3, ..., 3], img[3:, ..., 3] = 65535, 32896
    data = encode(img, ".tiff", params)
    assert images._is_16_bit_colour_tiff(data)
    out = decode_image(data)
    by_opencv = images._to_bgr8(cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED))
    assert out.shape == (6, 9, 3) and np.abs(out.astype(int) - by_opencv).max() <= 1
    assert np.abs(out[0, 0].astype(int) - [255, 128, 4]).max() <= 1  # the high byte: 1000 -> 3


def test_8_bit_and_grey_tiffs_stay_with_opencv():
    assert not images._is_16_bit_colour_tiff(encode(np.zeros((4, 4, 3), np.uint8), ".tiff"))
    assert not images._is_16_bit_colour_tiff(encode(np.zeros((4, 4), np.uint16), ".tiff"))
    assert not images._is_16_bit_colour_tiff(b"II*\x00garbage")


@pytest.mark.parametrize("keep", [0.3, 0.6, 0.95])
def test_truncated_16_bit_png_raises_image_error(keep):
    data = _png16(300, 200, 6, (1, 2, 3, 4))
    data = data[:int(len(data) * keep)] if keep > 0.5 else data[:60]
    with pytest.raises(ImageError, match="not a readable image"):
        decode_image(data, "cut.png")


@pytest.mark.parametrize("ext, params", [
    (".png", ()), (".jpg", ()), (".bmp", ()), (".tiff", ()), (".pgm", ()), (".ppm", ()),
    (".webp", (cv2.IMWRITE_WEBP_QUALITY, 80)), (".webp", (cv2.IMWRITE_WEBP_QUALITY, 101)),
])
def test_header_sizes_read_from_real_files(ext, params):
    """The size check reads the same width and height as the decoder (checked on real files)."""
    img = np.random.default_rng(0).integers(0, 255, (37, 123, 3 if ext != ".pgm" else 1), np.uint8)
    assert images._header_size(encode(img, ext, params)) == (123, 37)


def test_header_size_of_gif():
    assert images._header_size(pil_bytes(Image.new("RGB", (123, 37)), "GIF")) == (123, 37)


@pytest.mark.parametrize("order", ["<", ">"])
def test_header_size_of_little_and_big_endian_tiff(order):
    data = _tiff(123, 37, order, bytes(range(123)) * 37)
    out = decode_image(data)  # a real file: OpenCV reads it
    assert out.shape == (37, 123, 3) and out[5, 77, 0] == 77
    assert images._header_size(data) == (123, 37)


@pytest.mark.parametrize("kind", sorted(HEADERS))
def test_small_crafted_headers_are_not_called_too_large(kind):
    """The header reader must not refuse ordinary sizes: these are just broken files."""
    with pytest.raises(ImageError) as info:
        decode_image(HEADERS[kind](640, 480), "small")
    assert "too large" not in str(info.value)


def test_webp_decompression_bomb_is_refused_before_decoding(monkeypatch):
    """A real 11000x11000 WebP of one colour is a few kilobytes but 360 MB decoded."""
    big = np.zeros((11000, 11000), np.uint8)
    data = encode(big, ".webp", (cv2.IMWRITE_WEBP_QUALITY, 101))
    del big
    assert len(data) < 100_000
    monkeypatch.setattr(images.cv2, "imdecode", lambda *a, **k: pytest.fail("decoded a decompression bomb"))
    with pytest.raises(ImageError, match="too large"):
        decode_image(data)


def test_8000_by_8000_photo_decodes_and_is_scaled_down_for_detection():
    img = np.zeros((8000, 8000, 3), np.uint8)
    img[:4000] = (10, 200, 30)
    data = encode(img, ".jpg", (cv2.IMWRITE_JPEG_QUALITY, 80))
    del img
    out = decode_image(data, "huge.jpg")
    assert out.shape == (8000, 8000, 3)
    assert abs(int(out[100, 100, 1]) - 200) <= 3 and out[7000, 7000].max() <= 3
    small, scale = fit_within(out, 2048)
    assert small.shape[:2] == (2048, 2048) and scale == pytest.approx(2048 / 8000)


def test_load_image_from_path_and_missing_file(tmp_path, quadrants):
    path = tmp_path / "q.png"
    path.write_bytes(encode(quadrants, ".png"))
    np.testing.assert_array_equal(load_image(path), quadrants)
    np.testing.assert_array_equal(load_image(path.read_bytes()), quadrants)
    with pytest.raises(ImageError, match="missing.png: cannot be read"):
        load_image(tmp_path / "missing.png")
    with pytest.raises(ImageError, match="cannot be read"):
        load_image(tmp_path)  # a folder


@pytest.mark.parametrize("shape,width,expected", [
    ((2, 4000, 3), 140, (1, 140, 3)),  # would round to 0 px high: kept at 1
    ((2, 4000, 3), 1460, (1, 1460, 3)),
    ((400, 800, 3), 200, (100, 200, 3)),
    ((4000, 2, 3), 140, (4000, 2, 3)),  # narrow enough already: untouched
])
def test_fit_width_keeps_every_side_at_least_one_pixel(shape, width, expected):
    assert fit_width(np.zeros(shape, np.uint8), width).shape == expected
