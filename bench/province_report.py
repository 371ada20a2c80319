"""A province's year report on PostgreSQL: 150 sites, about 1,000 tickets per site per working
day (some 40 million tickets a year).

    .venv/bin/python -m bench.province_report        # QMS_BENCH_POSTGRES_URL, else the local server

It makes its own database (``qms_bench_province``; dropped first if it is there, never any
other) and fills it in PostgreSQL itself (generate_series):

1. Raw history for ``RAW_SITES`` sites: every working day of 2025 (Monday–Friday, 261 days),
   1,020 tickets a day from 07:30 (about 28 s apart), ten fields, ten counters and officers;
   one call each, 1 in 13 a no-show, 1 in 25 cancelled at the close; waits of 0–30 min,
   services of 3–15 min, and 7 in 10 of the served rate their visit.
2. The archiver's roll-up of those sites, day by day, as in production (timed).
3. The other sites' daily rows copied from the rolled ones under new site ids, so the report
   has 150 sites' rows; rolling up 40 million raw tickets here would take about an hour and
   the report does not read them (it reads daily rows for every rolled day).
4. One live day (5 January 2026, not rolled up) of raw tickets for every site, so a report
   that includes today reads 150 sites' raw records as well.

Then, in interleaved rounds: the province's year (2025, all rolled), the province from 1
January 2025 to the live day (rolled plus 150 raw days), and one site's year from daily rows
against the same year read from every raw record (the old path). The table gives the median
and the range over the rounds.
"""
from __future__ import annotations

import logging
import os
import statistics
import sys
import time
from datetime import date

from sqlalchemy import create_engine, text
from werkzeug.security import generate_password_hash

from server.config import parse_config
from server.history.archive_schema import daily_stats, open_archive
from server.history.province import province_report
from server.history.reports import Period, ReportBuilder, period_of
from server.history.rollup import Rollup

from .harness import ROOT, write_section

DOC = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- bench:province:start -->", "<!-- bench:province:end -->"
SITES, RAW_SITES, PER_DAY, ROUNDS = 150, 15, 1020, 5
DB = "qms_bench_province"
AGENCIES = ["Sở Tư pháp", "Sở Nông nghiệp và Môi trường", "Sở Xây dựng", "Sở Tài chính", "Công an tỉnh"]


def site_id(n: int) -> str:
    return f"b{n:03d}"


def config(sites: int):
    pw = generate_password_hash("bench-password", method="scrypt:131072:8:1")
    fields = [{"code": f"F{i}", "name": f"Lĩnh vực {i}", "numbers": f"{i + 1}001-{i + 1}999",
               "agency": AGENCIES[i % len(AGENCIES)]} for i in range(10)]
    return parse_config({
        "sites": [{
            "id": site_id(n), "name": f"Bộ phận Một cửa {n}", "fields": fields,
            "opening_hours": {"mon-fri": ["07:30-11:30", "13:30-17:00"]},
            "counters": [{"number": c, "fields": [f"F{c - 1}"]} for c in range(1, 11)],
            "officers": [{"username": f"cb{c}", "name": f"Cán bộ {c}", "counters": [c], "password_hash": pw}
                         for c in range(1, 11)],
        } for n in range(1, sites + 1)],
    })


def sites_sql(first: int, last: int) -> str:
    return f"(SELECT 'b' || lpad(i::text, 3, '0') AS site FROM generate_series({first}, {last}) i)"


def days_sql(first: str, last: str) -> str:
    return (f"(SELECT d::date AS day FROM generate_series(date '{first}', date '{last}', interval '1 day') d "
            "WHERE extract(isodow FROM d) < 6)")


def fill_raw(conn, sites: str, first: str, last: str) -> None:
    days = days_sql(first, last)
    local = "(extract(epoch FROM (date '{}' + time '00:00') AT TIME ZONE 'Asia/Ho_Chi_Minh') * 1000)::bigint"
    lo, hi = local.format(first), local.format(last) + " + 86400000"
    conn.execute(text(f"""
        INSERT INTO tickets (site, id, day, number, label, field_issued, field, category, issued_at, issued_by,
                             state, reason, counter, officer, recalls, transfers)
        SELECT s.site, to_char(d.day, 'YYYYMMDD') || '-' || n, to_char(d.day, 'YYYYMMDD'),
               (n % 10 + 1) * 1000 + n / 10, ((n % 10 + 1) * 1000 + n / 10)::text, 'F' || (n % 10), 'F' || (n % 10),
               CASE WHEN n % 9 = 0 THEN 'elderly' END,
               (extract(epoch FROM (d.day + time '07:30') AT TIME ZONE 'Asia/Ho_Chi_Minh') * 1000)::bigint
                 + n::bigint * 28000, 'kiosk-1',
               CASE WHEN n % 25 = 0 THEN 'cancelled' WHEN n % 13 = 0 THEN 'no_show' ELSE 'done' END,
               CASE WHEN n % 25 = 0 THEN 'day_closed' END,
               CASE WHEN n % 25 = 0 THEN NULL ELSE n % 10 + 1 END,
               CASE WHEN n % 25 = 0 THEN NULL ELSE 'cb' || (n % 10 + 1) END, 0, 0
        FROM {sites} s, {days} d, generate_series(1, {PER_DAY}) n"""))
    conn.execute(text(f"""
        INSERT INTO services (site, ticket_id, seq_no, field, category, counter, officer, wait_from, called_at,
                              started_at, ended_at, outcome, recalls)
        SELECT site, id, 1, field, category, counter, officer, issued_at, issued_at + w,
               CASE WHEN state = 'done' THEN issued_at + w + walk END,
               CASE WHEN state = 'done' THEN issued_at + w + walk + svc ELSE issued_at + w + 120000 END, state, 0
        FROM (SELECT t.*, abs(hashtext(t.site || t.id)) % 1800000 AS w, 20000 + abs(hashtext(t.id || t.site)) % 40000
                     AS walk, 180000 + abs(hashtext(t.id)) % 720000 AS svc
              FROM tickets t JOIN {sites} s ON s.site = t.site
              WHERE t.state <> 'cancelled' AND t.issued_at >= {lo} AND t.issued_at < {hi}) x"""))
    conn.execute(text(f"""
        INSERT INTO ratings (site, press_id, counter, level, category, score, pressed_at, ticket_id, officer, field,
                             outcome, device)
        SELECT site, 'p-' || ticket_id, counter, lv,
               CASE lv WHEN 3 THEN 'very_satisfied' WHEN 2 THEN 'satisfied' ELSE 'dissatisfied' END, lv,
               ended_at + 5000, ticket_id, officer, field, 'recorded', 'panel-' || counter
        FROM (SELECT v.*, CASE WHEN abs(hashtext(v.ticket_id || 'r')) % 10 < 6 THEN 3
                               WHEN abs(hashtext(v.ticket_id || 'r')) % 10 < 9 THEN 2 ELSE 1 END AS lv
              FROM services v JOIN {sites} s ON s.site = v.site
              WHERE v.outcome = 'done' AND abs(hashtext(v.ticket_id)) % 10 < 7
                    AND v.called_at >= {lo} AND v.called_at < {hi}) x"""))
    conn.execute(text(f"""
        INSERT INTO events (site, stream_id, seq, type, ts, data)
        SELECT s.site, (extract(epoch FROM (d.day + time '07:00') AT TIME ZONE 'Asia/Ho_Chi_Minh') * 1000)::bigint
                 || '-0', 0, 'counter.opened',
               (extract(epoch FROM (d.day + time '07:00') AT TIME ZONE 'Asia/Ho_Chi_Minh') * 1000)::bigint, '{{}}'
        FROM {sites} s, {days} d"""))


def prepare(url: str, cfg) -> tuple[object, dict]:
    admin = create_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {DB}"))
        conn.execute(text(f"CREATE DATABASE {DB}"))
    admin.dispose()
    sql = open_archive(url.rsplit("/", 1)[0] + "/" + DB)
    facts: dict = {}
    t0 = time.perf_counter()
    with sql.begin() as conn:
        fill_raw(conn, sites_sql(1, RAW_SITES), "2025-01-01", "2025-12-31")
        facts["raw_tickets"] = conn.execute(text("SELECT count(*) FROM tickets")).scalar()
        facts["raw_services"] = conn.execute(text("SELECT count(*) FROM services")).scalar()
        facts["raw_ratings"] = conn.execute(text("SELECT count(*) FROM ratings")).scalar()
        fill_raw(conn, sites_sql(1, SITES), "2026-01-05", "2026-01-05")   # the live day, everywhere
    with sql.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    facts["fill_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    rolled = 0
    for n in range(1, RAW_SITES + 1):
        rolled += len(Rollup(sql, cfg.sites[site_id(n)]).step(max_days=400))
    facts["rollup_s"], facts["rolled_days"] = time.perf_counter() - t0, rolled
    columns = ", ".join(f'"{c.name}"' for c in daily_stats.columns if c.name != "site")
    with sql.begin() as conn:
        conn.execute(text(f"""
            INSERT INTO daily_stats (site, {columns})
            SELECT 'b' || lpad(k::text, 3, '0'), {columns} FROM daily_stats ds, generate_series({RAW_SITES + 1},
                   {SITES}) k WHERE ds.site = 'b' || lpad((((k - 1) % {RAW_SITES}) + 1)::text, 3, '0')"""))
        conn.execute(text(f"""
            INSERT INTO rollup_progress (site, rolled_through)
            SELECT 'b' || lpad(k::text, 3, '0'), (SELECT rolled_through FROM rollup_progress WHERE site = 'b001')
            FROM generate_series({RAW_SITES + 1}, {SITES}) k"""))
        facts["daily_rows"] = conn.execute(text("SELECT count(*) FROM daily_stats")).scalar()
    with sql.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE daily_stats"))
    return sql, facts


def timed(fn) -> tuple[float, object]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def main() -> int:
    logging.basicConfig(level=logging.WARNING)
    url = os.environ.get("QMS_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    cfg = config(SITES)
    sql, facts = prepare(url, cfg)
    sites = list(cfg.sites.values())
    year = period_of("year", date(2025, 6, 1))
    to_live = Period("custom", date(2025, 1, 1), date(2026, 1, 5))
    one = ReportBuilder(sql, cfg.sites["b001"])
    rows: dict[str, list[float]] = {k: [] for k in ("province_year", "province_live", "site_rolled", "site_raw")}
    checks: dict = {}
    for _ in range(ROUNDS):
        seconds, report = timed(lambda: province_report(sql, sites, year))
        rows["province_year"].append(seconds)
        checks["year_issued"] = report["total"]["issued"]
        checks["sites"] = len(report["sites"])
        checks["agencies"] = len(report["agencies"])
        seconds, report = timed(lambda: province_report(sql, sites, to_live))
        rows["province_live"].append(seconds)
        checks["live_issued"] = report["total"]["issued"]
        seconds, rolled = timed(lambda: one.build(year, "field"))
        rows["site_rolled"].append(seconds)
        seconds, raw = timed(lambda: one.raw(*year.bounds_ms(one.site.timezone), {"field", "officer", "hour"}))
        rows["site_raw"].append(seconds)
        assert raw.total.issued == rolled["total"]["issued"] == PER_DAY * 261
    block = render(facts, checks, rows)
    write_section(DOC, START, END, block)
    return 0


def render(facts: dict, checks: dict, rows: dict) -> str:
    def cell(values: list[float]) -> str:
        return f"{statistics.median(values):.2f} s ({min(values):.2f}–{max(values):.2f})"

    return "\n".join([
        START,
        "## 9. A province's year report (PostgreSQL)",
        "",
        "`python -m bench.province_report` (bench/province_report.py says how the history is made). "
        f"{SITES} sites × 261 working days × {PER_DAY:,} tickets = {SITES * 261 * PER_DAY:,} tickets in 2025; "
        f"raw rows for {RAW_SITES} sites ({facts['raw_tickets']:,} tickets, {facts['raw_services']:,} services, "
        f"{facts['raw_ratings']:,} ratings), filled in {facts['fill_s']:.0f} s. The archiver's roll-up of their "
        f"{facts['rolled_days']:,} site-days took {facts['rollup_s']:.0f} s "
        f"({1000 * facts['rollup_s'] / max(1, facts['rolled_days']):.0f} ms a day); the other sites' daily rows are "
        f"copies of theirs under new ids ({facts['daily_rows']:,} daily rows in all). Every site also has a live "
        f"day (5 January 2026, not rolled up: {SITES * PER_DAY:,} raw tickets).",
        "",
        f"{ROUNDS} rounds, the rows interleaved in each; median (range), on this 2-core machine:",
        "",
        "| report | time | what it read |",
        "|---|---|---|",
        f"| province, year 2025, {checks['sites']} sites | {cell(rows['province_year'])} | "
        f"{checks['year_issued']:,} tickets, from month rows; {checks['agencies']} agency rows |",
        f"| province, 1 Jan 2025 – the live day | {cell(rows['province_live'])} | "
        f"{checks['live_issued']:,} tickets: month rows, plus {SITES} sites' raw live day |",
        f"| one site, year 2025, from daily rows | {cell(rows['site_rolled'])} | {PER_DAY * 261:,} tickets |",
        f"| one site, year 2025, every raw record (before) | {cell(rows['site_raw'])} | the same tickets |",
        "",
        "Target: a year's report for 150 sites in under 5 s on PostgreSQL. Before the daily rows every report "
        "read every record: the province's year would be about "
        f"{SITES * statistics.median(rows['site_raw']):.0f} s ({SITES} × the one-site raw row).",
        END,
    ])


if __name__ == "__main__":
    sys.exit(main())
