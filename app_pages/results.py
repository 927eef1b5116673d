"""Results: measure accuracy on a labelled dataset (.zip of faces, voices, or face+voice pairs)."""
from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from emotion import plots
from emotion.datasets import SKIP, DatasetError, count_by_label, open_dataset
from emotion.evaluate import evaluate_faces, evaluate_voices
from emotion.evaluate_pairs import evaluate_pairs
from emotion.labels import EMOTIONS
from emotion.tables import class_table, mistakes, predictions_table
from ui.models import models
from ui.show import CHART_CONFIG

KINDS = {"image": "Faces (pictures)", "audio": "Voices (recordings)", "pairs": "Face + voice pairs (pairs.csv)"}
FACE_MODES = {"auto": "Find the face; if none is found, use the whole picture",
              "detect": "Find the face; pictures without one count as “no face”",
              "whole": "Each picture is already a face crop (like FER2013)"}
UNKNOWN = "— choose —"

st.title("📊 Results")
st.write("How accurate is Moodlens on **your** data? Upload labelled pictures or recordings as a .zip and "
         "compare what the models say with the true labels.")
with st.expander("How to lay out the .zip"):
    st.markdown(
        "- **One folder per emotion**: `happy/img1.jpg`, `sad/clip3.wav`, … Folder names such as *Happiness*, "
        "*angry*, *pleasant_surprise* or *03_happy* are recognised.\n"
        "- **Known file names**: RAVDESS, CREMA-D, TESS, SAVEE and EmoDB recordings carry their label in the name.\n"
        "- **Pairs**: a `pairs.csv` with the columns `image,audio,label` (paths relative to the csv). Each pair is "
        "scored three ways: face alone, voice alone, and both combined.\n"
        "- Folders Moodlens cannot name get a choice below: give them an emotion or leave them out.")

upload = st.file_uploader("Labelled dataset (.zip)", type=["zip"], key="dataset")
if upload is None:
    st.info("Upload a .zip to begin.", icon="⬆️")
    st.stop()

# --- open the dataset (once per upload) -------------------------------------------------------------
opened = st.session_state.get("dataset_opened")
if not opened or opened[0] != upload.file_id:
    try:
        with st.spinner("Opening the archive…"):
            opened = (upload.file_id, open_dataset(upload.getvalue(), upload.name), None)
    except DatasetError as exc:
        opened = (upload.file_id, None, str(exc))
    st.session_state["dataset_opened"] = opened
    st.session_state.pop("results", None)
_, dataset, error = opened
if error:
    st.error(f"This file cannot be used: {error}", icon="🚫")
    st.stop()

counts = {"image": 0, "audio": 0}
for name in dataset.files:
    kind_of = dataset.kind_of(name)
    if kind_of:
        counts[kind_of] += 1
has_pairs = any(n.rsplit("/", 1)[-1].lower() == "pairs.csv" for n in dataset.files)
available = [k for k in ("pairs", "image", "audio") if (k == "pairs" and has_pairs) or counts.get(k)]
if not available:
    st.error("No pictures or recordings were found in this .zip.", icon="🚫")
    st.stop()
st.caption(f"{upload.name}: {counts['image']} pictures, {counts['audio']} recordings"
           + (", and a pairs.csv" if has_pairs else "") + ".")
kind = st.radio("What to measure", available, format_func=KINDS.get, horizontal=True, key="kind")

# --- labels: inferred mapping, and the user's choices for unknown folders -------------------------------
overrides: dict[str, str] = {}
left_out: list[dict]
if kind == "pairs":
    try:
        entries, left_out = dataset.pairs()
    except DatasetError as exc:
        st.error(str(exc), icon="🚫")
        st.stop()
else:
    mapping = dataset.folder_mapping(kind)
    unknown = [f for f, label in mapping.items() if label is None]
    st.markdown("**Labels**")
    known = {f: label for f, label in mapping.items() if label}
    if known:
        st.dataframe(pd.DataFrame({"folder": list(known), "emotion": list(known.values())}), hide_index=True,
                     width="content")
    if unknown:
        st.warning(f"Moodlens cannot tell the emotion of {len(unknown)} folder(s) from their names. Choose one for "
                   "each, or leave it out.", icon="🏷️")
        for folder in unknown:
            choice = st.selectbox(f"Folder `{folder}`", [UNKNOWN, *EMOTIONS, SKIP], key=f"map::{folder}",
                                  format_func=lambda o: "leave it out" if o == SKIP else o)
            overrides[folder] = SKIP if choice == UNKNOWN else choice
    entries, left_out = dataset.items(kind, overrides)
    left_out = [x for x in left_out if not x["reason"].startswith("not an ")]  # other kinds are not errors

if not entries:
    st.error("Nothing to measure: no labelled " + ("pairs" if kind == "pairs" else KINDS[kind].split()[0].lower())
             + " were found. Check the folder names (or choose emotions above).", icon="🚫")
    st.stop()
by_label = count_by_label(entries)
st.write(f"**{len(entries)}** labelled item(s) ready: " + ", ".join(f"{e} {n}" for e, n in by_label.items())
         + (f"; {len(left_out)} left out." if left_out else "."))
if left_out:
    with st.expander(f"Left out ({len(left_out)})"):
        st.dataframe(pd.DataFrame(left_out), hide_index=True)

# --- settings and run ---------------------------------------------------------------------------------------
face_mode, mask = "auto", False
if kind in ("image", "pairs"):
    left, right = st.columns([2, 1])
    face_mode = left.selectbox("Faces", list(FACE_MODES), format_func=FACE_MODES.get, key="face_mode")
    mask = right.checkbox("Simulate a mask on every face", key="results_mask")
run_key = json.dumps([upload.file_id, kind, overrides, face_mode, mask], sort_keys=True)

if st.button("Run the evaluation", type="primary", icon="▶️"):
    face_model, voice_model = models()
    bar = st.progress(0.0, text="Starting…")

    def progress(done: int, total: int) -> None:
        bar.progress(done / max(total, 1), text=f"Scored {done} of {total}…")

    if kind == "pairs":
        reports = evaluate_pairs(entries, face_model, voice_model, face_mode, mask, skipped=left_out,
                                 progress=progress)
    elif kind == "image":
        reports = {"face": evaluate_faces(entries, face_model, face_mode, mask, skipped=left_out, progress=progress)}
    else:
        reports = {"voice": evaluate_voices(entries, voice_model, skipped=left_out, progress=progress)}
    bar.empty()
    st.session_state["results"] = (run_key, {name: r.to_dict() for name, r in reports.items()})

results = st.session_state.get("results")
if not results:
    st.stop()
if results[0] != run_key:
    st.info("The settings changed since the last run: click **Run the evaluation** to update the results.", icon="🔄")
    st.stop()
reports = results[1]


# --- results ------------------------------------------------------------------------------------------------
def show_report(name: str, report: dict) -> None:
    """Metrics, confusion matrices, per-class scores, mistakes and downloads for one report."""
    if not report["n"]:
        st.error("No item could be scored (see the skipped files below).", icon="🚫")
    else:
        cols = st.columns(4)
        cols[0].metric("Accuracy", f"{report['accuracy']:.2%}")
        cols[1].metric("Macro F1", f"{report['macro_f1']:.3f}", help="The mean of the F1 scores of each true class: "
                       "rare classes count as much as common ones.")
        cols[2].metric("Items scored", report["n"])
        cols[3].metric("Skipped", len(report["skipped"]))
        counts_tab, share_tab = st.tabs(["Confusion matrix: counts", "Confusion matrix: share of each true class"])
        with counts_tab:
            st.plotly_chart(plots.confusion_heatmap(report["confusion"], report["labels"]), key=f"{name}-cm",
                            config=CHART_CONFIG)
        with share_tab:
            st.plotly_chart(plots.confusion_heatmap(report["confusion"], report["labels"], normalise=True),
                            key=f"{name}-cmn", config=CHART_CONFIG)
        st.markdown("**Per class**")
        st.dataframe(class_table(report), width="content",
                     column_config={c: st.column_config.NumberColumn(format="%.3f") for c in ("precision", "recall", "f1")})
        wrong = mistakes(report)
        if wrong:
            st.markdown("**Some mistakes**")
            show_mistakes(name, wrong)
    if report["skipped"]:
        with st.expander(f"Skipped files ({len(report['skipped'])})"):
            st.dataframe(pd.DataFrame(report["skipped"]), hide_index=True)
    table = predictions_table(report)
    left, right = st.columns(2)
    left.download_button("Download every prediction (CSV)", table.to_csv(index=False), key=f"{name}-csv",
                         file_name=f"moodlens-{name}-predictions.csv", mime="text/csv", on_click="ignore", icon="⬇️")
    right.download_button("Download the full report (JSON)", json.dumps(report, indent=1), key=f"{name}-json",
                          file_name=f"moodlens-{name}-report.json", mime="application/json", on_click="ignore")


def show_mistakes(name: str, wrong: list[dict]) -> None:
    """Thumbnails (pictures) or players (recordings) of wrong predictions."""
    cols = st.columns(4)
    for i, p in enumerate(wrong):
        caption = f"true {p['true']} → said {p['pred']}" + (f" ({p['confidence']:.0%})" if p.get("confidence") else "")
        file = p["file"].split(" + ")[0] if name != "voice" else p["file"]
        with cols[i % 4]:
            try:
                data = dataset.files[file]()
            except (KeyError, OSError, DatasetError):
                st.caption(f"{p['file']}: {caption}")
                continue
            if dataset.kind_of(file) == "image":
                st.image(data, caption=f"{p['file'].rsplit('/', 1)[-1]}: {caption}", width=140)
            else:
                st.caption(f"{p['file'].rsplit('/', 1)[-1]}: {caption}")
                st.audio(data)


st.divider()
st.header("Results")
if kind == "pairs":
    st.dataframe(pd.DataFrame([{"scored": label, "accuracy": r["accuracy"], "macro F1": r["macro_f1"], "items": r["n"]}
                               for label, r in (("face alone", reports["face"]), ("voice alone", reports["voice"]),
                                                ("face + voice", reports["fused"]))]),
                 hide_index=True, width="content",
                 column_config={"accuracy": st.column_config.NumberColumn(format="percent")})
    tabs = st.tabs(["Face + voice", "Face alone", "Voice alone"])
    for tab, name in zip(tabs, ("fused", "face", "voice")):
        with tab:
            show_report(name, reports[name])
else:
    name = next(iter(reports))
    show_report(name, reports[name])
