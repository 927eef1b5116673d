"""Simulated face masks: a surgical-mask-shaped cover over nose, mouth and chin.

Used to measure how the models cope with masked faces (`--mask` in the command line, "simulate a
mask" in the app) and to train the face model to cope with them.
"""
from __future__ import annotations

import cv2
import numpy as np

Box = tuple[int, int, int, int]

# Colours (BGR) of common masks: surgical blue, white, black, grey.
MASK_COLOURS: tuple[tuple[int, int, int], ...] = ((214, 190, 140), (235, 235, 235), (40, 40, 40), (150, 150, 150))


def mask_polygon(box: Box, top: float = 0.52, side: float = 0.06, bottom: float = 1.04) -> np.ndarray:
    """Outline of a mask for a face box (x, y, w, h), as an (N, 2) int32 array of points.

    `top` is where the mask's upper edge sits (fraction of box height: about the nose bridge),
    `side` how far in from the box's sides it starts, `bottom` where it ends (below the chin).
    The upper edge rises towards the nose and the lower edge is rounded like a chin.
    """
    x, y, w, h = box
    t = np.linspace(0.0, 1.0, 21)
    left, right = x + side * w, x + (1 - side) * w
    xs = left + (right - left) * t
    top_y = y + h * (top + 0.06 * (1 - np.sin(np.pi * t)) - 0.04 * np.sin(np.pi * t))
    bottom_y = y + h * (bottom - 0.14 * (1 - np.sin(np.pi * t) ** 0.6))
    points = np.concatenate([np.stack([xs, top_y], 1), np.stack([xs[::-1], bottom_y[::-1]], 1)])
    return np.round(points).astype(np.int32)


def apply_mask(image: np.ndarray, box: Box, colour: tuple[int, int, int] = MASK_COLOURS[0],
               top: float = 0.52, side: float = 0.06, bottom: float = 1.04) -> np.ndarray:
    """A copy of `image` (BGR or grayscale uint8) with a mask drawn over the face in `box`."""
    out = image.copy()
    fill = colour if out.ndim == 3 else int(round(np.mean(colour)))
    poly = mask_polygon(box, top, side, bottom)
    cv2.fillPoly(out, [poly], fill, lineType=cv2.LINE_AA)
    # Pleats and ear loops, slightly darker than the fabric, so it looks like a mask, not a block.
    x, y, w, h = box
    shade = tuple(int(c * 0.8) for c in colour) if out.ndim == 3 else int(round(np.mean(colour) * 0.8))
    thickness = max(1, int(round(h / 60)))
    x0, x1 = int(x + (side + 0.1) * w), int(x + (1 - side - 0.1) * w)
    for frac in (0.68, 0.78, 0.88):
        yy = int(y + frac * h)
        cv2.line(out, (x0, yy), (x1, yy), shade, thickness, lineType=cv2.LINE_AA)
    top_y = int(y + (top + 0.06) * h)
    for edge_x, ear_x in ((int(x + side * w), int(x - 0.02 * w)), (int(x + (1 - side) * w), int(x + 1.02 * w))):
        cv2.line(out, (edge_x, top_y), (ear_x, int(y + 0.42 * h)), shade, thickness, lineType=cv2.LINE_AA)
    return out


def random_mask(image: np.ndarray, box: Box, rng: np.random.Generator) -> np.ndarray:
    """`apply_mask` with a random colour and a slightly random fit (for training and robustness tests)."""
    colour = MASK_COLOURS[rng.integers(len(MASK_COLOURS))]
    jitter = rng.normal(0, 1, 3)
    return apply_mask(image, box, colour, top=0.52 + 0.03 * jitter[0], side=0.06 + 0.02 * jitter[1],
                      bottom=1.04 + 0.03 * jitter[2])
