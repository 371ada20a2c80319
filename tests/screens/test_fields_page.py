"""The site's fields managed in a real browser: an admin adds a field, and the kiosk in the hall
offers it without anyone touching the kiosk; a field the counters serve cannot be removed, in
words; the audit says what was done."""
from __future__ import annotations

from playwright.sync_api import expect

from ..hall import KIOSK_TOKEN
from .conftest import shot
from .test_admin import admin_login


def test_an_admin_adds_a_field_and_the_kiosk_offers_it(pages, hall):
    kiosk = pages.open(f"/kiosk/hcc#token={KIOSK_TOKEN}", width=1280, height=1024)
    kiosk.wait_for_selector(".field-button")
    expect(kiosk.locator(".field-button")).to_have_count(4)
    page = pages.open("/admin/hcc/fields", width=1400, height=1200)
    admin_login(page)
    expect(page.locator("#fields tbody tr")).to_have_count(4)
    expect(page.locator('#fields tr[data-code="KD"] td').nth(2)).to_have_text("K001–K999")

    page.fill("#field-code", "HT")
    page.fill("#field-name", "Hộ tịch")
    page.fill("#field-name_en", "Civil status")
    page.fill("#field-prefix", "H")
    page.fill("#field-target_wait_minutes", "20")
    page.fill("#field-agency", "Sở Tư pháp")
    page.click("#field-save")
    row = page.locator('#fields tr[data-code="HT"] td')
    expect(row.nth(2)).to_have_text("H001–H999")
    expect(row.nth(5)).to_have_text("Sở Tư pháp")
    # The kiosk draws the hall again by itself, and offers the new field.
    expect(kiosk.locator('.field-button[data-field="HT"]')).to_be_visible(timeout=10000)

    # A field the counters serve stays, and the page says why.
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator('#fields tr[data-code="XD"] button', has_text="Bỏ lĩnh vực").click()
    expect(page.locator("#field-error")).to_have_text(
        "Lĩnh vực đang được quầy, thiết bị hoặc thủ tục sử dụng: hãy đổi trước.")
    expect(page.locator('#fields tr[data-code="XD"] td').nth(6)).to_have_text("Quầy 3, Quầy 4, Thủ tục XD-01")
    shot(page, "admin-fields")

    page.click("nav.admin-nav >> text=Nhật ký thay đổi")
    expect(page.locator('#audit tr[data-action="field.create"] td.details')).to_have_text("HT · Hộ tịch · 1-999")
