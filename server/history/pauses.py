"""Officer productivity in a period, by officer and by counter: paused time (also by reason),
from the archive's pauses (one row per pause, its reason as the officer gave it; a pause over
the period's edge counts for the part inside it; one still running counts until now); and
idle time while visitors waited (the archive's free spans of each counter, where visitors
waited for one of its fields)."""
from __future__ import annotations

from bisect import bisect_right
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.engine import Engine

from .archive_schema import free_spans, pauses, services, tickets

DAY_MS = 86_400_000


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


# -- idle while visitors waited ---------------------------------------------------------------
def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for began, ended in sorted(s for s in spans if s[1] > s[0]):
        if out and began <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], ended))
        else:
            out.append((began, ended))
    return out


def _overlap(merged: list[tuple[int, int]], starts: list[int], began: int, ended: int) -> int:
    """How much of [began, ended) the merged spans cover (ms)."""
    total = 0
    for s, e in merged[max(0, bisect_right(starts, began) - 1):]:
        if s >= ended:
            break
        total += max(0, min(e, ended) - max(s, began))
    return total


def _day_end(site, at_ms: int) -> int:
    """When the hall closed on the day of ``at_ms`` (its last session's end; a hall that never
    closes: midnight), in ms."""
    local = datetime.fromtimestamp(at_ms / 1000, site.timezone)
    close = site.opening_hours.last_close(local.date())
    end = (datetime.combine(local.date(), close, tzinfo=site.timezone) if close is not None
           else datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=site.timezone))
    return int(end.timestamp() * 1000)


def _waits(conn, site, start_ms: int, end_ms: int) -> dict[str, list[tuple[int, int]]]:
    """Per field, the spans visitors waited: each wait that ended in a call, and each ticket
    still waiting when the day closed (until the hall closed)."""
    waits: dict[str, list[tuple[int, int]]] = {}
    last_end: dict[str, int] = {}
    query = select(services.c.ticket_id, services.c.field, services.c.wait_from, services.c.called_at,
                   services.c.ended_at).where(services.c.site == site.id, services.c.wait_from < end_ms,
                                              services.c.called_at >= start_ms - DAY_MS)
    for s in conn.execute(query):
        waits.setdefault(s.field, []).append((s.wait_from, s.called_at))
        if s.ended_at is not None:
            last_end[s.ticket_id] = max(last_end.get(s.ticket_id, 0), s.ended_at)
    unserved = select(tickets.c.id, tickets.c.field, tickets.c.issued_at).where(
        tickets.c.site == site.id, tickets.c.reason == "day_closed", tickets.c.issued_at < end_ms,
        tickets.c.issued_at >= start_ms - DAY_MS)
    for t in conn.execute(unserved):
        began = max(t.issued_at, last_end.get(t.id, 0))
        waits.setdefault(t.field, []).append((began, _day_end(site, t.issued_at)))
    return waits


def idle_figures(sql: Engine, site, start_ms: int, end_ms: int) -> dict[str, Any]:
    """How long open counters had nobody at them while visitors waited for one of their fields,
    in [start_ms, end_ms): {"count", "seconds", "by_officer", "by_counter"} (count: the spans
    with some idle time). A counter left open overnight counts until the hall closed; a span
    still running counts once it ends (the live monitor shows it meanwhile)."""
    by_officer: dict[Any, list[float]] = {}
    by_counter: dict[Any, list[float]] = {}
    count, total = 0, 0.0
    with sql.connect() as conn:
        waits = _waits(conn, site, start_ms, end_ms)
        spans = list(conn.execute(select(free_spans).where(free_spans.c.site == site.id,
                                                           free_spans.c.began < end_ms,
                                                           free_spans.c.ended > start_ms)))
    lines: dict[int, tuple[list[tuple[int, int]], list[int]]] = {}
    for number, counter in site.counters.items():
        merged = _merged([w for code in counter.fields for w in waits.get(code, ())])
        lines[number] = (merged, [s for s, _ in merged])
    for span in spans:
        if span.counter not in lines:
            continue   # a counter since removed: its fields are not known any more
        ended = min(span.ended, _day_end(site, span.began)) if span.ended_by == "day_closed" else span.ended
        idle = _overlap(*lines[span.counter], max(span.began, start_ms), min(ended, end_ms)) / 1000
        if idle <= 0:
            continue
        count, total = count + 1, total + idle
        for tally, key in ((by_officer, span.officer or "—"), (by_counter, span.counter)):
            entry = tally.setdefault(key, [0, 0.0])
            entry[0] += 1
            entry[1] += idle
    officers = {u: o.name for u, o in site.officers.items()}
    counters = {n: c.name for n, c in site.counters.items()}
    return {"count": count, "seconds": round(total), "by_officer": _rows(by_officer, "officer", officers),
            "by_counter": _rows(by_counter, "counter", counters)}
