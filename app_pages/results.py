"""Results: measure accuracy on a labelled dataset (.zip of faces, voices, or face+voice pairs)."""
from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from emotion.datasets import MAX_FILES, MAX_PAIRS, SKIP, DatasetError, SkipCode, count_by_label, open_dataset
from emotion.evaluate import evaluate_faces, evaluate_voices
from emotion.face import FaceMode
from emotion.labels import EMOTIONS, NO_FACE
from emotion.pairs import PAIRS_NOTE, PairsReport, evaluate_pairs
from ui import groups as group_choice, report as show_report
from ui.models import models
from ui.show import plain
from ui.uploads import release

KINDS = {"image": "Faces (pictures)", "audio": "Voices (recordings)", "pairs": "Face + voice pairs (pairs.csv)"}
FACE_MODES = {FaceMode.AUTO.value: "Find the face; if none is found, use the whole picture",
              FaceMode.DETECT.value: f"Find the face; pictures without one count as “{NO_FACE}”",
              FaceMode.WHOLE.value: "Each picture is already a face crop (like FER2013)"}
UNKNOWN = "— choose —"

st.title("Results")
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
st.caption(f"Up to {MAX_FILES:,} files; of a pairs.csv, the first {MAX_PAIRS:,} rows are read.")
if upload is None:
    release("dataset_opened", "results")  # the archive is held in memory while it is open
    st.info("Upload a .zip to begin.", icon="⬆️")
    st.stop()

# --- open the dataset (once per upload) -------------------------------------------------------------
opened = st.session_state.get("dataset_opened")
if not opened or opened[0] != upload.file_id:
    release("dataset_opened", "results")  # the previous archive goes before the next one opens
    try:
        with st.spinner("Opening the archive…"):
            opened = (upload.file_id, open_dataset(upload.getvalue(), upload.name), None)
    except DatasetError as exc:
        opened = (upload.file_id, None, str(exc))
    st.session_state["dataset_opened"] = opened
    st.session_state.pop("results", None)
_, dataset, error = opened
if error:
    st.error(f"This file cannot be used: {plain(error)}", icon="🚫")
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
st.caption(f"{plain(upload.name)}: {counts['image']} pictures, {counts['audio']} recordings"
           + (", and a pairs.csv" if has_pairs else "") + ".")
kind = st.radio("What to measure", available, format_func=KINDS.get, horizontal=True, key="kind")

# --- groups (optional): does it work as well for everyone? -----------------------------------------------
groups, groups_key = group_choice.choose(dataset, kind)

# --- labels: inferred mapping, and the user's choices for unknown folders -------------------------------
overrides: dict[str, str] = {}
left_out: list[dict]
if kind == "pairs":
    st.caption("Each pair is scored three ways: the face alone, the voice alone, and both combined. Pairs made "
               "with `python -m emotion make-pairs` are label-matched, not recorded together.")
    try:
        entries, left_out = dataset.pairs(groups)
    except DatasetError as exc:
        st.error(plain(exc), icon="🚫")
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
            choice = st.selectbox(f"Folder **{plain(folder)}**", [UNKNOWN, *EMOTIONS, SKIP], key=f"map::{folder}",
                                  format_func=lambda o: "leave it out" if o == SKIP else o)
            overrides[folder] = SKIP if choice == UNKNOWN else choice
    entries, left_out = dataset.items(kind, overrides, groups)
    other_files = (SkipCode.NOT_MEDIA, SkipCode.OTHER_KIND)  # files of other kinds are not errors
    left_out = [x for x in left_out if getattr(x, "code", None) not in other_files]

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
face_mode, mask = FaceMode.AUTO.value, False
if kind in ("image", "pairs"):
    left, right = st.columns([2, 1])
    face_mode = left.selectbox("Faces", list(FACE_MODES), format_func=FACE_MODES.get, key="face_mode")
    mask = right.checkbox("Simulate a mask on every face", key="results_mask",
                          help="Draws a surgical mask over each face first, to see how much the face model "
                               "loses (and, for pairs, how much the voice brings back).")
adapt = False
if kind == "audio" and groups is not None:
    adapt = st.checkbox("Get used to each group's voice first (each group is one speaker)", key="results_adapt",
                        help="Moodlens hears every recording of a group, then reads each one against that person's "
                             "usual voice, as the Live page does once it has heard you. Recordings in no group are "
                             "read alone. No label is used for this.")
run_key = json.dumps([upload.file_id, kind, overrides, face_mode, mask, groups_key, adapt], sort_keys=True)

if st.button("Run the evaluation", type="primary", icon="▶️"):
    face_model, voice_model = models()
    bar = st.progress(0.0, text="Starting…")
    st.button("Cancel", key="cancel_run", icon="⏹️", help="Stops the run at the next item; nothing is reported.")

    def progress(done: int, total: int) -> None:
        bar.progress(done / max(total, 1), text=f"Scored {done} of {total}…")

    if kind == "pairs":
        pairs_report = evaluate_pairs(dataset, face_model, voice_model, face_mode, mask, progress=progress,
                                      groups=groups)
        reports = {"pairs": pairs_report, **pairs_report.by_modality()}
    elif kind == "image":
        reports = {"face": evaluate_faces(entries, face_model, face_mode, mask, skipped=left_out,
                                          progress=progress).to_dict()}
    else:
        reports = {"voice": evaluate_voices(entries, voice_model, skipped=left_out, progress=progress,
                                            adapt=adapt).to_dict()}
    bar.empty()
    st.session_state["results"] = (run_key, reports)

if st.session_state.get("cancel_run"):  # its click interrupted the run (a rerun), before anything was kept
    st.info("The run was cancelled.", icon="⏹️")
results = st.session_state.get("results")
if not results:
    st.stop()
if results[0] != run_key:
    st.info("The settings changed since the last run: click **Run the evaluation** to update the results.", icon="🔄")
    st.stop()
reports = results[1]


def reader(part: int | None):
    """Reads a reported file back from the archive (for thumbnails); `part` picks image (0) or audio (1) of a pair."""
    def read(name: str):
        file = name.split(" + ")[part] if part is not None else name
        try:
            return dataset.kind_of(file), dataset.files[file]()
        except (KeyError, IndexError, OSError, DatasetError):
            return None
    return read


st.divider()
st.header("Results")
if kind == "pairs":
    pairs_report = reports["pairs"]
    st.info(PAIRS_NOTE, icon="🔗")
    rows = PairsReport(pairs_report).scores(face="face alone", voice="voice alone", fused="face + voice")
    st.dataframe(pd.DataFrame([{"scored": name, "accuracy": m["accuracy"], "macro F1": m["macro_f1"], "pairs": m["n"]}
                               for name, m in rows]),
                 hide_index=True, width="content",
                 column_config={"accuracy": st.column_config.NumberColumn(format="percent"),
                                "macro F1": st.column_config.NumberColumn(format="%.3f")})
    agree = pairs_report["agreement"]
    if agree["pairs_with_both"]:
        def share(value) -> str:
            return f"{value:.0%}" if value is not None else "no such pairs"

        st.write(f"Face and voice agree on **{agree['agreement_rate']:.0%}** of the {agree['pairs_with_both']} pairs "
                 f"where both could be read. Combined accuracy when they agree: {share(agree['accuracy_when_agree'])}; "
                 f"when they disagree: {share(agree['accuracy_when_disagree'])}.")
    tabs = st.tabs(["Face + voice", "Face alone", "Voice alone"])
    for tab, name, part in zip(tabs, ("fused", "face", "voice"), (0, 0, 1)):
        with tab:
            show_report.report(name, reports[name], reader(part))
else:
    name = next(iter(reports))
    if reports[name].get("adapted_to_groups"):
        st.caption("Each group was read as one speaker: Moodlens heard all of its recordings first, then read each "
                   "against that voice. Recordings in no group were read alone.")
    show_report.report(name, reports[name], reader(None))
