"""A transfer as the officer and the visitor see it: the counter warns before sending a
visitor to a counter nobody staffs, the TV keeps counting them, and the phone says what they
wait for instead of "0 ahead, now"."""
from __future__ import annotations

import requests
from playwright.sync_api import expect

from ..hall import KIOSK_TOKEN
from .conftest import shot, wait_js
from .test_visit import open_display, sign_in, waiting_on_display


def test_the_officer_is_warned_and_the_visitor_is_not_lost(pages, hall):
    r = requests.post(f"{hall.url}/api/v1/sites/hcc/tickets", json={"field": "TP"}, timeout=10,
                      headers={"Authorization": f"Bearer {KIOSK_TOKEN}"})
    ticket = r.json()
    display = open_display(pages)
    desk = sign_in(pages, 1)
    desk.keyboard.press("n")
    expect(desk.locator("#current-number")).to_have_text(ticket["label"])
    desk.keyboard.press("c")
    closed = desk.locator("#transfer-counters button", has_text="Quầy 3")
    expect(closed).to_contain_text("Đóng")  # its state, before choosing
    closed.click()
    expect(desk.locator("#transfer-confirm")).to_be_visible()
    expect(desk.locator("#transfer-warning")).to_contain_text("đang đóng")
    shot(desk, "counter-transfer-warning")
    desk.click("#transfer-anyway")
    expect(desk.locator("#action-message")).to_contain_text(f"Đã chuyển số {ticket['label']} tới quầy 3")
    # The TV still counts the visitor in their field.
    wait_js(display, "lobby.waiting.TP && lobby.waiting.TP.waiting === 1")
    expect(waiting_on_display(display, "TP")).to_have_text("1")
    phone = pages.open(f"/t/hcc/{ticket['token']}", width=390, height=844)
    expect(phone.locator("#wait")).to_have_text("Chờ quầy 3 mở cửa")
    shot(phone, "phone-waiting-for-counter")
