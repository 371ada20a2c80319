"""The site's kiosks and displays managed in a real browser: an admin adds a kiosk, sets it up
with the link shown once, gives it a new token (the kiosk on the old one stops and asks to be set
up) and revokes a lobby display (its screen says so at once)."""
from __future__ import annotations

from urllib.parse import urlsplit

import requests
from playwright.sync_api import expect

from ..hall import DISPLAY_TOKEN
from .conftest import shot
from .test_admin import admin_login


def setup_path(url: str) -> str:
    """The link as this test's browser reaches the server (the page shows the hall's address)."""
    parts = urlsplit(url)
    return f"{parts.path}#{parts.fragment}"


def test_an_admin_adds_a_kiosk_renews_its_token_and_revokes_a_display(pages, hall):
    page = pages.open("/admin/hcc/devices", width=1400, height=1200)
    admin_login(page)
    rows = page.locator("#devices tbody tr")
    expect(rows).to_have_count(4)   # kiosk-1, kiosk-2, display-1, agent-1 from config.yaml
    expect(page.locator('#devices tr[data-device="display-1"]')).to_have_count(0)
    expect(page.locator('#devices tr[data-device="display:display-1"] td').first).to_have_text("Màn hình sảnh")

    # A display's settings are offered only for a display.
    expect(page.locator("#device-notice")).to_be_hidden()
    page.select_option("#device-kind", "kiosk")
    page.fill("#device-id", "kiosk-9")
    page.fill("#device-name", "Ki-ốt tầng 2")
    page.check('#device-fields input[value="DD"]')
    page.click("#device-save")
    expect(page.locator("#device-done")).to_have_text("Đã thêm Ki-ốt tầng 2.")
    expect(page.locator("#token-card")).to_be_visible()
    first = page.locator("#token-value").inner_text()
    assert first.startswith("kiosk-")
    link = page.locator("#token-link").inner_text()
    assert link.endswith(f"/kiosk/hcc#token={first}")
    expect(page.locator('#devices tr[data-device="kiosk:kiosk-9"] td').nth(3)).to_have_text("DD")
    shot(page, "admin-devices-token")
    page.click("#token-close")
    expect(page.locator("#token-card")).to_be_hidden()

    # Set up with the link: the kiosk offers its one field.
    kiosk = pages.open(setup_path(link), width=1280, height=1024)
    kiosk.wait_for_selector(".field-button")
    expect(kiosk.locator(".field-button")).to_have_count(1)
    expect(kiosk.locator('.field-button[data-field="DD"]')).to_be_visible()

    # A new token: the kiosk on the old one is closed and asks to be set up again.
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator('#devices tr[data-device="kiosk:kiosk-9"] button', has_text="Cấp mã mới").click()
    expect(page.locator("#device-done")).to_have_text("Đã cấp mã mới cho Ki-ốt tầng 2; mã cũ đã hết hiệu lực.")
    expect(page.locator("#token-value")).not_to_have_text(first)
    expect(kiosk.locator("#view-setup")).to_be_visible(timeout=10000)
    second = page.locator("#token-value").inner_text()
    again = pages.open(f"/kiosk/hcc#token={second}", width=1280, height=1024)
    again.wait_for_selector('.field-button[data-field="DD"]')

    # Revoking the lobby display: its screen says it must be set up, its token opens nothing.
    display = pages.open(f"/display/hcc#token={DISPLAY_TOKEN}", width=1920, height=1080)
    expect(display.locator("#notice")).to_have_text("Thông báo: trung tâm nghỉ Tết từ 14/02.")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator('#devices tr[data-device="display:display-1"] button', has_text="Thu hồi").click()
    expect(page.locator('#devices tr[data-device="display:display-1"] td').nth(5)).to_have_text("Đã thu hồi")
    expect(display.locator("#setup")).to_be_visible(timeout=10000)
    r = requests.get(f"{hall.url}/api/v1/sites/hcc/me", headers={"Authorization": f"Bearer {DISPLAY_TOKEN}"},
                     timeout=10)
    assert r.status_code == 401 and r.json()["error"]["code"] == "device_revoked"
    shot(page, "admin-devices")

    page.click("nav.admin-nav >> text=Nhật ký thay đổi")
    expect(page.locator("#audit tbody tr")).to_have_count(4)   # the page has loaded
    actions = page.locator("#audit tbody tr td:nth-child(3)").all_inner_texts()
    assert actions == ["Thu hồi màn hình", "Cấp mã mới cho ki-ốt", "Thêm ki-ốt", "Nhập cấu hình"], actions
    expect(page.locator('#audit tr[data-action="kiosk.create"] td.details')).to_have_text(
        "Ki-ốt tầng 2 · Ki-ốt lấy số · DD")
    assert first not in page.content() and second not in page.content()
