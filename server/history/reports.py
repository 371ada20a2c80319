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
import contextlib
import gc
import itertools
import json
import math
import statistics
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

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
    ms = int(ms)
    if ms < 60_000:   # the first segment, by far the busiest, without the loop
        return ms // 1000 if ms > 0 else 0
    for first, start, limit, width in SEGMENTS:
        if ms < limit:
            return first + (ms - start) // width
    return NBINS - 1


def _bin_bounds(index: int) -> tuple[int, int]:
    """A bin's first ms and its width in ms (0 for the last, open bin)."""
    for first, start, limit, width in SEGMENTS:
        if index < first + (limit - start) // width:
            return start + (index - first) * width, width
    return SEGMENTS[-1][2], 0


def bin_of(ms: float) -> tuple[int, int]:
    """The bin a duration falls in: (its first ms, its width in ms; 0 for the last, open bin)."""
    return _bin_bounds(bin_index(ms))


def _bin_middle(index: int) -> float:
    """The value a bin stands for, in seconds: its middle (the open last bin: its start)."""
    start, width = _bin_bounds(index)
    return round((start + width // 2) / 1000, 1) if width else start / 1000


MIDDLES = [_bin_middle(i) for i in range(NBINS)]


def by_satisfaction(rate: float | None, served: int, *ties) -> tuple:
    """The sort key of every ranking: satisfaction rate (unrated last), then visitors served,
    then ``ties`` (ids) so the order never depends on the input's."""
    return (rate is None, -(rate or 0), -served, *ties)


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
        self.parts: list[tuple[int, list[int]]] = []   # (first bin, counts from it on), read back
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
        parts = list(self.parts)
        if self.exact:
            own = [0] * NBINS
            for ms in self.exact:
                own[bin_index(ms)] += 1
            parts.append((0, own))
        if not parts:
            return [0] * NBINS
        # Sum only the span some part uses (summing columns at C speed).
        low = min(first for first, _ in parts)
        high = max(first + len(counts) for first, counts in parts)
        span = [sum(column) for column in zip(*([0] * (first - low) + counts + [0] * (high - first - len(counts))
                                                for first, counts in parts), strict=True)]
        whole = [0] * low + span + [0] * (NBINS - high)
        self.parts, self.exact = [(0, whole)], []
        return whole

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
            d.parts = [(bins[0], bins[1:])]
        return d


COUNTS = ("issued", "served", "no_show", "transferred", "cancelled", "unserved_at_close", "calls",
          "calls_on_target", "unattributed", "repeat_ignored")
DURATIONS = ("waiting", "walking", "service", "done_service")


class _Row:
    def __init__(self, key, light: bool = False):
        self.key = key
        self.light = light
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

    def add_call(self, wait: int, on_target: bool, walk: int | None, service: int | None, outcome: str) -> None:
        """One call of a ticket to a counter: its wait, walk and service (ms) and how it ended.
        A light row (the ranking's, the arrivals') keeps only the done services' durations."""
        self.calls += 1
        if on_target:
            self.calls_on_target += 1
        if not self.light:
            self.waiting.add(wait)
            if walk is not None:
                self.walking.add(walk)
            if service is not None:
                self.service.add(service)
        if outcome == "done":
            self.served += 1
            if service is not None:
                self.done_service.add(service)
        elif outcome == "no_show":
            self.no_show += 1
        elif outcome == "transferred":
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
_BASE_ORDER = ("field", "counter", "priority", "hour", "officer")  # the total is summed from the first full one


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


def _call_values(c, target_wait: int | None) -> tuple[int, bool, int | None, int | None, str]:
    """(wait, within the target wait, walk, service, outcome) of one service record (ms)."""
    called, started, ended, outcome = c["called_at"], c["started_at"], c["ended_at"], c["outcome"]
    wait = called - c["wait_from"]
    walk = service = None
    if started is not None:
        walk = started - called
        if ended is not None and outcome in ("done", "transferred"):
            service = ended - started
    return wait, target_wait is not None and wait <= target_wait * 1000, walk, service, outcome


class _Tally:
    """Raw records counted into their rows. The total is the sum of one whole grouping's rows
    (and of the records that grouping leaves out), rather than each record counted once more."""

    def __init__(self, keyers: list[tuple[str, Callable, bool]]):
        self.keyers = keyers   # (grouping, key_of(kind, record), light)
        self.out = Figures(_Row("total"), {d: {} for d, _, _ in keyers})
        self.base = next((d for d, _, light in keyers if not light), None)
        self.left_out = _Row(None)

    def rows_for(self, kind: str, record) -> list[_Row]:
        """The record's own row in each grouping that applies to it (and the total's share)."""
        found = [] if self.base else [self.out.total]
        for dim, key_of, light in self.keyers:
            key = key_of(kind, record)
            if key is not None:
                rows = self.out.rows[dim]
                if key not in rows:
                    rows[key] = _Row(key, light)
                found.append(rows[key])
            elif dim == self.base:
                found.append(self.left_out)
        return found

    def figures(self) -> Figures:
        if self.base:
            for row in [*self.out.rows[self.base].values(), self.left_out]:
                self.out.total.merge(row)
        return self.out


@contextlib.contextmanager
def _no_collection() -> Iterator[None]:
    """No garbage collection while a report sums its rows: it makes (and keeps) many small
    objects, and the collector's scans of them took a fifth of a province's year."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


_READ = {  # the columns reports read from each table
    "tickets": ("site", "id", "field_issued", "category", "issued_at", "state", "reason"),
    "services": ("site", "field", "category", "counter", "officer", "wait_from", "called_at", "started_at",
                 "ended_at", "outcome"),
    "ratings": ("site", "ticket_id", "field", "counter", "officer", "level", "category", "outcome", "pressed_at"),
}


def _records(sql: Engine, table, column, sites: list[str], start: int, end: int) -> dict[str, list]:
    """Raw records of [start, end) (ms) of these sites, by site."""
    out: dict[str, list] = {site: [] for site in sites}
    with sql.connect() as conn:
        found = conn.execute(select(*(table.c[name] for name in _READ[table.name])).where(
            and_(table.c.site.in_(sites), column >= start, column < end))).mappings().all()
    if len(sites) == 1:
        out[sites[0]] = list(found)
    else:
        for row in found:
            out[row["site"]].append(row)
    return out


def _progress(sql: Engine, sites: list[str]) -> dict[str, date | None]:
    with sql.connect() as conn:
        found = dict(conn.execute(select(rollup_progress.c.site, rollup_progress.c.rolled_through).where(
            rollup_progress.c.site.in_(sites))).all())
    return {site: date.fromisoformat(found[site]) if site in found else None for site in sites}


def _stored(sql: Engine, sites: list[str], months: list[date], days: list[date], dims: set[str],
            means_only: set[str]) -> dict[str, Figures]:
    """Figures of these sites summed from daily rows (whole months from their month rows). Rows
    of the groupings in ``means_only`` are summed by the database, without their bins."""
    out = {site: Figures(_Row("total"), {d: {} for d in dims}) for site in sites}
    c = daily_stats.c
    when = and_(c.site.in_(sites), or_(and_(c.grain == "month", c.start.in_([m.isoformat() for m in months])),
                                       and_(c.grain == "day", c.start.in_([d.isoformat() for d in days]))))
    binned = [*(dims - means_only), "total"]
    summed = [col for col in daily_stats.columns if isinstance(col.type, (Integer, BigInteger))]
    with sql.connect() as conn:
        rows = list(conn.execute(select(daily_stats).where(and_(when, c.dim.in_(binned)))).mappings())
        if dims & means_only:
            sums = [cast(func.sum(col), BigInteger).label(col.name) for col in summed]
            rows += conn.execute(select(c.site, c.dim, c.key, *sums).where(and_(when, c.dim.in_(dims & means_only)))
                                 .group_by(c.site, c.dim, c.key)).mappings()
    for row in rows:
        dim = row["dim"]
        key = int(row["key"]) if dim in INT_KEYS else row["key"]
        part = _Row.from_store(key, row, bins=dim not in means_only)
        figures = out[row["site"]]
        if dim == "total":
            figures.total.merge(part)
        elif key in figures.rows[dim]:
            figures.rows[dim][key].merge(part)
        else:
            figures.rows[dim][key] = part
    return out


def collect(sql: Engine, sites: list[SiteConfig], period: Period, dims: Iterable[str],
            means_only: Iterable[str] = ()) -> dict[str, Figures]:
    """Each site's figures for the period, by these groupings (and the total): daily rows for
    the days rolled up, raw records for the rest; the groupings in ``means_only`` may leave out
    the medians and p90 of rolled-up days (faster). A few queries for all the sites together."""
    dims = set(dims)
    progress = _progress(sql, [s.id for s in sites])
    out = {s.id: Figures(_Row("total"), {d: {} for d in dims}) for s in sites}
    together: dict[tuple, list[SiteConfig]] = {}
    for site in sites:   # sites rolled up as far, in one time zone, are read together
        together.setdefault((progress[site.id], str(site.timezone)), []).append(site)
    for (rolled, _zone), group in together.items():
        ids = [s.id for s in group]
        raw_first = period.first
        if rolled is not None and rolled >= period.first:
            last = min(rolled, period.last)
            for site_id, figures in _stored(sql, ids, *_months_and_days(period.first, last), dims,
                                            set(means_only)).items():
                out[site_id].merge(figures)
            raw_first = last + timedelta(days=1)
        if raw_first <= period.last:
            start, end = Period("custom", raw_first, period.last).bounds_ms(group[0].timezone)
            issued = _records(sql, tickets, tickets.c.issued_at, ids, start, end)
            calls = _records(sql, services, services.c.called_at, ids, start, end)
            presses = _records(sql, ratings, ratings.c.pressed_at, ids, start, end)
            for site in group:
                builder = ReportBuilder(sql, site)
                out[site.id].merge(builder.count(issued[site.id], calls[site.id], presses[site.id], dims,
                                                 light=set(means_only)))
    return out


class ReportBuilder:
    def __init__(self, sql: Engine, site: SiteConfig, lang: str = "vi"):
        self.sql = sql
        self.site = site
        self.lang = lang  # names of fields and categories in the reader's language

    def rolled_through(self) -> date | None:
        return _progress(self.sql, [self.site.id])[self.site.id]

    def figures(self, period: Period, dims: Iterable[str], means_only: Iterable[str] = ()) -> Figures:
        """The period's figures for these groupings (and the total); see collect()."""
        return collect(self.sql, [self.site], period, dims, means_only)[self.site.id]

    def raw(self, start: int, end: int, dims: Iterable[str]) -> Figures:
        """Figures counted from the tickets, services and ratings of [start, end) (ms)."""
        ids = [self.site.id]
        return self.count(_records(self.sql, tickets, tickets.c.issued_at, ids, start, end)[self.site.id],
                          _records(self.sql, services, services.c.called_at, ids, start, end)[self.site.id],
                          _records(self.sql, ratings, ratings.c.pressed_at, ids, start, end)[self.site.id], dims)

    def count(self, issued: list, calls: list, presses: list, dims: Iterable[str],
              light: Iterable[str] = ()) -> Figures:
        """Figures of these raw records by the groupings ``dims`` and in total; rows of the
        groupings in ``light`` count visitors, ratings and the done services' durations only."""
        categories = self._categories(issued, presses)
        tally = _Tally([(d, self._grouping(d, categories), d in set(light))
                        for d in sorted(dims, key=_BASE_ORDER.index)])
        for t in issued:
            for r in tally.rows_for("ticket", t):
                r.add_ticket(t)
        targets = {code: field.target_wait_seconds for code, field in self.site.fields.items()}
        for c in calls:
            values = _call_values(c, targets.get(c["field"]))
            for r in tally.rows_for("service", c):
                r.add_call(*values)
        for p in presses:
            for r in tally.rows_for("rating", p):
                r.add_press(p)
        return tally.figures()

    def build(self, period: Period, group: str) -> dict:
        if group not in GROUPS:
            raise BadRequest(f"Unknown grouping {group!r}.", code="bad_group", details={"groups": list(GROUPS)})
        with _no_collection():
            return self._build(period, group)

    def _build(self, period: Period, group: str) -> dict:
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
        ranked: list[dict[str, Any]] = []
        for key, r in officers.items():
            rated = sum(r.categories.values())
            if not (r.calls or rated):
                continue
            satisfied = r.categories["very_satisfied"] + r.categories["satisfied"]
            done = r.done_service
            ranked.append({"officer": key, "name": self._name("officer", key), "served": r.served, "ratings": rated,
                           "satisfaction_rate": round(satisfied / rated, 4) if rated else None,
                           "service_mean": round(done.total_ms / done.n / 1000, 1) if done.n else None})
        ranked.sort(key=lambda r: by_satisfaction(r["satisfaction_rate"], r["served"], r["officer"]))
        return [{"rank": i + 1, **r} for i, r in enumerate(ranked)]

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
