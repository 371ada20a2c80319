"""The site's people managed in a real browser: an admin adds an officer who signs in at once,
edits, disables and gives a new password; the audit log says who did what, in Vietnamese."""
from __future__ import annotations

import requests
from playwright.sync_api import expect

from .conftest import shot
from .test_admin import admin_login

FIRST = "Batdau@2026"
RESET = "Datlai@2026"


def officer_login(url, username, password, counter):
    return requests.post(f"{url}/api/v1/sites/hcc/login", timeout=10,
                         json={"username": username, "password": password, "counter": counter})


def test_an_admin_manages_the_people_in_the_page(pages, hall):
    page = pages.open("/admin/hcc/people", width=1400, height=1100)
    admin_login(page)
    rows = page.locator("#people tbody tr")
    expect(rows).to_have_count(6)   # cb1 … cb5 and admin, from config.yaml
    expect(page.locator('#people tr[data-username="cb1"] td').nth(2)).to_have_text("Cán bộ")

    # Add an officer at counters 2 and 3.
    page.fill("#person-username", "cb9")
    page.fill("#person-name", "Nguyễn Văn Chín")
    page.select_option("#person-role", "officer")
    page.check('#person-counters input[value="2"]')
    page.check('#person-counters input[value="3"]')
    page.fill("#person-password", FIRST)
    page.click("#person-save")
    expect(page.locator("#person-done")).to_have_text("Đã thêm Nguyễn Văn Chín.")
    row = page.locator('#people tr[data-username="cb9"] td')
    expect(row.nth(3)).to_have_text("Quầy 2, Quầy 3")
    assert officer_login(hall.url, "cb9", FIRST, 2).status_code == 200

    # A mistake is said in words and changes nothing.
    page.fill("#person-username", "cb10")
    page.fill("#person-name", "Trần Mười")
    page.fill("#person-password", FIRST)
    page.click("#person-save")     # no counter chosen
    expect(page.locator("#person-error")).to_contain_text("Thông tin người dùng chưa hợp lệ")
    expect(page.locator("#person-error")).to_contain_text("an officer needs at least one counter")
    expect(rows).to_have_count(7)

    # Edit: one counter only.
    page.locator('#people tr[data-username="cb9"] button', has_text="Sửa").click()
    expect(page.locator("#person-title")).to_have_text("Sửa: Nguyễn Văn Chín")
    page.uncheck('#person-counters input[value="2"]')
    page.click("#person-save")
    expect(row.nth(3)).to_have_text("Quầy 3")
    assert officer_login(hall.url, "cb9", FIRST, 2).status_code == 403

    # Disable, then a new password.
    page.locator('#people tr[data-username="cb9"] button', has_text="Vô hiệu hóa").click()
    expect(row.nth(4)).to_have_text("Đã vô hiệu hóa")
    assert officer_login(hall.url, "cb9", FIRST, 3).status_code == 401
    page.locator('#people tr[data-username="cb9"] button', has_text="Kích hoạt").click()
    expect(row.nth(4)).to_have_text("Đang hoạt động")
    page.once("dialog", lambda dialog: dialog.accept(RESET))
    page.locator('#people tr[data-username="cb9"] button', has_text="Đặt lại mật khẩu").click()
    expect(page.locator("#person-done")).to_contain_text("Đã đặt mật khẩu mới cho Nguyễn Văn Chín")
    assert officer_login(hall.url, "cb9", RESET, 3).status_code == 200
    shot(page, "admin-people")

    page.click("nav.admin-nav >> text=Nhật ký thay đổi")
    expect(page.locator("#audit tbody tr")).to_have_count(6)
    actions = page.locator("#audit tbody tr td:nth-child(3)").all_inner_texts()
    assert actions == ["Đặt lại mật khẩu", "Kích hoạt lại", "Vô hiệu hóa", "Sửa thông tin", "Thêm người dùng",
                       "Nhập cấu hình"], actions
    expect(page.locator('#audit tr[data-action="officer.update"] td.details')).to_have_text(
        "Quầy: 2, 3 → 3")
    expect(page.locator('#audit tr[data-action="officer.create"] td').nth(1)).to_have_text("admin")
    shot(page, "admin-audit")


def test_an_officer_changes_their_password_at_the_desk_and_keeps_working(pages, hall):
    from ..hall import KIOSK_TOKEN, PASSWORD
    from .test_visit import sign_in

    other = officer_login(hall.url, "cb1", PASSWORD, 1).json()["token"]   # e.g. a forgotten second screen
    desk = sign_in(pages, 1)
    desk.click("#password-open")
    desk.fill("#password-current", "not-my-password")
    desk.fill("#password-new", "Rieng@2026")
    desk.fill("#password-again", "Rieng@2026")
    desk.click("#password-form button[type=submit]")
    expect(desk.locator("#password-error")).not_to_be_empty()
    desk.fill("#password-current", PASSWORD)
    desk.fill("#password-again", "Rieng@2027")
    desk.click("#password-form button[type=submit]")
    expect(desk.locator("#password-error")).to_have_text("Hai lần nhập mật khẩu mới không khớp.")
    desk.fill("#password-again", "Rieng@2026")
    desk.click("#password-form button[type=submit]")
    expect(desk.locator("#action-message")).to_have_text(
        "Đã đổi mật khẩu. Các phiên đăng nhập khác của bạn đã kết thúc.")
    # The other session is over; this desk goes on calling on its new session.
    assert requests.get(f"{hall.url}/api/v1/sites/hcc/me", headers={"Authorization": f"Bearer {other}"},
                        timeout=10).status_code == 401
    ticket = requests.post(f"{hall.url}/api/v1/sites/hcc/tickets", json={"field": "TP"}, timeout=10,
                           headers={"Authorization": f"Bearer {KIOSK_TOKEN}"}).json()
    expect(desk.locator("#connection")).to_have_text("")
    desk.keyboard.press("n")
    expect(desk.locator("#current-number")).to_have_text(ticket["label"])
    assert officer_login(hall.url, "cb1", "Rieng@2026", 1).status_code in (200, 409)
    shot(desk, "counter-password-changed")


def test_an_admin_sets_a_day_off_in_the_page(pages, hall):
    """(Whether a kiosk then stops is test_hours.py's: the screens' server runs --always-open.)"""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    today = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date().isoformat()
    page = pages.open("/admin/hcc/hours", width=1400, height=1100)
    admin_login(page)
    expect(page.locator('input.session[data-day="mon"]')).to_have_value("07:30-11:30, 13:30-17:00")
    expect(page.locator("#hours-extra li")).to_have_count(1)    # 31/12/2026, from config.yaml
    # A mistake first: said in words, nothing saved.
    page.fill('input.session[data-day="sun"]', "08:00-25:00")
    page.click("#hours-save")
    expect(page.locator("#hours-error")).to_contain_text("Giờ làm việc hoặc ngày nghỉ chưa hợp lệ")
    page.fill('input.session[data-day="sun"]', "")
    page.fill("#hours-extra input[type=date]", today)
    page.click("#hours-extra button.add")
    page.click("#hours-save")
    expect(page.locator("#hours-done")).to_contain_text("Đã lưu")
    expect(page.locator("#hours-extra li")).to_have_count(2)
    saved = page.request.get(hall.url + "/api/v1/sites/hcc/hours").json()
    assert saved["extra"] == sorted([today, "2026-12-31"]) and saved["week"]["sun"] == []
    shot(page, "admin-hours")
    page.click("nav.admin-nav >> text=Nhật ký thay đổi")
    expect(page.locator("#audit tbody tr")).to_have_count(1)
    expect(page.locator('#audit tr[data-action="hours.update"] td.details')).to_contain_text(
        "Ngày nghỉ riêng của trung tâm: 2026-12-31 → ")
