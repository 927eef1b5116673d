"""The encoder reader: emotion from the pretrained speaker encoder's statistics of a 3 s window
(emotion.voice_encoder). A logistic regression over the statistics, standardised on the training windows, is
fitted on every window of the training clips as recorded, every emotion weighing the same, by
scikit-learn (L-BFGS, to convergence: Adam on the same loss read the choice split worse); the encoder stays as it
was pretrained. Saved as one Keras model, mel window -> probabilities, the encoder inside it.

`python -m emotion train voice` fits it after the other networks (`--encoder-reader`, the default). To fit it
alone beside a voice model trained earlier, on the same speakers:

    python -m emotion.train.voice_encoder_reader --model weights/voice.keras --encoder runs/speaker_encoder.keras \
        --choice "ravdess:17-20+urdu:SM1,SM3,SM7,SM20,SM23,SF11,SM27"
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from ..labels import EMOTIONS, INDEX
from .voice_corpora import Clip
from .voice_features import clip_encoder_stats

ENCODER_NAME = "speaker_encoder"


def load_encoder(path: Path):
    """The speaker encoder (mel windows -> statistics) of `path`: the ported encoder itself
    (`python -m emotion.train.voice_encoder_port`) or an encoder reader, whose encoder is taken out of it."""
    from .. import layers  # noqa: F401  (registers the custom layers used in the file)
    from ..runtime import load_float32

    model = load_float32(path)
    return model if model.name == ENCODER_NAME else model.get_layer(ENCODER_NAME)


def build_encoder_reader(encoder, mean: np.ndarray, variance: np.ndarray, kernel: np.ndarray, bias: np.ndarray):
    """The reader: mel windows (batch, N_FRAMES, N_BANDS) -> probabilities (batch, 7), through `encoder`, the
    statistics standardised by `mean` / `variance`, then a softmax of `kernel` (N_STATS, 7) and `bias` (7,)."""
    import keras

    from ..voice import N_FRAMES
    from ..voice_encoder import N_BANDS

    frames = keras.Input((N_FRAMES, N_BANDS), name="frames")
    h = keras.layers.Normalization(mean=mean, variance=variance, name="standardise")(encoder(frames))
    emotion = keras.layers.Dense(len(EMOTIONS), activation="softmax", name="emotion")
    reader = keras.Model(frames, emotion(h), name="encoder_reader")
    emotion.set_weights([kernel, bias])
    return reader


def train_encoder_reader(args: argparse.Namespace, clips: list[Clip], train: list[Clip]):
    """The encoder reader fitted on the windows of the `train` clips as recorded and, with `args.encoder_copies`,
    of the copies the options ask for (`copies_of`; the encoder from `args.encoder`); the fit takes seconds once
    the statistics are cached, so it is not checkpointed."""
    from sklearn.linear_model import LogisticRegression

    from ..runtime import import_tensorflow
    from .voice import copies_of

    copies = copies_of(args) if args.encoder_copies else []

    tf = import_tensorflow()
    encoder = load_encoder(args.encoder)
    call = tf.function(lambda x: encoder(x, training=False), jit_compile=True)
    position = {c.path: i for i, c in enumerate(clips)}
    rows = []
    for copy in ["clean", *copies]:
        stats = clip_encoder_stats(clips, lambda w: call(w).numpy(), args.workers, copy)
        rows += [stats[position[c.path]] for c in train]
    labels = [INDEX[c.label] for c in train] * (1 + len(copies))
    x = np.concatenate(rows).astype(np.float64)
    y = np.concatenate([[label] * len(r) for label, r in zip(labels, rows)]).astype(int)
    mean, variance = x.mean(0), x.var(0)
    z = (x - mean) / np.maximum(np.sqrt(variance), 1e-7)  # as keras.layers.Normalization standardises
    fit = LogisticRegression(C=args.encoder_c, class_weight="balanced", max_iter=5000).fit(z, y)
    print(f"encoder reader: {len(x)} windows, training accuracy {fit.score(z, y):.3f}", flush=True)
    coef, intercept = fit.coef_, fit.intercept_
    if len(fit.classes_) == 2:  # scikit-learn keeps one row for two classes: the same softmax, split in halves
        coef, intercept = np.vstack([-coef / 2, coef / 2]), np.array([-intercept[0] / 2, intercept[0] / 2])
    kernel, bias = np.zeros((x.shape[1], len(EMOTIONS)), np.float32), np.full(len(EMOTIONS), -30, np.float32)
    kernel[:, fit.classes_], bias[fit.classes_] = coef.T, intercept  # an emotion never trained on: never read
    return build_encoder_reader(encoder, mean, variance, kernel, bias)


def main() -> int:
    """Fit the encoder reader alone, beside a trained voice model (`--model`), on the speakers it trained on."""
    from ..paths import VOICE_WEIGHTS
    from ..voice import encoder_path
    from .voice import ADOPTED_COPIES, add_copy_options
    from .voice_corpora import collect_clips, split_clips

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=VOICE_WEIGHTS, help="the voice model to fit it beside")
    parser.add_argument("--data", type=Path, default=Path("../shared/data/voice"))
    parser.add_argument("--held-out", default="", help="as the model was trained (`train voice --held-out`)")
    parser.add_argument("--choice", default="", help="as the model was trained (`train voice --choice`)")
    parser.add_argument("--workers", type=int, default=2, help="processes computing the windows (first run)")
    _fit_options(parser)
    add_copy_options(parser, ADOPTED_COPIES)  # as the model was trained: the copies --encoder-copies adds
    args = parser.parse_args()
    clips = collect_clips(args.data)
    train, _, _ = split_clips(clips, args.held_out, args.choice)
    train_encoder_reader(args, clips, train).save(encoder_path(args.model))
    print(f"saved {encoder_path(args.model)}")
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The encoder reader's options of `python -m emotion train voice`."""
    parser.add_argument("--encoder-reader", action=argparse.BooleanOptionalAction, default=True,
                        help="also train the encoder reader, whose probabilities the app averages in (default: on)")
    _fit_options(parser)


def _fit_options(parser: argparse.ArgumentParser) -> None:
    from ..paths import VOICE_WEIGHTS
    from ..voice import encoder_path

    parser.add_argument("--encoder", type=Path, default=encoder_path(VOICE_WEIGHTS),
                        help="the pretrained speaker encoder: the ported one, or an encoder reader's "
                             "(default: the committed reader's)")
    parser.add_argument("--encoder-c", type=float, default=0.1,
                        help="inverse strength of the encoder reader's L2 penalty (scikit-learn's C)")
    parser.add_argument("--encoder-copies", action=argparse.BooleanOptionalAction, default=False,
                        help="also fit the encoder reader on the noisy, room and Opus copies the network learns "
                             "from (default: off; the clips as recorded only)")


if __name__ == "__main__":
    raise SystemExit(main())
