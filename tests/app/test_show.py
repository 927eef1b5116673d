"""Display helpers shared by the pages (ui/show.py): user text shown as typed, pictures of any shape."""
from __future__ import annotations

import string

import pytest

from tests.app.helpers import displayed, live_markup
from ui.show import plain


@pytest.mark.parametrize("name", [
    "sad/[reset password](https:evil.example).jpg",
    "a`b``c` [x](https:evil.example)",
    "<img src=x onerror=alert(1)> <b>bold</b> &amp;",
    "**bold** _it_ ~~gone~~ # not a heading",
    "![pic](https:evil.example/x.png) <https:evil.example> www.evil.example",
    ":red[colour] $x^2$ \\[escaped\\] 1. item",
    string.punctuation,
])
def test_plain_text_shows_as_typed_and_never_as_markup(name):
    assert live_markup(plain(name)) == []
    assert displayed(plain(name)) == name


def test_plain_text_stays_on_one_line():
    assert displayed(plain("first\n\n- second\r\nthird")) == "first  - second third"
