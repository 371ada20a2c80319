"""Tickets as the API and the screens show them."""
from __future__ import annotations

from typing import Any

from .clock import from_ms
from .config import SiteConfig


def seconds_between(start_ms: float | None, end_ms: float | None) -> int | None:
    if start_ms is None or end_ms is None:
        return None
    return round((end_ms - start_ms) / 1000)


def ticket_json(t: dict[str, Any], site: SiteConfig, **extra: Any) -> dict[str, Any]:
    """A stored ticket record as JSON for clients (times in the site's zone)."""
    tz = site.timezone
    field = site.fields.get(t["field"])
    out = {
        "id": t["id"],
        "number": t["number"],
        "label": t["label"],
        "field": t["field"],
        "field_name": field.name if field else t["field"],
        "field_name_en": field.name_en if field else "",
        "priority": t.get("category"),
        "state": t["state"],
        "counter": t.get("counter"),
        "target_counter": t.get("target_counter"),
        "officer": t.get("officer"),
        "recalls": t.get("recalls", 0),
        "transfers": t.get("transfers", 0),
        "issued_at": from_ms(t.get("issued_at"), tz),
        "called_at": from_ms(t.get("called_at"), tz),
        "started_at": from_ms(t.get("started_at"), tz),
        "finished_at": from_ms(t.get("finished_at"), tz),
        "waited_seconds": seconds_between(t.get("transferred_at") or t.get("issued_at"), t.get("called_at")),
        "service_seconds": seconds_between(t.get("started_at"), t.get("finished_at")),
    }
    if t.get("reason"):
        out["reason"] = t["reason"]
    if isinstance(t.get("rating"), dict):
        r = t["rating"]
        out["rating"] = {"level": r.get("level"), "category": r.get("category"), "score": r.get("score"),
                         "at": from_ms(r.get("at"), tz)}
    out.update(extra)
    return out
