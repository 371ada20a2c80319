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

import bisect
import itertools
import json
import math
import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import BigInteger, Integer, and_, cast, func, or_, select
from sqlalchemy.engine import Engine

from ..config import SiteConfig
from ..errors import BadRequest
from .archive_schema import daily_stats, ratings, rollup_progress, services, tickets

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


# Bins of the durations kept in daily rows: (below this many seconds, bins this many wide); one
# more bin holds twelve hours and over.
BINS = ((60, 1), (600, 5), (3600, 30), (43_200, 300))


def _segments() -> tuple[list[tuple[int, int, int, int]], int]:
    segments, index, start = [], 0, 0
    for limit, width in BINS:
        segments.append((index, start * 1000, limit * 1000, width * 1000))
        index += (limit - start) // width
        start = limit
    return segments, index + 1


SEGMENTS, NBINS = _segments()


def bin_index(ms: float) -> int:
    ms = max(0, int(ms))
    for first, start, limit, width in SEGMENTS:
        if ms < limit:
            return first + (ms - start) // width
    return NBINS - 1


def bin_of(ms: float) -> tuple[int, int]:
    """The bin a duration falls in: (its first ms, its width in ms; 0 for the last, open bin)."""
    index = bin_index(ms)
    for first, start, limit, width in SEGMENTS:
        if index < first + (limit - start) // width:
            return start + (index - first) * width, width
    return SEGMENTS[-1][2], 0


def _bin_middle(index: int) -> float:
    """The value a bin stands for, in seconds: its middle (the open last bin: its start)."""
    for first, start, limit, width in SEGMENTS:
        if index < first + (limit - start) // width:
            return round((start + (index - first) * width + width // 2) / 1000, 1)
    return SEGMENTS[-1][2] / 1000


MIDDLES = [_bin_middle(i) for i in range(NBINS)]


class Durations:
    """Durations of one kind (waiting, walking, service): exact while every value is at hand;
    once rows of finished days are read back, from counts per bin (median and p90 to within
    half a bin: 0.5 s below a minute, 2.5 s below ten, 15 s below an hour, 2.5 min above).

    Merging keeps the other's bin vectors and sums them all at once when asked (a province's
    year sums thousands): add nothing to a Durations after merging it into another."""

    __slots__ = ("exact", "n", "parts", "total_ms", "unbinned")

    def __init__(self) -> None:
        self.n = 0
        self.total_ms = 0
        self.exact: list[int] = []           # ms, counted from raw records
        self.parts: list[list[int]] = []     # counts per bin, read back from daily rows
        self.unbinned = False                # read back without its bins: count and mean only

    def add(self, ms: int) -> None:
        self.n += 1
        self.total_ms += ms
        self.exact.append(ms)

    def merge(self, other: Durations) -> None:
        self.n += other.n
        self.total_ms += other.total_ms
        self.exact.extend(other.exact)
        self.parts.extend(other.parts)
        self.unbinned = self.unbinned or other.unbinned

    def counts(self) -> list[int]:
        """Counts per bin of every duration, raw or read back."""
        vectors = list(self.parts)
        if self.exact:
            own = [0] * NBINS
            for ms in self.exact:
                own[bin_index(ms)] += 1
            vectors.append(own)
        if len(vectors) > 1:
            vectors = [[sum(column) for column in zip(*vectors, strict=True)]]
        self.parts, self.exact = vectors, []
        return vectors[0] if vectors else [0] * NBINS

    @staticmethod
    def _rank(running: list[int], rank: int) -> float:
        return MIDDLES[bisect.bisect_left(running, rank)]

    def stats(self) -> dict:
        if not self.parts and not self.unbinned:   # every value at hand: exact figures
            return stats(ms / 1000 for ms in self.exact)
        if not self.n:
            return {"count": 0, "mean": None, "median": None, "p90": None}
        mean = round(self.total_ms / self.n / 1000, 1)
        if self.unbinned:   # read without its bins (the officers' ranking needs only means)
            return {"count": self.n, "mean": mean, "median": None, "p90": None}
        counts = list(itertools.accumulate(self.counts()))
        half = self.n // 2
        # As statistics.median does: the middle value, or the mean of the two middle ones.
        median = self._rank(counts, half + 1) if self.n % 2 else \
            round((self._rank(counts, half) + self._rank(counts, half + 1)) / 2, 1)
        return {"count": self.n, "mean": mean, "median": median,
                "p90": self._rank(counts, max(1, math.ceil(0.9 * self.n)))}

    def bins(self) -> list[int]:
        """[first bin, its count, the next bin's, ... the last non-empty one's] ([] if none)."""
        counts = self.counts()
        used = [i for i, c in enumerate(counts) if c]
        return [used[0], *counts[used[0]:used[-1] + 1]] if used else []

    @classmethod
    def from_store(cls, n: int, total_ms: int, bins: list[int] | None) -> Durations:
        d = cls()
        d.n, d.total_ms = n, total_ms
        if bins is None:
            d.unbinned = True
        elif bins:
            d.parts = [[0] * bins[0] + bins[1:] + [0] * (NBINS - bins[0] - len(bins) + 1)]
        return d


COUNTS = ("issued", "served", "no_show", "transferred", "cancelled", "unserved_at_close", "calls",
          "calls_on_target", "unattributed", "repeat_ignored")
DURATIONS = ("waiting", "walking", "service", "done_service")


class _Row:
    def __init__(self, key):
        self.key = key
        self.issued = 0
        self.served = self.no_show = self.transferred = self.cancelled = self.unserved_at_close = 0
        self.calls = self.calls_on_target = 0
        self.waiting = Durations()
        self.walking = Durations()
        self.service = Durations()
        self.done_service = Durations()  # the officers' ranking: services that ended done
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
        wait = s["called_at"] - s["wait_from"]
        self.waiting.add(wait)
        if target_wait is not None and wait <= target_wait * 1000:
            self.calls_on_target += 1
        if s["started_at"] is not None:
            self.walking.add(s["started_at"] - s["called_at"])
            if s["outcome"] in ("done", "transferred") and s["ended_at"] is not None:
                self.service.add(s["ended_at"] - s["started_at"])
            if s["outcome"] == "done" and s["ended_at"] is not None:
                self.done_service.add(s["ended_at"] - s["started_at"])
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

    def merge(self, other: _Row) -> None:
        for name in COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in DURATIONS:
            getattr(self, name).merge(getattr(other, name))
        for level, n in other.levels.items():
            self.levels[level] = self.levels.get(level, 0) + n
        for category, n in other.categories.items():
            self.categories[category] += n

    def to_store(self) -> dict:
        """The columns of its daily_stats row (less site, grain, start, dim and key)."""
        return {**{name: getattr(self, name) for name in COUNTS}, **self.categories,
                **{f"{name}_n": getattr(self, name).n for name in DURATIONS},
                **{f"{name}_ms": getattr(self, name).total_ms for name in DURATIONS},
                "levels": json.dumps({str(k): v for k, v in self.levels.items()}),
                "bins": json.dumps({name: getattr(self, name).bins() for name in DURATIONS})}

    @classmethod
    def from_store(cls, key, row, bins: bool = True) -> _Row:
        """A row read back; without ``bins`` its durations have counts and means only (and
        without ``levels``, no presses per level)."""
        r = cls(key)
        for name in COUNTS:
            setattr(r, name, row[name])
        r.categories = {c: row[c] for c in CATEGORIES}
        if "levels" in row:
            r.levels = {int(k): v for k, v in json.loads(row["levels"]).items()}
        binned = json.loads(row["bins"]) if bins else {}
        for name in DURATIONS:
            setattr(r, name, Durations.from_store(row[f"{name}_n"], row[f"{name}_ms"], binned.get(name, [])
                                                  if bins else None))
        return r

    def to_json(self, name: str) -> dict:
        rated = sum(self.categories.values())
        satisfied = self.categories["very_satisfied"] + self.categories["satisfied"]
        return {
            "key": self.key, "name": name, "issued": self.issued, "served": self.served, "no_show": self.no_show,
            "transferred": self.transferred, "cancelled": self.cancelled,
            "unserved_at_close": self.unserved_at_close, "calls": self.calls,
            "within_target": round(self.calls_on_target / self.calls, 4) if self.calls else None,
            "waiting": self.waiting.stats(), "walking": self.walking.stats(), "service": self.service.stats(),
            "ratings": {"total": rated, "levels": {str(k): v for k, v in sorted(self.levels.items(), reverse=True)},
                        **self.categories,
                        "satisfaction_rate": round(satisfied / rated, 4) if rated else None,
                        "unattributed": self.unattributed, "repeat_ignored": self.repeat_ignored},
        }


DIMS = ("field", "counter", "officer", "priority", "hour")   # what daily rows are kept by
INT_KEYS = ("counter", "hour")


@dataclass
class Figures:
    """A period's rows by grouping, and its total: read from daily rows where a day is final and
    rolled up, from the raw records for the rest."""
    total: _Row
    rows: dict[str, dict]

    def merge(self, other: Figures) -> None:
        self.total.merge(other.total)
        for dim, rows in other.rows.items():
            mine = self.rows.setdefault(dim, {})
            for key, row in rows.items():
                if key in mine:
                    mine[key].merge(row)
                else:
                    mine[key] = row


def _months_and_days(first: date, last: date) -> tuple[list[date], list[date]]:
    """Cover first..last with whole months and the days left over."""
    months: list[date] = []
    days: list[date] = []
    day = first
    while day <= last:
        month_end = (day.replace(day=1) + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        if day.day == 1 and month_end <= last:
            months.append(day)
            day = month_end + timedelta(days=1)
        else:
            days.append(day)
            day += timedelta(days=1)
    return months, days


class ReportBuilder:
    def __init__(self, sql: Engine, site: SiteConfig, lang: str = "vi"):
        self.sql = sql
        self.site = site
        self.lang = lang  # names of fields and categories in the reader's language

    def _rows(self, table, column, start: int, end: int):
        with self.sql.connect() as conn:
            return conn.execute(select(table).where(and_(table.c.site == self.site.id, column >= start,
                                                         column < end))).mappings().all()

    def rolled_through(self) -> date | None:
        with self.sql.connect() as conn:
            day = conn.execute(select(rollup_progress.c.rolled_through).where(
                rollup_progress.c.site == self.site.id)).scalar()
        return date.fromisoformat(day) if day else None

    def figures(self, period: Period, dims: Iterable[str], means_only: Iterable[str] = ()) -> Figures:
        """The period's figures for these groupings (and the total); the groupings in
        ``means_only`` may leave out the medians and p90 of rolled-up days (faster)."""
        dims = set(dims)
        rolled = self.rolled_through()
        raw_first = period.first
        out = Figures(_Row("total"), {d: {} for d in dims})
        if rolled is not None and rolled >= period.first:
            last = min(rolled, period.last)
            out.merge(self.stored(*_months_and_days(period.first, last), dims, set(means_only)))
            raw_first = last + timedelta(days=1)
        if raw_first <= period.last:
            out.merge(self.raw(*Period("custom", raw_first, period.last).bounds_ms(self.site.timezone), dims))
        return out

    def stored(self, months: list[date], days: list[date], dims: set[str], means_only: set[str]) -> Figures:
        """Figures summed from daily rows (whole months from their month rows). Rows of the
        groupings in ``means_only`` are summed by the database, without their bins."""
        out = Figures(_Row("total"), {d: {} for d in dims})
        c = daily_stats.c
        when = and_(c.site == self.site.id, or_(and_(c.grain == "month", c.start.in_([m.isoformat() for m in months])),
                                                and_(c.grain == "day", c.start.in_([d.isoformat() for d in days]))))
        binned = [*(dims - means_only), "total"]
        summed = [col for col in daily_stats.columns if isinstance(col.type, (Integer, BigInteger))]
        with self.sql.connect() as conn:
            rows = list(conn.execute(select(daily_stats).where(and_(when, c.dim.in_(binned)))).mappings())
            if dims & means_only:
                rows += conn.execute(select(c.dim, c.key, *(cast(func.sum(col), BigInteger).label(col.name) for col in summed))
                                     .where(and_(when, c.dim.in_(dims & means_only))).group_by(c.dim, c.key)).mappings()
        for row in rows:
            dim = row["dim"]
            key = int(row["key"]) if dim in INT_KEYS else row["key"]
            part = _Row.from_store(key, row, bins=dim not in means_only)
            if dim == "total":
                out.total.merge(part)
            elif key in out.rows[dim]:
                out.rows[dim][key].merge(part)
            else:
                out.rows[dim][key] = part
        return out

    def raw(self, start: int, end: int, dims: Iterable[str]) -> Figures:
        """Figures counted from the tickets, services and ratings of [start, end) (ms)."""
        issued = self._rows(tickets, tickets.c.issued_at, start, end)
        calls = self._rows(services, services.c.called_at, start, end)
        presses = self._rows(ratings, ratings.c.pressed_at, start, end)
        categories = self._categories(issued, presses)
        keyers = [(d, self._grouping(d, categories)) for d in dims]
        out = Figures(_Row("total"), {d: {} for d, _ in keyers})

        def rows_for(kind: str, record) -> list[_Row]:
            """The total and the record's own row in each grouping that applies to it."""
            found = [out.total]
            for dim, key_of in keyers:
                key = key_of(kind, record)
                if key is not None:
                    rows = out.rows[dim]
                    if key not in rows:
                        rows[key] = _Row(key)
                    found.append(rows[key])
            return found

        for t in issued:
            for r in rows_for("ticket", t):
                r.add_ticket(t)
        for c in calls:
            field = self.site.fields.get(c["field"])
            for r in rows_for("service", c):
                r.add_call(c, field.target_wait_seconds if field else None)
        for p in presses:
            for r in rows_for("rating", p):
                r.add_press(p)
        return out

    def build(self, period: Period, group: str) -> dict:
        if group not in GROUPS:
            raise BadRequest(f"Unknown grouping {group!r}.", code="bad_group", details={"groups": list(GROUPS)})
        figures = self.figures(period, {group, "officer", "hour"},
                               means_only={"officer", "hour"} - {group})   # the ranking and arrivals
        hours = figures.rows["hour"]
        return {
            "site": {"id": self.site.id, "name": self.site.name},
            "period": period.to_json(), "group": group,
            "rows": self._out_rows(group, figures.rows[group]), "total": figures.total.to_json("total"),
            "hourly_arrivals": [hours[h].issued if h in hours else 0 for h in range(24)],
            "ranking": self.ranking(figures.rows["officer"]),
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

    def ranking(self, officers: dict[str, _Row]) -> list[dict]:
        """Officers who served or were rated, by satisfaction rate, then by visitors served."""
        ranked = [r.to_json(self._name("officer", k)) | {"service_mean": r.done_service.stats()["mean"]}
                  for k, r in officers.items() if r.calls or sum(r.categories.values())]
        ranked.sort(key=lambda r: (r["ratings"]["satisfaction_rate"] is None, -(r["ratings"]["satisfaction_rate"] or 0),
                                   -r["served"], r["key"]))
        return [{"rank": i + 1, "officer": r["key"], "name": r["name"], "served": r["served"],
                 "ratings": r["ratings"]["total"], "satisfaction_rate": r["ratings"]["satisfaction_rate"],
                 "service_mean": r["service_mean"]} for i, r in enumerate(ranked)]

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
