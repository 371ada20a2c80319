"""What the reports say of appointments (issue 14, part 2): per field, the bookings whose slot
fell in the period, and how each ended — kept (checked in on time), late (checked in after the
slot's grace, given an ordinary number), cancelled, missed (still booked once the slot and its
grace were over: a no-show) or still to come."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine

from .archive_schema import appointments

OUTCOMES = ("kept", "late", "cancelled", "missed", "upcoming")


def appointment_figures(sql: Engine, site, start_ms: int, end_ms: int, now_ms: int) -> dict[str, Any]:
    """{"total": {outcome: n, "booked": n}, "by_field": [{"field", "name", outcome: n, "booked": n,
    "no_show_rate"}]} over bookings whose slot began in [start_ms, end_ms)."""
    grace_ms = site.appointments.late_minutes * 60_000
    with sql.connect() as conn:
        rows = list(conn.execute(select(appointments.c.field, appointments.c.status, appointments.c.slot_start)
                                 .where(appointments.c.site == site.id, appointments.c.slot_start >= start_ms,
                                        appointments.c.slot_start < end_ms)))
    by_field: dict[str, dict[str, int]] = {}
    for field, status, slot_start in rows:
        if status == "booked":
            outcome = "missed" if slot_start + grace_ms < now_ms else "upcoming"
        else:
            outcome = {"checked_in": "kept", "late": "late", "cancelled": "cancelled"}.get(status, "upcoming")
        tally = by_field.setdefault(field, dict.fromkeys((*OUTCOMES, "booked"), 0))
        tally[outcome] += 1
        tally["booked"] += 1
    total = dict.fromkeys((*OUTCOMES, "booked"), 0)
    out = []
    for code in sorted(by_field, key=lambda c: list(site.fields).index(c) if c in site.fields else len(site.fields)):
        tally = by_field[code]
        for key, n in tally.items():
            total[key] += n
        field = site.fields.get(code)
        out.append({"field": code, "name": field.name if field else code, **tally,
                    "no_show_rate": _rate(tally)})
    return {"total": {**total, "no_show_rate": _rate(total)}, "by_field": out}


def _rate(tally: dict[str, int]) -> float | None:
    """Missed among the bookings that came due and were not cancelled (None: none did)."""
    due = tally["kept"] + tally["late"] + tally["missed"]
    return round(tally["missed"] / due, 4) if due else None
