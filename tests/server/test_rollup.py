"""Reports read pre-aggregated daily rows once a day is final: the figures a leader sees are
the same as those counted from every ticket (durations' median and p90 to within half a bin),
and a day whose close is not archived yet is never rolled up."""
from __future__ import annotations

import json
from datetime import date, datetime

import pytest
import redis as redis_lib
import yaml
from sqlalchemy import func, insert, select

from server import cli
from server.history.archive_schema import daily_stats, events, rollup_progress, tickets
from server.history.archiver import Archiver
from server.history.reports import GROUPS, ReportBuilder, bin_of, period_of
from server.history.rollup import Rollup

from ..conftest import HCM
from ..hall import KIOSK_TOKEN, hall_document
from .test_reports import archived_day  # noqa: F401  # a fixture, used by name

AGENCIES = {"TP": "Sở Tư pháp", "DD": "Sở Nông nghiệp và Môi trường", "XD": "Sở Xây dựng"}


@pytest.fixture
def document(prefix, tmp_path, archive_url):
    doc = hall_document(prefix)
    doc["archive"] = {"url": archive_url}   # SQLite, and the province's PostgreSQL when there is one
    doc["sites"][0]["fields"][1].pop("daily_cap")
    for field in doc["sites"][0]["fields"]:
        if field["code"] in AGENCIES:
            field["agency"] = AGENCIES[field["code"]]
    doc["server"]["data_dir"] = str(tmp_path)
    return doc


@pytest.fixture
def config(document):
    from server.config import parse_config

    return parse_config(document)

NOV_23 = date(2026, 11, 23)


def same_durations(before: dict, after: dict, where: str) -> None:
    assert after["count"] == before["count"], where
    if not before["count"]:
        assert after == before, where
        return
    assert after["mean"] == pytest.approx(before["mean"], abs=0.11), where
    for name in ("median", "p90"):
        half_bin = bin_of(before[name] * 1000)[1] / 2000
        assert abs(after[name] - before[name]) <= half_bin + 0.5, (where, name, before[name], after[name])


def same_row(before: dict, after: dict, where: str) -> None:
    for name in ("waiting", "walking", "service"):
        same_durations(before[name], after[name], f"{where} {name}")
    strip = {"waiting", "walking", "service"}
    rest = {k: v for k, v in before.items() if k not in strip}
    assert {k: v for k, v in after.items() if k not in strip} == rest, where


def same_report(before: dict, after: dict) -> None:
    where = f"{after['period']['kind']} by {after['group']}"
    assert [r["key"] for r in after["rows"]] == [r["key"] for r in before["rows"]], where
    for b, a in zip(before["rows"], after["rows"], strict=True):
        same_row(b, a, f"{where} row {b['key']}")
    same_row(before["total"], after["total"], f"{where} total")
    assert after["hourly_arrivals"] == before["hourly_arrivals"], where
    assert len(after["ranking"]) == len(before["ranking"])
    for b, a in zip(before["ranking"], after["ranking"], strict=True):
        assert {**a, "service_mean": None} == {**b, "service_mean": None}, where
        assert a["service_mean"] == pytest.approx(b["service_mean"], abs=0.11), where


def reports(builder: ReportBuilder) -> dict:
    return {(kind, group): builder.build(period_of(kind, NOV_23), group)
            for kind in ("day", "month", "year") for group in GROUPS}


def test_rolled_up_days_report_what_the_tickets_say(archived_day, api, clock, app, redis_url,  # noqa: F811
                                                     config, document, tmp_path, capsys):
    day, builder = archived_day
    services = app.extensions["qms"]
    archiver = Archiver(redis_lib.Redis.from_url(redis_url), config, services.engine.keys, services.archive_sql,
                        consumer="test")  # the fixture's: it holds the lease
    while archiver.step(block_ms=10):
        pass
    # While 23 November is the newest day archived it stays raw.
    assert builder.rolled_through() is None or builder.rolled_through() < NOV_23
    # The first visitor of 1 December closes the 23rd (its unserved tickets cancelled) first.
    clock.set(datetime(2026, 12, 1, 8, 0, tzinfo=HCM))
    assert api.post("/tickets", {"field": "TP"}, KIOSK_TOKEN).status_code == 201
    while archiver.step(block_ms=10):
        pass
    before = reports(builder)
    assert before[("year", "field")]["total"]["issued"] == len(day.issued) + 1

    rolled = archiver.roll_up(["hcc"], days_per_site=31)
    assert rolled >= 8 and builder.rolled_through() == date(2026, 11, 30)
    with services.archive_sql.connect() as conn:
        months = conn.execute(select(daily_stats.c.start).where(daily_stats.c.grain == "month").distinct()).scalars()
        assert "2026-11-01" in set(months)
        stored = conn.execute(select(func.count()).select_from(daily_stats).where(
            daily_stats.c.start == "2026-11-23", daily_stats.c.grain == "day")).scalar()
    assert stored > 10   # a total, fields, counters, officers, categories and hours
    after = reports(builder)
    for key in before:
        same_report(before[key], after[key])
    # The exact figures of the day came from the raw tickets; now the medians are binned.
    exact = before[("day", "field")]["total"]["waiting"]
    assert after[("day", "field")]["total"]["waiting"]["median"] != exact["median"] or exact["median"] < 60
    # Rolling again changes nothing.
    assert archiver.roll_up(["hcc"], days_per_site=31) == 0
    for key, report in reports(builder).items():
        assert report == after[key]
    check_province(services.archive_sql, config, after, document, tmp_path, capsys)


def check_province(sql, config, site_reports, document, tmp_path, capsys):
    """The province's year: a row per site and per agency, the total, and the rankings, as the
    province's IT department gets it from the command line."""
    path = tmp_path / "province.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    capsys.readouterr()
    assert cli.main(["province-report", "--config", str(path), "--period", "year", "--date", "2026-11-23"]) == 0
    report = json.loads(capsys.readouterr().out)
    hcc = site_reports[("year", "field")]
    sites = {r["key"]: r for r in report["sites"]}
    assert set(sites) == {"hcc", "xa"}
    assert sites["hcc"]["name"] == config.sites["hcc"].name
    assert sites["hcc"] == {**hcc["total"], "key": "hcc", "name": sites["hcc"]["name"]}
    assert sites["xa"]["issued"] == 0
    assert report["total"]["issued"] == hcc["total"]["issued"]
    agencies = {r["key"]: r for r in report["agencies"]}
    fields = {r["key"]: r for r in hcc["rows"]}
    assert set(agencies) == set(AGENCIES.values())   # KD (no agency) had no visitor
    for code, agency in AGENCIES.items():
        assert agencies[agency]["issued"] == fields[code]["issued"]
        assert agencies[agency]["served"] == fields[code]["served"]
        assert agencies[agency]["ratings"] == fields[code]["ratings"]
    assert [r["site"] for r in report["site_ranking"]] == ["hcc", "xa"]   # xa has no rating yet
    ranked = [(r["officer"], r["served"], r["satisfaction_rate"]) for r in report["officer_ranking"]]
    assert ranked == [(r["officer"], r["served"], r["satisfaction_rate"]) for r in hcc["ranking"]]
    assert all(r["site"] == "hcc" for r in report["officer_ranking"])
    # A bad period is refused in words, and nothing is printed.
    assert cli.main(["province-report", "--config", str(path), "--period", "custom", "--from", "2026-12-01",
                     "--to", "2026-11-01"]) == 2
    out = capsys.readouterr()
    assert out.out == "" and "from <= to" in out.err


def test_a_day_whose_close_is_not_archived_is_not_rolled_up(archive_url, config):
    from server.history.archive_schema import open_archive

    sql = open_archive(archive_url)
    site = config.sites["hcc"]
    at = int(datetime(2026, 11, 23, 9, tzinfo=HCM).timestamp() * 1000)
    later = int(datetime(2026, 11, 24, 9, tzinfo=HCM).timestamp() * 1000)
    with sql.begin() as conn:
        conn.execute(insert(tickets).values(site="hcc", id="20261123-000001", day="20261123", number=1001,
                                            label="1001", field_issued="TP", field="TP", issued_at=at,
                                            state="waiting", recalls=0, transfers=0))
        conn.execute(insert(events), [{"site": "hcc", "stream_id": f"{ts}-0", "seq": n, "type": "ticket.issued",
                                       "ts": ts, "data": "{}"} for n, ts in enumerate((at, later))])
    rollup = Rollup(sql, site)
    assert rollup.step() == []          # the 23rd still has a waiting ticket: its close is not archived
    with sql.begin() as conn:
        conn.execute(tickets.update().values(state="cancelled", reason="day_closed"))
    assert rollup.step() == [NOV_23]    # now it is final; the 24th is the newest day, not final
    with sql.connect() as conn:
        assert conn.execute(select(rollup_progress.c.rolled_through)).scalar() == "2026-11-23"
    report = ReportBuilder(sql, site).build(period_of("day", NOV_23), "field")
    assert report["total"]["unserved_at_close"] == 1 and report["rows"][0]["key"] == "TP"
