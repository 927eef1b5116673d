"""The `mtcnn` package's face detector with its three networks run as TensorFlow Lite.

mtcnn 1.0.0 calls its Keras networks layer by layer; most of its time is Python and op dispatch, not
arithmetic. Here each network runs as TFLite (emotion/tflite.py): the same outputs to 1e-6, so the
same faces, at a fraction of the time (benchmarks/RESULTS-speed.md). The pipeline around the networks
(pyramid, box regression, non-maximum suppression) is the package's own.
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


def lite_mtcnn():
    """An `mtcnn.MTCNN` whose PNet, RNet and ONet run as TFLite."""
    from mtcnn import MTCNN
    from mtcnn.stages import StageONet, StagePNet, StageRNet
    from mtcnn.utils.bboxes import generate_bounding_box, resize_to_square, smart_nms_from_bboxes, upscale_bboxes
    from mtcnn.utils.images import build_scale_pyramid

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

    def lite(stage, side: int):
        stage._model = EagerOutputs(TFLiteModel(stage.model, input_shape=(side, side, 3)))
        return stage

    return MTCNN(stages=[LitePNet(), lite(StageRNet(), 24), lite(StageONet(), 48)])
