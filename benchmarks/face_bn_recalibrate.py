"""Re-estimate a face model's batch-norm statistics on training faces and score it against the original.

The exported model's moving means and variances were averaged over training batches *under augmentation*
(and, for a weight average, averaged across epochs, which SWA warns against: the averaged weights'
activations have statistics of their own). This recomputes each batch-norm layer's statistics exactly,
layer by layer in inference mode, on training faces that are not in the choice slice (every 8th face is
kept out), prepared one of three ways:

- soft: the faces as the app reads them (softened with sigma, no augmentation);
- sharp: the faces as stored;
- augmented: the training augmentation (flip, rotation, zoom, shift, erasing 10%, 15% masked), once.

Prints the float model's softened, flip-averaged accuracy on every 8th training face (where the choice is
made) and on FER2013 val (the estimate), for each preparation and each input blur in --sigmas.

    python benchmarks/face_bn_recalibrate.py weights/face.keras --n 8000 --save runs/bn
"""
import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from emotion.face import INPUT_BLUR_SIGMA, soften  # noqa: E402
from emotion.runtime import import_keras  # noqa: E402
from emotion.train.face import load_face_folder, masked_copies  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("model", type=Path)
parser.add_argument("--data", type=Path, default=Path("../shared/data/face/fer2013"))
parser.add_argument("--n", type=int, default=8000, help="training faces (outside the choice slice) to estimate on")
parser.add_argument("--ways", default="soft,sharp,augmented")
parser.add_argument("--sigmas", default=f"0.6,0.7,{INPUT_BLUR_SIGMA}")
parser.add_argument("--save", type=Path, help="folder to save each recalibrated model in")
args = parser.parse_args()

keras = import_keras()
from emotion import layers  # noqa: E402,F401  (registers the custom layers used in the files)

x_all, y_all = load_face_folder(args.data / "train")
x_val, y_val = load_face_folder(args.data / "val")
index = np.arange(len(x_all))
rng = np.random.default_rng(0)
pool = rng.permutation(index[index % 8 != 0])[:args.n]
splits = {"train (every 8th)": (x_all[::8], y_all[::8]), "val": (x_val, y_val)}
sigmas = [float(s) for s in args.sigmas.split(",")]


def prepared(way: str) -> np.ndarray:
    x = x_all[pool]
    if way == "soft":
        return soften(x[..., 0])[..., None].astype("float32")
    if way == "sharp":
        return x.astype("float32")
    if way == "augmented":
        from emotion.train.face_augment import build_augmenter

        masked = masked_copies(x)
        swap = np.random.default_rng(1).random(len(x)) < 0.15
        x = np.where(swap[:, None, None, None], masked, x).astype("float32")
        aug = build_augmenter(erase_prob=0.1, seed=0)
        return np.concatenate([np.asarray(aug(x[i:i + 512], training=True)) for i in range(0, len(x), 512)])
    raise SystemExit(f"unknown way {way!r}")


def recalibrate(model, x: np.ndarray, batch_size: int = 512) -> None:
    """Set each BatchNormalization layer's moving mean and variance to its input's statistics on x, layer
    after layer, with the layers before it already recalibrated and run in inference mode."""
    for bn in [lyr for lyr in model.layers if isinstance(lyr, keras.layers.BatchNormalization)]:
        probe = keras.Model(model.input, bn.input)
        total, squares, count = 0.0, 0.0, 0
        for i in range(0, len(x), batch_size):
            a = np.asarray(probe(x[i:i + batch_size], training=False), dtype=np.float64)
            a = a.reshape(-1, a.shape[-1])
            total, squares, count = total + a.sum(0), squares + (a * a).sum(0), count + len(a)
        mean = total / count
        bn.moving_mean.assign(mean.astype("float32"))
        bn.moving_variance.assign(np.maximum(squares / count - mean * mean, 0).astype("float32"))


def scores(model) -> str:
    out = []
    for sigma in sigmas:
        accs = []
        for x, y in splits.values():
            x = soften(x[..., 0], sigma)[..., None].astype("float32")
            probs = (model.predict(x, batch_size=512, verbose=0)
                     + model.predict(x[:, :, ::-1], batch_size=512, verbose=0))
            accs.append(float((probs.argmax(1) == y).mean()))
        out.append(f"sigma {sigma}: {accs[0]:.2%} / {accs[1]:.2%}")
    return "   ".join(out)


original = keras.models.load_model(args.model, compile=False)
print(f"training slice / val, float, softened, flip-averaged; recalibrated on {len(pool)} training faces", flush=True)
print(f"{'original':>10}  {scores(original)}", flush=True)
for way in args.ways.split(","):
    start = time.perf_counter()
    model = keras.models.clone_model(original)
    model.set_weights(original.get_weights())
    recalibrate(model, prepared(way))
    took = time.perf_counter() - start
    print(f"{way:>10}  {scores(model)}   ({took:.0f} s to recalibrate)", flush=True)
    if args.save:
        args.save.mkdir(parents=True, exist_ok=True)
        model.save(args.save / f"{args.model.stem}-bn-{way}.keras")
