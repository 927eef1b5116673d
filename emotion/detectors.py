"""Face detectors: boxes of the faces in an image, largest first (Haar cascades or MTCNN), shared by name."""
from __future__ import annotations

import functools
import importlib.util
import warnings
from pathlib import Path

import cv2
import numpy as np

from .images import fit_within

Box = tuple[int, int, int, int]  # x, y, width, height in image pixels
WARM_UP_FRAME = np.full((240, 320, 3), 128, np.uint8)  # a blank frame the detectors run on once at start-up


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
