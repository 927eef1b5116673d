"""Driving the app's pages with streamlit's AppTest (no browser; WebRTC pages are not covered here)."""
from __future__ import annotations

import html
import re
from pathlib import Path

from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest

from emotion.labels import EMOTIONS

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "streamlit_app.py")
HEADLINE = re.compile(r"^### \S+ (?P<label>[a-z ]+)(?: &nbsp;·&nbsp; (?P<confidence>\d+)%)?$")


def open_page(page: str | None = None, mode: str = "Simple", timeout: float = 240,
              secrets: dict | None = None) -> AppTest:
    """The app on `page` (e.g. "app_pages/capture.py"), in the given sidebar mode, after one run; `secrets`
    stand in for .streamlit/secrets.toml."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    at.secrets.update(secrets or {})
    at.run()
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
    """The error messages as a reader sees them (Markdown rendered to text)."""
    return [displayed(e.value) for e in at.error]


_COMMONMARK = MarkdownIt("commonmark")
_BARE_ADDRESS = re.compile(r"(?<![\\\w])(?:www\.|https?://)")  # GFM links these without brackets, unless escaped


def displayed(markdown: str) -> str:
    """The text a reader sees for `markdown` rendered as CommonMark (tags dropped, entities decoded)."""
    return html.unescape(re.sub(r"<[^>]+>", "", _COMMONMARK.render(markdown))).strip()


def live_markup(markdown: str) -> list[str]:
    """The links, code spans, pictures and raw HTML that `markdown` turns into (GFM bare addresses too)."""
    rendered = _COMMONMARK.render(markdown)
    return re.findall(r"<(?:a|code|img|script|span|div)\b[^>]*>", rendered) + _BARE_ADDRESS.findall(markdown)


def markdown_texts(at: AppTest) -> list[str]:
    """Every piece of Markdown the last run showed: text, captions, alerts, widget labels, picture captions."""
    texts = [e.value for kind in ("markdown", "caption", "error", "warning", "info", "success") for e in at.get(kind)]
    texts += [w.label for kind in ("selectbox", "radio", "checkbox", "button") for w in at.get(kind)]
    texts += [caption for image in at.image for caption in image.captions]
    return texts


def record_downloads(monkeypatch) -> dict[str, bytes]:
    """{file name: data} of every download button made from now on (AppTest gives no way to read them)."""
    from streamlit.runtime.media_file_manager import MediaFileManager

    made: dict[str, bytes] = {}
    real = MediaFileManager.add

    def add(self, path_or_data, mimetype, coordinates, file_name=None, is_for_static_download=False):
        if is_for_static_download and file_name:
            made[file_name] = path_or_data
        return real(self, path_or_data, mimetype, coordinates, file_name=file_name,
                    is_for_static_download=is_for_static_download)

    monkeypatch.setattr(MediaFileManager, "add", add)
    return made
