"""Moodlens: emotion recognition from faces and voices (no streamlit in here)."""
