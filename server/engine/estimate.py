"""Estimated waiting time of a field: people ahead, counters open for it, recent service times."""
from __future__ import annotations

import json
import statistics
from collections.abc import Iterable

from ..config import SiteConfig


def service_samples(raw: str | bytes | bool | None) -> list[int]:
    """Recent service durations (s) as stored by the scripts (a JSON list, or nothing yet)."""
    if not raw or raw is True:
        return []
    data = json.loads(raw)
    return [int(x) for x in data] if isinstance(data, list) else []


def typical_service_seconds(site: SiteConfig, field_code: str, samples: list[int]) -> float:
    """The median of the last services (robust to a forgotten 'finish'), else the configured figure."""
    usable = [s for s in samples if s > 0]
    if len(usable) >= 3:
        return float(statistics.median(usable))
    return float(site.fields[field_code].service_seconds)


def staffed_counters(site: SiteConfig, field_code: str, counters: Iterable[dict]) -> list[dict]:
    """The counters serving the field with an officer signed in (open, or paused for a while)."""
    serving = {c.id for c in site.counters_serving(field_code)}
    return [c for c in counters if str(c.get("id")) in serving and c.get("status") in ("open", "paused")]


def estimated_wait_seconds(site: SiteConfig, field_code: str, ahead: int,
                           counters: Iterable[dict], samples: list[int]) -> int | None:
    """Seconds until a visitor with ``ahead`` people before them is likely to be called; None
    while no counter serving the field is staffed (any figure then would be a guess: the
    kiosk says "no counter serving now" instead).

    The counters open for the field share the people ahead; when none is idle the first
    of them frees up after about half a service.
    """
    staffed = staffed_counters(site, field_code, counters)
    if not staffed:
        return None
    open_counters = [c for c in staffed if c.get("status") == "open"]
    servers = len(open_counters) or len(staffed)
    idle = sum(1 for c in open_counters if not c.get("current"))
    service = typical_service_seconds(site, field_code, samples)
    wait = ahead * service / servers
    if idle == 0:
        wait += service / (2 * servers)
    return round(wait)
