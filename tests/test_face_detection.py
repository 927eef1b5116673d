"""Face detectors: the contract (boxes in image pixels, largest first, settings checked), on synthetic photos.

How well they find real faces is measured by benchmarks/face_detection.py, not here.
"""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from emotion.detectors import DEFAULT_DETECTOR, DETECTORS, HaarDetector, get_detector, merge_boxes
from emotion.masks import apply_mask
from media import face_photo, photo_background

PLACED = (330, 110, 220, 220)


def iou(a, b) -> float:
    ix = max(0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / (a[2] * a[3] + b[2] * b[3] - inter) if inter else 0.0


@pytest.fixture(scope="module")
def faces(face_files) -> dict[str, list[np.ndarray]]:
    """The PublicTest fixture faces (chosen as ones a detector finds once scaled up), by emotion."""
    return {e: [cv2.imread(str(p), cv2.IMREAD_GRAYSCALE) for p in paths if "PublicTest" in p.name]
            for e, paths in face_files.items()}


@pytest.fixture(scope="module")
def photo(faces) -> np.ndarray:
    return face_photo(faces["happy"][0])


def test_default_detector_is_known_and_shared():
    assert DEFAULT_DETECTOR in DETECTORS
    assert get_detector() is get_detector(DEFAULT_DETECTOR)


def test_unknown_detector_and_cascade_are_refused():
    with pytest.raises(ValueError, match="unknown detector"):
        get_detector("nope")
    with pytest.raises(ValueError, match="unknown frontal cascade"):
        HaarDetector(frontal="nope")


@pytest.mark.parametrize("settings", [{}, {"profiles": False}, {"frontal": "alt2"}, {"clahe": False},
                                      {"max_side": 320, "profiles": False}])
def test_haar_settings_find_the_placed_face(photo, settings):
    boxes = HaarDetector(**settings).detect(photo)
    assert boxes and iou(boxes[0], PLACED) > 0.5


def test_boxes_are_in_the_pixels_of_the_image_given(photo):
    """The detector works on a scaled-down copy; boxes come back in the caller's pixels."""
    big = cv2.resize(photo, None, fx=2.5, fy=2.5, interpolation=cv2.INTER_CUBIC)
    small_box = get_detector().detect(photo)[0]
    big_box = get_detector().detect(big)[0]
    assert iou(big_box, tuple(v * 2.5 for v in small_box)) > 0.7
    x, y, w, h = big_box
    assert 0 <= x and 0 <= y and x + w <= big.shape[1] + 2 and y + h <= big.shape[0] + 2


def test_largest_face_first(faces):
    scene = photo_background()
    for face, (x, y), side in ((faces["happy"][0], (40, 200), 130), (faces["surprise"][0], (330, 110), 230)):
        scene[y:y + side, x:x + side] = cv2.cvtColor(cv2.resize(face, (side, side), interpolation=cv2.INTER_CUBIC),
                                                     cv2.COLOR_GRAY2BGR)
    boxes = get_detector().detect(scene)
    assert len(boxes) == 2
    assert boxes[0][2] * boxes[0][3] > boxes[1][2] * boxes[1][3]


def test_grayscale_input_and_no_face(photo):
    gray = cv2.cvtColor(photo, cv2.COLOR_BGR2GRAY)
    assert iou(get_detector().detect(gray)[0], PLACED) > 0.5
    assert get_detector().detect(photo_background()) == []
    assert get_detector().detect(np.zeros((480, 640, 3), np.uint8)) == []


def test_dark_face_is_found(photo):
    dark = np.clip(255 * 0.3 * (photo / 255.0) ** 1.5, 0, 255).astype(np.uint8)
    boxes = get_detector().detect(dark)
    assert boxes and iou(boxes[0], PLACED) > 0.5


def test_masked_face_is_found(photo):
    boxes = get_detector().detect(apply_mask(photo, PLACED))
    assert boxes and iou(boxes[0], PLACED) > 0.4


def test_merge_boxes_keeps_the_best_of_each_overlapping_group():
    boxes = [(0, 0, 100, 100), (5, 5, 100, 100), (300, 300, 50, 50)]
    assert merge_boxes(boxes, [0.5, 0.9, 0.1]) == [(5, 5, 100, 100), (300, 300, 50, 50)]
    assert merge_boxes([], []) == []


def test_without_the_mtcnn_package_mtcnn_falls_back_to_haar(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "mtcnn" else real(name, *a))
    with pytest.warns(UserWarning, match="mtcnn package is not installed"):
        detector = get_detector("mtcnn")
    assert isinstance(detector, HaarDetector)


@pytest.mark.parametrize("min_face", [24, 40])
def test_mtcnn_with_a_larger_minimum_face_still_finds_faces(photo, min_face):
    """mtcnn 1.0.0 alone returns no faces at all above min_face_size 20 (its pyramid goes under 12 px)."""
    from emotion.detectors import MTCNNDetector

    boxes = MTCNNDetector(min_face=min_face).detect(photo)
    assert boxes and iou(boxes[0], PLACED) > 0.5
    with pytest.raises(ValueError, match="min_face"):
        MTCNNDetector(min_face=8)


@pytest.mark.parametrize("shape", [(48, 48), (20, 20), (8, 8), (30, 900), (900, 30), (480, 640), (1080, 1920)])
def test_default_detector_survives_any_image_shape(shape):
    assert get_detector().detect(np.full((*shape, 3), 128, np.uint8)) == []


def test_auto_reads_a_small_crop_whole_without_the_detector(monkeypatch):
    from emotion import face

    def no_detector(*args, **kwargs):
        raise AssertionError("the detector ran on a 48x48 crop")

    monkeypatch.setattr(face, "get_detector", no_detector)
    crop = np.full((48, 48), 128, np.uint8)
    image, boxes, detected = face.locate_faces(crop, "auto")
    assert boxes == [(0, 0, 48, 48)] and detected is False
    with pytest.raises(AssertionError, match="detector ran"):
        face.locate_faces(crop, "detect")


def crowd_of_three(faces) -> np.ndarray:
    """A 640x480 scene with three fixture faces (happy, sad, surprise) of 160 px."""
    crowd = photo_background(seed=3)
    for (x, y), face in zip([(20, 250), (250, 60), (460, 250)],
                            [faces["happy"][0], faces["sad"][0], faces["surprise"][0]]):
        crowd[y:y + 160, x:x + 160] = cv2.cvtColor(cv2.resize(face, (160, 160)), cv2.COLOR_GRAY2BGR)
    return crowd


def test_mtcnn_on_tflite_finds_the_same_boxes_as_the_package_as_shipped(faces, photo):
    """The detector runs mtcnn's networks as TFLite for speed; results must not change."""
    from mtcnn import MTCNN

    from emotion.detectors import MTCNNDetector

    lite = get_detector("mtcnn")
    shipped = MTCNNDetector()
    shipped.mtcnn = MTCNN()  # the package as shipped: Keras networks called layer by layer
    crowd = crowd_of_three(faces)
    found = lite.detect(crowd)
    assert len(found) == 3
    assert found == shipped.detect(crowd)
    assert lite.detect(photo) == shipped.detect(photo)
    dark = (photo * 0.3).astype(np.uint8)
    assert lite.detect(dark) == shipped.detect(dark)


def test_mtcnn_warm_up_readies_every_network_for_a_640x480_stream(faces):
    """A blank frame reaches only PNet; without readying RNet and ONet at warm-up, the first face in a
    live stream paid for it mid-stream."""
    from emotion.detectors import MTCNNDetector

    detector = MTCNNDetector()
    models = [stage.model.tflite for stage in detector.mtcnn.stages]
    detector.warm_up()
    ready = [set(m.shapes) for m in models]
    assert all(ready)
    assert len(detector.detect(crowd_of_three(faces))) == 3  # all three networks run
    assert [set(m.shapes) for m in models] == ready


def test_mtcnn_patches_are_cut_as_tensorflow_cuts_them():
    """RNet's and ONet's patches are cut in numpy (mtcnn_lite.crop_and_resize) instead of by
    tf.image.crop_and_resize: the same values, boxes reaching outside the image included."""
    from emotion.mtcnn_lite import crop_and_resize
    from emotion.runtime import import_tensorflow

    tf = import_tensorflow()
    rng = np.random.default_rng(0)
    image = rng.uniform(-1, 1, (120, 160, 3)).astype(np.float32)
    corners = np.sort(rng.uniform(-0.2, 1.2, (50, 2, 2)), axis=1)  # [[y1, x1], [y2, x2]], some outside
    boxes = corners.reshape(50, 4)
    for size in (24, 48):
        want = tf.image.crop_and_resize(image[None], boxes.astype(np.float32), np.zeros(50, np.int32), (size, size))
        np.testing.assert_allclose(crop_and_resize(image, boxes, size), want.numpy(), atol=1e-6)
