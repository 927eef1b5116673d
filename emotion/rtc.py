"""WebRTC connection settings: which ICE (STUN/TURN) servers the live page uses.

On localhost none are needed. Across networks (a school Wi-Fi, a deployed app) browsers need a
STUN server, and usually a TURN server, to reach the app. Set them as JSON in the environment,
  MOODLENS_ICE_SERVERS='[{"urls": ["turn:turn.example.org:3478"], "username": "u", "credential": "p"}]'
or as `ice_servers` in .streamlit/secrets.toml: the same JSON as a string, or a TOML array of tables
([[ice_servers]] with urls = [...], username = "...", credential = "...").
"""
from __future__ import annotations

import json
import os
import reprlib
from typing import Any, Mapping

ENV_VAR = "MOODLENS_ICE_SERVERS"
SECRETS_KEY = "ice_servers"
SECRETS_SOURCE = f"{SECRETS_KEY} in .streamlit/secrets.toml"
SCHEMES = ("stun", "stuns", "turn", "turns")

_SHORT = reprlib.Repr()  # bounded depth and length: a setting nested 10,000 deep still gives a short message
_SHORT.maxlevel, _SHORT.maxstring, _SHORT.maxother = 3, 60, 60


class IceConfigError(ValueError):
    """The ICE server setting is not a list of {"urls": ...} entries; the message says what is wrong."""


def parse_ice_servers(value: Any, source: str = ENV_VAR) -> list[dict]:
    """Check and normalise an ICE server list: JSON text, a list of mappings, or one mapping.

    Returns [{"urls": [str, ...], "username"?: str, "credential"?: str}, ...]; None or blank text is no
    servers. Anything else raises IceConfigError, whose message names `source` and what is wrong.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return []
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise IceConfigError(f"{source} is not valid JSON ({exc.msg} at character {exc.pos})") from exc
        except (ValueError, RecursionError) as exc:  # nested too deeply, or a number too long to read
            raise IceConfigError(f"{source} is not usable JSON (nested too deeply or too long)") from exc
    if isinstance(value, Mapping):
        value = [value]
    if not isinstance(value, (list, tuple)):
        raise IceConfigError(f"{source} must be a list of {{\"urls\": ...}} entries; got {_short(value)}")
    return [_server(entry, source) for entry in value]


def _server(entry: Any, source: str) -> dict:
    """One checked ICE server entry."""
    if not isinstance(entry, Mapping) or "urls" not in entry:
        raise IceConfigError(f"each ICE server in {source} needs \"urls\"; got {_short(entry)}")
    urls = [entry["urls"]] if isinstance(entry["urls"], str) else entry["urls"]
    if not (isinstance(urls, (list, tuple)) and urls
            and all(isinstance(u, str) and u.split(":", 1)[0] in SCHEMES for u in urls)):
        raise IceConfigError(f"ICE server urls in {source} must be text starting with stun:, stuns:, turn: or "
                             f"turns:; got {_short(entry['urls'])}")
    server = {"urls": list(urls)}
    for key in ("username", "credential"):
        if key in entry:
            if not isinstance(entry[key], (str, int)) or isinstance(entry[key], bool):
                raise IceConfigError(f"ICE server {key} in {source} must be text; got {_short(entry[key])}")
            server[key] = str(entry[key])
    return server


def _short(value: Any) -> str:
    """A short repr of a setting for an error message."""
    try:
        return _SHORT.repr(value)
    except RecursionError:
        return f"a deeply nested {type(value).__name__}"


def ice_servers(secrets: Mapping | None = None, environ: Mapping[str, str] | None = None) -> list[dict]:
    """ICE servers from the environment variable, else from secrets["ice_servers"], else none.

    Raises IceConfigError when the setting in use is malformed.
    """
    environ = os.environ if environ is None else environ
    if environ.get(ENV_VAR, "").strip():
        return parse_ice_servers(environ[ENV_VAR], ENV_VAR)
    if secrets is not None and SECRETS_KEY in secrets:
        return parse_ice_servers(secrets[SECRETS_KEY], SECRETS_SOURCE)
    return []
