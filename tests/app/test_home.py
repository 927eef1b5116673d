"""The home page: what the app does, the models, links to every page, and the shared sidebar."""
from __future__ import annotations

from tests.app.helpers import open_page


def test_home_explains_the_app_lists_models_and_links_pages():
    at = open_page()
    assert at.title[0].value.endswith("Moodlens")
    text = "\n".join(m.value for m in at.markdown)
    assert "emotions from a face and from a voice" in text
    assert "**Face**" in text and "**Voice**" in text
    # each model line says its measured accuracy, or that it was not measured yet
    model_lines = [line for line in text.splitlines() if line.startswith("- **")]
    assert len(model_lines) == 2
    assert all("accuracy" in line or "not measured yet" in line for line in model_lines)
    links = [el.proto.label for el in at.main.get("page_link")]
    assert links == ["Live", "Capture", "Results"]


def test_sidebar_mode_and_mask_are_shared_settings():
    at = open_page()
    mode = at.sidebar.radio(key="mode")
    assert mode.options == ["Simple", "Hybrid"] and mode.value == "Simple"
    assert at.sidebar.toggle(key="mask").value is False
    mode.set_value("Hybrid").run()
    at.switch_page("app_pages/capture.py").run()
    assert at.session_state["mode"] == "Hybrid"  # the choice follows the user to other pages
    assert at.sidebar.radio(key="mode").value == "Hybrid"
