"""The pretrained speaker encoder as the app runs it, and the encoder reader built on it."""
from __future__ import annotations

import numpy as np
import pytest

from emotion.audio import SAMPLE_RATE
from emotion.voice_encoder import LAYERS, N_BANDS, N_STATS, UNITS, encoder_frames


def _speech(seconds: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    return (0.1 * np.sin(2 * np.pi * 180 * t) * np.sin(2 * np.pi * 3 * t) ** 2
            + 0.01 * rng.normal(size=len(t))).astype(np.float32)


def test_encoder_frames_are_40_power_bands_every_10_ms_whatever_the_loudness():
    speech = _speech(2.0)
    frames = encoder_frames(speech)
    assert frames.shape == (201, N_BANDS) and frames.dtype == np.float32 and frames.min() >= 0
    np.testing.assert_allclose(encoder_frames(8 * speech), frames, rtol=1e-3, atol=1e-9)  # brought to one level
    assert np.all(encoder_frames(np.zeros(16000, np.float32)) == 0)  # silence stays silent, no division by zero


def test_mean_and_spread_are_taken_over_time():
    from emotion.layers import MeanAndSpread

    x = np.random.default_rng(0).normal(size=(2, 50, 3)).astype(np.float32)
    out = np.asarray(MeanAndSpread()(x))
    np.testing.assert_allclose(out, np.concatenate([x.mean(1), x.std(1)], -1), atol=1e-5)


def _numpy_lstm_statistics(lstms, frames: np.ndarray) -> np.ndarray:
    """An LSTM stack stepped by hand (gates input, forget, cell, output): the statistics build_encoder computes."""
    def sigmoid(z):
        return 1 / (1 + np.exp(-z))

    h_seq, stats = frames.astype(np.float64), []
    for layer in lstms:
        kernel, recurrent, bias = (np.asarray(w, np.float64) for w in layer.get_weights())
        h, c, out = np.zeros(UNITS), np.zeros(UNITS), []
        for x in h_seq:
            z = x @ kernel + h @ recurrent + bias
            i, f, g, o = sigmoid(z[:UNITS]), sigmoid(z[UNITS:2 * UNITS]), np.tanh(z[2 * UNITS:3 * UNITS]), \
                sigmoid(z[3 * UNITS:])
            c = f * c + i * g
            h = o * np.tanh(c)
            out.append(h)
        h_seq = np.array(out)
        stats += [h_seq.mean(0), h_seq.std(0)]
    return np.concatenate(stats)


@pytest.mark.trained
def test_the_committed_encoder_is_an_lstm_stack_whose_statistics_a_step_by_step_recurrence_repeats():
    from emotion.paths import VOICE_WEIGHTS
    from emotion.train.voice_encoder_reader import load_encoder
    from emotion.voice import encoder_path

    encoder = load_encoder(encoder_path(VOICE_WEIGHTS))
    assert encoder.output_shape == (None, N_STATS) and N_STATS == 2 * UNITS * LAYERS
    frames = encoder_frames(_speech(0.5))
    ours = np.asarray(encoder(frames[None]))[0]
    lstms = [encoder.get_layer(f"lstm_{k}") for k in range(LAYERS)]
    np.testing.assert_allclose(ours, _numpy_lstm_statistics(lstms, frames), atol=1e-4)
    assert ours.std() > 0.01  # pretrained weights, not zeros


@pytest.mark.trained
def test_the_encoder_reader_reads_each_window_alone_however_many_are_read_together(voice_model):
    from emotion.voice import N_FRAMES, encoder_window

    assert voice_model.encoder_model is not None
    windows = [_speech(3.0, seed) for seed in range(3)] + [_speech(1.2, 3)]
    assert all(encoder_window(w).shape == (N_FRAMES, N_BANDS) for w in windows)  # a short window is repeated
    together = voice_model.read_encoder(windows)  # 4 windows: one call
    one_by_one = np.concatenate([voice_model.read_encoder([w]) for w in windows])
    assert together.shape == (4, 7) and np.allclose(together.sum(1), 1, atol=1e-4)
    np.testing.assert_allclose(together, one_by_one, atol=1e-5)
    three = voice_model.read_encoder(windows[:3])  # padded to 4 inside: the padding reads nothing into them
    np.testing.assert_allclose(three, together[:3], atol=1e-5)


def test_the_readers_weigh_their_shares_and_the_functionals_network_the_rest():
    from emotion.voice import ENCODER_SHARE, MEL_SHARE, blended

    f, m, e = (np.eye(7, dtype=np.float32)[[k]] for k in (0, 1, 2))
    np.testing.assert_allclose(blended(f), f)
    np.testing.assert_allclose(blended(f, m)[0, :2], [1 - MEL_SHARE, MEL_SHARE])
    np.testing.assert_allclose(blended(f, None, e)[0, [0, 2]], [1 - ENCODER_SHARE, ENCODER_SHARE])
    np.testing.assert_allclose(blended(f, m, e)[0, :3], [1 - MEL_SHARE - ENCODER_SHARE, MEL_SHARE, ENCODER_SHARE])
    assert 0 < MEL_SHARE + ENCODER_SHARE < 1
