"""One colour per emotion, shared by drawings on frames and by the plots."""
from __future__ import annotations

from .labels import EMOTIONS

HEX: dict[str, str] = {
    "angry": "#D62728",
    "disgust": "#2CA02C",
    "fear": "#9467BD",
    "happy": "#F2A900",
    "neutral": "#7F7F7F",
    "sad": "#1F77B4",
    "surprise": "#17BECF",
}
OTHER = "#BBBBBB"  # "no face", "no speech", "no reading"
assert set(HEX) == set(EMOTIONS)


def hex_colour(label: str) -> str:
    """The colour of an emotion as '#RRGGBB' (grey for anything else)."""
    return HEX.get(label, OTHER)


def bgr(label: str) -> tuple[int, int, int]:
    """The colour of an emotion as an OpenCV (blue, green, red) tuple."""
    h = hex_colour(label).lstrip("#")
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return b, g, r


def text_bgr(label: str) -> tuple[int, int, int]:
    """Black or white, whichever reads better on the emotion's colour."""
    b, g, r = bgr(label)
    return (0, 0, 0) if 0.299 * r + 0.587 * g + 0.114 * b > 150 else (255, 255, 255)
