"""Paused time (officer productivity): how long counters were paused in a period, by reason,
by officer and by counter, from the archive's pauses (one row per pause, its reason as the
officer gave it). A pause running over the period's edge counts for the part inside it; one
still running counts until now."""
from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.engine import Engine

from .archive_schema import pauses


def _rows(tally: dict[Any, list[float]], key_name: str, names: dict[Any, str] | None = None) -> list[dict]:
    out = [{key_name: key, **({"name": names.get(key, str(key))} if names is not None else {}),
            "count": int(count), "seconds": round(seconds)}
           for key, (count, seconds) in tally.items()]
    return sorted(out, key=lambda r: (-r["seconds"], str(r[key_name])))


def pause_figures(sql: Engine, site, start_ms: int, end_ms: int, now_ms: int) -> dict[str, Any]:
    """{"count", "seconds", "by_reason", "by_officer", "by_counter"} for [start_ms, end_ms)."""
    query = select(pauses).where(pauses.c.site == site.id, pauses.c.paused_at < end_ms,
                                 or_(pauses.c.resumed_at.is_(None), pauses.c.resumed_at > start_ms))
    by_reason: dict[Any, list[float]] = {}
    by_officer: dict[Any, list[float]] = {}
    by_counter: dict[Any, list[float]] = {}
    count, total = 0, 0.0
    with sql.connect() as conn:
        for p in conn.execute(query):
            began = max(p.paused_at, start_ms)
            ended = min(p.resumed_at if p.resumed_at is not None else now_ms, end_ms)
            if ended <= began:
                continue
            seconds = (ended - began) / 1000
            count, total = count + 1, total + seconds
            for tally, key in ((by_reason, (p.reason or "").strip() or "—"), (by_officer, p.officer or "—"),
                               (by_counter, p.counter)):
                entry = tally.setdefault(key, [0, 0.0])
                entry[0] += 1
                entry[1] += seconds
    officers = {u: o.name for u, o in site.officers.items()}
    counters = {n: c.name for n, c in site.counters.items()}
    return {"count": count, "seconds": round(total), "by_reason": _rows(by_reason, "reason"),
            "by_officer": _rows(by_officer, "officer", officers), "by_counter": _rows(by_counter, "counter", counters)}
