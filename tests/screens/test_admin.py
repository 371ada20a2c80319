"""The leader's pages in a real browser: reports with charts, and the live monitor."""
from __future__ import annotations

import time

import requests
from playwright.sync_api import expect

from ..hall import ADMIN_PASSWORD, KIOSK_TOKEN, PASSWORD
from .conftest import shot, wait_js


def busy_morning(url):
    headers = {"Authorization": f"Bearer {KIOSK_TOKEN}"}
    for field in ("TP", "TP", "DD", "XD", "TP"):
        requests.post(f"{url}/api/v1/sites/hcc/tickets", json={"field": field}, headers=headers, timeout=10)
    token = requests.post(f"{url}/api/v1/sites/hcc/login", timeout=10,
                          json={"username": "cb1", "password": PASSWORD, "counter": 1}).json()["token"]
    officer = {"Authorization": f"Bearer {token}"}
    for action in ("call-next", "start", "finish", "call-next"):
        requests.post(f"{url}/api/v1/sites/hcc/counters/1/{action}", headers=officer, timeout=10)


def admin_login(page):
    page.fill("#admin-username", "admin")
    page.fill("#admin-password", ADMIN_PASSWORD)
    page.click("#admin-login button[type=submit]")


def test_reports_page_with_charts(pages, hall):
    busy_morning(hall.url)
    page = pages.open("/admin/hcc", width=1400, height=1000)
    admin_login(page)
    page.wait_for_selector("#stat-issued")
    # The archiver (its own process) may not have stored the last events yet: the page
    # then says how many are still waiting, and a reload shows them.
    deadline = time.monotonic() + 15
    while page.locator("#stat-issued").inner_text() != "5" and time.monotonic() < deadline:
        hint = page.locator("p.hint").first.inner_text()
        issued = page.locator("#stat-issued").inner_text()
        assert "sự kiện đang chờ lưu trữ" in hint, f"{issued!r} issued, and no archive lag shown: {hint!r}"
        time.sleep(0.5)
        page.reload()
    expect(page.locator("#stat-issued")).to_have_text("5")
    expect(page.locator("#stat-served")).to_have_text("1")
    assert page.locator(".chart svg").count() == 3
    expect(page.locator("table.report tr.total td").first).to_have_text("Tổng cộng")
    shot(page, "admin-reports")


def test_monitor_page_is_live(pages, hall):
    page = pages.open("/admin/hcc/monitor", width=1400, height=900)
    admin_login(page)
    wait_js(page, "window.monitor && window.monitor.snapshot !== null")
    expect(page.locator('#fields tr[data-field="TP"] td').nth(1)).to_have_text("0")
    busy_morning(hall.url)
    expect(page.locator('#fields tr[data-field="TP"] td').nth(1)).to_have_text("1")
    expect(page.locator('#counters tr[data-counter="1"] td').nth(1)).to_have_text("Đang mời")
    # Durations in words, not clock times ("15:00" read as a quarter past three).
    expect(page.locator('#fields tr[data-field="TP"] td').nth(4)).to_have_text("15 phút")
    expect(page.locator('#counters tr[data-counter="1"] td').nth(4)).to_contain_text("giây")
    # All of it pushed: the monitor followed the morning without asking for a snapshot again
    # (before, it asked 0.3 s after every update).
    assert page.evaluate("window.monitor.live.resyncs") == 0
    shot(page, "admin-monitor")


def test_the_monitor_shows_a_counter_idle_while_visitors_wait_for_it(pages, hall):
    """Officer productivity live: counter 2 (land, DD) is open with nobody at it while a visitor
    waits for land; the leader sees it and for how long. Once it calls, it is not idle."""
    page = pages.open("/admin/hcc/monitor", width=1400, height=900)
    admin_login(page)
    wait_js(page, "window.monitor && window.monitor.snapshot !== null")
    busy_morning(hall.url)   # one land visitor among them
    token = requests.post(f"{hall.url}/api/v1/sites/hcc/login", timeout=10,
                          json={"username": "cb2", "password": PASSWORD, "counter": 2}).json()["token"]
    officer = {"Authorization": f"Bearer {token}"}
    requests.post(f"{hall.url}/api/v1/sites/hcc/counters/2/open", headers=officer, json={}, timeout=10)
    row = page.locator('#counters tr[data-counter="2"]')
    expect(row).to_have_class("status-open idle")
    expect(row.locator("td").nth(1)).to_have_text("Rảnh trong khi 1 người chờ")
    expect(row.locator("td").nth(4)).to_contain_text("giây")
    shot(page, "admin-monitor-idle")
    requests.post(f"{hall.url}/api/v1/sites/hcc/counters/2/call-next", headers=officer, json={}, timeout=10)
    expect(row.locator("td").nth(1)).to_have_text("Đang mời")
    expect(row).to_have_class("status-open")


def test_the_report_form_shows_a_report_for_every_choice(pages, hall):
    """Before: every submit of the form sent date=&from=&to= and showed the raw key error.bad_period."""
    busy_morning(hall.url)
    page = pages.open("/admin/hcc", width=1400, height=1000)
    admin_login(page)
    page.wait_for_selector("#stat-issued")
    for period in ("day", "week", "month", "quarter", "year"):
        page.select_option("select[name=period]", period)
        page.click(".report-form button[type=submit]")
        expect(page.locator("#stat-issued")).to_be_visible()
        assert page.locator(".error-text").count() == 0, (period, page.locator(".error-text").inner_text())
        assert f"period={period}" in page.url
    # A custom range with both dates filled in, as a leader picks them.
    page.select_option("select[name=period]", "custom")
    page.fill("input[name=from]", "2026-11-01")
    page.fill("input[name=to]", "2026-11-30")
    page.select_option("select[name=group]", "officer")
    page.click(".report-form button[type=submit]")
    expect(page.locator("#stat-issued")).to_be_visible()
    expect(page.locator("p.hint").first).to_contain_text("01/11/2026")
    shot(page, "admin-reports-custom")
    # A custom range left empty says what to do, in words.
    page.fill("input[name=from]", "")
    page.fill("input[name=to]", "")
    page.click(".report-form button[type=submit]")
    expect(page.locator(".error-text")).to_have_text("Hãy chọn ngày bắt đầu và ngày kết thúc của khoảng thời gian.")
    shot(page, "admin-reports-custom-empty")


def test_the_monitor_has_a_device_panel_with_what_is_wrong_first(pages, hall):
    """Before: device health was only in the /devices JSON."""
    from .test_visit import open_display

    open_display(pages)  # the lobby display is on; the kiosks are not; no device agent runs
    page = pages.open("/admin/hcc/monitor", width=1400, height=1100)
    admin_login(page)
    rows = page.locator("#devices tr")
    expect(rows.first).to_be_visible(timeout=15000)
    texts = rows.all_inner_texts()
    problems = [i for i, text in enumerate(texts) if "Hoạt động" not in text]
    assert problems == list(range(len(problems))), texts  # what is wrong comes first
    assert any("panel-1 · bàn phím đánh giá" in t and "Máy tính thiết bị mất kết nối" in t for t in texts), texts
    assert any("kiosk-1" in t and "Chưa kết nối lần nào" in t for t in texts), texts
    assert any("display-1" in t and "Hoạt động" in t for t in texts), texts
    shot(page, "admin-monitor-devices")
