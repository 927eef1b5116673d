"""Choice-split exploration of the functionals network with a second head (model card, "explored, not adopted").

    PYTHONPATH=. python benchmarks/explorations/voice_aux_heads.py --variant base|adv|av|nocalm [--seeds 0,1,2]

base: the committed recipe (noisy, room, Opus copies). adv: a speaker classifier behind a gradient-reversal
layer on the hidden layer (speaker-adversarial). av: arousal and valence heads beside the emotion head (loss
weight --weight). nocalm: the committed recipe without RAVDESS's calm clips. Kept as run, not maintained.
Reads the choice clips from cached features as voice_recipes.py does (whole speech, alone / adapted).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, "benchmarks")
from _common import CHOICE  # noqa: E402
from emotion.labels import EMOTIONS, INDEX  # noqa: E402
from emotion.speaker import VoiceReference  # noqa: E402
from emotion.train.voice import (  # noqa: E402
    ADOPTED_COPIES,
    build_voice_model,
    sample_weights,
    speaker_views,
    training_rows,
)
from emotion.train.voice_corpora import collect_clips, split_clips  # noqa: E402
from emotion.train.voice_features import clip_functionals  # noqa: E402

AROUSAL = {"angry": 1, "disgust": 0.5, "fear": 1, "happy": 1, "neutral": 0, "sad": 0, "surprise": 1}
VALENCE = {"angry": 0, "disgust": 0, "fear": 0, "happy": 1, "neutral": 0.5, "sad": 0, "surprise": 0.75}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--variant", default="base")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--weight", type=float, default=0.3)
    a = ap.parse_args()
    from emotion.runtime import import_tensorflow

    tf = import_tensorflow()
    import keras
    from keras import layers

    from emotion.train.common import cosine_schedule, steps_per_epoch

    clips = collect_clips(Path("../shared/data/voice"))
    features = clip_functionals(clips).astype(np.float64)
    position = {c.path: i for i, c in enumerate(clips)}
    train, choice, _ = split_clips(clips, "", CHOICE)
    if a.variant == "nocalm":  # RAVDESS calm (emotion code 02) left out of training
        train = [c for c in train if not (c.corpus == "ravdess" and Path(c.path).name.split("-")[2] == "02")]
    x, speakers, y = training_rows(clips, train, list(ADOPTED_COPIES))
    idx = [position[c.path] for c in choice]
    xc, sc = features[idx], np.array([c.speaker for c in choice])
    yc, corpus = np.array([INDEX[c.label] for c in choice]), np.array([c.corpus for c in choice])
    spk_names, spk_index = np.unique(speakers, return_inverse=True)
    aro = np.array([AROUSAL[e] for e in EMOTIONS], np.float32)[y]
    val = np.array([VALENCE[e] for e in EMOTIONS], np.float32)[y]
    print(f"train rows {len(y)}, speakers {len(spk_names)}, choice {len(yc)}", flush=True)

    @tf.custom_gradient
    def reverse(v):
        return tf.identity(v), lambda dy: -dy

    class GradientReversal(layers.Layer):
        def call(self, v):
            return reverse(v)

    def build():
        """The committed network (build_voice_model) with the variant's heads on its hidden layer."""
        base = build_voice_model(x.shape[1])
        hidden, dropped = base.get_layer("hidden").output, base.get_layer("drop_hidden").output
        outs = {"emotion": base.output}
        if a.variant == "adv":
            g = GradientReversal()(hidden)
            g = layers.Dense(128, activation="relu")(g)
            outs["speaker"] = layers.Dense(len(spk_names), activation="softmax", name="speaker")(g)
        if a.variant == "av":
            outs["arousal"] = layers.Dense(1, activation="sigmoid", name="arousal")(dropped)
            outs["valence"] = layers.Dense(1, activation="sigmoid", name="valence")(dropped)
        return keras.Model(base.input, outs)

    def scores(alone, adapted):
        return ", ".join(f"{name} {c}: {np.mean(p.argmax(1)[corpus == c] == yc[corpus == c]):.1%}"
                         for name, p in (("alone", alone), ("adapted", adapted)) for c in ("ravdess", "urdu")) + \
            ", sad(ravdess alone/adapted) " + "/".join(
                f"{np.mean(p.argmax(1)[(corpus == 'ravdess') & (yc == 5)] == 5):.0%}" for p in (alone, adapted))

    reads = []
    for seed in (int(s) for s in a.seeds.split(",")):
        reference = VoiceReference.fit(x, speakers, 4.0)
        keras.utils.set_random_seed(seed)
        steps = steps_per_epoch(len(y), 64)
        model = build()
        losses = {"emotion": keras.losses.CategoricalCrossentropy(label_smoothing=0.1)}
        weights = {"emotion": 1.0}
        if a.variant == "adv":
            losses["speaker"] = keras.losses.SparseCategoricalCrossentropy()
            weights["speaker"] = a.weight
        if a.variant == "av":
            losses["arousal"] = losses["valence"] = keras.losses.BinaryCrossentropy()
            weights["arousal"] = weights["valence"] = a.weight
        opt = keras.optimizers.AdamW(cosine_schedule(1e-3, steps * 30, steps * 2), weight_decay=0.05)
        model.compile(opt, losses, loss_weights=weights)
        for epoch in range(30):
            rng = np.random.default_rng([seed, epoch])
            balance = sample_weights(y, speakers)
            views = speaker_views(x, speakers, reference, rng)
            t = {"emotion": np.eye(len(EMOTIONS), dtype=np.float32)[y]}
            if a.variant == "adv":
                t["speaker"] = spk_index
            if a.variant == "av":
                t["arousal"], t["valence"] = aro[:, None], val[:, None]
            model.fit(views, t, sample_weight=balance, batch_size=64, shuffle=True, verbose=0)

        def predict(z):
            return model.predict(z, verbose=0)["emotion"]
        alone = predict(reference.normalise(xc))
        adapted = np.empty_like(alone)
        for s in np.unique(sc):
            rows = sc == s
            z = reference.normalise(xc[rows], int(rows.sum()), xc[rows].mean(0), xc[rows].var(0))
            adapted[rows] = predict(z)
        reads.append((alone, adapted))
        print(f"{a.variant} w{a.weight} seed {seed}: " + scores(alone, adapted), flush=True)
    print(f"{a.variant} w{a.weight} average of {len(reads)}: " + scores(*(np.mean(r, 0) for r in zip(*reads))),
          flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
