"""Choice-split exploration of the encoder reader's fit (the model card's encoder-copies row).

    PYTHONPATH=. python benchmarks/explorations/voice_encoder_copies.py

The encoder reader fitted on the clips as recorded (the committed fit) against fits on the noisy, room and Opus
copies too, at three strengths, and with the training speakers' directions projected out of the statistics
(nuisance attribute projection: the top k principal directions of the speakers' mean statistics, each the
average of its per-emotion means). Each fit is read on the choice speakers through weights/voice.keras's other
readers (functionals network, log-mel reader, trained without the choice speakers): alone, adapted, and alone in
benchmarks/voice_robustness.py's conditions (noise, room, Opus; drawn by each clip's place in the whole choice
list, so the Urdu draws differ from voice_robustness's). Needs the encoder statistics of the four copies (cached
in .cache/ by the first run, about 10 minutes each on 2 cores). Kept as run, not maintained."""
import dataclasses
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from _common import CHOICE  # noqa: E402
from emotion.audio import load_audio  # noqa: E402
from emotion.labels import INDEX  # noqa: E402
from emotion.paths import VOICE_WEIGHTS  # noqa: E402
from emotion.runtime import import_tensorflow  # noqa: E402
from emotion.speech import detect_speech  # noqa: E402
from emotion.train.voice_corpora import collect_clips, split_clips  # noqa: E402
from emotion.train.voice_encoder_reader import load_encoder  # noqa: E402
from emotion.train.voice_features import clip_encoder_stats  # noqa: E402
from emotion.voice import VoiceModel, encoder_path, encoder_window, read_as_speakers, speech_spans  # noqa: E402
from voice_robustness import CONDITIONS  # noqa: E402


def main():
    tf = import_tensorflow()
    from sklearn.linear_model import LogisticRegression

    clips = collect_clips(Path("../shared/data/voice"))
    train, choice, _ = split_clips(clips, "", CHOICE)
    encoder = load_encoder(encoder_path(VOICE_WEIGHTS))
    call = tf.function(lambda x: encoder(x, training=False), jit_compile=True)
    position = {c.path: i for i, c in enumerate(clips)}
    data = {}
    for copy in ["clean", "noisy", "room", "opus"]:
        stats = clip_encoder_stats(clips, lambda w: call(w).numpy(), 2, copy)
        rows = [stats[position[c.path]] for c in train]
        data[copy] = (np.concatenate(rows).astype(np.float64),
                      np.concatenate([[INDEX[c.label]] * len(r) for c, r in zip(train, rows)]).astype(int),
                      np.concatenate([[f"{c.corpus}:{c.speaker}"] * len(r) for c, r in zip(train, rows)]))

    model = VoiceModel(VOICE_WEIGHTS)
    heard_by, stats_by = {}, {}
    for name, condition in CONDITIONS.items():
        heards, wstats = [], []
        for i, c in enumerate(choice):
            audio = condition(load_audio(c.path), i)
            heard = model.listen(audio)
            heards.append(heard)
            if heard.features is None:
                wstats.append(None)
                continue
            spans = speech_spans(detect_speech(audio), 64)[0]
            wstats.append(call(np.stack([encoder_window(audio[a:b]) for a, b in spans])).numpy().astype(np.float64))
        heard_by[name], stats_by[name] = heards, wstats
        print("heard", name, flush=True)
    groups = [f"{c.corpus}:{c.speaker}" for c in choice]
    corpora = sorted({c.corpus for c in choice})

    variants = [("clean", ["clean"], 0, 0.1), ("clean+copies", ["clean", "noisy", "room", "opus"], 0, 0.1),
                ("clean+copies C=0.03", ["clean", "noisy", "room", "opus"], 0, 0.03),
                ("clean+copies C=0.3", ["clean", "noisy", "room", "opus"], 0, 0.3),
                ("clean NAP 8", ["clean"], 8, 0.1), ("clean+copies NAP 8", ["clean", "noisy", "room", "opus"], 8, 0.1),
                ("clean NAP 16", ["clean"], 16, 0.1)]
    for label, copies, k, cval in variants:
        x = np.concatenate([data[c][0] for c in copies])
        y = np.concatenate([data[c][1] for c in copies])
        who = np.concatenate([data[c][2] for c in copies])
        mean, sd = x.mean(0), np.maximum(x.std(0), 1e-7)
        z = (x - mean) / sd
        v = np.zeros((z.shape[1], 0))
        if k:
            speakers = sorted(set(who))
            m = np.stack([np.mean([z[(who == s) & (y == e)].mean(0) for e in np.unique(y[who == s])], 0)
                          for s in speakers])
            v = np.linalg.svd(m - m.mean(0), full_matrices=False)[2][:k].T
            z = z - (z @ v) @ v.T
        fit = LogisticRegression(C=cval, class_weight="balanced", max_iter=5000).fit(z, y)
        kernel = fit.coef_.T - v @ (v.T @ fit.coef_.T)
        bias = fit.intercept_

        def probs(s):
            logits = ((s - mean) / sd) @ kernel + bias
            e = np.exp(logits - logits.max(1, keepdims=True))
            return (e / e.sum(1, keepdims=True)).astype(np.float32)

        cells = []
        for name in CONDITIONS:
            new = [h if s is None else dataclasses.replace(h, encoder_probs=probs(s))
                   for h, s in zip(heard_by[name], stats_by[name])]
            alone = [model.read_heard(h, learn=False) for h in new]
            adapted = read_as_speakers(model, new, groups) if name == "as recorded" else None
            for corpus in corpora:
                idx = [i for i, c in enumerate(choice) if c.corpus == corpus]
                a = np.mean([alone[i].label == choice[i].label for i in idx])
                cells.append(f"{name} {corpus} {a:.1%}")
                if adapted is not None:
                    cells.append(f"adapted {corpus} {np.mean([adapted[i].label == choice[i].label for i in idx]):.1%}")
        print(f"{label} ({len(x)} windows): " + " | ".join(cells), flush=True)


if __name__ == "__main__":
    main()
