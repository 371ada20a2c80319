"""The site's counters managed in a real browser: an admin adds a counter serving two fields in
the order ticked, gives counter 1 another field (the officer's desk there shows it at once),
cannot remove a counter someone is given, and removes a spare one; the audit says so."""
from __future__ import annotations

from playwright.sync_api import expect

from .conftest import shot
from .test_admin import admin_login
from .test_visit import sign_in


def test_an_admin_changes_the_counters_and_the_desk_follows(pages, hall):
    desk = sign_in(pages, 1)
    expect(desk.locator("#waiting-counts li")).to_have_count(1)      # counter 1 serves TP
    page = pages.open("/admin/hcc/counters", width=1400, height=1100)
    admin_login(page)
    expect(page.locator("#counters tbody tr")).to_have_count(5)
    expect(page.locator('#counters tr[data-number="5"] td').nth(4)).to_have_text(
        "Cán bộ cb5, bàn phím đánh giá panel-5")

    # A new counter, its fields in the order ticked.
    page.fill("#counter-number", "6")
    page.fill("#counter-name", "Quầy 6 – Bưu điện")
    page.select_option("#counter-policy", "in_order")
    page.check('#counter-fields input[value="KD"]')
    page.check('#counter-fields input[value="TP"]')
    page.click("#counter-save")
    row = page.locator('#counters tr[data-number="6"] td')
    expect(row.nth(2)).to_have_text("KD, TP")
    expect(row.nth(3)).to_have_text("Hết lĩnh vực đầu mới sang lĩnh vực sau")

    # Counter 1 serves DD too: the desk there draws the hall again and shows both lines.
    page.locator('#counters tr[data-number="1"] button', has_text="Sửa").click()
    page.check('#counter-fields input[value="DD"]')
    page.click("#counter-save")
    expect(page.locator('#counters tr[data-number="1"] td').nth(2)).to_have_text("TP, DD")
    expect(desk.locator("#waiting-counts li")).to_have_count(2, timeout=10000)
    expect(desk.locator("#waiting-counts li").nth(1)).to_contain_text("Đất đai")

    # Counter 5 is given to cb5 and its rating panel: refused, in words.
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator('#counters tr[data-number="5"] button', has_text="Bỏ quầy").click()
    expect(page.locator("#counter-error")).to_have_text("Quầy đang được gán cho cán bộ hoặc thiết bị: hãy đổi trước.")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator('#counters tr[data-number="6"] button', has_text="Bỏ quầy").click()
    expect(page.locator("#counters tbody tr")).to_have_count(5)
    shot(page, "admin-counters")

    page.click("nav.admin-nav >> text=Nhật ký thay đổi")
    expect(page.locator("#audit tbody tr")).to_have_count(3)   # the page has loaded
    actions = page.locator("#audit tbody tr td:nth-child(3)").all_inner_texts()
    assert actions == ["Bỏ quầy", "Sửa quầy", "Thêm quầy"], actions
    expect(page.locator('#audit tr[data-action="counter.update"] td.details')).to_have_text(
        "Lĩnh vực: TP → TP, DD")
