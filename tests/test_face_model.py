"""The real face model (weights/face.keras) and detector on fixture faces: the contract, not the quality."""
from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from emotion.face import (
    ALWAYS_MIRROR,
    FACE_SIZE,
    FACE_WEIGHTS,
    INPUT_BLUR_SIGMA,
    MIRROR_BELOW,
    crop_face,
    soften,
    square_box,
)
from emotion.labels import EMOTIONS
from media import face_photo, photo_background

pytestmark = pytest.mark.slow

PLACED = (330, 110, 220, 220)  # where face_photo puts the face: x, y, side, side


def iou(a, b) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    ix = max(0, min(ax + aw, bx + bw) - max(ax, bx))
    iy = max(0, min(ay + ah, by + bh) - max(ay, by))
    return ix * iy / (aw * ah + bw * bh - ix * iy)


@pytest.fixture(scope="module")
def faces(face_files) -> dict[str, np.ndarray]:
    """Every fixture face as a 48x48 uint8 crop, by file name."""
    return {p.name: cv2.imread(str(p), cv2.IMREAD_GRAYSCALE) for paths in face_files.values() for p in paths}


def check_probabilities(p: np.ndarray, rows: int) -> None:
    assert p.shape == (rows, len(EMOTIONS)) and p.dtype == np.float32
    assert np.isfinite(p).all() and (p >= 0).all()
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-4)


def test_loads_the_real_weights(face_model):
    assert face_model.path == FACE_WEIGHTS and FACE_WEIGHTS.is_file()
    assert tuple(face_model.model.input_shape) == (None, FACE_SIZE, FACE_SIZE, 1)
    assert tuple(face_model.model.output_shape) == (None, len(EMOTIONS))


def test_fixture_faces_are_48x48(faces):
    assert len(faces) >= 7
    assert all(f.shape == (FACE_SIZE, FACE_SIZE) and f.dtype == np.uint8 for f in faces.values())


def test_predict_gives_a_probability_row_per_crop(face_model, faces):
    crops = np.stack(list(faces.values()))
    check_probabilities(face_model.predict(crops), len(crops))
    check_probabilities(face_model.predict(crops[0]), 1)  # a single crop without a batch axis
    check_probabilities(face_model.predict(np.zeros((0, FACE_SIZE, FACE_SIZE), np.uint8)), 0)


def test_predict_averages_with_the_mirror_image_the_faces_it_is_unsure_of(face_model, faces, monkeypatch):
    from emotion.calibration import Calibration

    crops = np.stack(list(faces.values()))
    monkeypatch.setattr(face_model, "calibration", Calibration())  # the model's own probabilities decide
    assert face_model.mirror_below == MIRROR_BELOW
    app = face_model.predict(crops)
    monkeypatch.setattr(face_model, "mirror_below", 0.0)  # never mirror
    once, mirrored = face_model.predict(crops), face_model.predict(crops[:, :, ::-1])
    sure = once.max(axis=1) >= MIRROR_BELOW
    assert sure.any() and not sure.all()  # the fixture faces have both kinds
    np.testing.assert_allclose(app[sure], once[sure], atol=1e-6)
    np.testing.assert_allclose(app[~sure], (once[~sure] + mirrored[~sure]) / 2, atol=1e-5)
    monkeypatch.setattr(face_model, "mirror_below", ALWAYS_MIRROR)
    np.testing.assert_allclose(face_model.predict(crops), face_model.predict(crops[:, :, ::-1]), atol=1e-5)


def test_only_the_unsure_faces_are_run_again(face_model, faces, monkeypatch):
    from emotion.calibration import Calibration

    crops = np.stack(list(faces.values()))
    monkeypatch.setattr(face_model, "calibration", Calibration())  # the model's own probabilities decide
    monkeypatch.setattr(face_model, "mirror_below", 0.0)
    unsure = int((face_model.predict(crops).max(axis=1) < MIRROR_BELOW).sum())
    monkeypatch.setattr(face_model, "mirror_below", MIRROR_BELOW)
    sizes = []
    call = face_model._call
    monkeypatch.setattr(face_model, "_call", lambda x: sizes.append(len(x)) or call(x))
    face_model.predict(crops)
    assert sizes == [len(crops)] + ([unsure] if unsure else [])  # all faces in one call, the unsure mirrored in one


def test_unsure_says_which_faces_predict_mirrors_and_mirror_overrides_it(face_model, faces, monkeypatch):
    from emotion.calibration import Calibration

    crops = np.stack(list(faces.values()))
    monkeypatch.setattr(face_model, "calibration", Calibration())
    unsure = face_model.unsure(crops)
    assert unsure.dtype == bool and unsure.shape == (len(crops),) and face_model.unsure(crops[:0]).shape == (0,)
    np.testing.assert_array_equal(unsure, face_model.predict(crops, mirror=False).max(axis=1) < MIRROR_BELOW)
    both = face_model.predict(crops, mirror=True)
    np.testing.assert_allclose(both, face_model.predict(crops[:, :, ::-1], mirror=True), atol=1e-5)
    rule = face_model.predict(crops)
    np.testing.assert_allclose(rule[unsure], face_model.predict(crops, mirror=True)[unsure], atol=1e-6)
    np.testing.assert_allclose(rule[~unsure], face_model.predict(crops, mirror=False)[~unsure], atol=1e-6)


def test_soften_blurs_each_crop_on_its_own():
    crops = np.random.default_rng(0).integers(0, 256, (3, FACE_SIZE, FACE_SIZE), dtype=np.uint8)
    soft = soften(crops)
    assert soft.shape == crops.shape and soft.dtype == np.uint8
    detail = lambda a: np.abs(np.diff(a.astype(np.float32), axis=2)).mean()  # noqa: E731
    assert detail(soft) < 0.6 * detail(crops)  # fine detail shrinks ...
    assert abs(float(soft.mean()) - float(crops.mean())) < 1  # ... brightness does not
    np.testing.assert_array_equal(soften(np.full((1, FACE_SIZE, FACE_SIZE), 120, np.uint8)), 120)
    np.testing.assert_array_equal(soften(crops[1:2])[0], soft[1])  # no mixing across the batch
    np.testing.assert_array_equal(soften(crops, 0), crops)


def test_predict_softens_the_crops_first(face_model, faces, monkeypatch):
    crops = np.stack(list(faces.values()))
    assert face_model.blur_sigma == INPUT_BLUR_SIGMA > 0
    app = face_model.predict(crops)
    monkeypatch.setattr(face_model, "blur_sigma", 0.0)
    np.testing.assert_allclose(face_model.predict(soften(crops)), app, atol=1e-6)
    assert np.abs(face_model.predict(crops) - app).max() > 1e-3  # without softening the model reads otherwise


def test_predict_is_deterministic_and_batch_independent(face_model, faces):
    crops = np.stack(list(faces.values()))
    together = face_model.predict(crops)
    alone = np.concatenate([face_model.predict(c) for c in crops])
    np.testing.assert_allclose(together, alone, atol=1e-5)


@pytest.mark.parametrize("index", range(7))
def test_read_finds_and_boxes_the_face_in_a_photo(face_model, faces, index):
    name, face = sorted(faces.items())[index]
    readings = face_model.read(face_photo(face))
    assert len(readings) == 1, name
    reading = readings[0]
    assert reading.detected
    assert iou(reading.box, PLACED) > 0.6, (name, reading.box)
    check_probabilities(reading.probs[None], 1)
    assert reading.label in EMOTIONS and reading.confidence == pytest.approx(reading.probs.max())


def test_reading_serialises_to_json(face_model, faces):
    reading = face_model.read(face_photo(faces["happy_PublicTest_11394394.jpg"]))[0]
    d = json.loads(json.dumps(reading.to_dict()))
    assert set(d) == {"box", "detected", "label", "confidence", "probabilities"}
    assert len(d["box"]) == 4 and all(isinstance(v, int) for v in d["box"])
    assert list(d["probabilities"]) == list(EMOTIONS)
    assert sum(d["probabilities"].values()) == pytest.approx(1.0, abs=2e-3)
    assert d["label"] == max(d["probabilities"], key=d["probabilities"].get)


def test_the_crop_read_is_the_detected_face(face_model, faces):
    """Reading a photo equals predicting on the crop of its box."""
    photo = face_photo(faces["surprise_PublicTest_1709990.jpg"])
    reading = face_model.read(photo)[0]
    np.testing.assert_allclose(reading.probs, face_model.predict(crop_face(photo, reading.box))[0], atol=1e-5)
    x, y, side, _ = square_box(reading.box, photo.shape)
    assert side == max(reading.box[2:])


def test_two_faces_largest_first(face_model, faces):
    scene = photo_background()
    big = cv2.resize(faces["happy_PublicTest_11394394.jpg"], (200, 200), interpolation=cv2.INTER_CUBIC)
    small = cv2.resize(faces["angry_PublicTest_12693575.jpg"], (140, 140), interpolation=cv2.INTER_CUBIC)
    scene[60:260, 40:240] = cv2.cvtColor(big, cv2.COLOR_GRAY2BGR)
    scene[200:340, 420:560] = cv2.cvtColor(small, cv2.COLOR_GRAY2BGR)
    readings = face_model.read(scene)
    assert len(readings) == 2
    assert iou(readings[0].box, (40, 60, 200, 200)) > 0.6 and iou(readings[1].box, (420, 200, 140, 140)) > 0.6


def test_no_face(face_model):
    scene = photo_background()
    assert face_model.read(scene, mode="detect") == []
    auto = face_model.read(scene, mode="auto")
    assert len(auto) == 1 and not auto[0].detected and auto[0].box == (0, 0, 640, 480)
    check_probabilities(auto[0].probs[None], 1)


def test_whole_mode_reads_the_whole_picture(face_model, faces):
    face = faces["neutral_PublicTest_11503793.jpg"]
    readings = face_model.read(cv2.cvtColor(face, cv2.COLOR_GRAY2BGR), mode="whole")
    assert [r.box for r in readings] == [(0, 0, 48, 48)] and not readings[0].detected
    np.testing.assert_allclose(readings[0].probs, face_model.predict(face)[0], atol=1e-5)


def test_grayscale_photo_and_huge_photo(face_model, faces):
    photo = face_photo(faces["happy_PublicTest_12775164.jpg"])
    gray = face_model.read(cv2.cvtColor(photo, cv2.COLOR_BGR2GRAY))
    assert len(gray) == 1 and iou(gray[0].box, PLACED) > 0.6
    scale = 6.25  # 4000x3000: boxes come back in the photo's own pixels
    huge = cv2.resize(photo, (4000, 3000), interpolation=cv2.INTER_LINEAR)
    readings = face_model.read(huge)
    assert len(readings) == 1
    assert iou(readings[0].box, tuple(int(v * scale) for v in PLACED)) > 0.6


def test_masked_reading_still_finds_the_face(face_model, faces):
    photo = face_photo(faces["happy_PublicTest_11394394.jpg"])
    plain, masked = face_model.read(photo)[0], face_model.read(photo, mask=True)[0]
    assert masked.detected and iou(masked.box, PLACED) > 0.6
    assert not np.allclose(plain.probs, masked.probs)  # the model saw a different (masked) face


def test_int8_predictions_match_the_keras_model(face_model, faces, monkeypatch):
    """predict runs the int8 TFLite copy; it must read faces as the float Keras model does."""
    monkeypatch.setattr(face_model, "mirror_below", ALWAYS_MIRROR)
    raw = np.stack(list(faces.values()))
    crops = soften(raw).astype(np.float32)[..., None]
    both = np.concatenate([crops, crops[:, :, ::-1]])
    keras_probs = face_model.model(both, training=False).numpy()
    keras_probs = (keras_probs[: len(crops)] + keras_probs[len(crops):]) / 2
    int8_probs = face_model.predict(raw)
    assert (int8_probs.argmax(1) == keras_probs.argmax(1)).all()
    assert np.abs(int8_probs - keras_probs).max() < 0.03


def test_predict_is_safe_from_several_threads_and_batch_sizes(face_model, faces):
    """Live sessions share one model: concurrent calls with different batch sizes must not mix."""
    from concurrent.futures import ThreadPoolExecutor

    crops = np.stack(list(faces.values()))
    alone = face_model.predict(crops)
    jobs = [crops[: 1 + i % len(crops)] for i in range(40)]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(face_model.predict, jobs))
    for job, probs in zip(jobs, results):
        np.testing.assert_allclose(probs, alone[: len(job)], atol=1e-5)


def test_the_face_model_applies_the_calibration_stored_beside_it(face_model, faces, tmp_path):
    from emotion.calibration import Calibration
    from emotion.face import FaceModel

    crops = np.stack(list(faces.values()))
    copy = tmp_path / "face.keras"
    copy.write_bytes(face_model.path.read_bytes())
    calibration = Calibration(2.0, fitted_on="a test")
    calibration.save(copy)
    calibrated = FaceModel(copy)
    assert calibrated.calibration == calibration
    p = calibrated.predict(crops)
    calibrated.calibration = Calibration()  # the identity: the model's own probabilities
    raw = calibrated.predict(crops)
    check_probabilities(p, len(crops))
    np.testing.assert_allclose(p, calibration.apply(raw), atol=1e-5)
    assert (p.argmax(1) == raw.argmax(1)).all() and (p.max(1) < raw.max(1)).all()  # same labels, less sure
