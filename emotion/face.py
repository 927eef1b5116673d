"""Faces: detection, cropping to the model's 48x48 input, and the face emotion model."""
from __future__ import annotations

import functools
import importlib.util
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import cv2
import numpy as np

from .images import WORK_SIDE, fit_within
from .labels import EMOTIONS
from .readings import Reading

FACE_SIZE = 48
WEIGHTS = Path(__file__).resolve().parent.parent / "weights"
FACE_WEIGHTS = WEIGHTS / "face.keras"
WARM_UP_FRAME = np.full((240, 320, 3), 128, np.uint8)  # a blank frame the detectors run on once at start-up

Box = tuple[int, int, int, int]  # x, y, width, height in image pixels
FaceMode = Literal["auto", "detect", "whole"]


@dataclass(frozen=True, eq=False)
class FaceReading(Reading):
    """One face: where it is and what the model reads in it."""

    box: Box = (0, 0, 0, 0)
    detected: bool = True  # False when the whole image was used because no face was found

    def to_dict(self) -> dict:
        return {"box": list(self.box), "detected": self.detected, **super().to_dict()}


# --- detection ---------------------------------------------------------------------------------

def _iou(a: Box, b: Box) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    ix = max(0, min(ax + aw, bx + bw) - max(ax, bx))
    iy = max(0, min(ay + ah, by + bh) - max(ay, by))
    inter = ix * iy
    return inter / float(aw * ah + bw * bh - inter) if inter else 0.0


def merge_boxes(boxes: list[Box], scores: list[float], overlap: float = 0.3) -> list[Box]:
    """Greedy non-maximum suppression: keep the best-scoring box of each overlapping group."""
    kept: list[Box] = []
    for i in np.argsort(scores)[::-1]:
        if all(_iou(boxes[i], k) < overlap for k in kept):
            kept.append(boxes[i])
    return kept


class HaarDetector:
    """OpenCV Haar cascades (shipped in opencv-python 4.x): frontal faces plus both profiles.

    Works on a contrast-equalised (CLAHE) grayscale copy scaled down to `max_side`, so dim and back-lit
    faces are found too. `frontal` picks the frontal cascade ("default", "alt", "alt2" or "alt_tree");
    `profiles` adds the profile cascade on the image and its mirror. benchmarks/face_detection.py
    measures the choices.
    """

    name = "haar"

    def __init__(self, max_side: int = 480, min_face: int = 24, profiles: bool = True, frontal: str = "default",
                 clahe: bool = True, min_neighbors: int = 5, scale_factor: float = 1.1):
        root = Path(cv2.data.haarcascades)
        self.frontal = cv2.CascadeClassifier(str(root / f"haarcascade_frontalface_{frontal}.xml"))
        if self.frontal.empty():
            raise ValueError(f"unknown frontal cascade {frontal!r}")
        self.profile = cv2.CascadeClassifier(str(root / "haarcascade_profileface.xml")) if profiles else None
        self.clahe = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8)) if clahe else None
        self.max_side, self.min_face = max_side, min_face
        self.min_neighbors, self.scale_factor = min_neighbors, scale_factor

    def warm_up(self) -> None:
        """Run once on a blank frame (the cascades load their data on first use)."""
        self.detect(WARM_UP_FRAME)

    def _gray(self, image: np.ndarray) -> tuple[np.ndarray, float]:
        small, scale = fit_within(image, self.max_side)
        gray = small if small.ndim == 2 else cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
        return (self.clahe.apply(gray) if self.clahe is not None else gray), scale

    def _candidates(self, gray: np.ndarray) -> tuple[list[Box], list[float]]:
        """All cascade hits in `gray` with a score (frontal hits outrank profile hits)."""
        min_size = (self.min_face, self.min_face)
        found: list[Box] = []
        scores: list[float] = []

        def run(cascade, img, flipped: bool, bonus: float):
            rects, _, weights = cascade.detectMultiScale3(img, scaleFactor=self.scale_factor,
                                                          minNeighbors=self.min_neighbors, minSize=min_size,
                                                          outputRejectLevels=True)
            for (x, y, w, h), wt in zip(rects, np.ravel(weights) if len(rects) else []):
                if flipped:
                    x = img.shape[1] - x - w
                found.append((int(x), int(y), int(w), int(h)))
                scores.append(float(wt) + bonus)

        run(self.frontal, gray, False, 10.0)  # prefer frontal boxes when both fire on one face
        if self.profile is not None:
            run(self.profile, gray, False, 0.0)
            run(self.profile, cv2.flip(gray, 1), True, 0.0)
        return found, scores

    def detect(self, image: np.ndarray) -> list[Box]:
        """Face boxes in `image` (BGR or gray), largest first."""
        gray, scale = self._gray(image)
        boxes = merge_boxes(*self._candidates(gray))
        boxes = [tuple(int(round(v / scale)) for v in b) for b in boxes]
        return sorted(boxes, key=lambda b: -b[2] * b[3])


class MTCNNDetector:
    """The `mtcnn` package's three-stage CNN detector (weights ship in the package; runs on TensorFlow).

    Works on a copy scaled down to `max_side` (320 by default: the benchmark's best recall), finds
    faces of `min_face` pixels or more in that copy, and keeps those with confidence >= `threshold`.
    The networks run as TensorFlow Lite (see mtcnn_lite.py).
    """

    name = "mtcnn"

    def __init__(self, max_side: int = 320, min_face: int = 20, threshold: float = 0.9):
        if min_face < 12:
            raise ValueError(f"min_face must be at least 12 pixels, the detector's window (got {min_face})")
        from .runtime import import_tensorflow

        import_tensorflow()
        from .mtcnn_lite import lite_mtcnn

        self.mtcnn = lite_mtcnn()
        self.max_side, self.min_face, self.threshold = max_side, min_face, threshold

    def detect(self, image: np.ndarray) -> list[Box]:
        """Face boxes in `image` (BGR or gray), largest first."""
        small, scale = fit_within(image, self.max_side)
        rgb = cv2.cvtColor(small, cv2.COLOR_GRAY2RGB if small.ndim == 2 else cv2.COLOR_BGR2RGB)
        faces = self.mtcnn.detect_faces(rgb, min_face_size=self.min_face)
        boxes = []
        for f in faces:
            if f["confidence"] < self.threshold:
                continue
            x, y, w, h = f["box"]
            boxes.append(tuple(int(round(v / scale)) for v in (x, y, w, h)))
        return sorted(boxes, key=lambda b: -b[2] * b[3])

    def warm_up(self) -> None:
        """Ready all three networks now: a blank frame reaches only the first (PNet), so RNet and ONet would
        otherwise be made ready on the first frame with a face, mid-stream."""
        _, rnet, onet = self.mtcnn.stages
        self.detect(WARM_UP_FRAME)
        from .tflite import EXACT_BATCH, RUN_BATCHES

        for batch in RUN_BATCHES:  # PNet proposes a varying number of patches
            rnet.model(np.zeros((batch, 24, 24, 3), np.float32))
        for batch in range(1, EXACT_BATCH + 1):  # RNet keeps a few
            onet.model(np.zeros((batch, 48, 48, 3), np.float32))


DETECTORS = {"haar": HaarDetector, "mtcnn": MTCNNDetector}
# MTCNN finds dark, back-lit, turned and masked faces that the Haar cascades miss
# (benchmarks/RESULTS-detection.md); on TFLite it is also the faster of the two (RESULTS-speed.md).
DEFAULT_DETECTOR = "mtcnn"


def get_detector(name: str = DEFAULT_DETECTOR):
    """A shared detector instance by name (one of DETECTORS); the same object for the same name.

    Without the `mtcnn` package installed, "mtcnn" falls back to Haar with a warning.
    """
    if name not in DETECTORS:
        raise ValueError(f"unknown detector {name!r}; choose from {', '.join(DETECTORS)}")
    if name == "mtcnn" and importlib.util.find_spec("mtcnn") is None:
        warnings.warn("the mtcnn package is not installed: using OpenCV's Haar face detector, which misses "
                      "more turned, dark and masked faces (pip install mtcnn)", stacklevel=2)
        name = "haar"
    return _shared_detector(name)


@functools.lru_cache(maxsize=8)
def _shared_detector(name: str):
    return DETECTORS[name]()


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


SMALL_CROP = 96  # pixels: images this small are face crops (FER2013 is 48x48)


def locate_faces(image: np.ndarray, mode: FaceMode = "auto", detector: str = DEFAULT_DETECTOR,
                 mask: bool = False) -> tuple[np.ndarray, list[Box], bool]:
    """Where to read faces: (image to crop from, boxes largest first, whether they were detected).

    mode "detect": detected faces only (maybe none); "whole": the whole image is one face (for
    pre-cropped sets like FER2013); "auto": detect, else fall back to the whole image. An image no
    bigger than SMALL_CROP pixels a side is already a face crop: "auto" reads it whole without
    running the detector (which finds little in 48x48 crops and would cost most of the time).
    With `mask`, a mask is drawn over each face found and the detector looks again, as it would for
    people wearing masks; the whole image is masked when it stands for the face.
    """
    if mode not in ("auto", "detect", "whole"):
        raise ValueError(f"unknown face mode {mode!r}; choose auto, detect or whole")
    if mode == "detect" or (mode == "auto" and max(image.shape[:2]) > SMALL_CROP):
        work, scale = fit_within(image, WORK_SIDE)
        boxes = [tuple(int(round(v / scale)) for v in b) for b in get_detector(detector).detect(work)]
        if boxes and mask:
            from .masks import apply_mask
            for box in boxes:
                image = apply_mask(image, box)
            return locate_faces(image, mode, detector, mask=False)
        if boxes or mode == "detect":
            return image, boxes, True
    whole = (0, 0, image.shape[1], image.shape[0])
    if mask:
        from .masks import apply_mask
        image = apply_mask(image, whole)
    return image, [whole], False


# --- the model ---------------------------------------------------------------------------------

class FaceModel:
    """The trained face CNN. `predict` takes 48x48 crops; `read` takes a whole picture.

    Predictions run the Keras model converted to TFLite with int8 weights (see tflite.py): about ten
    times faster, within 0.2 points of the float model on FER2013 val; the model card is measured this way.
    Crops are softened first (see soften) and averaged with their mirror image, and the probabilities are
    calibrated (`<model>.calibration.json` beside the model, see calibration.py; the identity when absent).
    """

    def __init__(self, path: Path = FACE_WEIGHTS, flip_average: bool = True,
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
        self.flip_average = flip_average
        self.blur_sigma = blur_sigma
        self._call = TFLiteModel(self.model, int8_weights=True)

    def predict(self, crops: np.ndarray) -> np.ndarray:
        """Calibrated probabilities (N, 7) for uint8 crops (N, 48, 48), softened (see soften) and averaged
        with the mirror image."""
        crops = np.asarray(crops).reshape(-1, FACE_SIZE, FACE_SIZE)
        if len(crops) == 0:
            return np.zeros((0, len(EMOTIONS)), np.float32)
        crops = soften(crops, self.blur_sigma).astype(np.float32)[..., None]
        if self.flip_average:
            both = np.concatenate([crops, crops[:, :, ::-1]])
            probs = self._call(both)
            probs = (probs[: len(crops)] + probs[len(crops):]) / 2
        else:
            probs = self._call(crops)
        return self.calibration.apply(probs)

    def warm_up(self, detector: str = DEFAULT_DETECTOR) -> None:
        """Run once so the first real frame does not pay for graph tracing or loading the detector."""
        for n in (1, 2, 3):
            self.predict(np.zeros((n, FACE_SIZE, FACE_SIZE), np.uint8))
        get_detector(detector).warm_up()

    def read(self, image: np.ndarray, mode: FaceMode = "auto", detector: str = DEFAULT_DETECTOR,
             mask: bool = False, boxes: list[Box] | None = None) -> list[FaceReading]:
        """Every face in a BGR/gray image, largest first (see locate_faces for mode and mask).

        `boxes` skips detection (e.g. boxes found on an earlier video frame).
        """
        detected = True
        if boxes is None:
            image, boxes, detected = locate_faces(image, mode, detector, mask)
        if not boxes:
            return []
        probs = self.predict(np.stack([crop_face(image, b) for b in boxes]))
        return [FaceReading(probs=p, box=b, detected=detected) for p, b in zip(probs, boxes)]


@functools.lru_cache(maxsize=2)
def load_face_model(path: str | Path = FACE_WEIGHTS) -> FaceModel:
    """The face model, loaded once per process."""
    return FaceModel(Path(path))
