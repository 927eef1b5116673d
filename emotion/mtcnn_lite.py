"""The `mtcnn` package's face detector with its three networks run as TensorFlow Lite.

mtcnn 1.0.0 calls its Keras networks layer by layer; most of its time is Python and op dispatch, not
arithmetic. Here each network runs as TFLite (emotion/tflite.py): the same outputs to 1e-6, so the
same faces, at a fraction of the time (benchmarks/RESULTS-speed.md). The pipeline around the networks
(pyramid, box regression, non-maximum suppression) is the package's own, except that RNet's and ONet's
patches are cut in numpy (`crop_and_resize`) instead of by a TensorFlow op called eagerly for each frame.
"""
from __future__ import annotations

import cv2
import numpy as np

from .tflite import TFLiteModel


class EagerLike(np.ndarray):
    """A numpy array that also answers `.numpy()`, as the package's box helpers expect of a network's
    outputs (eager tensors); converting to real tensors instead cost ~2 ms a frame."""

    def numpy(self) -> np.ndarray:
        return np.asarray(self)


class EagerOutputs:
    """A TFLiteModel whose outputs come back as EagerLike arrays."""

    def __init__(self, tflite: TFLiteModel):
        self.tflite = tflite

    def __call__(self, x) -> tuple:
        return tuple(out.view(EagerLike) for out in self.tflite(x))


def crop_and_resize(image: np.ndarray, boxes: np.ndarray, size: int) -> np.ndarray:
    """Square patches of `image` (H, W, C) as `tf.image.crop_and_resize` cuts them, bilinear: (N, size, size, C).

    `boxes` (N, 4) are y1, x1, y2, x2 as fractions of (H - 1, W - 1) spans, as that op takes them; samples
    outside the image are 0, as the op's extrapolation. Float32 arithmetic in the op's order, so the patches
    match it to float rounding; in numpy a frame's patches cost a fraction of the op's eager dispatch.
    """
    image = np.asarray(image, np.float32)
    height, width = image.shape[:2]
    boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
    if size < 2:
        raise ValueError("patches must be at least 2 pixels a side")
    steps = np.arange(size, dtype=np.float32)

    def axis(start, end, extent):
        scale = (end - start) * np.float32(extent - 1) / np.float32(size - 1)
        coords = start[:, None] * np.float32(extent - 1) + steps[None] * scale[:, None]  # (N, size)
        inside = (coords >= 0) & (coords <= extent - 1)
        low = np.clip(np.floor(coords), 0, extent - 1).astype(np.intp)
        high = np.clip(np.ceil(coords), 0, extent - 1).astype(np.intp)
        return low, high, (coords - np.floor(coords)).astype(np.float32), inside

    top, bottom, y_lerp, y_in = axis(boxes[:, 0], boxes[:, 2], height)
    left, right, x_lerp, x_in = axis(boxes[:, 1], boxes[:, 3], width)
    rows_top, rows_bottom = top[:, :, None], bottom[:, :, None]
    cols_left, cols_right = left[:, None, :], right[:, None, :]
    x_lerp = x_lerp[:, None, :, None]
    upper = image[rows_top, cols_left]
    upper = upper + (image[rows_top, cols_right] - upper) * x_lerp
    lower = image[rows_bottom, cols_left]
    lower = lower + (image[rows_bottom, cols_right] - lower) * x_lerp
    patches = upper + (lower - upper) * y_lerp[:, :, None, None]
    patches[~(y_in[:, :, None] & x_in[:, None, :])] = 0.0
    return patches


def _patches(images_normalized, bboxes_batch: np.ndarray, size: int) -> np.ndarray:
    """mtcnn's `extract_patches` (boxes [image, x1, y1, x2, y2, ...] in pixels) through crop_and_resize."""
    images = np.asarray(images_normalized, np.float32)
    height, width = images.shape[1:3]
    coords = bboxes_batch[:, [2, 1, 4, 3]] / np.asarray([[height, width, height, width]])  # as the package scales
    out = np.zeros((len(bboxes_batch), size, size, images.shape[3]), np.float32)
    for index in np.unique(bboxes_batch[:, 0].astype(int)):
        rows = bboxes_batch[:, 0].astype(int) == index
        out[rows] = crop_and_resize(images[index], coords[rows], size)
    return out


def lite_mtcnn():
    """An `mtcnn.MTCNN` whose PNet, RNet and ONet run as TFLite."""
    from mtcnn import MTCNN
    from mtcnn.stages import StageONet, StagePNet, StageRNet
    from mtcnn.utils.bboxes import (
        adjust_bboxes,
        generate_bounding_box,
        pick_matches,
        replace_confidence,
        resize_to_square,
        smart_nms_from_bboxes,
        upscale_bboxes,
    )
    from mtcnn.utils.images import build_scale_pyramid
    from mtcnn.utils.landmarks import adjust_landmarks

    class LitePNet(StagePNet):
        """StagePNet.__call__ of mtcnn 1.0.0 on TFLite, with no pyramid level smaller than PNet's window."""

        def __init__(self):
            super().__init__()
            self._model = EagerOutputs(TFLiteModel(self._model, input_shape=(None, None, 3)))

        def __call__(self, images_normalized, images_oshapes, min_face_size=20, min_size=12, scale_factor=0.709,
                     threshold_pnet=0.6, nms_pnet1=0.5, nms_pnet2=0.7, **kwargs):
            groups = [build_scale_pyramid(shape[1], shape[0], min_face_size=min_face_size, scale_factor=scale_factor)
                      for shape in images_oshapes]
            scales = groups[int(np.argmax([len(g) for g in groups]))]
            images = np.asarray(images_normalized, np.float32)
            height, width = images.shape[1:3]
            # mtcnn 1.0.0 counts levels as if min_face_size were 12: above 20 its last levels shrink under
            # the 12-px window, PNet fails and detect_faces returns no faces at all. Drop those levels.
            scales = scales[np.floor(min(height, width) * scales) >= min_size]
            proposals = []
            for scale in scales:
                size = (int(width * scale), int(height * scale))  # truncated, as the package sizes its levels
                level = np.stack([cv2.resize(image, size, interpolation=cv2.INTER_AREA) for image in images])
                offsets, scores = self._model(level)
                boxes = generate_bounding_box(offsets, scores, threshold_pnet)
                boxes = upscale_bboxes(boxes, np.asarray([scale] * len(images)))
                proposals.append(smart_nms_from_bboxes(boxes, threshold=nms_pnet1, method="union", initial_sort=False))
            boxes = np.concatenate(proposals, axis=0) if proposals else np.empty((0, 6))
            boxes = smart_nms_from_bboxes(boxes, threshold=nms_pnet2, method="union", initial_sort=True)
            return resize_to_square(boxes)

    class LiteRNet(StageRNet):
        """StageRNet.__call__ of mtcnn 1.0.0 on TFLite, its patches cut in numpy."""

        def __init__(self):
            super().__init__()
            self._model = EagerOutputs(TFLiteModel(self._model, input_shape=(24, 24, 3)))

        def __call__(self, images_normalized, bboxes_batch, threshold_rnet=0.7, nms_rnet=0.7, **kwargs):
            bboxes_offsets, scores = self._model(_patches(images_normalized, bboxes_batch, 24))
            bboxes_batch = adjust_bboxes(replace_confidence(bboxes_batch, scores), bboxes_offsets)
            bboxes_batch = pick_matches(bboxes_batch, score_threshold=threshold_rnet)
            bboxes_batch = smart_nms_from_bboxes(bboxes_batch, threshold=nms_rnet, method="union", initial_sort=True)
            return resize_to_square(bboxes_batch)

    class LiteONet(StageONet):
        """StageONet.__call__ of mtcnn 1.0.0 on TFLite, its patches cut in numpy."""

        def __init__(self):
            super().__init__()
            self._model = EagerOutputs(TFLiteModel(self._model, input_shape=(48, 48, 3)))

        def __call__(self, images_normalized, bboxes_batch, threshold_onet=0.8, nms_onet=0.7, **kwargs):
            bboxes_offsets, face_landmarks, scores = self._model(_patches(images_normalized, bboxes_batch, 48))
            face_landmarks = adjust_landmarks(face_landmarks, bboxes_batch)
            bboxes_batch = adjust_bboxes(replace_confidence(bboxes_batch, scores), bboxes_offsets)
            bboxes_batch = np.concatenate([bboxes_batch, face_landmarks], axis=-1)
            bboxes_batch = pick_matches(bboxes_batch, scores_column=5, score_threshold=threshold_onet)
            return smart_nms_from_bboxes(bboxes_batch, threshold=nms_onet, method="min", initial_sort=True)

    return MTCNN(stages=[LitePNet(), LiteRNet(), LiteONet()])
