"""Faces: where to read them (detection by detectors.py), cropping to the model's 48x48 input, and the face
emotion model."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import cv2
import numpy as np

from .detectors import DEFAULT_DETECTOR, Box, get_detector
from .images import WORK_SIDE, fit_within
from .labels import EMOTIONS
from .paths import FACE_WEIGHTS
from .readings import Reading

FACE_SIZE = 48



class FaceMode(StrEnum):
    """Where to read faces in a picture (see locate_faces); the values are the command line's --faces choices."""

    AUTO = "auto"  # detect, else the whole picture is one face
    DETECT = "detect"  # detected faces only (maybe none)
    WHOLE = "whole"  # the whole picture is one face (pre-cropped sets like FER2013)


@dataclass(frozen=True, eq=False)
class FaceReading(Reading):
    """One face: where it is and what the model reads in it."""

    box: Box = (0, 0, 0, 0)
    detected: bool = True  # False when the whole image was used because no face was found

    def to_dict(self) -> dict:
        return {"box": list(self.box), "detected": self.detected, **super().to_dict()}


# --- cropping ----------------------------------------------------------------------------------

def square_box(box: Box, image_shape: tuple[int, ...], scale: float = 1.0) -> Box:
    """A square box with the same centre, side = scale * max(w, h), clipped to the image."""
    x, y, w, h = box
    side = max(1, int(round(max(w, h) * scale)))
    cx, cy = x + w / 2, y + h / 2
    x0, y0 = int(round(cx - side / 2)), int(round(cy - side / 2))
    height, width = image_shape[:2]
    side = min(side, width, height)
    x0 = min(max(0, x0), width - side)
    y0 = min(max(0, y0), height - side)
    return x0, y0, side, side


def crop_face(image: np.ndarray, box: Box) -> np.ndarray:
    """The face in `box` as a 48x48 uint8 grayscale crop, framed like FER2013."""
    gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    x, y, w, h = square_box(box, gray.shape)
    crop = gray[y:y + h, x:x + w]
    interp = cv2.INTER_AREA if w > FACE_SIZE else cv2.INTER_LINEAR
    return cv2.resize(crop, (FACE_SIZE, FACE_SIZE), interpolation=interp)


INPUT_BLUR_SIGMA = 0.8  # pixels; the best on a slice of the training faces: benchmarks/face_input_blur.py


def soften(crops: np.ndarray, sigma: float = INPUT_BLUR_SIGMA) -> np.ndarray:
    """48x48 crops (N, 48, 48) blurred with a Gaussian of `sigma` pixels, as the classifier expects.

    Training rotates, zooms and shifts every face by fractions of a pixel, and each bilinear resampling
    softens it; a sharp crop at inference is a little outside what the model learned. Matching that
    softness raises FER2013 val accuracy by about 2 points (model card). sigma 0 returns the crops as they are.
    """
    crops = np.asarray(crops)
    if sigma <= 0:
        return crops
    return np.stack([cv2.GaussianBlur(c, (0, 0), sigma, borderType=cv2.BORDER_REPLICATE) for c in crops])


# A face whose top probability is under this is read again mirrored and the two readings averaged (test-time
# flip); the others are read once. Mirroring every face costs twice the classifier; mirroring only these keeps
# its accuracy: the lowest threshold that lost nothing against mirroring every face on every 8th training face
# (where it is chosen, not on val), `python benchmarks/face_mirror_rule.py`; measured in the model card.
MIRROR_BELOW = 0.5
ALWAYS_MIRROR = 2.0  # a mirror_below that mirrors every face (probabilities are at most 1)

SMALL_CROP = 96  # pixels: images this small are face crops (FER2013 is 48x48)


def locate_faces(image: np.ndarray, mode: FaceMode = FaceMode.AUTO, detector: str = DEFAULT_DETECTOR,
                 mask: bool = False) -> tuple[np.ndarray, list[Box], bool]:
    """Where to read faces: (image to crop from, boxes largest first, whether they were detected).

    mode "detect": detected faces only (maybe none); "whole": the whole image is one face (for
    pre-cropped sets like FER2013); "auto": detect, else fall back to the whole image. An image no
    bigger than SMALL_CROP pixels a side is already a face crop: "auto" reads it whole without
    running the detector (which finds little in 48x48 crops and would cost most of the time).
    With `mask`, a mask is drawn over each face found and the detector looks again, as it would for
    people wearing masks; the whole image is masked when it stands for the face.
    """
    if mode not in tuple(FaceMode):
        raise ValueError(f"unknown face mode {mode!r}; choose auto, detect or whole")
    if mode == FaceMode.DETECT or (mode == FaceMode.AUTO and max(image.shape[:2]) > SMALL_CROP):
        work, scale = fit_within(image, WORK_SIDE)
        boxes = [tuple(int(round(v / scale)) for v in b) for b in get_detector(detector).detect(work)]
        if boxes and mask:
            from .masks import apply_mask
            for box in boxes:
                image = apply_mask(image, box)
            return locate_faces(image, mode, detector, mask=False)
        if boxes or mode == FaceMode.DETECT:
            return image, boxes, True
    whole = (0, 0, image.shape[1], image.shape[0])
    if mask:
        from .masks import apply_mask
        image = apply_mask(image, whole)
    return image, [whole], False


@dataclass(frozen=True, eq=False)
class FoundFaces:
    """Faces ready for the model: boxes largest first, their 48x48 crops, and whether they were detected."""

    boxes: list[Box]
    crops: np.ndarray  # (N, 48, 48) uint8, one per box
    detected: bool


def find_faces(image: np.ndarray, mode: FaceMode = FaceMode.AUTO, detector: str = DEFAULT_DETECTOR, mask: bool = False,
               boxes: list[Box] | None = None, largest_only: bool = False) -> FoundFaces:
    """Detect, then crop: the one way from a picture to the face model's input (FaceModel.read, evaluation, pairs).

    See locate_faces for `mode` and `mask`; `boxes` skips detection (e.g. boxes found on an earlier video frame);
    `largest_only` keeps the largest face alone.
    """
    detected = True
    if boxes is None:
        image, boxes, detected = locate_faces(image, mode, detector, mask)
    boxes = list(boxes[:1] if largest_only else boxes)
    if not boxes:
        return FoundFaces(boxes, np.zeros((0, FACE_SIZE, FACE_SIZE), np.uint8), detected)
    gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)  # once for all the faces
    crops = np.stack([crop_face(gray, b) for b in boxes])
    return FoundFaces(boxes, crops, detected)


# --- the model ---------------------------------------------------------------------------------

class FaceModel:
    """The trained face CNN. `predict` takes 48x48 crops; `read` takes a whole picture.

    Predictions run the Keras model converted to TFLite with int8 weights (see tflite.py): about ten
    times faster, within 0.2 points of the float model on FER2013 val; the model card is measured this way.
    Crops are softened first (see soften); the faces the model is unsure of are read again mirrored and the
    two readings averaged (`mirror_below`, see MIRROR_BELOW; 0 never mirrors, above 1 always does), and
    the probabilities are calibrated (`<model>.calibration.json` beside the model, see calibration.py; the
    identity when absent).
    """

    def __init__(self, path: Path = FACE_WEIGHTS, mirror_below: float = MIRROR_BELOW,
                 blur_sigma: float = INPUT_BLUR_SIGMA):
        from .runtime import import_tensorflow

        import_tensorflow()
        import keras

        from . import layers  # noqa: F401  (registers the custom layers used in the file)
        from .calibration import load_calibration
        from .tflite import TFLiteModel

        if not Path(path).exists():
            raise FileNotFoundError(f"face model not found at {path}")
        self.path = Path(path)
        self.model = keras.models.load_model(path, compile=False)
        self.calibration = load_calibration(self.path)  # identity when the model has none
        self.mirror_below = mirror_below
        self.blur_sigma = blur_sigma
        self._call = TFLiteModel(self.model, int8_weights=True)

    def predict(self, crops: np.ndarray, mirror: bool | None = None) -> np.ndarray:
        """Calibrated probabilities (N, 7) for uint8 crops (N, 48, 48), softened (see soften); a face the
        model is unsure of (top probability under `mirror_below`) is read again mirrored and averaged.

        `mirror` True averages every face with its mirror image, False none; None (default) decides per face.
        """
        crops = np.asarray(crops).reshape(-1, FACE_SIZE, FACE_SIZE)
        if len(crops) == 0:
            return np.zeros((0, len(EMOTIONS)), np.float32)
        crops = soften(crops, self.blur_sigma).astype(np.float32)[..., None]
        probs = self._call(crops)
        again = probs.max(axis=1) < self.mirror_below if mirror is None else np.full(len(crops), mirror)
        if again.any():
            probs[again] = (probs[again] + self._call(crops[again][:, :, ::-1])) / 2
        return self.calibration.apply(probs)

    def unsure(self, crops: np.ndarray) -> np.ndarray:
        """Whether `predict` reads each uint8 crop (N, 48, 48) again mirrored: (N,) bool."""
        crops = np.asarray(crops).reshape(-1, FACE_SIZE, FACE_SIZE)
        if len(crops) == 0:
            return np.zeros(0, bool)
        return self._call(soften(crops, self.blur_sigma).astype(np.float32)[..., None]).max(axis=1) < self.mirror_below

    def warm_up(self, detector: str = DEFAULT_DETECTOR) -> None:
        """Run once so the first real frame does not pay for graph tracing or loading the detector."""
        for n in (1, 2, 3):
            self.predict(np.zeros((n, FACE_SIZE, FACE_SIZE), np.uint8))
        get_detector(detector).warm_up()

    def read(self, image: np.ndarray, mode: FaceMode = FaceMode.AUTO, detector: str = DEFAULT_DETECTOR,
             mask: bool = False, boxes: list[Box] | None = None) -> list[FaceReading]:
        """Every face in a BGR/gray image, largest first (see locate_faces for mode and mask).

        `boxes` skips detection (e.g. boxes found on an earlier video frame).
        """
        found = find_faces(image, mode, detector, mask, boxes)
        if not found.boxes:
            return []
        probs = self.predict(found.crops)
        return [FaceReading(probs=p, box=b, detected=found.detected) for p, b in zip(probs, found.boxes)]


@functools.lru_cache(maxsize=2)
def load_face_model(path: str | Path = FACE_WEIGHTS) -> FaceModel:
    """The face model, loaded once per process."""
    return FaceModel(Path(path))
