"""Choice-split exploration of log-mel reader variants (the model card's "explored, not adopted" rows).

    PYTHONPATH=. python benchmarks/explorations/voice_mel_readers.py --variant cnn --epochs 120 \
        --out runs/reader_cnn120.keras
    PYTHONPATH=. python benchmarks/explorations/voice_mel_readers.py --eval-only --out runs/reader_cnn120.keras \
        --out weights/voice.mel.keras    # two readers averaged beside the functionals

Trains a reader on the final model's training clips (everyone but the choice and no held-out speakers), reads
the choice clips as the app does (3 s windows), combines with weights/voice.keras's functionals readings
(alone / adapted after hearing all of the speaker's clips) at share 0.3, and prints accuracies.
Variants: base (committed recipe), cmn (each window minus its own per-band mean over time), spk (the window
shifted towards the reference speaker's mean spectrum by the speaker's heard mean, as SpeakerAdapter shrinks),
meanonly (each window's level removed, not its spread), cnn (the old 2-D CNN). `adabn` re-estimates a reader's
batch-norm statistics on each choice speaker's windows. Kept as run, not maintained.
"""
from __future__ import annotations

import argparse
import pickle
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from _common import CHOICE  # noqa: E402
from emotion.speaker import VoiceReference  # noqa: E402
from emotion.train.voice import HEARD  # noqa: E402

PRIOR = VoiceReference.prior  # windows of a speaker that weigh as much as the average training speaker


def choice_readings(path=Path(".cache/choice_read.pkl")):
    if path.exists():
        return pickle.loads(path.read_bytes())
    from emotion.audio import load_audio
    from emotion.speech import detect_speech
    from emotion.train.voice_corpora import collect_clips, split_clips
    from emotion.voice import log_mel_window, speech_spans
    from emotion.voice_functionals import functionals

    clips = collect_clips(Path("../shared/data/voice"))
    _, choice, _ = split_clips(clips, "", CHOICE)
    rows = []
    for c in choice:
        audio = load_audio(c.path)
        act = detect_speech(audio)
        if not act.has_speech:
            rows.append((c, None, None, None))
            continue
        spans, w = speech_spans(act)
        wins = [audio[a:b] for a, b in spans]
        mels = np.stack([log_mel_window(x) for x in wins]).astype(np.float16)
        rows.append((c, np.stack([functionals(x) for x in wins]), mels, w))
    path.write_bytes(pickle.dumps(rows))
    return rows


def transform(x: np.ndarray, variant: str) -> np.ndarray:
    if variant == "cmn":
        return x - x.mean(axis=1, keepdims=True)
    if variant == "meanonly":
        return (x - x.mean(axis=(1, 2), keepdims=True)) / 20.0
    return x


def build_cnn(width=128, dropout=0.4):
    """The 2-D CNN of the old log-mel voice model (git show beb3d80^:emotion/train/voice_model.py)."""
    import keras
    from keras import layers

    from emotion.labels import EMOTIONS
    from emotion.layers import PerImageStandardize
    from emotion.train.blocks import classifier_head, vgg_stages
    from emotion.voice import N_FRAMES, N_MELS

    inputs = keras.Input((N_FRAMES, N_MELS), name="log_mel")
    x = layers.Reshape((N_FRAMES, N_MELS, 1))(inputs)
    x = PerImageStandardize(name="standardize")(x)
    x = layers.AveragePooling2D((2, 1), name="pool_frames")(x)
    x = vgg_stages(x, tuple(width // 2 ** k for k in (3, 2, 1, 0)))
    x = layers.Reshape((x.shape[1], x.shape[2] * x.shape[3]), name="per_time")(x)
    x = layers.Concatenate(name="pool_time")([layers.GlobalAveragePooling1D()(x), layers.GlobalMaxPooling1D()(x)])
    return keras.Model(inputs, classifier_head(x, 128, dropout, len(EMOTIONS)))


def build_plain(width=128, dropout=0.4):
    """build_mel_model without its whole-window standardisation (the input comes level-removed)."""
    import keras

    from emotion.train.voice_mel import build_mel_model

    full = build_mel_model(width, dropout)
    after_standardising = keras.Model(full.get_layer("standardize").output, full.output)
    inputs = keras.Input(full.input_shape[1:], name="log_mel")
    return keras.Model(inputs, after_standardising(inputs))


def train(variant: str, out: Path, epochs: int = 30, seed: int = 0, width: int = 128, lr: float = 2e-3,
          batch: int = 64, p_adapt: float = 6 / 7):
    from emotion.runtime import import_tensorflow

    import_tensorflow()
    import keras

    from emotion.labels import EMOTIONS, INDEX
    from emotion.train.common import compiled_as_voice_trains
    from emotion.train.voice import ADOPTED_COPIES
    from emotion.train.voice_corpora import collect_clips, split_clips
    from emotion.train.voice_features import clip_log_mels
    from emotion.train.voice_mel import build_mel_model, changed, random_window

    keras.utils.set_random_seed(seed)
    clips = collect_clips(Path("../shared/data/voice"))
    tr, _, _ = split_clips(clips, "", CHOICE)
    pos = {c.path: i for i, c in enumerate(clips)}
    rows = [pos[c.path] for c in tr]
    mels = [[every[i] for i in rows]
            for every in (clip_log_mels(clips, 1, copy) for copy in ["clean", *ADOPTED_COPIES])]
    y = np.array([INDEX[c.label] for c in tr])
    spk = np.array([c.speaker for c in tr])
    # each version's clip means; the reference: mean over training speakers of their clean mean
    clip_means = [np.stack([m.astype(np.float32).mean(0) for m in version]) for version in mels]
    speakers = np.unique(spk)
    ref = np.mean([clip_means[0][spk == s].mean(0) for s in speakers], axis=0)
    np.save(out.with_suffix(".ref.npy"), ref)
    steps = len(tr) // batch
    builder = {"meanonly": build_plain, "cnn": build_cnn}.get(variant, build_mel_model)
    model = compiled_as_voice_trains(builder(width), lr, steps * epochs, steps * 2)
    ckpt, done = out.with_suffix(".ckpt.keras"), out.with_suffix(".ckpt.epoch")
    start = int(done.read_text()) if done.exists() and ckpt.exists() else 0
    if start:
        from emotion import layers as _layers  # noqa: F401
        model = keras.models.load_model(ckpt)
        print(f"resumed after epoch {start}", flush=True)
    targets = np.eye(len(EMOTIONS), dtype=np.float32)
    counts = np.bincount(y, minlength=len(EMOTIONS))
    p = 1.0 / counts[y]
    by_speaker = {s: np.flatnonzero(spk == s) for s in speakers}
    for epoch in range(start, epochs):
        rng = np.random.default_rng([seed, 99, epoch])
        n = steps * batch
        picks = rng.choice(len(y), n, p=p / p.sum())
        vs = rng.integers(len(mels), size=n)
        x = np.stack([random_window(mels[v][i].astype(np.float32), rng) for v, i in zip(vs, picks)])
        if variant == "spk":
            for j, (v, i) in enumerate(zip(vs, picks)):
                if rng.random() > p_adapt:
                    continue
                own = by_speaker[spk[i]]
                k = HEARD[rng.integers(1, len(HEARD))]
                sel = own if k is None or k >= len(own) else rng.choice(own, k, replace=False)
                heard = clip_means[v][sel].mean(0)
                share = len(sel) / (len(sel) + PRIOR)
                x[j] += share * (ref - heard)
        x = transform(changed(x, rng), variant)
        model.fit(x, targets[y[picks]], batch_size=batch, shuffle=False, initial_epoch=epoch, epochs=epoch + 1,
                  verbose=2)
        model.save(ckpt)
        done.write_text(str(epoch + 1))
    model.save(out)


def evaluate(reader_paths: list[Path], variant: str, shares=(0.0, 0.2, 0.3, 0.4, 0.5, 1.0)):
    from emotion.runtime import import_tensorflow

    import_tensorflow()
    import keras

    from emotion import layers  # noqa: F401
    from emotion.labels import EMOTIONS, INDEX
    from emotion.voice import VoiceModel

    rows = choice_readings()
    vm = VoiceModel(Path("weights/voice.keras"))
    readers = [keras.models.load_model(p, compile=False) for p in reader_paths]
    ref = np.load(reader_paths[0].with_suffix(".ref.npy")) if variant == "spk" else None
    heard = [r for r in rows if r[1] is not None]
    # functionals: alone and adapted (speaker heard all its clips)
    adapters = {}
    for c, f, _, _ in heard:
        adapters.setdefault(c.speaker, vm.new_speaker()).hear(f)
    # spectrum means per speaker (window means, all clips)
    spk_mel = {}
    for c, _, m, _ in heard:
        spk_mel.setdefault(c.speaker, []).append(m.astype(np.float32).mean(1))
    spk_mel = {s: np.concatenate(v) for s, v in spk_mel.items()}
    out = {}
    for mode in ("alone", "adapted"):
        fp, mp, ys, groups = [], [], [], []
        for c, f, m, w in heard:
            z = vm.reference.normalise(f) if mode == "alone" else adapters[c.speaker].normalise(f)
            fprobs = vm.predict(z)
            x = m.astype(np.float32)
            if variant == "spk" and mode == "adapted":
                h = spk_mel[c.speaker]
                x = x + len(h) / (len(h) + PRIOR) * (ref - h.mean(0))
            x = transform(x, variant)
            mprobs = np.mean([r.predict(x, verbose=0) for r in readers], axis=0)
            fp.append((fprobs, w))
            mp.append(mprobs)
            ys.append(INDEX[c.label])
            groups.append(c.corpus)
        ys, groups = np.array(ys), np.array(groups)
        for share in shares:
            pred = np.array([np.argmax((((1 - share) * f + share * mm) * w[:, None]).sum(0))
                             for (f, w), mm in zip(fp, mp)])
            for g in ("ravdess", "urdu"):
                sel = groups == g
                acc = float((pred[sel] == ys[sel]).mean())
                sad = ys[sel] == EMOTIONS.index("sad")
                out[(mode, share, g)] = acc
                sad_recall = float((pred[sel][sad] == ys[sel][sad]).mean())
                print(f"{mode:8s} share {share:.1f} {g:8s} acc {acc:.3f} (n {sel.sum()}) sad {sad_recall:.2f}")
    return out


def adabn(reader_path: Path, blend: float = 1.0, head: bool = False):
    """Adapted readings with the reader's batch-norm statistics re-estimated on each choice speaker's windows."""
    from emotion.runtime import import_tensorflow

    import_tensorflow()
    import keras

    from emotion import layers  # noqa: F401
    from emotion.labels import INDEX
    from emotion.voice import VoiceModel

    rows = choice_readings()
    vm = VoiceModel(Path("weights/voice.keras"))
    reader = keras.models.load_model(reader_path, compile=False)
    bns = [layer for layer in reader.layers
           if isinstance(layer, keras.layers.BatchNormalization) and (head or "fc" not in layer.name)]
    original = {layer.name: [w.numpy().copy() for w in (layer.moving_mean, layer.moving_variance)] for layer in bns}
    heard = [r for r in rows if r[1] is not None]
    adapters, by_spk = {}, {}
    for c, f, m, _ in heard:
        adapters.setdefault(c.speaker, vm.new_speaker()).hear(f)
        by_spk.setdefault(c.speaker, []).append(m.astype(np.float32))
    spk_probs = {}
    for s, ms in by_spk.items():
        x = np.concatenate(ms)
        for layer in bns:
            layer.moving_mean.assign(original[layer.name][0])
            layer.moving_variance.assign(original[layer.name][1])
        for layer in bns:  # layer by layer: each sees inputs normalised by the adapted layers before it
            probe = keras.Model(reader.input, layer.input)
            a = probe.predict(x, verbose=0)
            axes = tuple(range(a.ndim - 1))
            mu, var = a.mean(axes), a.var(axes)
            layer.moving_mean.assign(blend * mu + (1 - blend) * original[layer.name][0])
            layer.moving_variance.assign(blend * var + (1 - blend) * original[layer.name][1])
        spk_probs[s] = [reader.predict(m, verbose=0) for m in ms]
    for layer in bns:
        layer.moving_mean.assign(original[layer.name][0])
        layer.moving_variance.assign(original[layer.name][1])
    counters = {s: 0 for s in by_spk}
    fp, mp, ys, groups = [], [], [], []
    for c, f, m, w in heard:
        fp.append((vm.predict(adapters[c.speaker].normalise(f)), w))
        mp.append(spk_probs[c.speaker][counters[c.speaker]])
        counters[c.speaker] += 1
        ys.append(INDEX[c.label])
        groups.append(c.corpus)
    ys, groups = np.array(ys), np.array(groups)
    for share in (0.0, 0.3, 0.4, 0.5, 1.0):
        pred = np.array([np.argmax((((1 - share) * f + share * mm) * w[:, None]).sum(0)) for (f, w), mm in zip(fp, mp)])
        print(f"adabn blend {blend} head {head} share {share:.1f} " + " ".join(
            f"{g} {float((pred[groups == g] == ys[groups == g]).mean()):.3f}" for g in ("ravdess", "urdu")), flush=True)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--variant", default="base")
    ap.add_argument("--out", type=Path, action="append", default=[])
    ap.add_argument("--eval-only", action="store_true")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--epochs", type=int, default=30)
    a = ap.parse_args()
    if not a.eval_only:
        train(a.variant, a.out[0], seed=a.seed, epochs=a.epochs)
    evaluate(a.out, a.variant)
