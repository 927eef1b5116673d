"""Driving the app's pages with streamlit's AppTest (no browser; WebRTC pages are not covered here)."""
from __future__ import annotations

import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

from emotion.labels import EMOTIONS

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "streamlit_app.py")
HEADLINE = re.compile(r"^### \S+ (?P<label>[a-z ]+)(?: &nbsp;·&nbsp; (?P<confidence>\d+)%)?$")


def open_page(page: str | None = None, mode: str = "Simple", timeout: float = 240) -> AppTest:
    """The app on `page` (e.g. "app_pages/capture.py"), in the given sidebar mode, after one run."""
    at = AppTest.from_file(APP, default_timeout=timeout).run()
    if mode != "Simple":
        at.sidebar.radio(key="mode").set_value(mode).run()
    if page:
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def panels(at: AppTest) -> dict[str, str]:
    """{"Face": label, "Voice": label, "Face + voice together": label} from the reading panels shown last."""
    texts = [m.value for m in at.markdown]
    out = {}
    for i, text in enumerate(texts):
        title = text.strip("*")
        if text.startswith("**") and title in ("Face", "Voice", "Face + voice together"):
            for later in texts[i + 1:]:
                m = HEADLINE.match(later)
                if m:
                    out[title] = m.group("label")
                    break
    return out


def is_emotion(label: str | None) -> bool:
    return label in EMOTIONS


def errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]
