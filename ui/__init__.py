"""Streamlit helpers shared by the pages (the library `emotion/` never imports streamlit)."""
