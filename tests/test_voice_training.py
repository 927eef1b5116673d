"""Voice training: corpora and speaker splits, log-mel-domain windows, class balance, and a tiny end-to-end run."""
from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from emotion.train.voice_corpora import collect_clips, parse_speakers, split_clips
from emotion.train.voice_windows import MelAugment, add_noise_db, batches, fit_frames, sampling_weights
from emotion.voice import N_FRAMES, N_MELS

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


def test_fit_frames_repeats_a_short_spectrogram_and_cuts_a_long_one():
    short = np.arange(5 * N_MELS, dtype=np.float32).reshape(5, N_MELS)
    out = fit_frames(short, 3)
    assert out.shape == (N_FRAMES, N_MELS) and np.array_equal(out[5:10], short)
    long = np.random.default_rng(0).normal(size=(400, N_MELS))
    assert np.array_equal(fit_frames(long, 50), long[50:50 + N_FRAMES])


def test_mel_augment_without_changes_is_identity_and_shift_moves_bands():
    x = np.random.default_rng(0).normal(-40, 10, (3, N_FRAMES, N_MELS)).astype(np.float32)
    none = MelAugment(mel_shift=0.0, p_eq=0, p_noise=0, p_mask=0)
    np.testing.assert_array_equal(none.change(x, np.random.default_rng(1)), x)
    ramp = np.tile(np.arange(N_MELS, dtype=np.float32), (1, N_FRAMES, 1))
    shifted = MelAugment(mel_shift=2.0, p_eq=0, p_noise=0, p_mask=0).change(ramp, np.random.default_rng(2))
    step = shifted[0, 0, 10] - ramp[0, 0, 10]
    assert 0.05 < abs(step) <= 2.0 and np.allclose(shifted[0, :, 10:50] - ramp[0, :, 10:50], step, atol=1e-4)


def test_noise_in_the_log_mel_domain_raises_quiet_bands_and_keeps_loud_ones():
    x = np.full((1, N_FRAMES, N_MELS), -80.0, np.float32)
    x[0, :, :10] = -10.0  # loud low bands, silence elsewhere
    noisy = add_noise_db(x, np.random.default_rng(0), np.array([20.0]))
    assert noisy[0, :, 30:].mean() > -60  # the silent bands now hold noise
    assert abs(noisy[0, :, :10].mean() - (-10.0)) < 0.5  # the speech is 20 dB above it: nearly unchanged


def test_class_balance_draws_every_emotion_equally_and_speaker_balance_tames_big_speakers():
    labels = ["sad"] * 10 + ["happy"] * 90
    w = sampling_weights(labels, ["a"] * 100, "class")
    assert np.isclose(w[:10].sum(), 0.5) and np.isclose(w[10:].sum(), 0.5)
    speakers = ["big"] * 90 + ["small"] * 10
    w = sampling_weights(["x"] * 100, speakers, "class+speaker")
    assert np.isclose(w[90:].sum() / w[:90].sum(), np.sqrt(10) / np.sqrt(90))  # 1:3 instead of 1:9 by clips
    assert np.allclose(sampling_weights(labels, speakers, "none"), 0.01)


def test_batches_are_model_sized_float32_windows_with_labels_drawn_by_weight():
    rng = np.random.default_rng(0)
    mels = [rng.normal(-40, 10, (int(n), N_MELS)).astype(np.float16) for n in rng.integers(50, 500, 20)]
    labels = np.array([0] * 10 + [5] * 10)
    weights = np.array([0.0] * 10 + [0.1] * 10)
    x, y = next(batches([mels], labels, weights, 16, MelAugment(), seed=3))
    assert x.shape == (16, N_FRAMES, N_MELS, 1) and x.dtype == np.float32 and np.isfinite(x).all()
    assert set(y.tolist()) == {5}


def test_utterance_norm_removes_each_bands_average():
    from emotion.layers import UtteranceNorm

    rng = np.random.default_rng(0)
    x = rng.normal(0, 3, (2, N_FRAMES, N_MELS, 1)).astype(np.float32)
    tilt = np.linspace(-30, 10, N_MELS, dtype=np.float32)[None, None, :, None]  # a microphone's colour
    a, b = np.asarray(UtteranceNorm()(x)), np.asarray(UtteranceNorm()(x + tilt))
    np.testing.assert_allclose(a, b, atol=1e-4)
    assert np.allclose(a.mean(axis=1), 0, atol=1e-4)


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
             "--batch-size", "8", "--held-out", "emodb", "--choice", "ravdess:17", "--warmup-epochs", "1"])

    train_voice(args(1))
    result = train_voice(args(2))  # resumes for one more epoch
    assert [h["epoch"] for h in json.loads((run / "state.json").read_text())["history"]] == [1, 2]
    assert result["held_out"]["all"]["n"] == 6 and set(result["held_out"]) == {"all", "emodb", "predictions"}
    assert result["choice"]["all"]["n"] == 3
    assert {row[1] for row in result["held_out"]["predictions"]} == {"emodb:03", "emodb:08"}
    assert json.loads((run / "final.json").read_text())["held_out"]["all"]["n"] == 6

    from emotion.audio import load_audio
    from emotion.voice import VoiceModel

    reading = VoiceModel(out).read(load_audio(FIXTURES / "happy.flac"))
    assert reading.has_speech and reading.probs.shape == (7,) and np.isclose(reading.probs.sum(), 1, atol=1e-3)
