"""The kiosk as a visitor meets it: lookup, priority, closed hours, full fields, lockdown."""
from __future__ import annotations

from datetime import datetime
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

import requests
from playwright.sync_api import expect

from ..hall import KIOSK_TOKEN, PASSWORD
from ..servers import ServerProcess, write_config
from .conftest import KIOSK_PIN, Pages, screens_hall, shot, wait_js
from .test_visit import open_kiosk


def type_on_screen(kiosk, text: str):
    for ch in text:
        if ch == " ":
            kiosk.locator("#keyboard button.wide").click()
        else:
            kiosk.locator("#keyboard button", has_text=ch.upper()).first.click()


def test_lookup_ignores_accents_and_leads_to_a_number(pages):
    kiosk = open_kiosk(pages)
    kiosk.click("#open-lookup")
    type_on_screen(kiosk, "dang ky khai sinh")
    expect(kiosk.locator("#lookup-query")).to_have_value("dang ky khai sinh")
    expect(kiosk.locator("#lookup-results li")).to_have_count(1)
    expect(kiosk.locator("#lookup-results li").first).to_have_text("Đăng ký khai sinh")
    kiosk.locator("#lookup-results li button").first.click()
    expect(kiosk.locator("#detail-documents li")).to_have_count(2)
    expect(kiosk.locator("#detail-fee")).to_have_text("Miễn lệ phí")
    shot(kiosk, "kiosk-lookup")
    # No dead end: take a number for that procedure's field straight away.
    kiosk.click("#detail-take")
    expect(kiosk.locator("#confirm-field")).to_have_text("Tư pháp – Hộ tịch")


def test_priority_category_is_printed_on_the_ticket(pages):
    kiosk = open_kiosk(pages)
    kiosk.click('.field-button[data-field="XD"]')
    kiosk.click('.category[data-category="elderly"]')
    expect(kiosk.locator('.category[data-category="elderly"]')).to_have_attribute("aria-pressed", "true")
    kiosk.click("#confirm-take")
    expect(kiosk.locator("#ticket-priority")).to_have_text("Người cao tuổi")
    assert kiosk.evaluate("window.kiosk.lastTicket.priority") == "elderly"


def test_a_double_tap_makes_one_ticket(pages, hall):
    kiosk = open_kiosk(pages)
    kiosk.click('.field-button[data-field="TP"]')
    kiosk.evaluate("document.getElementById('confirm-take').click(); document.getElementById('confirm-take').click()")
    expect(kiosk.locator("#ticket-number")).to_have_text("1001")
    state = requests.get(f"{hall.url}/api/v1/sites/hcc/state", headers={"Authorization": f"Bearer {KIOSK_TOKEN}"},
                         timeout=10).json()
    assert state["waiting"]["TP"]["waiting"] == 1


def test_a_full_field_cannot_be_chosen(pages, hall):
    headers = {"Authorization": f"Bearer {KIOSK_TOKEN}"}
    for _ in range(5):  # DD has a daily cap of 5 in the test hall
        assert requests.post(f"{hall.url}/api/v1/sites/hcc/tickets", json={"field": "DD"}, headers=headers,
                             timeout=10).status_code == 201
    kiosk = open_kiosk(pages)
    button = kiosk.locator('.field-button[data-field="DD"]')
    expect(button).to_be_disabled()
    expect(button.locator(".meta")).to_have_text("Đã hết số hôm nay")


def test_the_kiosk_says_when_the_centre_is_closed(browser, tmp_path, prefix, redis_url):
    today = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date().isoformat()
    doc = screens_hall(prefix, holidays=[today])
    server = ServerProcess(write_config(tmp_path, doc, redis_url=redis_url), always_open=False).wait_ready()
    pages = Pages(browser, server.url)
    try:
        kiosk = pages.open(f"/kiosk/hcc#token={KIOSK_TOKEN}")
        expect(kiosk.locator("#view-closed")).to_be_visible()
        expect(kiosk.locator(".closed-title")).to_have_text("Hôm nay trung tâm nghỉ làm việc")  # its own day off
        expect(kiosk.locator("#closed-next")).to_contain_text("Trung tâm mở cửa lại lúc")
        expect(kiosk.locator("#closed-hours li").first).to_have_text("Thứ Hai: 07:30-11:30, 13:30-17:00")
        shot(kiosk, "kiosk-closed")
        assert not pages.errors, pages.errors
    finally:
        pages.close()
        server.stop()


def test_the_kiosk_says_closed_on_tet(browser, tmp_path, prefix, redis_url):
    """Before: the demo's hand-written holiday list missed Tết, so a kiosk would issue tickets
    on Mùng ba Tết. Now the official calendar (lunar dates included) closes the hall."""
    doc = screens_hall(prefix)
    doc["sites"][0]["holidays"] = []  # the official calendar alone
    # Monday 8 February 2027, 09:00 in Hà Nội: Mùng ba Tết.
    server = ServerProcess(write_config(tmp_path, doc, redis_url=redis_url), always_open=False,
                           faketime="@2027-02-08 02:00:00").wait_ready()
    pages = Pages(browser, server.url)
    try:
        kiosk = pages.open(f"/kiosk/hcc#token={KIOSK_TOKEN}")
        expect(kiosk.locator("#view-closed")).to_be_visible()
        expect(kiosk.locator(".closed-title")).to_have_text("Hôm nay nghỉ lễ: Mùng ba Tết Nguyên Đán")
        expect(kiosk.locator("#closed-next")).to_contain_text("07:30 Thứ Năm, 11/02")  # back on Mùng sáu
        shot(kiosk, "kiosk-closed-tet")
        r = requests.post(f"{server.url}/api/v1/sites/hcc/tickets", json={"field": "TP"}, timeout=10,
                          headers={"Authorization": f"Bearer {KIOSK_TOKEN}"})
        assert r.status_code == 409 and r.json()["error"]["code"] == "outside_opening_hours"
        assert not pages.errors, pages.errors
    finally:
        pages.close()
        server.stop()


def test_lockdown_and_the_maintenance_pin(pages):
    kiosk = open_kiosk(pages)
    prevented = kiosk.evaluate("""() => {
        const e = new MouseEvent('contextmenu', {bubbles: true, cancelable: true});
        return !document.body.dispatchEvent(e);
    }""")
    assert prevented, "the context menu must not open on a kiosk"
    kiosk.evaluate("history.back()")
    expect(kiosk.locator("#view-home")).to_be_visible()
    open_maintenance(kiosk, wrong_first=True)
    # This test's server listens on 127.0.0.1 only: the menu says phones cannot reach it.
    expect(kiosk.locator("#admin-qr-warning")).to_contain_text("điện thoại của công dân không mở được")
    shot(kiosk, "kiosk-maintenance")


def open_maintenance(kiosk, wrong_first: bool = False):
    """Hold the centre's name for 3 s, then type the PIN, as a technician does."""
    name = kiosk.locator("#site-name")
    box = name.bounding_box()
    kiosk.mouse.move(box["x"] + 20, box["y"] + 10)
    kiosk.mouse.down()
    kiosk.wait_for_timeout(3300)
    kiosk.mouse.up()
    expect(kiosk.locator("#pin-dialog")).to_be_visible()
    if wrong_first:
        for digit in "1111":
            kiosk.locator("#pin-pad button", has_text=digit).first.click()
        kiosk.locator("#pin-pad button", has_text="OK").click()
        expect(kiosk.locator("#pin-error")).to_have_text("Sai mã quản trị.")
    for digit in KIOSK_PIN:
        kiosk.locator("#pin-pad button", has_text=digit).first.click()
    kiosk.locator("#pin-pad button", has_text="OK").click()
    expect(kiosk.locator("#admin-dialog")).to_be_visible()


def test_the_qr_code_of_a_kiosk_opened_at_localhost_leads_where_a_phone_can_go(browser, tmp_path, prefix, redis_url):
    """Before: with public_url empty, a kiosk browser on the server itself printed
    http://localhost:8080/t/…, which no phone can open."""
    import zxingcpp
    from PIL import Image

    server = ServerProcess(write_config(tmp_path, screens_hall(prefix), redis_url=redis_url),
                           extra_args=("--host", "0.0.0.0")).wait_ready()  # a hall's server, on its LAN
    pages = Pages(browser, f"http://localhost:{server.port}")
    try:
        kiosk = pages.open(f"/kiosk/hcc#token={KIOSK_TOKEN}", width=1280, height=1024)
        kiosk.wait_for_selector(".field-button")
        kiosk.click('.field-button[data-field="TP"]')
        kiosk.click("#confirm-take")
        expect(kiosk.locator("#ticket-number")).to_have_text("1001")
        wait_js(kiosk, "document.getElementById('ticket-qr').naturalWidth > 0")
        qr_png = tmp_path / "qr.png"
        kiosk.locator("#ticket-qr").screenshot(path=str(qr_png))
        codes = zxingcpp.read_barcodes(Image.open(qr_png).convert("RGB"))
        assert len(codes) == 1, "the QR code on the kiosk cannot be read"
        link = codes[0].text
        host = urlparse(link).hostname
        assert host not in ("localhost", "127.0.0.1", "::1") and not host.startswith("127."), link
        assert link == kiosk.evaluate("window.kiosk.lastTicket.status_url")
        phone = requests.get(link, timeout=10)  # what the visitor's phone opens
        assert phone.status_code == 200 and "1001" in phone.text
        open_maintenance(kiosk)
        expect(kiosk.locator("#admin-qr-base")).to_have_text(f"http://{host}:{server.port}")
        expect(kiosk.locator("#admin-qr-warning")).to_be_hidden()
        shot(kiosk, "kiosk-maintenance-qr")
        assert not pages.errors, pages.errors
    finally:
        pages.close()
        server.stop()


def test_a_kiosk_without_its_token_asks_for_setup(pages):
    kiosk = pages.open("/kiosk/hcc")
    expect(kiosk.locator("#view-setup")).to_be_visible()
    expect(kiosk.locator("#view-setup h2")).to_have_text("Thiết bị chưa được cài đặt")


def test_a_field_nobody_serves_yet_says_so_and_asks_before_a_number(pages, hall):
    """Before: "khoảng 5 phút" before any officer had signed in (and "khoảng 203 phút" for a field
    with no open counter), and the ticket was issued without a word."""
    kiosk = open_kiosk(pages)
    tp = kiosk.locator('.field-button[data-field="TP"] .meta')
    expect(tp).to_contain_text("Chưa có quầy phục vụ")
    kiosk.click('.field-button[data-field="TP"]')
    expect(kiosk.locator("#confirm-warning")).to_contain_text("Hiện chưa có quầy nào phục vụ lĩnh vực này")
    expect(kiosk.locator("#confirm-take")).to_have_text("Vẫn lấy số")
    shot(kiosk, "kiosk-confirm-no-counter")
    kiosk.click("#confirm-back")
    requests.post(f"{hall.url}/api/v1/sites/hcc/login", json={"username": "cb1", "password": PASSWORD, "counter": 1},
                  timeout=10)
    expect(tp).to_contain_text("ngay bây giờ", timeout=10000)  # an officer is there, nobody waits
    kiosk.click('.field-button[data-field="TP"]')
    expect(kiosk.locator("#confirm-warning")).to_be_hidden()
    expect(kiosk.locator("#confirm-take")).to_have_text("Lấy số")
