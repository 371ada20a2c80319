"""Daily rows for reports: once a site's day is final, its figures by every grouping are
summed into ``daily_stats`` (and a month's, when its last day is), so a year's report for a
province reads a few rows per site and month instead of every ticket.

A day is final when the archive holds an event of a later day and none of the day's tickets
is still waiting, called or being served: the day's close (which cancels what is left as
unserved) has been projected. Days are rolled in order; ``rollup_progress`` says how far, and
reports read raw records for every day after it.
"""
from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from sqlalchemy import and_, delete, func, insert, select
from sqlalchemy.engine import Connection, Engine

from ..config import SiteConfig
from .archive_schema import daily_stats, events, rollup_progress, tickets
from .reports import DIMS, Figures, Period, ReportBuilder, _Row

logger = logging.getLogger(__name__)

OPEN_STATES = ("waiting", "called", "serving")


def _rows(site: str, grain: str, start: date, figures: Figures) -> list[dict]:
    out = [{"site": site, "grain": grain, "start": start.isoformat(), "dim": "total", "key": "",
            **figures.total.to_store()}]
    for dim, rows in figures.rows.items():
        out.extend({"site": site, "grain": grain, "start": start.isoformat(), "dim": dim, "key": str(key),
                    **row.to_store()} for key, row in rows.items())
    return out


def _replace(conn: Connection, site: str, grain: str, start: date, figures: Figures) -> None:
    conn.execute(delete(daily_stats).where(and_(daily_stats.c.site == site, daily_stats.c.grain == grain,
                                                daily_stats.c.start == start.isoformat())))
    conn.execute(insert(daily_stats), _rows(site, grain, start, figures))


class Rollup:
    """Rolls one site's final days up; idempotent, and safe to stop between days."""

    def __init__(self, sql: Engine, site: SiteConfig):
        self.sql = sql
        self.site = site
        self.builder = ReportBuilder(sql, site)

    def _day(self, ms: int) -> date:
        return datetime.fromtimestamp(ms / 1000, self.site.timezone).date()

    def _first_and_limit(self) -> tuple[date, date] | None:
        """The next day to roll and the first day that cannot be (the day of the newest event)."""
        rolled = self.builder.rolled_through()
        with self.sql.connect() as conn:
            newest, oldest = conn.execute(select(func.max(events.c.ts), func.min(events.c.ts)).where(
                events.c.site == self.site.id)).one()
        if newest is None:
            return None
        first = rolled + timedelta(days=1) if rolled else self._day(oldest)
        return first, self._day(newest)

    def _open_tickets(self, day: date) -> int:
        start, end = Period("day", day, day).bounds_ms(self.site.timezone)
        with self.sql.connect() as conn:
            return conn.execute(select(func.count()).select_from(tickets).where(and_(
                tickets.c.site == self.site.id, tickets.c.issued_at >= start, tickets.c.issued_at < end,
                tickets.c.state.in_(OPEN_STATES)))).scalar() or 0

    def step(self, max_days: int = 31) -> list[date]:
        """Roll up to ``max_days`` final days; the days rolled."""
        span = self._first_and_limit()
        if span is None:
            return []
        day, limit = span
        done: list[date] = []
        while day < limit and len(done) < max_days:
            if self._open_tickets(day):
                logger.info("rollup %s: %s still has open tickets (its close is not archived yet)", self.site.id, day)
                break
            self.roll(day)
            done.append(day)
            day += timedelta(days=1)
        return done

    def roll(self, day: date) -> None:
        """Store one day's rows (and its month's, on the month's last day) and move the progress."""
        figures = self.builder.raw(*Period("day", day, day).bounds_ms(self.site.timezone), DIMS)
        with self.sql.begin() as conn:
            _replace(conn, self.site.id, "day", day, figures)
            if (day + timedelta(days=1)).day == 1:
                first = day.replace(day=1)
                _replace(conn, self.site.id, "month", first, self._month(conn, first, day))
            conn.execute(delete(rollup_progress).where(rollup_progress.c.site == self.site.id))
            conn.execute(insert(rollup_progress).values(site=self.site.id, rolled_through=day.isoformat()))

    def _month(self, conn: Connection, first: date, last: date) -> Figures:
        days = [(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]
        out = Figures(_Row("total"), {d: {} for d in DIMS})
        query = select(daily_stats).where(and_(daily_stats.c.site == self.site.id, daily_stats.c.grain == "day",
                                               daily_stats.c.start.in_(days)))
        for row in conn.execute(query).mappings():
            part = _Row.from_store(row["key"], row)
            if row["dim"] == "total":
                out.total.merge(part)
            else:
                out.merge(Figures(_Row("total"), {row["dim"]: {row["key"]: part}}))
        return out
