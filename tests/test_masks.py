"""Simulated masks cover the lower face (nose, mouth, chin) and leave the eyes alone."""
from __future__ import annotations

import numpy as np
import pytest

from emotion.masks import MASK_COLOURS, apply_mask, random_mask

BOX = (60, 40, 100, 120)  # x, y, w, h


@pytest.fixture
def picture() -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, (240, 220, 3), np.uint8)


def changed(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    diff = before != after
    return diff.any(axis=2) if diff.ndim == 3 else diff


def region(box, x0, x1, y0, y1):
    """Slices for a part of a box given as fractions of its width and height."""
    x, y, w, h = box
    return slice(int(y + y0 * h), int(y + y1 * h)), slice(int(x + x0 * w), int(x + x1 * w))


def test_only_the_lower_face_changes(picture):
    out = apply_mask(picture, BOX)
    moved = changed(picture, out)
    x, y, w, h = BOX
    assert not moved[region(BOX, 0.0, 1.0, -0.3, 0.4)].any()  # forehead and eyes (and above the face)
    ys, xs = np.nonzero(moved)
    assert ys.min() >= y + 0.4 * h  # nothing above the nose bridge
    assert ys.max() <= y + 1.1 * h  # down to just under the chin
    assert xs.min() >= x - 0.05 * w and xs.max() <= x + 1.05 * w  # ear loops reach just past the sides
    assert not moved[:, : x - 10].any() and not moved[:, x + w + 10:].any()


def test_mouth_and_nose_are_covered_with_the_mask_colour(picture):
    colour = MASK_COLOURS[1]
    out = apply_mask(picture, BOX, colour)
    mouth = out[region(BOX, 0.35, 0.65, 0.72, 0.76)]
    nose_tip = out[region(BOX, 0.45, 0.55, 0.62, 0.64)]
    assert changed(picture[region(BOX, 0.25, 0.75, 0.62, 0.95)], out[region(BOX, 0.25, 0.75, 0.62, 0.95)]).mean() > 0.95
    assert np.abs(nose_tip.astype(int) - colour).max() <= 1
    assert np.abs(mouth.astype(int) - colour).max() <= 60  # fabric, with darker pleats across it


def test_the_input_is_not_modified(picture):
    before = picture.copy()
    apply_mask(picture, BOX)
    np.testing.assert_array_equal(picture, before)


def test_grayscale_pictures(picture):
    gray = picture[:, :, 0].copy()
    out = apply_mask(gray, BOX)
    assert out.shape == gray.shape and out.dtype == np.uint8
    moved = changed(gray, out)
    assert not moved[region(BOX, 0.0, 1.0, 0.0, 0.4)].any() and moved[region(BOX, 0.3, 0.7, 0.65, 0.9)].mean() > 0.95


def test_mask_follows_the_box(picture):
    small = (10, 10, 40, 50)
    moved = changed(picture, apply_mask(picture, small))
    ys, xs = np.nonzero(moved)
    assert ys.min() >= 10 + 0.4 * 50 and ys.max() <= 10 + 1.1 * 50 and xs.max() <= 10 + 1.05 * 40


def test_random_masks_vary_but_stay_on_the_lower_face(picture):
    outs = [random_mask(picture, BOX, np.random.default_rng(seed)) for seed in range(8)]
    assert len({o.tobytes() for o in outs}) > 1
    for out in outs:
        assert not changed(picture, out)[region(BOX, 0.1, 0.9, 0.0, 0.35)].any()
    again = random_mask(picture, BOX, np.random.default_rng(3))
    np.testing.assert_array_equal(again, outs[3])
