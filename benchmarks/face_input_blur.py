"""How much to soften face crops before the classifier: accuracy against the Gaussian blur's sigma.

Training resamples every face (rotation, zoom and shift by fractions of a pixel, bilinear), so the model
learned on slightly soft faces. This sweeps the inference-time blur (emotion.face.soften) and prints the
app's flip-averaged int8 accuracy on a slice of the training faces (every 8th, where the sigma is chosen:
the model has seen them, so the level is optimistic but the comparison is fair) and on FER2013 val (the
estimate the model card reports, not used for the choice).

    python benchmarks/face_input_blur.py [../shared/data/face/fer2013]
"""
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from emotion.face import INPUT_BLUR_SIGMA, load_face_model  # noqa: E402
from emotion.train.face import choice_and_val_faces  # noqa: E402

SIGMAS = (0.0, 0.4, 0.5, 0.6, 0.7, 0.8, 1.0)

try:
    splits = choice_and_val_faces(Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/face/fer2013"))
except FileNotFoundError as exc:
    sys.exit(str(exc))
model = load_face_model()
print(f"{'sigma':>6} " + " ".join(f"{name + f' n={len(y)}':>22}" for name, (_, y) in splits.items()))
for sigma in SIGMAS:
    model.blur_sigma = sigma
    accs = []
    for x, y in splits.values():
        probs = np.concatenate([model.predict(x[i:i + 512, ..., 0]) for i in range(0, len(x), 512)])
        accs.append(float((probs.argmax(1) == y).mean()))
    mark = "  <- the app's (emotion.face.INPUT_BLUR_SIGMA)" if sigma == INPUT_BLUR_SIGMA else ""
    print(f"{sigma:6.1f} " + " ".join(f"{a:22.2%}" for a in accs) + mark, flush=True)
