"""Plotly figures: probability bars, confusion matrices, a timeline of readings, the room over time, and the
reliability diagram."""
from __future__ import annotations

import copy
import functools
from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from .colours import hex_colour
from .labels import EMOTIONS

FONT = dict(size=14)
SERIES_NAMES = {"face": "Face", "voice": "Voice", "fused": "Face + voice"}


def probability_bars(probs: Sequence[float], title: str = "", height: int = 280) -> go.Figure:
    """Horizontal bars, one per emotion (in EMOTIONS order, top to bottom), 0-100%.

    The Live page draws two of these every second in every session, so the validated figure is built once per
    title and height (`_bars_template`) and each call only puts its values in, unvalidated."""
    values = np.asarray(probs, float)
    spec = copy.deepcopy(_bars_template(title, height))
    spec["data"][0].update(x=values.tolist(), text=[f"{v:.0%}" for v in values])
    return go.Figure(spec, _validate=False)


@functools.lru_cache(maxsize=16)
def _bars_template(title: str, height: int) -> dict:
    """The probability bars of `probability_bars` without their values, as a plotly JSON dict."""
    fig = go.Figure(go.Bar(
        x=[0.0] * len(EMOTIONS), y=list(EMOTIONS), orientation="h",
        marker_color=[hex_colour(e) for e in EMOTIONS],
        text=[""] * len(EMOTIONS), textposition="outside", cliponaxis=False,
        hovertemplate="%{y}: %{x:.1%}<extra></extra>"))
    fig.update_layout(title=title or None, height=height, margin=dict(l=10, r=40, t=40 if title else 10, b=10),
                      font=FONT, showlegend=False, bargap=0.25)
    fig.update_xaxes(range=[0, 1.15], tickformat=".0%", showgrid=True, fixedrange=True)
    fig.update_yaxes(autorange="reversed", fixedrange=True)
    return fig.to_plotly_json()


def confusion_heatmap(confusion: Sequence[Sequence[int]], labels: Sequence[str], normalise: bool = False,
                      title: str = "") -> go.Figure:
    """Confusion matrix (rows = true label, columns = predicted) with counts, or row percentages.

    Row-normalised cells show the share of each true class given each prediction (the diagonal is
    the recall); rows with no items stay at zero.
    """
    counts = np.asarray(confusion, float).reshape(len(labels), len(labels))
    if normalise:
        totals = counts.sum(axis=1, keepdims=True)
        z = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)
        text = [[f"{v:.0%}" for v in row] for row in z]
        hover = "true %{y}, predicted %{x}: %{z:.1%}<extra></extra>"
    else:
        z = counts
        text = [[f"{int(v)}" for v in row] for row in z]
        hover = "true %{y}, predicted %{x}: %{z:d}<extra></extra>"
    fig = go.Figure(go.Heatmap(z=z, x=list(labels), y=list(labels), text=text, texttemplate="%{text}",
                               colorscale="Blues", hovertemplate=hover, showscale=False,
                               zmin=0, zmax=1 if normalise else max(1.0, float(z.max()))))
    side = 120 + 60 * len(labels)
    fig.update_layout(title=title or None, height=side, margin=dict(l=10, r=10, t=40 if title else 10, b=10),
                      font=FONT)
    fig.update_xaxes(title="predicted", side="bottom", type="category")
    fig.update_yaxes(title="true", autorange="reversed", type="category")
    return fig


def _segments(times: list[float], labels: list[str]) -> list[tuple[float, float, str]]:
    """Runs of equal labels as (start, end, label); each reading lasts until the next one."""
    if not times:
        return []
    step = float(np.median(np.diff(times))) if len(times) > 1 else 1.0
    ends = times[1:] + [times[-1] + step]
    out: list[tuple[float, float, str]] = []
    for start, end, label in zip(times, ends, labels):
        if out and out[-1][2] == label and abs(out[-1][1] - start) < 1e-9:
            out[-1] = (out[-1][0], end, label)
        else:
            out.append((start, end, label))
    return out


def timeline(rows: Sequence[dict], series: Sequence[str] = ("face", "voice"), title: str = "") -> go.Figure:
    """One coloured strip per series (face, voice, fused) showing its label over time.

    `rows` are session-log / timeline rows with "time_s" and a label column per series. One bar trace per
    label holds all of that label's stretches, so a long session with many changes stays a small figure.
    """
    times = [float(r["time_s"]) for r in rows]
    names = [SERIES_NAMES.get(s, s) for s in series]
    bars: dict[str, list[tuple[str, float, float]]] = {}  # label -> (series name, start, end), in first-seen order
    for name, key in zip(names, series):
        for start, end, label in _segments(times, [str(r.get(key, "")) for r in rows]):
            bars.setdefault(label, []).append((name, start, end))
    fig = go.Figure()
    for label, stretches in bars.items():
        ys, starts, ends = zip(*stretches)
        fig.add_trace(go.Bar(
            x=[e - s for s, e in zip(starts, ends)], base=list(starts), y=list(ys), customdata=list(ends),
            orientation="h", name=label, marker_color=hex_colour(label), marker_line_width=0,
            hovertemplate=f"%{{y}}: {label}<br>%{{base:.1f}}-%{{customdata:.1f}} s<extra></extra>"))
    fig.update_layout(title=title or None, barmode="overlay", height=110 + 45 * len(series),
                      margin=dict(l=10, r=10, t=40 if title else 10, b=10), font=FONT, bargap=0.2,
                      legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0, traceorder="normal"))
    fig.update_xaxes(title="seconds", rangemode="tozero")
    fig.update_yaxes(categoryorder="array", categoryarray=list(reversed(names)))
    return fig


def room_shares(rows: Sequence[dict]) -> dict[str, list[float]]:
    """Per emotion, the share of the faces in view showing it in each row (0 in rows with no face).

    `rows` are session-log / timeline rows with "faces" and a `room_<emotion>` count per emotion.
    """
    faces = [int(r.get("faces") or 0) for r in rows]
    return {e: [(r.get(f"room_{e}") or 0) / n if n else 0.0 for r, n in zip(rows, faces)] for e in EMOTIONS}


def room_timeline(rows: Sequence[dict], title: str = "") -> go.Figure:
    """The room over time: stacked areas, one per emotion, each the share of the faces in view showing it.

    Each reading lasts until the next (steps); where no face is in view the stack drops to zero.
    """
    times = [float(r["time_s"]) for r in rows]
    if times:  # the last reading lasts one step too, as in `timeline`
        times.append(times[-1] + (float(np.median(np.diff(times))) if len(times) > 1 else 1.0))
    fig = go.Figure()
    for emotion, shares in room_shares(rows).items():
        if any(shares):
            counts = [r.get(f"room_{emotion}") or 0 for r in rows]
            fig.add_trace(go.Scatter(
                x=times, y=shares + shares[-1:], customdata=counts + counts[-1:], name=emotion, mode="lines",
                stackgroup="room",
                line=dict(width=0.5, color=hex_colour(emotion), shape="hv"), fillcolor=hex_colour(emotion),
                hovertemplate=f"{emotion}: %{{y:.0%}} of the faces (%{{customdata}})<br>%{{x:.1f}} s<extra></extra>"))
    fig.update_layout(title=title or None, height=260, margin=dict(l=10, r=10, t=40 if title else 10, b=10),
                      font=FONT, legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0, traceorder="normal"),
                      hovermode="x unified")
    fig.update_xaxes(title="seconds", rangemode="tozero")
    fig.update_yaxes(title="share of faces", range=[0, 1], tickformat=".0%", fixedrange=True)
    return fig


def reliability_diagram(table: Sequence[dict], title: str = "") -> go.Figure:
    """How sure against how often right: one bar per confidence bin (height: the share of its items whose top
    label was right), a red stretch from there to the bin's mean confidence (the gap, which the ECE averages),
    and the diagonal a perfectly calibrated model would follow.

    `table` is `calibration.reliability`'s: rows with low, high, confidence, accuracy, count.
    """
    fig = go.Figure()
    if table:
        x = [(r["low"] + r["high"]) / 2 for r in table]
        width = [(r["high"] - r["low"]) * 0.92 for r in table]
        info = [[r["low"], r["high"], r["confidence"], r["count"], r["accuracy"]] for r in table]
        fig.add_trace(go.Bar(
            x=x, y=[r["accuracy"] for r in table], width=width, name="how often right", customdata=info,
            marker_color="#1F77B4",
            hovertemplate="%{customdata[0]:.0%}-%{customdata[1]:.0%} sure (mean %{customdata[2]:.0%}): "
                          "right %{y:.0%} of the time, %{customdata[3]} items<extra></extra>"))
        fig.add_trace(go.Bar(
            x=x, y=[r["confidence"] - r["accuracy"] for r in table], base=[r["accuracy"] for r in table],
            width=width, name="gap to how sure it was", customdata=info,
            marker=dict(color="rgba(214, 39, 40, 0.25)", line=dict(color="#D62728", width=1)),
            hovertemplate="said %{customdata[2]:.0%}, right %{customdata[4]:.0%} of the time "
                          "(%{customdata[3]} items)<extra></extra>"))
    fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="perfectly calibrated",
                             line=dict(color="#7F7F7F", dash="dash"), hoverinfo="skip"))
    fig.update_layout(title=title or None, height=320, margin=dict(l=10, r=10, t=40 if title else 10, b=10),
                      font=FONT, bargap=0, barmode="overlay",
                      legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0))
    fig.update_xaxes(title="how sure the model was (top label)", range=[0, 1], tickformat=".0%", fixedrange=True)
    fig.update_yaxes(title="how often it was right", range=[0, 1], tickformat=".0%", fixedrange=True)
    return fig
