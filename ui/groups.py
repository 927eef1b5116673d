"""Choosing where a dataset's groups come from on the Results page: none, its groups.csv, an uploaded one, folders,
the speakers in file names.

Group names are free text typed by people: pages put them in tables, options and plots, never in Markdown.
"""
from __future__ import annotations

from pathlib import PurePosixPath

import pandas as pd
import streamlit as st

from emotion.datasets import Dataset, DatasetError, Groups
from emotion.labels import speaker_from_filename

SOURCES = {"none": "No groups", "dataset": "groups.csv in the .zip", "upload": "A separate groups.csv",
           "folder": "Folders: GROUP/EMOTION/file", "speaker": "Speakers in the file names"}
HELP = ("Groups show whether Moodlens works as well for everyone: a person, an age band, a room. A `groups.csv` "
        "has the columns `file,group` (paths relative to the top of the .zip); with folders, each item's group is "
        "the folder above its emotion folder, as in `kim/happy/1.jpg`. Recordings of RAVDESS, CREMA-D, EmoDB, SAVEE "
        "and TESS name their speaker in the file name.")


def choose(dataset: Dataset, kind: str) -> tuple[Groups | None, str]:
    """Asks where the groups come from; returns them (None for no groups) and a key that changes with the choice."""
    named_speakers = kind == "audio" and any(speaker_from_filename(PurePosixPath(n).stem) for n in dataset.files)
    options = ["none", *(["dataset"] if dataset.has("groups.csv") else []), "upload",
               *(["folder"] if kind != "pairs" else []), *(["speaker"] if named_speakers else [])]
    default = "dataset" if "dataset" in options else "none"
    if st.session_state.get("groups_for") != id(dataset) or st.session_state.get("groups_from") not in options:
        st.session_state["groups_for"] = id(dataset)  # a new upload: its own groups.csv, if it has one
        st.session_state["groups_from"] = default
    source = st.radio("Groups", options, format_func=SOURCES.get, horizontal=True, key="groups_from", help=HELP)
    if source == "none":
        return None, source
    if source == "folder":
        st.caption("Each item's group is the folder above its emotion folder.")
        return Groups(from_folder=True, source="folders"), source
    if source == "speaker":
        st.caption("Each recording's group is the speaker its file name gives (RAVDESS, CREMA-D, EmoDB, SAVEE, TESS).")
        return dataset.groups(from_speaker=True), source
    upload = None
    if source == "upload":
        upload = st.file_uploader("groups.csv (columns file,group)", type=["csv"], key="groups_csv")
        if upload is None:
            return None, source
    try:
        groups = dataset.groups(upload.getvalue()) if upload else dataset.groups()
    except DatasetError as exc:
        st.error(f"The groups cannot be used: {exc}", icon="🚫")
        return None, source
    named = len(set(groups.by_file.values()))
    st.caption(f"The groups.csv gives {len(groups.by_file)} file(s) one of {named} group(s); items it does not "
               "list are shown as “(no group)”.")
    if groups.unmatched:
        with st.expander(f"{len(groups.unmatched)} file(s) of the groups.csv are not in the .zip"):
            st.dataframe(pd.DataFrame({"file": list(groups.unmatched)}), hide_index=True)
    return groups, f"{source}:{upload.file_id if upload else ''}"
