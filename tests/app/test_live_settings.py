"""The live page's ICE server setting: the README's forms reach the WebRTC component; wrong ones give a clear
error on the page, never a traceback. The component itself needs a real server, so a stand-in records what the
page asks of it."""
from __future__ import annotations

import re
import tomllib
from types import SimpleNamespace

import pytest

from emotion.rtc import ENV_VAR
from tests.app.helpers import ROOT, errors, live_markup, open_page

PAGE = "app_pages/live.py"
README = (ROOT / "README.md").read_text()
TURN = {"urls": ["turn:turn.example.org:3478"], "username": "u", "credential": "p"}


@pytest.fixture
def streams(monkeypatch) -> list[dict]:
    """The arguments of every webrtc_streamer call, with a stand-in component that is never playing."""
    import streamlit_webrtc

    calls: list[dict] = []

    def webrtc_streamer(**kwargs):
        calls.append(kwargs)
        return SimpleNamespace(state=SimpleNamespace(playing=False, signalling=False))

    monkeypatch.setattr(streamlit_webrtc, "webrtc_streamer", webrtc_streamer)
    monkeypatch.setattr(streamlit_webrtc, "create_audio_sink_track", lambda *args, **kwargs: None)
    monkeypatch.delenv(ENV_VAR, raising=False)
    return calls


@pytest.mark.parametrize("block", re.findall(r"```toml\n(.*?)```", README, re.S))
def test_the_readmes_secrets_reach_the_stream(streams, block):
    at = open_page(PAGE, secrets=tomllib.loads(block))
    assert not errors(at)
    assert streams[-1]["rtc_configuration"] == {"iceServers": [TURN]}
    assert streams[-1]["server_rtc_configuration"] == streams[-1]["rtc_configuration"]  # the server uses them too


def test_the_readmes_environment_variable_reaches_the_stream(streams, monkeypatch):
    monkeypatch.setenv(ENV_VAR, re.search(rf"{ENV_VAR}='(.*?)'", README, re.S).group(1))
    at = open_page(PAGE)
    assert not errors(at)
    assert streams[-1]["rtc_configuration"] == {"iceServers": [{"urls": ["stun:stun.example.org:3478"]}, TURN]}
    assert streams[-1]["server_rtc_configuration"] == streams[-1]["rtc_configuration"]  # the server uses them too


@pytest.mark.parametrize("env,secrets", [
    ('[{"urls": null}]', None),
    ("[" * 10_000 + "]" * 10_000, None),
    (None, {"ice_servers": 3478}),
    (None, {"ice_servers": '[{"urls": ["[x](https:evil.example)"]}]'}),
])
def test_a_wrong_setting_is_a_clear_error_and_the_page_goes_on(streams, monkeypatch, env, secrets):
    if env:
        monkeypatch.setenv(ENV_VAR, env)
    at = open_page(PAGE, secrets=secrets)  # open_page checks there is no exception
    assert len(at.error) == 1 and live_markup(at.error[0].value) == []
    assert errors(at)[0].startswith("The ICE server setting is wrong, so it was ignored: ")
    assert (ENV_VAR if env else "secrets.toml") in errors(at)[0]
    assert streams[-1]["rtc_configuration"] == {"iceServers": []}
    assert streams[-1]["server_rtc_configuration"] == streams[-1]["rtc_configuration"]  # the server uses them too



@pytest.mark.parametrize("source, video, audio", [("both", True, True), ("camera", True, False),
                                                  ("microphone", False, True)])
def test_the_page_asks_for_a_640x480_camera_at_15_frames_a_second(streams, source, video, audio):
    at = open_page(PAGE)
    at.radio(key="live_input").set_value(source).run()
    asked = streams[-1]["media_stream_constraints"]
    assert asked["audio"] is audio
    if video:  # webcams default to 30 frames/s: the server would decode, draw and encode twice the frames
        assert asked["video"] == {"width": {"ideal": 640}, "height": {"ideal": 480},
                                  "frameRate": {"ideal": 15, "max": 15}}
    else:
        assert asked["video"] is False
