"""The home page: what the app does, the models, links to every page, and the shared sidebar."""
from __future__ import annotations

from tests.app.helpers import open_page


def test_home_explains_the_app_lists_models_and_links_pages():
    at = open_page()
    assert at.title[0].value == "Moodlens"
    text = "\n".join(m.value for m in at.markdown)
    assert "emotions from a face and from a voice" in text
    assert "**Face**" in text and "**Voice**" in text
    # each model line says its measured accuracy, or that it was not measured yet
    model_lines = [line for line in text.splitlines() if line.startswith("- **")]
    assert len(model_lines) == 2
    assert all("accuracy" in line or "not measured yet" in line for line in model_lines)
    links = [el.proto.label for el in at.main.get("page_link")]
    assert links == ["Live", "Capture", "Results"]


def test_sidebar_mode_is_a_shared_setting():
    at = open_page()
    mode = at.sidebar.radio(key="mode")
    assert mode.options == ["Simple", "Hybrid"] and mode.value == "Simple"
    mode.set_value("Hybrid").run()
    at.switch_page("app_pages/capture.py").run()
    assert at.session_state["mode"] == "Hybrid"  # the choice follows the user to other pages
    assert at.sidebar.radio(key="mode").value == "Hybrid"


def test_home_shows_measured_accuracy_when_metrics_json_is_there(tmp_path, monkeypatch):
    from emotion import model_info

    metrics = tmp_path / "metrics.json"
    metrics.write_text('{"face": {"accuracy": 0.6123, "macro_f1": 0.58, "data": "FER2013 PublicTest"}}')
    monkeypatch.setattr(model_info, "METRICS", metrics)
    at = open_page()
    text = "\n".join(m.value for m in at.markdown)
    assert "accuracy 61.2% (macro F1 0.580) on FER2013 PublicTest" in text
    assert "not measured yet" in text  # the voice model has no entry
