"""Times and ratings per dossier code (mã hồ sơ), for the province's one-stop software: for
each code attached in a period (at the counter that received it, or when the visitor who came
for its result was called), the ticket that brought it, how long its visitor waited for
that counter, how long the service took, who served, and the rating pressed for it (Decision
766's satisfaction groups)."""
from __future__ import annotations

import csv
import io
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.engine import Engine

from ..engine.clock import from_ms
from .archive_schema import dossiers, ratings, services, tickets

COLUMNS = ("dossier", "stage", "ticket", "number", "field", "counter", "officer", "issued_at", "called_at",
           "started_at", "ended_at", "wait_seconds", "service_seconds", "outcome", "rating_level", "rating_category",
           "attached_at")


def _seconds(start: int | None, end: int | None) -> int | None:
    return round((end - start) / 1000) if start is not None and end is not None else None


def dossier_rows(sql: Engine, site, start_ms: int, end_ms: int) -> list[dict[str, Any]]:
    """One row per dossier code attached in [start_ms, end_ms), oldest first."""
    tz = site.timezone
    query = (select(dossiers, tickets.c.label, tickets.c.field, tickets.c.issued_at)
             .join(tickets, and_(tickets.c.site == dossiers.c.site, tickets.c.id == dossiers.c.ticket_id))
             .where(dossiers.c.site == site.id, dossiers.c.attached_at >= start_ms, dossiers.c.attached_at < end_ms)
             .order_by(dossiers.c.attached_at, dossiers.c.code))
    with sql.connect() as conn:
        found = list(conn.execute(query))
        ids = sorted({row.ticket_id for row in found})
        served: dict[tuple[str, int], list] = {}
        rated: dict[tuple[str, int], Any] = {}
        if ids:
            mine = select(services).where(services.c.site == site.id, services.c.ticket_id.in_(ids))
            for service in conn.execute(mine.order_by(services.c.called_at)):
                served.setdefault((service.ticket_id, service.counter), []).append(service)
            for press in conn.execute(select(ratings).where(ratings.c.site == site.id, ratings.c.ticket_id.in_(ids),
                                                        ratings.c.outcome == "recorded")
                                  .order_by(ratings.c.pressed_at)):
                rated[(press.ticket_id, press.counter)] = press   # the last press for that service counts
    rows = []
    for d in found:
        s: Any = _service_of(d, served)
        r: Any = rated.get((d.ticket_id, s.counter)) if s else None
        rows.append({
            "dossier": d.code, "stage": d.stage, "ticket": d.ticket_id, "number": d.label, "field": d.field,
            "counter": s.counter if s else d.counter, "officer": s.officer if s and s.officer else d.officer,
            "issued_at": from_ms(d.issued_at, tz),
            "called_at": from_ms(s.called_at, tz) if s else None,
            "started_at": from_ms(s.started_at, tz) if s else None,
            "ended_at": from_ms(s.ended_at, tz) if s else None,
            "wait_seconds": _seconds(s.wait_from, s.called_at) if s else None,
            "service_seconds": _seconds(s.started_at, s.ended_at) if s else None,
            "outcome": s.outcome if s else None,
            "rating_level": r.level if r else None, "rating_category": r.category if r else None,
            "attached_at": from_ms(d.attached_at, tz)})
    return rows


def _service_of(d: Any, served: dict[tuple[str, int], list]) -> Any:
    """The service a link stands for. A code attached at a counter: that counter's last service
    of the ticket called before it. A result collected: the ticket's last service anywhere (the
    one that handed it over, after a no-show, a recall or a transfer)."""
    if d.stage == "pickup":
        mine = sorted((c for (tid, _), cs in served.items() if tid == d.ticket_id for c in cs),
                      key=lambda c: c.called_at)
        return mine[-1] if mine else None
    candidates = [c for c in served.get((d.ticket_id, d.counter), []) if c.called_at <= d.attached_at]
    return candidates[-1] if candidates else None


def received_field(sql: Engine, site_id: str, code: str) -> str | None:
    """The field in which dossier ``code`` was received at this site (the latest receipt), or
    None when no counter here attached it."""
    query = (select(tickets.c.field)
             .join(dossiers, and_(tickets.c.site == dossiers.c.site, tickets.c.id == dossiers.c.ticket_id))
             .where(dossiers.c.site == site_id, dossiers.c.code == code, dossiers.c.stage == "receipt")
             .order_by(dossiers.c.attached_at.desc()).limit(1))
    with sql.connect() as conn:
        return conn.execute(query).scalar()


def dossiers_csv(rows: list[dict[str, Any]]) -> bytes:
    """The rows as CSV (UTF-8 with a BOM, so a spreadsheet reads the Vietnamese right)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")
