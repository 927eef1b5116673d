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


def test_probability_bars_built_from_their_template_are_what_plotly_validates_and_each_keeps_its_values():
    import plotly.graph_objects as go

    first = plots.probability_bars([0.1, 0, 0, 0.9, 0, 0, 0], title="Face", height=230)
    second = plots.probability_bars([0, 0, 0, 0, 0, 1.0, 0], title="Face", height=230)
    validated = go.Figure(first.to_plotly_json())  # raises on anything plotly does not accept
    assert validated.to_plotly_json() == first.to_plotly_json()
    assert list(first.data[0].text) == ["10%", "0%", "0%", "90%", "0%", "0%", "0%"]  # not the later call's values
    assert list(second.data[0].x) == [0, 0, 0, 0, 0, 1.0, 0]
    assert first.layout.height == 230 and first.layout.title.text == "Face"
    assert plots.probability_bars([1 / 7] * 7).layout.title.text is None


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
            for t, f, v in [(0, "happy", "no speech"), (1, "happy", "no speech"), (2, "sad", "angry"),
                            (3, "sad", "angry")]]
    fig = plots.timeline(rows, ("face", "voice"))
    bars = sorted((y, base, width, b.name) for b in fig.data for y, base, width in zip(b.y, b.base, b.x))
    assert bars == [("Face", 0, 2, "happy"), ("Face", 2, 2, "sad"), ("Voice", 0, 2, "no speech"),
                    ("Voice", 2, 2, "angry")]
    assert sorted(b.name for b in fig.data) == sorted({"happy", "sad", "no speech", "angry"})  # one legend entry each


def test_a_long_flickering_timeline_stays_one_trace_per_label():
    """An hour of labels changing every second: the figure must not grow a trace per change (it did, and
    building it took seconds every refresh of the live page)."""
    labels = ["happy", "sad", "angry"]
    rows = [{"time_s": t, "face": labels[t % 3], "voice": labels[(t + 1) % 3]} for t in range(3600)]
    fig = plots.timeline(rows, ("face", "voice"))
    assert len(fig.data) == 3
    assert sum(len(b.x) for b in fig.data) == 2 * 3600
    assert sorted(set(fig.data[0].y)) == ["Face", "Voice"]


def test_timeline_of_nothing_is_an_empty_figure():
    assert len(plots.timeline([], ("face",)).data) == 0


def test_room_timeline_stacks_the_share_of_faces_per_emotion():
    rows = [{"time_s": 0, "faces": 4, "room_happy": 3, "room_sad": 1},
            {"time_s": 1, "faces": 2, "room_happy": 1, "room_sad": 1},
            {"time_s": 2, "faces": 0}]  # nobody in view: the stack drops to zero
    fig = plots.room_timeline(rows)
    traces = {t.name: t for t in fig.data}
    assert list(traces) == ["happy", "sad"]  # only the emotions the room showed, in EMOTIONS order
    assert list(traces["happy"].y) == [0.75, 0.5, 0.0, 0.0] and list(traces["sad"].y) == [0.25, 0.5, 0.0, 0.0]
    assert list(traces["happy"].x) == [0, 1, 2, 3]  # the last reading lasts a step, as in the label timeline
    assert list(traces["happy"].customdata) == [3, 1, 0, 0]
    assert all(t.stackgroup == "room" and t.fillcolor == hex_colour(t.name) for t in fig.data)
    shares = plots.room_shares(rows)
    assert set(shares) == set(EMOTIONS) and [sum(s[i] for s in shares.values()) for i in range(3)] == [1, 1, 0]
    assert len(plots.room_timeline([]).data) == 0


def test_reliability_diagram_has_a_bar_per_bin_and_the_diagonal():
    from emotion.calibration import reliability

    probs = np.array([[0.9] + [0.1 / 6] * 6, [0.9] + [0.1 / 6] * 6, [0.4, 0.3, 0.3, 0, 0, 0, 0]])
    table = reliability(probs, np.array([0, 1, 0]))
    fig = plots.reliability_diagram(table)
    bars, gaps, diagonal = fig.data
    assert len(bars.x) == len(table) == 2
    np.testing.assert_allclose(bars.y, [1.0, 0.5])  # 40% sure: right; 90% sure: right once in two
    np.testing.assert_allclose(np.add(gaps.base, gaps.y), [0.4, 0.9], atol=1e-4)  # each gap ends at the confidence
    assert list(diagonal.x) == [0, 1] and list(diagonal.y) == [0, 1]
    assert len(plots.reliability_diagram([]).data) == 1  # no items: the diagonal alone
