"""Report figures from the SQL archive, per field, counter, officer, priority category or hour.

Definitions (docs/reports.md says them in words for leaders):
- issued: tickets issued in the period (by the field they were issued for);
- a *service* is one call of a ticket to a counter, until done, transferred, no-show or
  the day's close; served = services done; no_show = services ended as no-show;
  transferred = services ended by a transfer; cancelled = tickets the visitor cancelled;
  unserved_at_close = tickets still open when the day closed;
- waiting = call - (issue, or the transfer / restore that put the ticket back in line);
  walking = start - call; service = end - start (done or transferred after starting);
  mean, median, and the 90th percentile by the nearest-rank method;
- within_target = share of calls whose waiting time was at most the field's target;
- ratings = presses attributed to a ticket (first press per ticket); satisfaction =
  (rất hài lòng + hài lòng) / all of them (SIPAS); unattributed and repeated presses are
  counted apart and never in the rate.
"""
from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, select
from sqlalchemy.engine import Engine

from ..config import SiteConfig
from ..errors import BadRequest
from .archive_schema import ratings, services, tickets

GROUPS = ("field", "counter", "officer", "priority", "hour")
PERIODS = ("day", "week", "month", "quarter", "year", "custom")
CATEGORIES = ("very_satisfied", "satisfied", "dissatisfied")


@dataclass(frozen=True)
class Period:
    kind: str
    first: date
    last: date   # inclusive

    def bounds_ms(self, tz) -> tuple[int, int]:
        start = datetime.combine(self.first, time(0), tzinfo=tz)
        end = datetime.combine(self.last + timedelta(days=1), time(0), tzinfo=tz)
        return int(start.timestamp() * 1000), int(end.timestamp() * 1000)

    def to_json(self) -> dict:
        return {"kind": self.kind, "from": self.first.isoformat(), "to": self.last.isoformat()}


def period_of(kind: str, on: date, first: date | None = None, last: date | None = None) -> Period:
    """The day, week (Monday–Sunday), month, quarter or year containing ``on``, or a custom range."""
    if kind == "day":
        return Period(kind, on, on)
    if kind == "week":
        start = on - timedelta(days=on.weekday())
        return Period(kind, start, start + timedelta(days=6))
    if kind == "month":
        start = on.replace(day=1)
        return Period(kind, start, (start + timedelta(days=32)).replace(day=1) - timedelta(days=1))
    if kind == "quarter":
        start = date(on.year, 3 * ((on.month - 1) // 3) + 1, 1)
        return Period(kind, start, (start + timedelta(days=95)).replace(day=1) - timedelta(days=1))
    if kind == "year":
        return Period(kind, date(on.year, 1, 1), date(on.year, 12, 31))
    if kind == "custom":
        if first is None or last is None:
            raise BadRequest("A custom period needs from and to.", code="period_needs_dates")
        if last < first:
            raise BadRequest("A custom period needs from <= to.", code="period_reversed")
        if (last - first).days > 3660:
            raise BadRequest("A custom period is at most ten years.", code="period_too_long")
        return Period(kind, first, last)
    raise BadRequest(f"Unknown period {kind!r}.", code="bad_period", details={"periods": list(PERIODS)})


def stats(values: Iterable[float]) -> dict:
    """Count, mean, median and 90th percentile (nearest rank) of durations in seconds."""
    data = sorted(values)
    if not data:
        return {"count": 0, "mean": None, "median": None, "p90": None}
    p90 = data[max(0, math.ceil(0.9 * len(data)) - 1)]
    return {"count": len(data), "mean": round(statistics.fmean(data), 1), "median": round(statistics.median(data), 1),
            "p90": round(p90, 1)}


class _Row:
    def __init__(self, key):
        self.key = key
        self.issued = 0
        self.served = self.no_show = self.transferred = self.cancelled = self.unserved_at_close = 0
        self.calls = self.calls_on_target = 0
        self.waiting: list[float] = []
        self.walking: list[float] = []
        self.service: list[float] = []
        self.levels: dict[int, int] = {}
        self.categories = dict.fromkeys(CATEGORIES, 0)
        self.unattributed = self.repeat_ignored = 0

    def add_ticket(self, t) -> None:
        self.issued += 1
        if t["state"] == "cancelled":
            if t["reason"] == "day_closed":
                self.unserved_at_close += 1
            else:
                self.cancelled += 1

    def add_call(self, s, target_wait: float | None) -> None:
        """One call of a ticket to a counter: its wait, walk, service and how it ended."""
        self.calls += 1
        wait = (s["called_at"] - s["wait_from"]) / 1000
        self.waiting.append(wait)
        if target_wait is not None and wait <= target_wait:
            self.calls_on_target += 1
        if s["started_at"] is not None:
            self.walking.append((s["started_at"] - s["called_at"]) / 1000)
            if s["outcome"] in ("done", "transferred") and s["ended_at"] is not None:
                self.service.append((s["ended_at"] - s["started_at"]) / 1000)
        if s["outcome"] == "done":
            self.served += 1
        elif s["outcome"] == "no_show":
            self.no_show += 1
        elif s["outcome"] == "transferred":
            self.transferred += 1

    def add_press(self, p) -> None:
        if p["outcome"] == "recorded":
            self.levels[p["level"]] = self.levels.get(p["level"], 0) + 1
            self.categories[p["category"]] += 1
        elif p["outcome"] == "unattributed":
            self.unattributed += 1
        else:
            self.repeat_ignored += 1

    def to_json(self, name: str) -> dict:
        rated = sum(self.categories.values())
        satisfied = self.categories["very_satisfied"] + self.categories["satisfied"]
        return {
            "key": self.key, "name": name, "issued": self.issued, "served": self.served, "no_show": self.no_show,
            "transferred": self.transferred, "cancelled": self.cancelled,
            "unserved_at_close": self.unserved_at_close, "calls": self.calls,
            "within_target": round(self.calls_on_target / self.calls, 4) if self.calls else None,
            "waiting": stats(self.waiting), "walking": stats(self.walking), "service": stats(self.service),
            "ratings": {"total": rated, "levels": {str(k): v for k, v in sorted(self.levels.items(), reverse=True)},
                        **self.categories,
                        "satisfaction_rate": round(satisfied / rated, 4) if rated else None,
                        "unattributed": self.unattributed, "repeat_ignored": self.repeat_ignored},
        }


class ReportBuilder:
    def __init__(self, sql: Engine, site: SiteConfig, lang: str = "vi"):
        self.sql = sql
        self.site = site
        self.lang = lang  # names of fields and categories in the reader's language

    def _rows(self, table, column, start: int, end: int):
        with self.sql.connect() as conn:
            return conn.execute(select(table).where(and_(table.c.site == self.site.id, column >= start,
                                                         column < end))).mappings().all()

    def build(self, period: Period, group: str) -> dict:
        if group not in GROUPS:
            raise BadRequest(f"Unknown grouping {group!r}.", code="bad_group", details={"groups": list(GROUPS)})
        start, end = period.bounds_ms(self.site.timezone)
        issued = self._rows(tickets, tickets.c.issued_at, start, end)
        calls = self._rows(services, services.c.called_at, start, end)
        presses = self._rows(ratings, ratings.c.pressed_at, start, end)
        key_of = self._grouping(group, self._categories(issued, presses))
        rows: dict = {}
        total = _Row("total")
        arrivals = [0] * 24

        def rows_for(kind: str, record) -> list[_Row]:
            """The total and the record's own row (none when the grouping does not apply to it)."""
            key = key_of(kind, record)
            if key is None:
                return [total]
            if key not in rows:
                rows[key] = _Row(key)
            return [total, rows[key]]

        for t in issued:
            arrivals[self._hour(t["issued_at"])] += 1
            for r in rows_for("ticket", t):
                r.add_ticket(t)
        for c in calls:
            field = self.site.fields.get(c["field"])
            for r in rows_for("service", c):
                r.add_call(c, field.target_wait_seconds if field else None)
        for p in presses:
            for r in rows_for("rating", p):
                r.add_press(p)
        return {
            "site": {"id": self.site.id, "name": self.site.name},
            "period": period.to_json(), "group": group,
            "rows": self._out_rows(group, rows), "total": total.to_json("total"),
            "hourly_arrivals": arrivals,
            "ranking": self._ranking(calls, presses),
        }

    def _out_rows(self, group: str, rows: dict) -> list[dict]:
        out = [rows[k].to_json(self._name(group, k)) for k in sorted(rows, key=lambda k: self._order(group, k))]
        if group in ("counter", "officer"):
            # Kiosks issue tickets, not counters or officers: the total has the count, the rows none.
            for row in out:
                row["issued"] = None
        return out

    def _hour(self, ms: int) -> int:
        return datetime.fromtimestamp(ms / 1000, self.site.timezone).hour

    def _categories(self, issued, presses) -> dict[str, str | None]:
        """Each ticket's priority category, those of presses on tickets issued before the period included."""
        categories = {t["id"]: t["category"] for t in issued}
        missing = {p["ticket_id"] for p in presses if p["ticket_id"] and p["ticket_id"] not in categories}
        if missing:
            with self.sql.connect() as conn:
                for t in conn.execute(select(tickets.c.id, tickets.c.category).where(
                        and_(tickets.c.site == self.site.id, tickets.c.id.in_(missing)))):
                    categories[t.id] = t.category
        return categories

    def _grouping(self, group: str, categories: dict[str, str | None]) -> Callable:
        """key_of(kind, record): the row a ticket, service or rating record counts in (None: only the total)."""
        hour = self._hour
        keys: dict[str, Callable] = {
            "field": lambda kind, r: r["field_issued"] if kind == "ticket" else r["field"],
            "counter": lambda kind, r: r["counter"] if kind != "ticket" else None,
            "officer": lambda kind, r: r["officer"] if kind != "ticket" else None,
            "priority": lambda kind, r: (r["category"] if kind != "rating" else categories.get(r["ticket_id"]))
            or "none",
            "hour": lambda kind, r: hour(r["issued_at"] if kind == "ticket" else
                                         r["called_at"] if kind == "service" else r["pressed_at"]),
        }
        return keys[group]

    def _ranking(self, calls, presses) -> list[dict]:
        """Officers by satisfaction rate, then by visitors served."""
        rows: dict[str, _Row] = {}
        for s in calls:
            if s["officer"]:
                rows.setdefault(s["officer"], _Row(s["officer"]))
                if s["outcome"] == "done":
                    rows[s["officer"]].served += 1
                    if s["started_at"] is not None:
                        rows[s["officer"]].service.append((s["ended_at"] - s["started_at"]) / 1000)
        for p in presses:
            if p["outcome"] == "recorded" and p["officer"]:
                row = rows.setdefault(p["officer"], _Row(p["officer"]))
                row.categories[p["category"]] += 1
                row.levels[p["level"]] = row.levels.get(p["level"], 0) + 1
        ranked = [r.to_json(self._name("officer", k)) for k, r in rows.items()]
        ranked.sort(key=lambda r: (r["ratings"]["satisfaction_rate"] is None, -(r["ratings"]["satisfaction_rate"] or 0),
                                   -r["served"], r["key"]))
        return [{"rank": i + 1, "officer": r["key"], "name": r["name"], "served": r["served"],
                 "ratings": r["ratings"]["total"], "satisfaction_rate": r["ratings"]["satisfaction_rate"],
                 "service_mean": r["service"]["mean"]} for i, r in enumerate(ranked)]

    def _order(self, group: str, key):
        """Fields, counters and categories in the config's order; officers by name; hours by hour."""
        orders: dict[str, list] = {"field": list(self.site.fields), "counter": list(self.site.counters),
                                   "priority": [*self.site.categories, "none"]}
        order = orders.get(group)
        if order is not None:
            return (order.index(key) if key in order else len(order), str(key))
        if group == "officer":
            return (0, self._name(group, key))
        return (key, "")

    def _name(self, group: str, key) -> str:
        site = self.site
        english = self.lang == "en"
        if group == "field":
            if key not in site.fields:
                return str(key)
            return (english and site.fields[key].name_en) or site.fields[key].name
        if group == "counter":
            return site.counters[key].name if key in site.counters else str(key)
        if group == "officer":
            return site.officers[key].name if key in site.officers else str(key)
        if group == "priority":
            if key not in site.categories:
                return "—"
            return (english and site.categories[key].name_en) or site.categories[key].name
        return f"{key:02d}:00–{key:02d}:59"
