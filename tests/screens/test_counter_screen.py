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



def test_an_officer_scans_the_receipts_dossier_code_after_serving(pages, hall):
    """A barcode scanner types the code and Enter; the code goes to the visitor just served, and
    the keys typed are not taken for the desk's shortcuts (N, H, …)."""
    headers = {"Authorization": f"Bearer {KIOSK_TOKEN}"}
    ticket = requests.post(f"{hall.url}/api/v1/sites/hcc/tickets", json={"field": "TP"}, headers=headers,
                           timeout=10).json()
    desk = sign_in(pages, 1)
    desk.keyboard.press("n")
    expect(desk.locator("#current-number")).to_have_text(ticket["label"])
    desk.keyboard.press("h")
    expect(desk.locator("#current-number")).to_have_text("—")
    desk.click("#dossier-code")
    desk.keyboard.type("000.00.12.H56-261203-0042")
    desk.keyboard.press("Enter")
    expect(desk.locator("#action-message")).to_have_text(
        f"Đã gắn mã hồ sơ 000.00.12.H56-261203-0042 cho số {ticket['label']}.")
    expect(desk.locator("#dossier-list")).to_have_text(f"Mã hồ sơ của số {ticket['label']}: 000.00.12.H56-261203-0042")
    expect(desk.locator("#current-number")).to_have_text("—")   # no "n" taken as "call the next" meanwhile
    desk.fill("#dossier-code", "x y")
    desk.evaluate("document.getElementById('dossier-code').removeAttribute('pattern')")
    desk.keyboard.press("Enter")
    expect(desk.locator("#action-message")).to_contain_text("Mã hồ sơ gồm 3 đến 64 chữ")
    shot(desk, "counter-dossier")
