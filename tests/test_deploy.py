"""The deployment files (Dockerfile, compose.yaml, deploy/) fit together: Docker is not needed to check
that. The nginx template itself runs in tests/browser/test_browser_proxy.py."""
from __future__ import annotations

import re
from pathlib import Path

import yaml

from emotion.rtc import parse_ice_servers
from tests.browser import proxy

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = (ROOT / "Dockerfile").read_text()
COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text())
ENV_EXAMPLE = dict(line.split("=", 1) for line in (ROOT / "deploy" / "env.example").read_text().splitlines()
                   if line and not line.startswith("#"))


def interpolate(text: str) -> str:
    """compose's ${NAME}, ${NAME:-default} and ${NAME:?error} with deploy/env.example's values."""
    def value(m):
        name, op, arg = m.group(1), m.group(2) or "", m.group(3) or ""
        return ENV_EXAMPLE.get(name) or (arg if op == ":-" else "")
    return re.sub(r"\$\{(\w+)(?:(:[-?])([^}]*))?\}", value, text)


def test_the_image_runs_as_a_user_with_a_health_check_and_the_models_inside():
    assert re.search(r"^USER (?!root)\w+", DOCKERFILE, re.M)
    assert re.search(r"^HEALTHCHECK .*\n?.*/_stcore/health", DOCKERFILE, re.M)
    copied = " ".join(re.findall(r"^COPY (.*)$", DOCKERFILE, re.M))
    for needed in ("weights/", "emotion/", "ui/", "app_pages/", ".streamlit/", "streamlit_app.py", "requirements.txt"):
        assert needed in copied, needed


def test_every_replica_gets_the_same_cookie_secret_and_parseable_ice_servers():
    app = COMPOSE["services"]["app"]
    env = app["environment"]
    assert "STREAMLIT_SERVER_COOKIE_SECRET" in env
    servers = parse_ice_servers(interpolate(env["MOODLENS_ICE_SERVERS"]))
    assert servers and all(url.startswith(("turn:", "turns:")) for url in servers[0]["urls"])
    assert servers[0]["credential"] == ENV_EXAMPLE["TURN_PASSWORD"]
    assert int(interpolate(str(app["deploy"]["replicas"]))) > 1


def test_the_proxy_fills_every_placeholder_of_the_template_the_test_uses():
    proxy_env = COMPOSE["services"]["proxy"]["environment"]
    template = proxy.TEMPLATE.read_text()
    conf = proxy.render(template, {k: interpolate(str(v)) for k, v in proxy_env.items() if k.startswith("MOODLENS_")})
    assert not proxy.PLACEHOLDER.search(conf) and "server app:8501 resolve;" in conf
    assert any("/etc/nginx/templates" in volume for volume in COMPOSE["services"]["proxy"]["volumes"])


def test_turn_relays_only_to_the_compose_network():
    subnet = COMPOSE["networks"]["moodlens"]["ipam"]["config"][0]["subnet"]
    assert subnet == "172.28.0.0/16"
    conf = (ROOT / "deploy" / "coturn" / "turnserver.conf").read_text()
    assert "allowed-peer-ip=172.28.0.0-172.28.255.255" in conf and "denied-peer-ip=172.16.0.0-172.31.255.255" in conf
