"""Accuracy on FER2013 val of the face model as the app runs it (int8-weight TFLite, emotion/tflite.py) and
of the float Keras model it was converted from, both on softened crops (emotion.face.soften) and flip-averaged
(every face mirrored: the app mirrors only the faces it is unsure of, see benchmarks/face_mirror_rule.py).

    python benchmarks/tflite_accuracy.py [../shared/data/face/fer2013/val]
"""
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from emotion.face import ALWAYS_MIRROR, load_face_model, soften  # noqa: E402
from emotion.train.face import load_face_folder  # noqa: E402

x, y = load_face_folder(Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/face/fer2013/val"))
model = load_face_model()
model.mirror_below = ALWAYS_MIRROR
int8 = np.concatenate([model.predict(x[i:i + 256, ..., 0]) for i in range(0, len(x), 256)])
faces = soften(x[..., 0]).astype(np.float32)[..., None]
keras_probs = (model.model.predict(faces, batch_size=256, verbose=0)
               + model.model.predict(faces[:, :, ::-1], batch_size=256, verbose=0)) / 2
for name, probs in (("int8 dynamic-range TFLite (as the app runs it)", int8), ("float Keras", keras_probs)):
    print(f"{name}, flip-averaged, FER2013 val accuracy: {float((probs.argmax(1) == y).mean()):.4f}  n {len(y)}")
