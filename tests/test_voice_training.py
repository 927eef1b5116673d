"""Voice training: corpora and speaker splits, features read against the speaker, and a tiny end-to-end run."""
from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from emotion.labels import EMOTIONS
from emotion.speaker import CLIP, SpeakerAdapter, VoiceReference
from emotion.train.voice import speaker_views
from emotion.train.voice_corpora import collect_clips, parse_speakers, split_clips
from emotion.voice_functionals import N_FEATURES

FIXTURES = Path(__file__).parent / "fixtures" / "speech"
RAVDESS_CODE = {"neutral": "01", "happy": "03", "angry": "05"}
EMODB_CODE = {"neutral": "N", "happy": "F", "angry": "W"}


def _fake_corpora(root: Path) -> Path:
    """Every corpus's layout, filled with the three committed eSpeak sentences."""
    for style, src in {p.stem: p for p in FIXTURES.glob("*.flac")}.items():
        for actor in (1, 2, 17):
            dst = root / "ravdess" / f"Actor_{actor:02d}" / f"03-01-{RAVDESS_CODE[style]}-01-01-01-{actor:02d}.flac"
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(src, dst)
        for speaker in ("OAF", "YAF"):
            dst = root / "tess" / f"{speaker}_{style}" / f"{speaker}_back_{style}.flac"
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(src, dst)
        dst = root / "urdu" / style.capitalize() / f"SM1_F10_{style[0].upper()}010.flac"
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(src, dst)
        for speaker in ("03", "08"):
            dst = root / "emodb" / speaker / f"{speaker}a01{EMODB_CODE[style]}a.flac"
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(src, dst)
    (root / "emodb" / "03" / "03a01La.flac").write_bytes((FIXTURES / "neutral.flac").read_bytes())  # boredom
    return root


def test_clips_carry_corpus_speaker_and_label_and_boredom_is_left_out(tmp_path):
    clips = collect_clips(_fake_corpora(tmp_path / "voice"))
    assert len(clips) == 3 * (3 + 2 + 1 + 2)
    speakers = {c.speaker for c in clips}
    assert speakers == {"ravdess:01", "ravdess:02", "ravdess:17", "tess:OAF", "tess:YAF", "urdu:SM1",
                        "emodb:03", "emodb:08"}
    assert {c.label for c in clips} == {"neutral", "happy", "angry"}
    assert not any(c.path.endswith("La.flac") for c in clips)


def test_speaker_specs_and_splits_keep_test_and_choice_speakers_out_of_training(tmp_path):
    assert parse_speakers("ravdess:1-3") == {"ravdess:01", "ravdess:02", "ravdess:03"}
    assert parse_speakers("ravdess:17,18+tess:OAF") == {"ravdess:17", "ravdess:18", "tess:OAF"}
    assert parse_speakers("emodb") == {"emodb:*"}
    with pytest.raises(ValueError, match="unknown corpus"):
        parse_speakers("savee:1")
    clips = collect_clips(_fake_corpora(tmp_path / "voice"))
    train, choice, test = split_clips(clips, "emodb", "ravdess:17+urdu:SM1")
    assert {c.corpus for c in test} == {"emodb"} and len(test) == 6
    assert {c.speaker for c in choice} == {"ravdess:17", "urdu:SM1"}
    assert not {c.speaker for c in train} & ({c.speaker for c in test} | {c.speaker for c in choice})
    assert len(train) + len(choice) + len(test) == len(clips)


def _speaker_features(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Three speakers whose features sit at very different levels (as voices and microphones do)."""
    rng = np.random.default_rng(seed)
    x = np.concatenate([rng.normal(level, scale, (40, 5)) for level, scale in ((0, 1), (50, 3), (-20, 0.5))])
    return x, np.repeat(["a", "b", "c"], 40)


def test_reference_is_the_average_speaker_and_round_trips(tmp_path):
    x, speakers = _speaker_features()
    ref = VoiceReference.fit(x, speakers, prior=3.0)
    assert np.allclose(ref.mean, 10, atol=1.0)  # the mean of the three speakers' means
    assert np.allclose(ref.sd, np.sqrt((1 + 9 + 0.25) / 3), rtol=0.25)  # pooled within-speaker spread
    ref.save(tmp_path / "voice.reference.npz")
    back = VoiceReference.load(tmp_path / "voice.reference.npz")
    np.testing.assert_allclose(back.mean, ref.mean, rtol=1e-6)
    np.testing.assert_allclose(back.sd, ref.sd, rtol=1e-6)
    assert back.prior == 3.0


def test_speaker_adapter_reads_a_voice_against_itself_once_it_has_heard_it():
    x, speakers = _speaker_features()
    ref = VoiceReference.fit(x, speakers)
    b = x[speakers == "b"]
    alone = ref.normalise(b)
    assert alone.mean() == CLIP  # far above the average speaker: clipped
    adapter = SpeakerAdapter(ref)
    adapter.hear(b)
    assert adapter.heard == 40
    z = adapter.normalise(b)
    assert 0.5 < z.mean() < 2.0  # against its own voice, still a little pulled towards the average speaker
    for _ in range(9):
        adapter.hear(b)
    z = adapter.normalise(b)
    assert abs(z.mean()) < 0.3 and 0.7 < z.std() < 1.3  # 400 windows heard: centred on itself, unit spread
    adapter.reset()
    assert adapter.heard == 0 and np.array_equal(adapter.normalise(b), alone)  # forgotten


def test_training_views_read_each_clip_against_some_of_its_own_speakers_clips():
    x, speakers = _speaker_features()
    ref = VoiceReference.fit(x, speakers)
    views = speaker_views(x, speakers, ref, np.random.default_rng(0))
    assert views.shape == x.shape and views.dtype == np.float32 and np.isfinite(views).all()
    alone = ref.normalise(x)
    against_reference = np.all(np.isclose(views, alone), axis=1)
    assert 0 < against_reference.mean() < 0.5  # some clips are read against the average speaker (none heard)
    assert np.abs(views[~against_reference & (speakers == "b")]).mean() < np.abs(alone[speakers == "b"]).mean()


def test_train_voice_holds_out_speakers_resumes_and_exports_a_model_the_app_reads(tmp_path, monkeypatch,
                                                                                  keep_keras_policy):
    from emotion.cli import build_parser
    from emotion.train.voice import train_voice

    monkeypatch.chdir(tmp_path)  # the feature cache goes to ./.cache
    data = _fake_corpora(tmp_path / "voice")
    run, out = tmp_path / "run", tmp_path / "voice.keras"

    def args(epochs: int) -> argparse.Namespace:
        return build_parser().parse_args(
            ["train", "voice", "--data", str(data), "--run", str(run), "--out", str(out), "--epochs", str(epochs),
             "--batch-size", "8", "--held-out", "emodb", "--choice", "ravdess:17", "--warmup-epochs", "1",
             "--workers", "1", "--members", "2"])

    train_voice(args(1))
    result = train_voice(args(2))  # resumes for one more epoch
    for member in ("member0", "member1"):  # each member trained from its own seed, each resumed
        assert [h["epoch"] for h in json.loads((run / member / "state.json").read_text())["history"]] == [1, 2]
    assert result["held_out"]["all"]["n"] == 6 and set(result["held_out"]) == {"all", "emodb", "predictions", "adapted"}
    assert result["held_out"]["adapted"]["all"]["n"] == 6
    assert result["choice"]["all"]["n"] == 3
    assert {row[1] for row in result["held_out"]["predictions"]} == {"emodb:03", "emodb:08"}
    assert json.loads((run / "final.json").read_text())["held_out"]["all"]["n"] == 6

    import keras

    from emotion.audio import load_audio
    from emotion.voice import ENCODER_SHARE, MEL_SHARE, WINDOW, VoiceModel, log_mel_window

    x = np.random.default_rng(0).normal(size=(4, N_FEATURES)).astype(np.float32)
    members = [keras.models.load_model(run / m / "checkpoint.keras").predict(x, verbose=0)
               for m in ("member0", "member1")]
    assert not np.allclose(members[0], members[1], atol=1e-3)  # two seeds, two different models ...
    exported = keras.models.load_model(out)
    assert {w.dtype for w in exported.weights} == {"float16", "float32"}  # hidden layers stored in float16
    probs = np.asarray(exported.predict(x, verbose=0), np.float32)
    assert np.allclose(probs, np.mean(members, axis=0), atol=5e-3)  # ... averaged in the exported one
    assert [h["epoch"] for h in json.loads((run / "mel" / "state.json").read_text())["history"]] == [1, 2]
    model = VoiceModel(out)
    assert model.mel_model is not None  # the log-mel reader, exported beside the model
    reading = model.read(load_audio(FIXTURES / "happy.flac"))
    assert reading.has_speech and reading.probs.shape == (7,) and np.isclose(reading.probs.sum(), 1, atol=1e-3)
    audio = load_audio(FIXTURES / "happy.flac")
    heard = model.listen(audio)
    assert heard.mel_probs.shape == (len(heard.features), 7) and np.allclose(heard.mel_probs.sum(1), 1, atol=1e-4)
    np.testing.assert_allclose(model.read_mels([audio[:WINDOW]]), model.predict_mels(log_mel_window(audio[:WINDOW])),
                               atol=1e-6)
    both = model.read_features(heard.features, mel_probs=heard.mel_probs)
    alone = model.read_features(heard.features)
    assert np.allclose(both, (1 - MEL_SHARE) * alone + MEL_SHARE * heard.mel_probs, atol=1e-6)
    assert not np.allclose(both, alone, atol=1e-4)
    # the encoder reader, fitted beside the model on the pretrained encoder, reads every window too
    assert model.encoder_model is not None
    assert heard.encoder_probs.shape == (len(heard.features), 7)
    assert np.allclose(heard.encoder_probs.sum(1), 1, atol=1e-4)
    every = model.read_features(heard.features, mel_probs=heard.mel_probs, encoder_probs=heard.encoder_probs)
    assert np.allclose(every, (1 - MEL_SHARE - ENCODER_SHARE) * alone + MEL_SHARE * heard.mel_probs
                       + ENCODER_SHARE * heard.encoder_probs, atol=1e-6)
    assert np.allclose(model.read_heard(heard).probs, model.calibration.apply(
        (every * heard.weights[:, None]).sum(0) / heard.weights.sum()), atol=1e-5)
    trained_on = {EMOTIONS.index(e) for e in RAVDESS_CODE}  # the fake corpora hold three emotions
    assert set(heard.encoder_probs.argmax(1)) <= trained_on
    assert heard.encoder_probs[:, [i for i in range(7) if i not in trained_on]].max() < 1e-6

    # "adapted": each held-out speaker heard once, whole, then each of its clips read against it
    held = [c for c in collect_clips(data) if c.corpus == "emodb"]
    heard = [model.listen(load_audio(c.path)) for c in held]
    speakers = {s: model.new_speaker() for s in {c.speaker for c in held}}
    for c, h in zip(held, heard):
        speakers[c.speaker].hear(h.features)
    expected = {Path(c.path).name: model.read_heard(h, speakers[c.speaker], learn=False).probs
                for c, h in zip(held, heard)}
    for name, _, _, _, probs in result["held_out"]["adapted"]["predictions"]:
        assert np.allclose(probs, expected[name], atol=1e-4)


def test_noise_is_added_at_5_to_20_db_below_the_speech_and_the_same_for_the_same_draw():
    from emotion.train.voice_features import with_noise

    speech = np.sin(np.linspace(0, 2000, 16000)).astype(np.float32) * 0.3
    snrs = []
    for seed in range(20):
        noisy = with_noise(speech, np.random.default_rng(seed))
        assert noisy.dtype == np.float32 and noisy.shape == speech.shape
        assert np.array_equal(noisy, with_noise(speech, np.random.default_rng(seed)))
        noise = noisy.astype(np.float64) - speech
        snrs.append(10 * np.log10(np.mean(speech.astype(np.float64) ** 2) / np.mean(noise ** 2)))
    assert 5 - 1e-3 <= min(snrs) and max(snrs) <= 20 + 1e-3 and max(snrs) - min(snrs) > 5


def test_a_room_copy_rings_on_after_the_sound_at_the_same_loudness_and_the_same_for_the_same_draw():
    from emotion.train.voice_features import in_a_room

    click = np.zeros(16000, np.float32)
    click[1000] = 1.0
    tails = []
    for seed in range(10):
        heard = in_a_room(click, np.random.default_rng(seed))
        assert heard.dtype == np.float32 and heard.shape == click.shape
        assert np.array_equal(heard, in_a_room(click, np.random.default_rng(seed)))
        assert np.isclose(np.mean(heard.astype(np.float64) ** 2), np.mean(click ** 2), rtol=1e-3)
        assert np.argmax(np.abs(heard)) == 1000  # the direct sound first, then the echo
        energy = np.cumsum(heard.astype(np.float64)[1000:] ** 2)
        tails.append(np.searchsorted(energy, 0.999 * energy[-1]) / 16000)  # when 99.9% of it has arrived
    assert 0.05 < min(tails) and max(tails) < 0.85 and max(tails) - min(tails) > 0.1  # RT60 0.2-0.8 s


def test_a_speed_copy_moves_the_pitch_and_the_length_by_one_factor_at_the_same_loudness():
    from emotion.train.voice_features import at_speed

    rate = 16000
    tone = (0.3 * np.sin(2 * np.pi * 200 * np.arange(rate) / rate)).astype(np.float32)
    factors = []
    for seed in range(20):
        heard = at_speed(tone, np.random.default_rng(seed))
        assert heard.dtype == np.float32
        assert np.array_equal(heard, at_speed(tone, np.random.default_rng(seed)))
        pitch = np.fft.rfftfreq(len(heard), 1 / rate)[np.abs(np.fft.rfft(heard)).argmax()]
        factor = len(tone) / len(heard)  # faster is shorter
        assert abs(pitch / 200 - factor) < 0.01  # and higher by as much
        assert np.isclose(np.mean(heard.astype(np.float64) ** 2), np.mean(tone.astype(np.float64) ** 2), rtol=0.01)
        factors.append(factor)
    assert all(0.86 <= f <= 0.96 or 1.04 <= f <= 1.16 for f in factors)  # 5-15% faster or slower, never as is
    assert min(factors) < 1 < max(factors)


def test_an_opus_copy_keeps_the_voice_its_pitch_length_and_loudness_and_the_same_for_the_same_draw():
    from emotion.train.voice_features import through_opus

    rate = 16000
    t = np.arange(rate) / rate
    voice = (0.2 * np.sin(2 * np.pi * 220 * t) * (1 + 0.5 * np.sin(2 * np.pi * 3 * t))).astype(np.float32)
    for seed in range(3):
        heard = through_opus(voice, np.random.default_rng(seed))
        assert heard.dtype == np.float32 and abs(len(heard) - len(voice)) <= rate // 50 * 2
        assert np.array_equal(heard, through_opus(voice, np.random.default_rng(seed)))
        pitch = np.fft.rfftfreq(len(heard), 1 / rate)[np.abs(np.fft.rfft(heard)).argmax()]
        assert abs(pitch - 220) < 3
        assert np.isclose(np.sqrt(np.mean(heard.astype(np.float64) ** 2)), np.sqrt(np.mean(voice ** 2.0)), rtol=0.15)
        assert not np.allclose(heard[: len(voice)], voice[: len(heard)], atol=1e-3)  # a lossy copy, not the clip


def test_noisy_copies_have_features_of_their_own_cached_apart_from_the_clean_ones(tmp_path, monkeypatch):
    from emotion.train import voice_features

    monkeypatch.chdir(tmp_path)
    clips = collect_clips(_fake_corpora(tmp_path / "voice"), ("emodb",))
    clean = voice_features.clip_functionals(clips, workers=1)
    noisy = voice_features.clip_functionals(clips, workers=1, copy="noisy")
    assert clean.shape == noisy.shape == (len(clips), N_FEATURES) and np.isfinite(noisy).all()
    assert not np.allclose(clean, noisy, rtol=0.05)  # the noise changes what the model hears
    assert voice_features.cache_file(clips).exists() and voice_features.cache_file(clips, "noisy").exists()

    def never(job):
        raise AssertionError("recomputed a cached feature")

    monkeypatch.setattr(voice_features, "_clip_functionals", never)
    assert np.array_equal(voice_features.clip_functionals(clips, workers=1, copy="noisy"), noisy)


def test_noisy_room_and_speed_copies_add_to_what_the_trainer_learns_from(tmp_path, monkeypatch):
    from emotion.cli import build_parser
    from emotion.train import voice
    from emotion.train.voice_features import COPIES, COPY_HELP

    assert set(COPY_HELP) == set(COPIES) - {"clean"}  # every copy has an option, every option a copy

    seen = {}

    def stop(x, speakers, prior):  # the trainer's inputs, caught where the reference is fitted
        seen.update(x=x, speakers=speakers)
        raise KeyboardInterrupt

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(voice.VoiceReference, "fit", stop)
    data = _fake_corpora(tmp_path / "voice")
    for flags, copies in ((["--no-noisy-copy", "--no-room-copy", "--no-opus-copy"], 1),
                          (["--no-room-copy", "--no-opus-copy"], 2), (["--no-opus-copy"], 3), ([], 4),
                          (["--speed-copy"], 5)):
        args = build_parser().parse_args(["train", "voice", "--data", str(data), "--run", str(tmp_path / "run"),
                                          "--held-out", "ravdess:1-2+tess+urdu", "--workers", "1", *flags])
        with pytest.raises(KeyboardInterrupt):
            voice.train_voice(args)
        x, speakers = seen["x"], seen["speakers"]
        assert len(x) == 9 * copies  # RAVDESS actor 17 and EmoDB's two speakers, 3 clips each
        assert sorted(set(speakers)) == ["emodb:03", "emodb:08", "ravdess:17"]
        for k in range(1, copies):  # the same clips again, from the same speakers, heard through noise or a room
            assert list(speakers[:9]) == list(speakers[9 * k:9 * k + 9])
            assert not np.allclose(x[:9], x[9 * k:9 * k + 9], rtol=0.05)
        if copies >= 3:
            assert not np.allclose(x[9:18], x[18:27], rtol=0.05)


def test_sample_weights_balance_the_emotions_and_with_speaker_power_the_speakers():
    from emotion.train.voice import sample_weights

    rng = np.random.default_rng(0)
    y = rng.integers(0, len(EMOTIONS), 600)
    speakers = np.where(np.arange(600) < 400, "big", rng.choice(["a", "b", "c"], 600))  # one speaker has most clips
    for power in (0.0, 0.5, 1.0):
        w = sample_weights(y, speakers, power)
        assert w.dtype == np.float32 and np.isclose(w.mean(), 1.0)
        per_emotion = np.bincount(y, weights=w, minlength=len(EMOTIONS))
        assert np.allclose(per_emotion, per_emotion[0], rtol=1e-5)  # every emotion weighs the same
    plain = sample_weights(y, speakers)
    counts = np.bincount(y, minlength=len(EMOTIONS))
    assert np.allclose(plain, len(y) / (len(EMOTIONS) * counts[y]))  # p = 0: emotion balance alone
    share = [sample_weights(y, speakers, p)[speakers == "big"].sum() / len(y) for p in (0.0, 0.5, 1.0)]
    assert share[0] > share[1] > share[2]  # the speaker with most clips counts less and less


def test_mixup_blends_each_row_mostly_with_itself_and_its_target_and_weight_alike():
    from emotion.train.voice import mixed

    rng = np.random.default_rng(1)
    views = np.eye(200, dtype=np.float32)  # row i is the unit vector i: a blend shows which rows it came from
    y = rng.integers(0, len(EMOTIONS), 200)
    targets = np.eye(len(EMOTIONS), dtype=np.float32)[y]
    weights = rng.uniform(0.5, 2.0, 200).astype(np.float32)
    x2, t2, w2 = mixed(views, targets, weights, 0.4, np.random.default_rng(2))
    blended = 0
    for i in range(200):
        share = x2[i, i]
        others = [j for j in np.flatnonzero(x2[i] > 1e-6) if j != i]
        assert share >= 0.5 - 1e-6 and len(others) <= 1  # mostly itself, with at most one other row
        if others:
            j = others[0]
            blended += 1
            assert np.isclose(x2[i, j], 1 - share, atol=1e-6)
            assert np.allclose(t2[i], share * targets[i] + (1 - share) * targets[j], atol=1e-6)
            assert np.isclose(w2[i], share * weights[i] + (1 - share) * weights[j], atol=1e-5)
    assert blended > 150  # almost every row is blended (Beta(0.4, 0.4) rarely gives exactly 1)


def test_a_missing_corpus_is_named(tmp_path):
    root = _fake_corpora(tmp_path / "voice")
    shutil.rmtree(root / "urdu")
    with pytest.raises(FileNotFoundError, match="urdu not found under"):
        collect_clips(root)
    assert {c.corpus for c in collect_clips(root, ("ravdess", "emodb"))} == {"ravdess", "emodb"}


def test_without_a_reader_no_reader_of_an_older_run_is_left_beside_the_model(tmp_path, monkeypatch, keep_keras_policy):
    from emotion.cli import build_parser
    from emotion.train.voice import train_voice
    from emotion.voice import VoiceModel, encoder_path, mel_path

    monkeypatch.chdir(tmp_path)
    data = _fake_corpora(tmp_path / "voice")
    out = tmp_path / "voice.keras"
    mel_path(out).write_bytes(b"an older run's reader")
    train_voice(build_parser().parse_args(
        ["train", "voice", "--data", str(data), "--run", str(tmp_path / "run"), "--out", str(out), "--epochs", "1",
         "--batch-size", "8", "--held-out", "emodb", "--workers", "1", "--members", "1", "--no-mel-reader",
         "--no-noisy-copy", "--no-room-copy", "--no-opus-copy"]))
    assert not mel_path(out).exists() and VoiceModel(out).mel_model is None
    assert encoder_path(out).exists()  # the encoder reader is trained unless told not to
    train_voice(build_parser().parse_args(
        ["train", "voice", "--data", str(data), "--run", str(tmp_path / "run2"), "--out", str(out), "--epochs", "1",
         "--batch-size", "8", "--held-out", "emodb", "--workers", "1", "--members", "1", "--no-mel-reader",
         "--no-encoder-reader", "--no-noisy-copy", "--no-room-copy", "--no-opus-copy"]))
    assert not encoder_path(out).exists() and VoiceModel(out).encoder_model is None  # no stale reader left


def test_log_mel_training_windows_are_whole_changed_and_balanced_over_emotions():
    from emotion.train.voice_mel import changed, epoch_windows, random_window
    from emotion.voice import N_FRAMES, N_MELS, fit_frames

    rng = np.random.default_rng(0)
    short = rng.normal(-40, 10, (120, N_MELS)).astype(np.float32)
    assert fit_frames(short).shape == (N_FRAMES, N_MELS)
    np.testing.assert_array_equal(fit_frames(short)[120:240], short)  # a short clip is repeated to fill the window
    long = rng.normal(-40, 10, (900, N_MELS)).astype(np.float32)
    assert random_window(long, rng).shape == (N_FRAMES, N_MELS)
    x = np.stack([fit_frames(long)] * 8)
    moved = changed(x, rng)
    assert moved.shape == x.shape and not np.allclose(moved, x)
    assert abs(float(moved.mean() - x.mean())) < 3  # shifts, EQ and masks, not a new loudness
    # six clips of one emotion, two of another: drawn equally often all the same
    mels = [[long] * 8, [short] * 8]
    y = np.array([0] * 6 + [3] * 2)
    windows, labels = epoch_windows(mels, y, 4000, rng)
    assert windows.shape == (4000, N_FRAMES, N_MELS) and set(labels) == {0, 3}
    assert 0.45 < np.mean(labels == 3) < 0.55


def test_the_log_mel_reader_reads_a_window_into_probabilities_whatever_its_loudness(keep_keras_policy):
    from emotion.train.voice_mel import build_mel_model
    from emotion.voice import N_FRAMES, N_MELS

    model = build_mel_model(width=16)
    x = np.random.default_rng(1).normal(-40, 10, (3, N_FRAMES, N_MELS)).astype(np.float32)
    probs = model.predict(x, verbose=0)
    assert probs.shape == (3, len(EMOTIONS)) and np.allclose(probs.sum(1), 1, atol=1e-5)
    np.testing.assert_allclose(model.predict(x + 20, verbose=0), probs, atol=1e-4)  # each window standardised


def test_the_encoder_reader_can_also_learn_from_the_noisy_room_and_opus_copies(tmp_path, monkeypatch,
                                                                                keep_keras_policy):
    """`--encoder-copies` fits the reader on the windows of every copy the network learns from, not just the
    clips as recorded: each copy's statistics are cached, and the reader comes out different."""
    from emotion.runtime import load_float32
    from emotion.train import voice_encoder_reader
    from emotion.voice import encoder_path

    monkeypatch.chdir(tmp_path)  # the statistics cache goes to ./.cache
    data = _fake_corpora(tmp_path / "voice")
    kernels = {}
    for flag in ("--no-encoder-copies", "--encoder-copies"):
        out = tmp_path / flag.strip("-") / "voice.keras"
        out.parent.mkdir()
        monkeypatch.setattr(sys, "argv", ["reader", "--model", str(out), "--data", str(data), "--held-out", "emodb",
                                          "--workers", "1", flag])
        assert voice_encoder_reader.main() == 0
        kernels[flag] = load_float32(encoder_path(out)).get_layer("emotion").get_weights()[0]
        cached = sorted(p.name.rsplit("_", 1)[0] for p in Path(".cache").glob("voiceenc*"))
        assert cached == (["voiceenc"] if flag == "--no-encoder-copies"
                          else ["voiceenc", "voiceenc_noisy", "voiceenc_opus", "voiceenc_room"])
    assert kernels["--encoder-copies"].shape == kernels["--no-encoder-copies"].shape
    assert not np.allclose(kernels["--encoder-copies"], kernels["--no-encoder-copies"], atol=1e-4)
