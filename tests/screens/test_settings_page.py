"""The site's general settings in a real browser: an admin renames the site and sets a kiosk PIN;
the lobby display shows the new name by itself; a mistake is said in words."""
from __future__ import annotations

from playwright.sync_api import expect

from ..hall import DISPLAY_TOKEN, KIOSK_TOKEN
from .conftest import shot, wait_js
from .test_admin import admin_login


def test_an_admin_renames_the_site_and_the_display_follows(pages, hall):
    display = pages.open(f"/display/hcc#token={DISPLAY_TOKEN}", width=1920, height=1080)
    expect(display.locator(".display-site")).to_contain_text("Trung tâm Phục vụ Hành chính công tỉnh Thử nghiệm")
    display.evaluate("window.stillTheSamePage = true")
    page = pages.open("/admin/hcc/settings", width=1400, height=1000)
    admin_login(page)
    expect(page.locator("#settings-pin")).to_have_text("Đã đặt mã PIN bảo trì ki-ốt (máy chủ chỉ lưu bản băm).")
    page.fill("#settings-name", "Trung tâm Phục vụ hành chính công tỉnh Thử nghiệm mới")
    page.fill("#settings-priority_ratio", "3:1")
    page.fill("#settings-kiosk_pin", "135790")
    page.click("#settings-save")
    expect(page.locator("#settings-done")).to_have_text("Đã lưu. Mọi máy chủ áp dụng trong vòng 2 giây.")
    expect(display.locator(".display-site")).to_contain_text("Thử nghiệm mới", timeout=10000)
    # Drawn again in place, not reloaded: a reloaded TV would wait for a tap before it may speak.
    assert display.evaluate("window.stillTheSamePage === true && window.lobby.reconfigured >= 1")
    page.fill("#settings-recent_calls", "0")
    page.click("#settings-save")   # the browser's own check stops it first: then the server's words
    page.evaluate("document.getElementById('settings-recent_calls').removeAttribute('min')")
    page.click("#settings-save")
    expect(page.locator("#settings-error")).to_contain_text("Thông tin chưa hợp lệ")
    shot(page, "admin-settings")
    page.click("nav.admin-nav >> text=Nhật ký thay đổi")
    details = page.locator('#audit tr[data-action="site.update"] td.details')
    expect(details).to_contain_text("Tên: Trung tâm Phục vụ Hành chính công tỉnh Thử nghiệm → ")   # not "Họ và tên"
    expect(details).to_contain_text("Mã PIN bảo trì ki-ốt: … → …")


def test_an_admin_adds_a_priority_category_and_the_kiosk_offers_it(pages, hall):
    kiosk = pages.open(f"/kiosk/hcc#token={KIOSK_TOKEN}", width=1080, height=1920)
    expect(kiosk.locator('.field-button[data-field="TP"]')).to_be_visible()
    page = pages.open("/admin/hcc/settings", width=1400, height=1200)
    admin_login(page)
    expect(page.locator("#priorities tbody tr")).to_have_count(3)
    page.fill("#priority-code", "pregnant")
    page.fill("#priority-name", "Phụ nữ mang thai")
    page.fill("#priority-name_en", "Pregnant woman")
    page.fill("#priority-weight", "2")
    page.click("#priority-save")
    expect(page.locator("#priority-done")).to_have_text("Đã lưu. Mọi máy chủ áp dụng trong vòng 2 giây.")
    expect(page.locator('#priorities tr[data-code="pregnant"] td').nth(3)).to_have_text("2")
    # A weight config.yaml would refuse: said in words, nothing changed.
    page.locator('#priorities tr[data-code="merit"] button').first.click()
    page.evaluate("document.getElementById('priority-weight').removeAttribute('max')")
    page.fill("#priority-weight", "100")
    page.click("#priority-save")
    expect(page.locator("#priority-error")).to_contain_text("Thông tin diện ưu tiên chưa hợp lệ")
    page.click("#priority-cancel")
    page.on("dialog", lambda dialog: dialog.accept())
    page.locator('#priorities tr[data-code="disabled"] button.secondary').click()
    expect(page.locator("#priorities tbody tr")).to_have_count(3)
    shot(page, "admin-priorities")
    # The kiosk, on its home screen, reads the hall again and offers the new list.
    wait_js(kiosk, "window.kiosk && window.kiosk.hall && window.kiosk.hall.priority_categories.length === 3 && "
                   "!window.kiosk.hall.priority_categories.some((c) => c.code === 'disabled')", timeout=15000)
    kiosk.click('.field-button[data-field="TP"]')
    expect(kiosk.locator('.category[data-category="pregnant"]')).to_have_text("Phụ nữ mang thai", timeout=15000)
    expect(kiosk.locator('.category[data-category="disabled"]')).to_have_count(0)


def test_an_admin_sets_four_rating_levels_and_adds_a_procedure_the_kiosk_finds(pages, hall):
    """A centre changes to four-button panels and adds a procedure to its catalogue, in the
    page: a level a panel's key still stands for is refused with the panel named."""
    import requests

    page = pages.open("/admin/hcc/settings", width=1400, height=1600)
    admin_login(page)
    expect(page.locator("#settings-timezone")).to_have_value("Asia/Ho_Chi_Minh")
    levels = page.locator("#rating-levels tbody tr")
    expect(levels).to_have_count(3)
    page.click("#ratings-add")
    new = levels.nth(3)
    new.locator('[data-key="level"]').fill("4")
    new.locator('[data-key="name"]').fill("Rất hài lòng")
    new.locator('[data-key="category"]').select_option("very_satisfied")
    levels.nth(0).locator('[data-key="name"]').fill("Hài lòng")
    levels.nth(0).locator('[data-key="category"]').select_option("satisfied")
    page.click("#ratings-save")
    expect(page.locator("#ratings-done")).to_have_text("Đã lưu. Mọi máy chủ áp dụng trong vòng 2 giây.")
    expect(levels).to_have_count(4)   # shown best first
    expect(levels.nth(0).locator('[data-key="level"]')).to_have_value("4")
    expect(levels.nth(0).locator('[data-key="category"]')).to_have_value("very_satisfied")
    # Level 1 is what key "3" of the hall's panels stands for: refused, the panel named.
    levels.nth(3).locator("button").click()
    page.click("#ratings-save")
    expect(page.locator("#ratings-error")).to_contain_text("Một bàn phím đánh giá đang dùng mức này")
    expect(page.locator("#ratings-error")).to_contain_text("panel-1.options.keys.3: no rating level 1")
    # A procedure, with its documents one per line.
    page.fill("#procedure-code", "HT-99")
    page.select_option("#procedure-field", "TP")
    page.fill("#procedure-name", "Đăng ký giám hộ")
    page.fill("#procedure-documents", "Tờ khai đăng ký giám hộ\nVăn bản cử người giám hộ\n")
    page.fill("#procedure-fee", "Miễn lệ phí")
    page.click("#procedure-save")
    expect(page.locator("#procedure-done")).to_have_text("Đã lưu. Mọi máy chủ áp dụng trong vòng 2 giây.")
    expect(page.locator('#procedures tr[data-code="HT-99"] td').nth(3)).to_have_text("Miễn lệ phí")
    shot(page, "admin-ratings-procedures")
    found = requests.get(f"{hall.url}/api/v1/sites/hcc/procedures", params={"q": "dang ky giam ho"}, timeout=10)
    assert [(p["code"], p["documents"]) for p in found.json()["procedures"]] == [
        ("HT-99", ["Tờ khai đăng ký giám hộ", "Văn bản cử người giám hộ"])]


def test_an_admin_turns_appointments_on_and_the_kiosk_takes_them(pages, hall):
    """Off in the hall's file: turned on from the settings page with places for justice only, the
    kiosk shows "I have an appointment" by itself and the booking page lists justice alone."""
    kiosk = pages.open(f"/kiosk/hcc#token={KIOSK_TOKEN}", width=1080, height=1920)
    expect(kiosk.locator('.field-button[data-field="TP"]')).to_be_visible()
    expect(kiosk.locator("#open-appointment")).to_be_hidden()
    page = pages.open("/admin/hcc/settings", width=1400, height=1200)
    admin_login(page)
    expect(page.locator("#appt-capacity")).to_have_value("default 2")
    page.check("#appt-enabled")
    page.fill("#appt-capacity", "TP 3\ndefault 0")
    page.select_option("#appt-late", "refuse")
    page.click("#appt-save")
    expect(page.locator("#appt-done")).to_have_text("Đã lưu cách đặt lịch hẹn.")
    expect(kiosk.locator("#open-appointment")).to_have_text("Tôi có lịch hẹn", timeout=10000)
    page.fill("#appt-capacity", "ZZ 3")
    page.click("#appt-save")
    expect(page.locator("#appt-error")).to_contain_text("ZZ")
    shot(page, "admin-appointments-settings")
    booking = pages.open("/book/hcc", width=390, height=844)
    expect(booking.locator("#book-fields .field-button")).to_have_count(1)
    expect(booking.locator("#book-rules")).to_contain_text("lịch hẹn hết hiệu lực")
