"""A realistic day generated through the API with a controlled clock; every report figure
checked against an independent count kept by the test itself."""
from __future__ import annotations

import math
import random
import statistics
from collections import Counter
from datetime import datetime

import pytest
import redis as redis_lib

from server.history.archiver import Archiver
from server.history.reports import ReportBuilder, period_of

from ..conftest import HCM
from ..hall import AGENT_TOKEN, KIOSK_TOKEN, hall_document

FIELDS = {"TP": [1, 3], "DD": [2], "XD": [4]}   # which counters serve each field (test hall)
TARGETS = {"TP": 900, "DD": 900, "XD": 900, "KD": 900}


def p90(values):
    data = sorted(values)
    return data[math.ceil(0.9 * len(data)) - 1] if data else None


class Day:
    """Drives the hall through a working day and remembers what happened, independently."""

    def __init__(self, api, clock, seed=7):
        self.api, self.clock, self.rng = api, clock, random.Random(seed)
        self.issued = []                          # (id, field, category, hour)
        # dicts: field, counter, officer, wait, walk, service, outcome, category, called_hour
        self.calls = []
        self.ratings = []                         # (counter, officer, field, category, level)
        self.unattributed = 0
        self.repeats = 0
        self.cancelled = 0
        self.waiting_since = {}                   # ticket id -> ms the current wait started
        self.meta = {}                            # ticket id -> (field, category)
        self.current = {}                         # counter -> dict of the open call
        self.press_no = 0

    def now_ms(self):
        return int(self.clock.now().timestamp() * 1000)

    def hour(self):
        return self.clock.now().astimezone(HCM).hour

    def issue(self):
        field = self.rng.choice(["TP", "TP", "DD", "XD", "XD"])
        category = "elderly" if self.rng.random() < 0.12 else None
        body = {"field": field, **({"priority": category} if category else {})}
        r = self.api.post("/tickets", body, KIOSK_TOKEN)
        assert r.status_code == 201, r.get_json()
        t = r.get_json()
        self.issued.append((t["id"], field, category, self.hour()))
        self.waiting_since[t["id"]] = self.now_ms()
        self.meta[t["id"]] = (field, category)

    def press(self, counter, level):
        self.press_no += 1
        r = self.api.post("/ratings", {"counter": counter, "level": level, "device": f"panel-{counter}",
                                       "press_id": f"day-press-{self.press_no:05d}"}, AGENT_TOKEN)
        assert r.status_code == 201, r.get_json()
        return r.get_json()

    def counter_turn(self, counter):
        cur = self.current.get(counter)
        if cur is None:
            r = self.api.act(counter, "call-next")
            if r.status_code == 204:
                return
            t = r.get_json()
            _, category = self.meta[t["id"]]
            cur = {"id": t["id"], "field": t["field"], "category": category, "counter": counter,
                   "officer": f"cb{counter}", "called": self.now_ms(), "called_hour": self.hour(),
                   "wait": (self.now_ms() - self.waiting_since[t["id"]]) / 1000, "started": None}
            self.current[counter] = cur
            return
        roll = self.rng.random()
        if cur["started"] is None:
            if roll < 0.08:
                self.api.act(counter, "no-show")
                self._close(counter, "no_show")
            elif roll < 0.15:
                self.api.act(counter, "recall")
            else:
                self.api.act(counter, "start")
                cur["started"] = self.now_ms()
            return
        if roll < 0.06 and cur["field"] == "TP":
            self.api.act(counter, "transfer", {"field": "XD"})
            self.waiting_since[cur["id"]] = self.now_ms()
            self.meta[cur["id"]] = ("XD", cur["category"])
            self._close(counter, "transferred")
            return
        if roll < 0.75:
            return  # still serving
        assert self.api.act(counter, "finish").status_code == 200
        self._close(counter, "done")
        if self.rng.random() < 0.7:
            level = self.rng.choice([3, 3, 3, 2, 2, 1])
            press = self.press(counter, level)
            assert press["outcome"] == "recorded"
            self.ratings.append((counter, f"cb{counter}", self.calls[-1]["field"], self.calls[-1]["category"], level))
            if self.rng.random() < 0.1:
                assert self.press(counter, 1)["outcome"] == "repeat_ignored"
                self.repeats += 1

    def _close(self, counter, outcome):
        cur = self.current.pop(counter)
        now = self.now_ms()
        cur["outcome"] = outcome
        cur["walk"] = (cur["started"] - cur["called"]) / 1000 if cur["started"] else None
        served = cur["started"] and outcome in ("done", "transferred")
        cur["service"] = (now - cur["started"]) / 1000 if served else None
        self.calls.append(cur)

    def run(self, tickets=2000):
        for n in (1, 2, 3, 4):
            self.api.login(n)
        self.clock.set(datetime(2026, 11, 23, 7, 30, tzinfo=HCM))
        made = 0
        while self.clock.now().astimezone(HCM).hour < 17 and made < tickets:
            local = self.clock.now().astimezone(HCM)
            hm = (local.hour, local.minute)
            open_now = (7, 30) <= hm < (11, 30) or (13, 30) <= hm < (17, 0)
            if open_now:
                self.issue()
                made += 1
            if self.rng.random() < 0.03:
                waiting = [i for i, f, c, h in self.issued if i in self.waiting_since
                           and all(i != cur["id"] for cur in self.current.values())
                           and all(i != c["id"] for c in self.calls)]
                if waiting:
                    r = self.api.post(f"/tickets/{waiting[-1]}/cancel", None, self.api.tokens[1])
                    if r.status_code == 200:
                        self.cancelled += 1
                        self.waiting_since.pop(waiting[-1])
            if self.rng.random() < 0.01:
                self.unattributed += self.press(5, 2)["outcome"] == "unattributed"
            for counter in (1, 2, 3, 4):
                self.counter_turn(counter)
            self.clock.advance(seconds=self.rng.randint(3, 15))
        # Serve everything that is left.
        for _ in range(20000):
            busy = False
            for counter in (1, 2, 3, 4):
                before = (len(self.calls), counter in self.current)
                self.counter_turn(counter)
                busy |= (len(self.calls), counter in self.current) != before or counter in self.current
            self.clock.advance(seconds=20)
            if not busy:
                break


@pytest.fixture
def archived_day(api, clock, app, redis_url, config):
    day = Day(api, clock)
    day.run()
    services = app.extensions["qms"]
    archiver = Archiver(redis_lib.Redis.from_url(redis_url), config, services.engine.keys, services.archive_sql,
                        consumer="test")
    while archiver.step(block_ms=10):
        pass
    return day, ReportBuilder(services.archive_sql, config.sites["hcc"])


@pytest.fixture
def config(prefix, tmp_path):
    from server.config import parse_config

    doc = hall_document(prefix)
    doc["sites"][0]["fields"][1].pop("daily_cap")
    doc["server"]["data_dir"] = str(tmp_path)
    return parse_config(doc)


def test_every_report_figure_matches_an_independent_count(archived_day):
    """One generated day (2,000 tickets), checked by field, then by officer, counter, priority, hour."""
    check_fields(*archived_day)
    check_other_groupings(*archived_day)


def check_fields(day, builder):
    report = builder.build(period_of("day", datetime(2026, 11, 23).date()), "field")
    rows = {r["key"]: r for r in report["rows"]}
    assert len(day.issued) == 2000
    issued = Counter(f for _i, f, _c, _h in day.issued)
    for field in ("TP", "DD", "XD"):
        row = rows[field]
        mine = [c for c in day.calls if c["field"] == field]
        assert row["issued"] == issued[field]
        assert row["served"] == sum(c["outcome"] == "done" for c in mine)
        assert row["no_show"] == sum(c["outcome"] == "no_show" for c in mine)
        assert row["transferred"] == sum(c["outcome"] == "transferred" for c in mine)
        waits = [c["wait"] for c in mine]
        assert row["waiting"]["count"] == len(waits)
        assert row["waiting"]["mean"] == pytest.approx(statistics.fmean(waits), abs=0.1)
        assert row["waiting"]["median"] == pytest.approx(statistics.median(waits), abs=0.1)
        assert row["waiting"]["p90"] == pytest.approx(p90(waits), abs=0.1)
        walks = [c["walk"] for c in mine if c["walk"] is not None]
        assert row["walking"]["mean"] == pytest.approx(statistics.fmean(walks), abs=0.1)
        services = [c["service"] for c in mine if c["service"] is not None]
        assert row["service"]["p90"] == pytest.approx(p90(services), abs=0.1)
        assert row["within_target"] == pytest.approx(sum(w <= TARGETS[field] for w in waits) / len(waits), abs=1e-4)
        levels = Counter(level for _c, _o, f, _cat, level in day.ratings if f == field)
        assert row["ratings"]["levels"] == {str(k): v for k, v in sorted(levels.items(), reverse=True)}
        rated = sum(levels.values())
        assert row["ratings"]["satisfaction_rate"] == pytest.approx((levels[3] + levels[2]) / rated, abs=1e-4)
    total = report["total"]
    assert total["issued"] == len(day.issued)
    assert total["cancelled"] == day.cancelled
    assert total["ratings"]["unattributed"] == day.unattributed > 0
    assert total["ratings"]["repeat_ignored"] == day.repeats > 0
    assert sum(report["hourly_arrivals"]) == len(day.issued)
    assert report["hourly_arrivals"] == [sum(h == hour for *_x, h in day.issued) for hour in range(24)]


def check_other_groupings(day, builder):
    period = period_of("month", datetime(2026, 11, 23).date())
    officers = {r["key"]: r for r in builder.build(period, "officer")["rows"]}
    for counter in (1, 2, 3, 4):
        mine = [c for c in day.calls if c["counter"] == counter]
        row = officers[f"cb{counter}"]
        assert row["served"] == sum(c["outcome"] == "done" for c in mine)
        levels = [lv for c, _o, _f, _cat, lv in day.ratings if c == counter]
        assert row["ratings"]["total"] == len(levels)
        assert row["ratings"]["very_satisfied"] == levels.count(3)
    counters = {r["key"]: r for r in builder.build(period, "counter")["rows"]}
    assert counters[5]["ratings"]["unattributed"] == day.unattributed
    priority = {r["key"]: r for r in builder.build(period, "priority")["rows"]}
    assert priority["elderly"]["issued"] == sum(c == "elderly" for _i, _f, c, _h in day.issued)
    elderly_served = sum(c["outcome"] == "done" and c["category"] == "elderly" for c in day.calls)
    assert priority["elderly"]["served"] == elderly_served
    hours = {r["key"]: r for r in builder.build(period, "hour")["rows"]}
    for hour, row in hours.items():
        assert row["issued"] == sum(h == hour for *_x, h in day.issued)
        assert row["calls"] == sum(c["called_hour"] == hour for c in day.calls)
    ranking = builder.build(period, "officer")["ranking"]
    rates = [r["satisfaction_rate"] for r in ranking if r["satisfaction_rate"] is not None]
    assert rates == sorted(rates, reverse=True) and ranking[0]["rank"] == 1
    # The next month holds nothing of this day.
    empty = builder.build(period_of("month", datetime(2026, 12, 1).date()), "field")
    assert empty["total"]["issued"] == 0 and empty["rows"] == []


def test_periods():
    d = datetime(2026, 11, 25).date()   # a Wednesday
    assert period_of("week", d).to_json() == {"kind": "week", "from": "2026-11-23", "to": "2026-11-29"}
    assert period_of("month", d).to_json()["to"] == "2026-11-30"
    assert period_of("quarter", d).to_json() == {"kind": "quarter", "from": "2026-10-01", "to": "2026-12-31"}
    assert period_of("year", d).to_json()["from"] == "2026-01-01"
    assert period_of("quarter", datetime(2026, 2, 10).date()).to_json()["to"] == "2026-03-31"
