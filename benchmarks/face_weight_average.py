"""Average the weights of face models (a "model soup") and score the average against its parts.

Each argument is one model or several joined by "+" (averaged with equal weight, batch-norm statistics
included). Prints the float model's softened, flip-averaged accuracy, as runs/*/final.json reports it, on
every 8th training face (where choices are made) and on FER2013 val (the estimate).

    python benchmarks/face_weight_average.py runs/face_h/face.keras runs/face_g/face.keras+runs/face_h/face.keras
"""
import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from emotion.face import soften  # noqa: E402
from emotion.runtime import import_keras  # noqa: E402
from emotion.train.common import mean_weights  # noqa: E402
from emotion.train.face import choice_and_val_faces  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("models", nargs="+", help="model.keras, or a+b+... to average")
parser.add_argument("--data", type=Path, default=Path("../shared/data/face/fer2013"))
args = parser.parse_args()
try:
    splits = choice_and_val_faces(args.data)
except FileNotFoundError as exc:
    sys.exit(f"{exc} (--data)")

keras = import_keras()
from emotion import layers  # noqa: E402,F401  (registers the custom layers used in the files)

splits = {name: (soften(x[..., 0])[..., None].astype("float32"), y) for name, (x, y) in splits.items()}
loaded: dict[str, keras.Model] = {}


def load(path: str) -> keras.Model:
    if path not in loaded:
        loaded[path] = keras.models.load_model(path, compile=False)
    return loaded[path]


print(f"{'train (every 8th)':>18} {'val':>8}  model")
for spec in args.models:
    parts = [load(p) for p in spec.split("+")]
    model = keras.models.clone_model(parts[0])
    model.set_weights(mean_weights(parts))
    accs = []
    for x, y in splits.values():
        probs = model.predict(x, batch_size=512, verbose=0) + model.predict(x[:, :, ::-1], batch_size=512, verbose=0)
        accs.append(float((probs.argmax(1) == y).mean()))
    print(f"{accs[0]:18.2%} {accs[1]:8.2%}  {spec}", flush=True)
