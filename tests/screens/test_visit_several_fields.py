"""One visit, several counters (issue 14, part 4), as the visitor and the officers meet it: the
kiosk takes the fields in order, the ticket and the phone say what comes next, the officer sees
it, and when justice is done the lobby display and the phone send the visitor on to land."""
from __future__ import annotations

from playwright.sync_api import expect

from .conftest import shot
from .test_visit import open_display, open_kiosk, sign_in, waiting_on_display


def test_a_visit_to_justice_then_land(pages):
    display = open_display(pages)
    kiosk = open_kiosk(pages)
    kiosk.click('.field-button[data-field="TP"]')
    kiosk.click('#visit-fields [data-field="DD"]')
    expect(kiosk.locator('#visit-fields [data-field="DD"]')).to_have_text("2. Đất đai")
    shot(kiosk, "kiosk-visit-choice")
    kiosk.click("#confirm-take")
    expect(kiosk.locator("#ticket-number")).to_have_text("1001")
    expect(kiosk.locator("#ticket-visit")).to_have_text("Đất đai")
    token = kiosk.evaluate("window.kiosk.lastTicket.token")
    phone = pages.open(f"/t/hcc/{token}", width=390, height=844)
    expect(phone.locator("#visit")).to_have_text("Lượt 1/2. Tiếp theo: Đất đai.")
    desk = sign_in(pages, 1)
    desk.keyboard.press("n")
    expect(desk.locator("#current-number")).to_have_text("1001")
    expect(desk.locator("#current-field")).to_have_text("Tư pháp – Hộ tịch · tiếp theo: Đất đai")
    desk.keyboard.press("b")
    desk.keyboard.press("h")
    # Justice done: the lobby and the phone send the visitor on to land, where they wait.
    expect(display.locator("#notice")).to_have_text("Số 1001: mời sang lĩnh vực Đất đai, chờ gọi.")
    expect(waiting_on_display(display, "DD")).to_have_text("1")
    expect(phone.locator("#field")).to_have_text("Đất đai")
    expect(phone.locator("#visit")).to_have_text("Lượt 2/2: lĩnh vực cuối cùng.")
    expect(phone.locator("#status")).to_have_text("Đang chờ đến lượt")
    shot(phone, "phone-visit-moved-on")
