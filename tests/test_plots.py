"""Plotly figures: what they show, not how they look."""
from __future__ import annotations

import numpy as np
import pytest

from emotion import plots
from emotion.colours import hex_colour
from emotion.labels import EMOTIONS


def test_probability_bars_show_each_emotion_in_order_with_its_colour():
    probs = np.array([0.05, 0.05, 0.1, 0.5, 0.1, 0.1, 0.1])
    fig = plots.probability_bars(probs)
    bar = fig.data[0]
    assert list(bar.y) == list(EMOTIONS)
    np.testing.assert_allclose(bar.x, probs)
    assert list(bar.text)[3] == "50%"
    assert list(bar.marker.color) == [hex_colour(e) for e in EMOTIONS]


def test_confusion_heatmap_counts_and_row_shares():
    labels = ["happy", "sad", "no face"]
    confusion = [[3, 1, 0], [0, 0, 0], [2, 2, 4]]
    counts = plots.confusion_heatmap(confusion, labels).data[0]
    np.testing.assert_array_equal(counts.z, confusion)
    assert counts.text[0] == ("3", "1", "0") or list(counts.text[0]) == ["3", "1", "0"]
    shares = plots.confusion_heatmap(confusion, labels, normalise=True).data[0]
    z = np.asarray(shares.z)
    np.testing.assert_allclose(z.sum(axis=1), [1, 0, 1])  # an empty row stays empty instead of dividing by 0
    assert z[0, 0] == pytest.approx(0.75) and list(shares.text[2]) == ["25%", "25%", "50%"]
    assert list(shares.x) == labels and list(shares.y) == labels


def test_timeline_merges_runs_and_lists_each_label_once():
    rows = [{"time_s": t, "face": f, "voice": v}
            for t, f, v in [(0, "happy", "no speech"), (1, "happy", "no speech"), (2, "sad", "angry"), (3, "sad", "angry")]]
    fig = plots.timeline(rows, ("face", "voice"))
    face = [(b.base[0], b.x[0], b.name) for b in fig.data if b.y[0] == "Face"]
    assert face == [(0, 2, "happy"), (2, 2, "sad")]
    voice = [(b.base[0], b.x[0], b.name) for b in fig.data if b.y[0] == "Voice"]
    assert voice == [(0, 2, "no speech"), (2, 2, "angry")]
    legend = [b.name for b in fig.data if b.showlegend]
    assert sorted(legend) == sorted({"happy", "sad", "no speech", "angry"})


def test_timeline_of_nothing_is_an_empty_figure():
    assert len(plots.timeline([], ("face",)).data) == 0
