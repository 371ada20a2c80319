"""A site's kiosks, lobby displays and device agents as the live administration keeps them.

Each is kept as config.yaml writes it, with its token's SHA-256 instead of the token: a token
made here (a new device, a rotation) is shown once to the admin who asked and never stored, so
neither the archive, Redis's copy, an export nor the audit holds one. A device is checked by
config.yaml's own reader (``_clients``), so the rules and the messages are the same.
"""
from __future__ import annotations

from typing import Any

from ..errors import BadRequest
from . import DISPLAY_KEYS, ClientConfig, SiteConfig, _clients, token_digest
from .reader import Node
from .site_init import token as new_token

KINDS = {"kiosk": "kiosks", "display": "displays", "agent": "agents"}   # kind -> SiteConfig attribute
EDITABLE = {"kiosk": ("name", "fields", "disabled"), "agent": ("name", "disabled"),
            "display": ("name", "disabled", *DISPLAY_KEYS)}
# The settings the pages have words for (devices.<key>); the others are named as config.yaml names them.
DEVICE_WORDS = ("fields", "counters", "notice", "layout", "voice")
DEFAULTS = {f.name: f.default for f in ClientConfig.__dataclass_fields__.values()}


def entry(client: ClientConfig) -> dict[str, Any]:
    """The device as config.yaml writes it: its settings that differ from the defaults, and its
    token's digest (never the token)."""
    out: dict[str, Any] = {"id": client.id, "name": client.name, "token_sha256": client.token_sha256}
    for key in EDITABLE[client.kind]:
        value = getattr(client, key)
        value = list(value) if isinstance(value, tuple) else value
        default = DEFAULTS[key]
        if key not in out and value != (list(default) if isinstance(default, tuple) else default):
            out[key] = value
    return out


def client_json(client: ClientConfig) -> dict[str, Any]:
    """What the pages show of a device: every setting it may have, never its token or digest."""
    out: dict[str, Any] = {"kind": client.kind, "id": client.id}
    for key in EDITABLE[client.kind]:
        value = getattr(client, key)
        out[key] = list(value) if isinstance(value, tuple) else value
    return out


def site_clients(site: SiteConfig) -> list[ClientConfig]:
    return [c for kind in KINDS.values() for c in getattr(site, kind).values()]


def checked(site: SiteConfig, kind: str, document: dict[str, Any], token_sha256: str,
            new: bool = True) -> ClientConfig:
    """The device as config.yaml would read it (the same rules and messages), or BadRequest
    listing what is wrong. A new one needs a name (config.yaml's may have none)."""
    if kind not in KINDS:
        raise BadRequest("A device is a kiosk, a display or an agent.", code="bad_device")
    unknown = sorted(set(document) - {"id", *EDITABLE[kind]})
    errors = [f"{k}: not a setting of a {kind}" for k in unknown]
    item = {k: v for k, v in document.items() if k not in unknown} | {"token_sha256": token_sha256}
    read = _clients(Node([item], KINDS[kind], errors), kind, site.fields, site.counters)
    errors = [e.removeprefix(f"{KINDS[kind]}[0]").lstrip(".:").strip() for e in errors]
    if (new or "name" in document) and not str(document.get("name") or "").strip():
        errors.append("name: is required")
    if errors or not read:
        raise BadRequest("; ".join(errors) or "The device could not be read.", code="bad_device",
                         details={"errors": errors})
    return read[0][1]


def read_entries(site: SiteConfig, entries: list[list[Any]]) -> tuple[dict[str, dict[str, ClientConfig]], list[str]]:
    """Stored [kind, entry] pairs as the site's kiosks, displays and agents (each kind's mapping
    whole), and what could not be read (a field or counter gone from config.yaml since: the
    device keeps the rest)."""
    out: dict[str, dict[str, ClientConfig]] = {attr: {} for attr in KINDS.values()}
    errors: list[str] = []
    for kind, item in entries:
        for _, client in _clients(Node([item], f"{KINDS[kind]}[{item.get('id')}]", errors), kind,
                                  site.fields, site.counters):
            out[KINDS[kind]][client.id] = client
    return out, errors


__all__ = ["KINDS", "checked", "client_json", "entry", "new_token", "read_entries", "site_clients",
           "token_digest"]
