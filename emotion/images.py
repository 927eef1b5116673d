"""Decoding user images safely: any common format, EXIF rotation, 16-bit, alpha, huge sizes."""
from __future__ import annotations

import io
import re
import warnings
from pathlib import Path

import cv2
import numpy as np

from .sources import load_source

cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)  # errors are reported as ImageError

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".gif", ".pgm", ".ppm")
MAX_PIXELS = 100_000_000  # decoding more than this could exhaust memory; refuse instead
WORK_SIDE = 2048  # larger images are scaled down for detection: faces stay far above detector size


class ImageError(ValueError):
    """An image that cannot be used; the message says why, in words for a user."""


def _header_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from an image header without decoding pixels, when cheap to find.

    Covers the formats of IMAGE_EXTENSIONS and the text-headed ones OpenCV also decodes (PAM, PFM,
    Radiance HDR): several of them (WebP, GIF, TIFF, PNG, JPEG, BMP RLE) pack a huge picture into a
    few kilobytes. Other formats are left to `_pillow_size`.
    """
    le = _little_endian
    if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR" and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return le(data[6:8]), le(data[8:10])
    if data[:2] == b"BM" and len(data) >= 26:
        if le(data[14:18]) == 12:  # OS/2 BITMAPCOREHEADER: 16-bit sizes
            return le(data[18:20]), le(data[20:22])
        return abs(int.from_bytes(data[18:22], "little", signed=True)), \
            abs(int.from_bytes(data[22:26], "little", signed=True))
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP" and len(data) >= 30:
        chunk = data[12:16]
        if chunk == b"VP8X":
            return 1 + le(data[24:27]), 1 + le(data[27:30])
        if chunk == b"VP8L":
            bits = le(data[21:25])
            return 1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF)
        if chunk == b"VP8 ":
            return le(data[26:28]) & 0x3FFF, le(data[28:30]) & 0x3FFF
    if data[:4] in (b"II*\x00", b"MM\x00*") and len(data) >= 8:
        return _tiff_size(data)
    if data[:2] == b"P7":  # PAM: "WIDTH w" and "HEIGHT h" lines
        head = data[:1024]
        width, height = re.search(rb"\bWIDTH\s+(\d+)", head), re.search(rb"\bHEIGHT\s+(\d+)", head)
        return (int(width[1]), int(height[1])) if width and height else None
    if data[:1] == b"P" and len(data) >= 3 and data[1] in b"123456Ff":  # PNM and PFM
        fields = b" ".join(line.split(b"#")[0] for line in data[2:256].splitlines()).split()
        if len(fields) >= 2 and fields[0].isdigit() and fields[1].isdigit():
            return int(fields[0]), int(fields[1])
    if data[:10] == b"#?RADIANCE" or data[:6] == b"#?RGBE":  # Radiance HDR: "-Y h +X w" after the header
        found = re.search(rb"\n\n([-+])Y (\d+) [-+]X (\d+)", data[:4096])
        return (int(found[3]), int(found[2])) if found else None
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                return None
            marker = data[i + 1]
            if marker == 0xFF:  # fill byte before a marker
                i += 1
                continue
            if marker == 0x01 or 0xD0 <= marker <= 0xD8:  # markers without a length
                i += 2
                continue
            length = int.from_bytes(data[i + 2:i + 4], "big")
            if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
                return int.from_bytes(data[i + 7:i + 9], "big"), int.from_bytes(data[i + 5:i + 7], "big")
            i += 2 + length
    return None


# formats OpenCV decodes whose size Pillow reads for us (JPEG 2000, AVIF, Sun raster, and the ones above)
_PILLOW_FORMATS = ("JPEG2000", "AVIF", "SUN", "JPEG", "PNG", "GIF", "BMP", "TIFF", "WEBP", "PPM")


def _pillow_size(data: bytes, name: str) -> tuple[int, int] | None:
    """(width, height) as Pillow reads it from the header (it decodes no pixels), or None."""
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # bomb and corrupt-metadata warnings: the size is all we need
            with Image.open(io.BytesIO(data), formats=_PILLOW_FORMATS) as img:
                return img.size
    except Image.DecompressionBombError as exc:
        raise ImageError(f"{name}: {_too_large()}") from exc
    except Exception:  # not a format Pillow knows, or a broken header
        return None


def _too_large(size: tuple[int, int] | None = None) -> str:
    dims = f"{size[0]}x{size[1]} pixels; " if size else ""
    return f"the picture is too large ({dims}the limit is {MAX_PIXELS // 1_000_000} megapixels)"


def _little_endian(b: bytes) -> int:
    return int.from_bytes(b, "little")


def _tiff_size(data: bytes) -> tuple[int, int] | None:
    """ImageWidth and ImageLength (tags 256, 257) of a TIFF's first page."""
    order = "little" if data[:2] == b"II" else "big"

    def num(b: bytes) -> int:
        return int.from_bytes(b, order)

    ifd = num(data[4:8])
    found = {}
    for k in range(min(num(data[ifd:ifd + 2]), 512) if ifd + 2 <= len(data) else 0):
        entry = data[ifd + 2 + 12 * k: ifd + 14 + 12 * k]
        if len(entry) == 12 and num(entry[:2]) in (256, 257):
            found[num(entry[:2])] = num(entry[8:10]) if num(entry[2:4]) == 3 else num(entry[8:12])
    return (found[256], found[257]) if len(found) == 2 else None


def decode_image(data: bytes, name: str = "image") -> np.ndarray:
    """Decode image bytes to an 8-bit BGR array, applying the EXIF orientation.

    Grayscale, alpha and 16-bit images are converted; a picture whose size cannot be read from its
    header, or over MAX_PIXELS, is refused before decoding. Raises ImageError with a readable reason.
    """
    if not data:
        raise ImageError(f"{name}: the file is empty")
    unreadable = ImageError(f"{name}: not a readable image (corrupt, truncated or not an image file)")
    size = _header_size(data) or _pillow_size(data, name)
    if size is None:  # no size, no decoding: OpenCV reads formats that could declare any size
        raise unreadable
    if size[0] * size[1] > MAX_PIXELS:
        raise ImageError(f"{name}: {_too_large(size)}")
    if _is_16_bit_colour_png(data) or _is_16_bit_colour_tiff(data):
        return _decode_16_bit_colour(data, unreadable)
    try:
        img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)  # alpha, 16 bits kept
    except cv2.error:  # OpenCV's own checks (e.g. its pixel limit) raise instead of returning None
        img = None
    if img is None:
        raise unreadable
    if img.shape[0] * img.shape[1] > MAX_PIXELS:
        raise ImageError(f"{name}: {_too_large((img.shape[1], img.shape[0]))}")
    img = _to_bgr8(img)
    img = _apply_exif_orientation(data, img)
    return np.ascontiguousarray(img)


_BAND_PIXELS = 1 << 20  # conversions work on bands of rows this size, never on full-size float copies


def _to_bgr8(img: np.ndarray) -> np.ndarray:
    """8-bit BGR from a decoded picture: gray, BGRA (composited on white), 16-bit or float.

    Works a band of rows at a time, so the extra memory is the 8-bit output and one small band.
    """
    channels = 1 if img.ndim == 2 else img.shape[2]
    if img.dtype == np.uint8 and channels == 3:
        return img
    scale = 1.0
    if img.dtype != np.uint8:  # 16-bit or float: full scale is 65535, 255 or 1 by the brightest value
        peak = float(np.fmax.reduce(img, axis=None)) if img.size else 0.0  # fmax skips NaN
        scale = 255.0 / (65535.0 if peak > 255 else (1.0 if peak <= 1.0 else 255.0))
    h, w = img.shape[:2]
    out = np.empty((h, w, 3), np.uint8)
    rows = max(1, _BAND_PIXELS // max(1, w))
    for top in range(0, h, rows):
        band = img[top:top + rows]
        if band.dtype != np.uint8:
            if band.dtype.kind == "f":
                band = np.clip(np.nan_to_num(band, nan=0.0), 0, None)
            band = cv2.convertScaleAbs(band, alpha=scale)  # rounds and saturates to 0..255
        if band.ndim == 2 or channels == 1:
            out[top:top + rows] = band.reshape(band.shape[0], w, 1)
        elif channels == 4:  # composite on white, like an image viewer would
            alpha = band[:, :, 3:4].astype(np.uint16)
            mixed = band[:, :, :3] * alpha + 255 * (255 - alpha)
            out[top:top + rows] = (mixed + 127) // 255
        else:
            out[top:top + rows] = band[:, :, :3]
    return out


def _is_16_bit_colour_png(data: bytes) -> bool:
    """A PNG with 16 bits per sample in colour, grey with alpha, or colour with alpha (IHDR colour type 2, 4, 6)."""
    return (data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR" and len(data) >= 26
            and data[24] == 16 and data[25] in (2, 4, 6))


def _is_16_bit_colour_tiff(data: bytes) -> bool:
    """A TIFF whose first page has 16 bits per sample in RGB or RGBA (unassociated alpha), as Pillow reads it."""
    if data[:4] not in (b"II*\x00", b"MM\x00*"):
        return False
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data), formats=("TIFF",)) as pic:  # reads the header only
                args = pic.tile[0][3] if pic.tile else None
                rawmode = args[0] if isinstance(args, tuple) and args else args
                return pic.mode in ("RGB", "RGBA") and isinstance(rawmode, str) and ";16" in rawmode
    except Exception:  # not a TIFF Pillow reads: OpenCV decodes it as before
        return False


def _decode_16_bit_colour(data: bytes, unreadable: ImageError) -> np.ndarray:
    """8-bit BGR from a 16-bit colour PNG or TIFF, decoded by Pillow (alpha composited on white).

    OpenCV decodes such a file to 16 bits per sample and holds a second full-size buffer while it does
    (16 bytes a pixel for RGBA). Pillow keeps the high byte of each sample as it decodes (4 bytes a
    pixel), and its picture is converted to the output a band of rows at a time.
    """
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the size was checked against MAX_PIXELS above
            with Image.open(io.BytesIO(data), formats=("PNG", "TIFF")) as pic:
                pic.load()
                if pic.mode not in ("RGB", "RGBA"):
                    raise unreadable
                w, h = pic.size
                out = np.empty((h, w, 3), np.uint8)
                rows = max(1, _BAND_PIXELS // max(1, w))
                for top in range(0, h, rows):
                    band = np.asarray(pic.crop((0, top, w, min(h, top + rows))))
                    order = [2, 1, 0, 3] if pic.mode == "RGBA" else [2, 1, 0]
                    out[top:top + rows] = _to_bgr8(np.ascontiguousarray(band[:, :, order]))
                return out
    except (OSError, SyntaxError, ValueError) as exc:  # Pillow's errors for a truncated or broken file
        if isinstance(exc, ImageError):
            raise
        raise unreadable from exc


def _apply_exif_orientation(data: bytes, img: np.ndarray) -> np.ndarray:
    """Rotate/flip as the EXIF Orientation tag says (imdecode with IMREAD_UNCHANGED does not)."""
    orientation = _exif_orientation(data)
    ops = {2: lambda a: cv2.flip(a, 1), 3: lambda a: cv2.rotate(a, cv2.ROTATE_180),
           4: lambda a: cv2.flip(a, 0), 5: lambda a: cv2.flip(cv2.rotate(a, cv2.ROTATE_90_CLOCKWISE), 1),
           6: lambda a: cv2.rotate(a, cv2.ROTATE_90_CLOCKWISE),
           7: lambda a: cv2.flip(cv2.rotate(a, cv2.ROTATE_90_COUNTERCLOCKWISE), 1),
           8: lambda a: cv2.rotate(a, cv2.ROTATE_90_COUNTERCLOCKWISE)}
    return ops[orientation](img) if orientation in ops else img


def _exif_orientation(data: bytes) -> int:
    """The EXIF Orientation value (1-8) of a JPEG, or 1 when there is none."""
    if data[:2] != b"\xff\xd8":
        return 1
    i = 2
    while i + 4 < len(data) and data[i] == 0xFF:
        marker, length = data[i + 1], int.from_bytes(data[i + 2:i + 4], "big")
        if marker == 0xE1 and data[i + 4:i + 10] == b"Exif\x00\x00":
            tiff = data[i + 10:i + 2 + length]
            order = "little" if tiff[:2] == b"II" else "big"
            if len(tiff) < 8:
                return 1
            ifd = int.from_bytes(tiff[4:8], order)
            if ifd + 2 > len(tiff):
                return 1
            for k in range(int.from_bytes(tiff[ifd:ifd + 2], order)):
                entry = tiff[ifd + 2 + 12 * k: ifd + 14 + 12 * k]
                if len(entry) == 12 and int.from_bytes(entry[:2], order) == 0x0112:
                    value = int.from_bytes(entry[8:10], order)
                    return value if 1 <= value <= 8 else 1
            return 1
        if marker == 0xDA:  # start of scan: no more metadata
            return 1
        i += 2 + length
    return 1


def load_image(source: str | Path | bytes, name: str | None = None) -> np.ndarray:
    """Read an image from a path or bytes as 8-bit BGR (see decode_image)."""
    return load_source(source, name, "image", decode_image, ImageError)


def fit_within(img: np.ndarray, max_side: int) -> tuple[np.ndarray, float]:
    """Scale `img` down so its longer side is at most `max_side`; returns (image, scale applied)."""
    h, w = img.shape[:2]
    scale = min(1.0, max_side / max(h, w))
    if scale >= 1.0:
        return img, 1.0
    return cv2.resize(img, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA), scale


def fit_width(img: np.ndarray, max_width: int) -> np.ndarray:
    """`img` scaled down to at most `max_width` pixels wide, its aspect kept, and at least 1 px on each side."""
    h, w = img.shape[:2]
    if w <= max_width:
        return img
    return cv2.resize(img, (max_width, max(1, round(h * max_width / w))), interpolation=cv2.INTER_AREA)
