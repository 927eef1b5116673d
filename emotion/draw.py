"""Drawing face readings on pictures: a box per face, its label and confidence above it."""
from __future__ import annotations

from typing import Sequence

import cv2
import numpy as np

from .colours import bgr, text_bgr
from .face import FaceReading
from .masks import apply_mask

FONT = cv2.FONT_HERSHEY_SIMPLEX


def mirror(image: np.ndarray) -> np.ndarray:
    """The image flipped left-right, like a selfie camera (cv2.flip: every live frame is mirrored, and copying
    a reversed numpy view is far slower; benchmarks/RESULTS-capacity.md)."""
    return cv2.flip(image, 1)


def caption(reading: FaceReading) -> str:
    """'happy 72%' for a face reading."""
    return f"{reading.label} {reading.confidence:.0%}"


def draw_faces(image: np.ndarray, faces: Sequence[FaceReading], mask: bool = False) -> np.ndarray:
    """A BGR copy of `image` with a box and 'label confidence' drawn for each face.

    Text is drawn upright on the image as given: to show a mirrored view with readable text,
    mirror first, then draw. With `mask`, each face gets the simulated mask drawn on it too.
    """
    out = image if image.ndim == 3 else cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    out = out.copy()
    height, width = out.shape[:2]
    scale = max(0.4, min(width, height) / 700)
    thickness = max(1, int(round(2 * scale)))
    for face in faces:
        x, y, w, h = (int(v) for v in face.box)
        if mask:
            out = apply_mask(out, (x, y, w, h))
        colour = bgr(face.label)
        cv2.rectangle(out, (x, y), (x + w - 1, y + h - 1), colour, thickness + 1, cv2.LINE_AA)
        text = caption(face)
        (tw, th), base = cv2.getTextSize(text, FONT, scale, thickness)
        top = y - th - base - 6 if y - th - base - 6 >= 0 else y + h  # above the box, else below it
        left = min(max(0, x), max(0, width - tw - 8))
        cv2.rectangle(out, (left, top), (left + tw + 8, top + th + base + 6), colour, -1)
        cv2.putText(out, text, (left + 4, top + th + 3), FONT, scale, text_bgr(face.label), thickness, cv2.LINE_AA)
    return out
