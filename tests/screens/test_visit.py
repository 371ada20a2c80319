"""A whole visit across the four screens, in a real browser against a real server."""
from __future__ import annotations

import re
import time

import requests
from playwright.sync_api import expect

from ..hall import ADMIN_PASSWORD, DISPLAY_TOKEN, KIOSK_TOKEN, PASSWORD
from .conftest import shot, wait_js


def open_display(pages):
    display = pages.open(f"/display/hcc#token={DISPLAY_TOKEN}", width=1920, height=1080)
    wait_js(display, "window.lobby && window.lobby.snapshots > 0")
    return display


def open_kiosk(pages, **kw):
    kiosk = pages.open(f"/kiosk/hcc#token={KIOSK_TOKEN}", width=1280, height=1024, **kw)
    kiosk.wait_for_selector(".field-button")
    return kiosk


def sign_in(pages, counter=1):
    desk = pages.open("/counter/hcc", width=1366, height=768)
    desk.fill("#login-username", f"cb{counter}")
    desk.fill("#login-password", PASSWORD)
    desk.select_option("#login-counter", str(counter))
    desk.click("#login-form button[type=submit]")
    desk.wait_for_selector("#view-desk:not(.hidden)")
    wait_js(desk, "window.desk.snapshot !== null")
    return desk


def waiting_on_display(display, field):
    return display.locator(f'#waiting li[data-field="{field}"] .w-count')


def test_a_visit_from_kiosk_to_counter_to_display_to_phone(pages):
    display = open_display(pages)
    expect(waiting_on_display(display, "TP")).to_have_text("0")
    kiosk = open_kiosk(pages)
    shot(kiosk, "kiosk-home")

    # The visitor taps a field, then takes a number.
    kiosk.click('.field-button[data-field="TP"]')
    expect(kiosk.locator("#confirm-field")).to_have_text("Tư pháp – Hộ tịch")
    kiosk.click("#confirm-take")
    expect(kiosk.locator("#ticket-number")).to_have_text("1001")
    expect(kiosk.locator("#ticket-ahead")).to_have_text("0")
    expect(kiosk.locator("#ticket-print")).to_contain_text("vẫn hợp lệ")
    wait_js(kiosk, "document.getElementById('ticket-qr').naturalWidth > 0")
    shot(kiosk, "kiosk-ticket")
    token = kiosk.evaluate("window.kiosk.lastTicket.token")

    # The lobby display counts the new visitor without being asked.
    expect(waiting_on_display(display, "TP")).to_have_text("1")

    phone = pages.open(f"/t/hcc/{token}", width=390, height=844)
    expect(phone.locator("#number")).to_have_text("1001")
    expect(phone.locator("#ahead")).to_have_text("0")
    expect(phone.locator("#call-banner")).to_be_hidden()
    shot(phone, "phone-waiting")

    # The officer calls the next visitor with the keyboard.
    desk = sign_in(pages, 1)
    expect(desk.locator("#waiting-list li")).to_have_count(1)
    desk.keyboard.press("n")
    expect(desk.locator("#current-number")).to_have_text("1001")
    expect(desk.locator("#current-state")).to_have_text("Đang mời")
    shot(desk, "counter-called")

    # The display shows and announces the call; the phone says where to go.
    expect(display.locator("#latest-number")).to_have_text("1001")
    expect(display.locator("#latest-counter")).to_have_text("Quầy 1")
    expect(display.locator('.tile[data-counter="1"] .tile-number')).to_have_text("1001")
    expect(waiting_on_display(display, "TP")).to_have_text("0")
    wait_js(display, "lobby.announcer.log.length + lobby.announcer.queue.length"
                     " + (lobby.announcer.speaking ? 1 : 0) > 0")
    shot(display, "display-call")
    expect(phone.locator("#call-banner")).to_be_visible()
    expect(phone.locator("#call-counter")).to_have_text("Quầy 1")
    shot(phone, "phone-called")

    wait_js(display, "lobby.announcer.log.length === 1", timeout=30000)
    said = display.evaluate("lobby.announcer.log[0]")
    assert said["text"] == "Xin mời công dân có số thứ tự một nghìn không trăm linh một đến quầy số một"
    assert said["endedAt"] - said["startedAt"] > 3000  # the clips really played, one after another
    assert not said.get("blocked")

    # Start, then finish: the phone follows.
    desk.keyboard.press("b")
    expect(desk.locator("#current-state")).to_have_text("Đang phục vụ")
    expect(phone.locator("#status")).to_contain_text("đang được phục vụ tại quầy 1")
    desk.keyboard.press("h")
    expect(phone.locator("#status")).to_have_text("Đã hoàn thành. Cảm ơn bạn!")


def test_the_phone_page_follows_its_place_in_line(pages, hall):
    headers = {"Authorization": f"Bearer {KIOSK_TOKEN}"}
    tickets = [requests.post(f"{hall.url}/api/v1/sites/hcc/tickets", json={"field": "DD"}, headers=headers,
                             timeout=10).json() for _ in range(3)]
    phone = pages.open(f"/t/hcc/{tickets[2]['token']}", width=390, height=844)
    expect(phone.locator("#ahead")).to_have_text("2")
    desk = sign_in(pages, 2)
    desk.keyboard.press("n")
    expect(desk.locator("#current-number")).to_have_text(tickets[0]["label"])
    expect(phone.locator("#ahead")).to_have_text("1")
    desk.keyboard.press("v")  # no-show
    expect(desk.locator("#noshow-list li")).to_have_count(1)
    desk.keyboard.press("n")
    expect(phone.locator("#ahead")).to_have_text("0")
    # The visitor gives up from the phone.
    phone.once("dialog", lambda d: d.accept())
    phone.click("#leave")
    expect(phone.locator("#status")).to_have_text("Số thứ tự này đã huỷ.")


def test_the_display_recovers_after_a_server_restart(pages, hall):
    display = open_display(pages)
    wait_js(display, "lobby.announcer.loaded")
    display.evaluate("window.__sameDocument = true")
    hall.stop()
    expect(display.locator("#connection")).to_contain_text("kết nối lại", timeout=10000)
    from ..servers import ServerProcess

    again = ServerProcess(hall.config_path, port=hall.port).wait_ready()
    try:
        headers = {"Authorization": f"Bearer {KIOSK_TOKEN}"}
        r = requests.post(f"{again.url}/api/v1/sites/hcc/tickets", json={"field": "XD"}, headers=headers, timeout=10)
        assert r.status_code == 201
        started = time.monotonic()
        expect(waiting_on_display(display, "XD")).to_have_text("1", timeout=5000)
        assert time.monotonic() - started < 5
        expect(display.locator("#connection")).to_have_text("")
        assert display.evaluate("window.__sameDocument") is True  # no reload happened
    finally:
        display.close()
        again.stop()
    # While a server was down the browser logged failed connections: expected here.
    pages.errors[:] = [e for e in pages.errors if "net::ERR_" not in e and "WebSocket" not in e]


def test_counter_transfer_pause_and_choose_a_ticket(pages, hall):
    headers = {"Authorization": f"Bearer {KIOSK_TOKEN}"}
    tickets = f"{hall.url}/api/v1/sites/hcc/tickets"
    first = requests.post(tickets, json={"field": "TP"}, headers=headers, timeout=10).json()
    second = requests.post(tickets, json={"field": "TP"}, headers=headers, timeout=10).json()
    display = open_display(pages)
    desk = sign_in(pages, 1)
    # Call a chosen ticket from the waiting list.
    desk.locator(f'#waiting-list li[data-ticket="{second["id"]}"] button').click()
    expect(desk.locator("#current-number")).to_have_text(second["label"])
    # Transfer it to the land field (Đất đai).
    desk.keyboard.press("c")
    desk.get_by_role("button", name="Đất đai").click()
    expect(desk.locator("#current-number")).to_have_text("—")
    expect(waiting_on_display(display, "DD")).to_have_text("1")
    # Pause with a reason: the display tells the hall.
    desk.keyboard.press("p")
    desk.get_by_role("button", name="Họp").click()
    expect(desk.locator("#counter-status")).to_have_text("Tạm nghỉ")
    expect(display.locator('.tile[data-counter="1"] .tile-foot')).to_have_text("Tạm nghỉ: Họp")
    shot(desk, "counter-paused")
    desk.keyboard.press("p")
    expect(desk.locator("#counter-status")).to_have_text("Đang làm việc")
    desk.keyboard.press("n")
    expect(desk.locator("#current-number")).to_have_text(first["label"])


def test_english_high_contrast_and_larger_text(pages):
    kiosk = open_kiosk(pages)
    kiosk.click('button[data-lang="en"]')
    kiosk.wait_for_selector(".field-button")
    expect(kiosk.locator("h2.prompt")).to_have_text("Please choose the service you need")
    expect(kiosk.locator('.field-button[data-field="TP"] .name')).to_have_text("Justice")
    before = kiosk.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
    kiosk.click('button[data-a11y="larger"]')
    kiosk.click('button[data-a11y="larger"]')
    after = kiosk.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
    assert after > before * 1.15
    kiosk.click('button[data-a11y="contrast"]')
    assert kiosk.evaluate("document.documentElement.classList.contains('contrast')")
    assert kiosk.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(0, 0, 0)"
    shot(kiosk, "kiosk-english-contrast")
    kiosk.click('button[data-lang="vi"]')
    kiosk.wait_for_selector(".field-button")
    expect(kiosk.locator("h2.prompt")).to_have_text("Mời chọn lĩnh vực cần giải quyết")


def test_landing_page_lists_the_screens(pages):
    index = pages.open("/")
    expect(index.locator("h2").first).to_have_text("Trung tâm Phục vụ Hành chính công tỉnh Thử nghiệm")
    counter_link = index.get_by_role("link", name="Màn hình quầy (cán bộ)").first
    assert re.search(r"/counter/hcc$", counter_link.get_attribute("href"))


def test_a_counter_screen_taken_over_goes_back_to_sign_in(pages, hall):
    """The admin takes over counter 1: cb1's open screen is told at once that the session has
    ended and shows the sign-in form; it can no longer call anyone."""
    desk = sign_in(pages, 1)
    r = requests.post(f"{hall.url}/api/v1/sites/hcc/login", timeout=10,
                      json={"username": "admin", "password": ADMIN_PASSWORD, "counter": 1, "take_over": True})
    assert r.status_code == 200, r.text
    desk.wait_for_selector("#view-login:not(.hidden)", timeout=5000)
    expect(desk.locator("#login-error")).to_have_text("Phiên làm việc đã kết thúc, xin đăng nhập lại.")
    expect(desk.locator("#connection")).to_have_text("")  # not "reconnecting…" under a sign-in form
    expect(desk.locator("#who-officer")).to_have_text("")
    shot(desk, "counter-session-ended")
