"""Showing an evaluation report: headline numbers, confusion matrices, per-class and per-group scores, mistakes,
downloads."""
from __future__ import annotations

import json
from typing import Callable

import numpy as np
import pandas as pd
import streamlit as st

from emotion import plots
from emotion.csv_out import csv_text
from emotion.evaluate import SMALL_GROUP
from emotion.images import ImageError, decode_image
from emotion.tables import class_table, group_table, mistakes, predictions_table
from ui.show import CHART_CONFIG, picture, plain

Reader = Callable[[str], tuple[str, bytes] | None]  # file name -> (kind, bytes), or None when unreadable
ECE_HELP = ("Expected calibration error: how far the confidence shown is from how often Moodlens is right, on "
            "average. 0% means that when it says 70%, it is right 70% of the time.")


def report(name: str, result: dict, read: Reader) -> None:
    """Metrics, confusion matrices, per-class scores, mistakes and downloads for one report."""
    if not result["n"]:
        st.error("No item could be scored (see the skipped files below).", icon="🚫")
    else:
        cols = iter(st.columns(5 if "ece" in result else 4))
        next(cols).metric("Accuracy", f"{result['accuracy']:.2%}")
        if "ece" in result:  # next to the accuracy: how far to trust the confidence shown
            next(cols).metric("Calibration error (ECE)", f"{result['ece']:.1%}", help=ECE_HELP)
        next(cols).metric("Macro F1", f"{result['macro_f1']:.3f}", help="The mean of the F1 scores of each true "
                          "class: rare classes count as much as common ones.")
        next(cols).metric("Items scored", result["n"])
        next(cols).metric("Skipped", len(result["skipped"]))
        counts_tab, share_tab = st.tabs(["Confusion matrix: counts", "Confusion matrix: share of each true class"])
        with counts_tab:
            st.plotly_chart(plots.confusion_heatmap(result["confusion"], result["labels"]), key=f"{name}-cm",
                            config=CHART_CONFIG, width=_matrix_width(result))
        with share_tab:
            st.plotly_chart(plots.confusion_heatmap(result["confusion"], result["labels"], normalise=True),
                            key=f"{name}-cmn", config=CHART_CONFIG, width=_matrix_width(result))
        st.caption("Rows are the true labels, columns what Moodlens said.")
        st.markdown("**Per class**")
        st.dataframe(class_table(result), width="content",
                     column_config={c: st.column_config.NumberColumn(format="%.3f")
                                    for c in ("precision", "recall", "f1")})
        _reliability(name, result)
        _groups(name, result)
        wrong = mistakes(result)
        if wrong:
            st.markdown("**Some mistakes**")
            _mistakes(wrong, read)
    if result["skipped"]:
        with st.expander(f"Skipped files ({len(result['skipped'])})"):
            st.dataframe(pd.DataFrame(result["skipped"]), hide_index=True)
    left, right = st.columns(2)
    left.download_button("Download every prediction (CSV)", csv_text(predictions_table(result)),
                         key=f"{name}-csv", file_name=f"moodlens-{name}-predictions.csv", mime="text/csv",
                         on_click="ignore", icon="⬇️")
    right.download_button("Download the full report (JSON)", json.dumps(result, indent=1), key=f"{name}-json",
                          file_name=f"moodlens-{name}-report.json", mime="application/json", on_click="ignore")


def _reliability(name: str, result: dict) -> None:
    """The reliability diagram: is Moodlens right as often as it says it is sure?"""
    if not result.get("reliability"):
        return
    st.markdown("**How sure, and how often right**")
    st.plotly_chart(plots.reliability_diagram(result["reliability"]), key=f"{name}-reliability", config=CHART_CONFIG)
    st.caption("Each bar gathers the items read with about the same confidence; its height is how often the top "
               "label was right, and the red stretch reaches up (or down) to how sure Moodlens was. Bars on the "
               "dashed line mean the confidence can be taken at its word; below it, Moodlens is surer than it "
               f"should be. Calibration error (ECE): {result['ece']:.1%}.")


def _groups(name: str, result: dict) -> None:
    """Each group's figures, the gap between the best and the worst, and a group's confusion matrix on demand.

    Group names are free text: they go into the table, the options and the plot, never into Markdown.
    """
    groups = result.get("groups")
    if not groups:
        return
    st.markdown("**Per group**")
    st.dataframe(group_table(result), hide_index=True, width="content",
                 column_config={"accuracy": st.column_config.NumberColumn(format="percent"),
                                "macro F1": st.column_config.NumberColumn(format="%.3f")})
    gap = result.get("group_gap")
    words = []
    if gap:
        words.append(f"The best group is **{gap['accuracy'] * 100:.1f} points** of accuracy ahead of the worst "
                     f"(macro F1 spread {gap['macro_f1']:.3f})."
                     + (" Their intervals overlap, so the gap may be chance: more items would tell." if gap["overlap"]
                        else ""))
    words.append(f"The 95% interval is where a group's true accuracy most likely lies: the fewer its items, the wider "
                 f"it is. Groups under {SMALL_GROUP} items are marked.")
    st.caption(" ".join(words))
    chosen = st.selectbox("Confusion matrix of one group", list(groups), index=None, placeholder="Choose a group",
                          key=f"{name}-group")
    if chosen is not None:
        st.plotly_chart(plots.confusion_heatmap(groups[chosen]["confusion"], groups[chosen]["labels"]),
                        key=f"{name}-group-cm", config=CHART_CONFIG, width=_matrix_width(groups[chosen]))


def _matrix_width(result: dict) -> int:
    """Pixels for a confusion matrix: square-ish cells, however wide the page."""
    return 160 + 90 * len(result["labels"])


def _mistakes(wrong: list[dict], read: Reader) -> None:
    """Thumbnails (pictures) or players (recordings) of wrong predictions."""
    cols = st.columns(4)
    for i, p in enumerate(wrong):
        said = f"true {p['true']} → said {p['pred']}" + (f" ({p['confidence']:.0%})" if p.get("confidence") else "")
        found = read(p["file"])
        with cols[i % 4]:
            caption = f"{plain(p['file'].rsplit('/', 1)[-1])}: {said}"
            image = _picture_of(found)
            if image is not None:
                picture(image, caption=caption, width=140)
            else:
                st.caption(caption)
                if found is not None and found[0] == "audio":
                    st.audio(found[1])


def _picture_of(found: tuple[str, bytes] | None) -> np.ndarray | None:
    """The decoded picture of an item read back, or None (a recording, or unreadable)."""
    if found is None or found[0] != "image":
        return None
    try:
        return decode_image(found[1])
    except ImageError:
        return None
