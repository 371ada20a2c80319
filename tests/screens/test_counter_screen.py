"""The officer's desk in Chromium: a pause asked for during a visit waits for the visitor, a
paused counter says why and for how long, and a recall works after an early "start"."""
from __future__ import annotations

import requests
from playwright.sync_api import expect

from ..hall import KIOSK_TOKEN
from .conftest import shot
from .test_visit import open_display, sign_in


def test_pause_after_this_visitor_and_what_a_paused_counter_shows(pages, hall):
    headers = {"Authorization": f"Bearer {KIOSK_TOKEN}"}
    tickets = [requests.post(f"{hall.url}/api/v1/sites/hcc/tickets", json={"field": "TP"}, headers=headers,
                             timeout=10).json() for _ in range(2)]
    display = open_display(pages)
    desk = sign_in(pages, 1)
    desk.keyboard.press("n")
    expect(desk.locator("#current-number")).to_have_text(tickets[0]["label"])
    desk.keyboard.press("b")
    expect(desk.locator("#current-state")).to_have_text("Đang phục vụ")
    expect(desk.locator('[data-action="recall"]')).to_be_enabled()  # before: disabled once started
    desk.keyboard.press("r")
    expect(desk.locator("#current-state")).to_have_text("Đang mời")  # called again, the start undone
    desk.keyboard.press("b")
    expect(desk.locator("#current-state")).to_have_text("Đang phục vụ")
    expect(desk.locator('[data-action="pause"]')).to_be_enabled()  # before: disabled with a visitor
    desk.keyboard.press("p")
    desk.get_by_role("button", name="Họp").click()
    expect(desk.locator("#pause-info")).to_have_text("Quầy sẽ tạm nghỉ sau công dân này: Họp")
    expect(desk.locator("#counter-status")).to_have_text("Đang làm việc")
    shot(desk, "counter-pause-pending")
    desk.keyboard.press("h")  # the visitor leaves: the pause begins
    expect(desk.locator("#counter-status")).to_have_text("Tạm nghỉ")
    expect(desk.locator("#current-number")).to_have_text("Tạm nghỉ")
    expect(desk.locator("#current-field")).to_have_text("Họp")
    expect(desk.locator("#pause-info")).to_contain_text("Tạm nghỉ từ ")
    expect(desk.locator("#pause-info")).to_contain_text("giây): Họp")
    expect(display.locator('.tile[data-counter="1"] .tile-foot')).to_have_text("Tạm nghỉ: Họp")
    shot(desk, "counter-paused-with-reason")
    desk.keyboard.press("p")
    expect(desk.locator("#counter-status")).to_have_text("Đang làm việc")
    desk.keyboard.press("n")
    expect(desk.locator("#current-number")).to_have_text(tickets[1]["label"])

