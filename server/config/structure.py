"""A site's counters as the live administration changes them: which fields each serves, in what
order (its policy), its name; counters added and removed.

A change is checked by config.yaml's own reader on the site's whole list (``_counters``), then
against everything that names a counter: officers, lobby displays, rating panels and printers
(a counter they name cannot go). The list is kept whole in SQL (``site_settings``, name
``counters``) and in Redis's copy, and swapped whole in every process, like the people.
"""
from __future__ import annotations

from typing import Any

from ..errors import BadRequest, Conflict
from . import CounterConfig, SiteConfig, _counters
from .reader import Node

MAX_NAME = 60


def counter_entry(c: CounterConfig) -> dict[str, Any]:
    """A counter as config.yaml writes it (and as the pages edit it)."""
    return {"number": c.number, "name": c.name, "fields": list(c.fields), "policy": c.policy}


def read_counters(site: SiteConfig, entries: list[dict[str, Any]]) -> tuple[dict[int, CounterConfig], list[str]]:
    """Entries read by config.yaml's reader against the site's fields: the counters, and what is wrong."""
    errors: list[str] = []
    counters = _counters(Node(entries, "counters", errors), site.fields)
    return counters, errors


def counters_with(site: SiteConfig, number: int, document: dict[str, Any] | None) -> dict[int, CounterConfig]:
    """The site's counters with counter ``number`` added or changed to ``document`` (None:
    removed), checked whole; BadRequest listing what is wrong, in config.yaml's words."""
    entries = [counter_entry(c) for n, c in site.counters.items() if n != number]
    at = next((i for i, n in enumerate(site.counters) if n == number), len(entries))
    if document is not None:
        name = document.get("name")
        if not isinstance(name, str) or not name.strip():
            raise BadRequest("name: is required", code="bad_counter", details={"errors": ["name: is required"]})
        if len(name) > MAX_NAME:
            raise BadRequest(f"name: at most {MAX_NAME} characters", code="bad_counter",
                             details={"errors": [f"name: at most {MAX_NAME} characters"]})
        entries.insert(at, {"number": number, **{k: v for k, v in document.items() if k != "number"}})
    if not entries:
        raise Conflict("A site keeps at least one counter.", code="last_counter")
    counters, errors = read_counters(site, entries)
    here = f"counters[{at}]"
    mine = [e[len(here):].lstrip(".:").strip() for e in errors if e.startswith(here)] or errors
    if errors:
        raise BadRequest("; ".join(mine), code="bad_counter", details={"errors": mine})
    return counters


def naming(site: SiteConfig, number: int) -> list[dict[str, str]]:
    """Who names counter ``number``: officers, displays, rating panels and printers, each as
    {"kind", "id"} (kind: officer, display, or a device's kind)."""
    return ([{"kind": "officer", "id": o.username} for o in site.officers.values() if number in o.counters]
            + [{"kind": "display", "id": d.id} for d in site.displays.values() if number in d.counters]
            + [{"kind": d.kind, "id": d.id} for d in site.devices.values() if d.counter == number])
