"""WebRTC connection settings: which ICE (STUN/TURN) servers the live page uses.

On localhost none are needed. Across networks (a school Wi-Fi, a deployed app) browsers need a
STUN server, and usually a TURN server, to reach the app. Set them as JSON in the environment,
  MOODLENS_ICE_SERVERS='[{"urls": ["turn:turn.example.org:3478"], "username": "u", "credential": "p"}]'
or as `ice_servers` in .streamlit/secrets.toml (same list, in TOML).
"""
from __future__ import annotations

import json
import os
from typing import Any, Mapping

ENV_VAR = "MOODLENS_ICE_SERVERS"


class IceConfigError(ValueError):
    """The ICE server setting is not a list of {"urls": ...} entries; the message says what is wrong."""


def parse_ice_servers(value: Any) -> list[dict]:
    """Check and normalise an ICE server list (JSON text or already parsed)."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise IceConfigError(f"{ENV_VAR} is not valid JSON ({exc.msg} at character {exc.pos})") from exc
    if isinstance(value, Mapping):
        value = [value]
    if not isinstance(value, (list, tuple)):
        raise IceConfigError("ICE servers must be a list of {\"urls\": ...} entries")
    servers = []
    for entry in value:
        if not isinstance(entry, Mapping) or "urls" not in entry:
            raise IceConfigError(f"each ICE server needs \"urls\"; got {entry!r}")
        urls = entry["urls"]
        urls = [urls] if isinstance(urls, str) else list(urls)
        if not urls or not all(isinstance(u, str) and u.split(":", 1)[0] in ("stun", "stuns", "turn", "turns")
                                for u in urls):
            raise IceConfigError(f"ICE server urls must start with stun:, stuns:, turn: or turns:; got {urls!r}")
        server = {"urls": urls}
        for key in ("username", "credential"):
            if key in entry:
                server[key] = str(entry[key])
        servers.append(server)
    return servers


def ice_servers(secrets: Mapping | None = None, environ: Mapping[str, str] | None = None) -> list[dict]:
    """ICE servers from the environment variable, else from secrets["ice_servers"], else none."""
    environ = os.environ if environ is None else environ
    if environ.get(ENV_VAR, "").strip():
        return parse_ice_servers(environ[ENV_VAR])
    if secrets is not None and "ice_servers" in secrets:
        return parse_ice_servers([dict(s) for s in secrets["ice_servers"]])
    return []
