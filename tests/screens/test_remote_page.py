"""A number taken before coming (issue 14, part 1), as a citizen meets it on a phone: the public
page lists the fields with their waits, a code comes by SMS (the log adapter's line here), the
number's own page follows it and shows the QR code to confirm at the kiosk, and the kiosk's
scanner confirms it."""
from __future__ import annotations

import re
import time

from playwright.sync_api import expect

from .conftest import Pages, screens_hall, serve_hall, shot
from .test_visit import open_kiosk


def sms_code(server, phone_tail: str) -> str:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        found = re.findall(rf"sms to=0\d{{3}}\*\*\*{phone_tail} text='[^']*: (\d{{6}})\.", server.log_path.read_text())
        if found:
            return found[-1]
        time.sleep(0.1)
    raise AssertionError("no SMS in the server's log")


def test_a_citizen_takes_a_number_on_the_phone_and_confirms_it_at_the_kiosk(browser, tmp_path, prefix, redis_url):
    doc = screens_hall(prefix, remote={"enabled": True, "per_phone": 1, "arrive_within_minutes": 60,
                                       "caps": {"DD": 3}})
    served = serve_hall(tmp_path, doc, redis_url)
    server = next(served)
    pages = Pages(browser, server.url)
    try:
        phone = pages.open("/remote/hcc", width=390, height=844)
        land = phone.locator('.field-button[data-field="DD"]')
        expect(land.locator(".meta")).to_contain_text("0 người đang chờ")
        expect(land.locator(".meta")).to_contain_text("còn 3 số")
        expect(phone.locator("#remote-rules")).to_contain_text("Mỗi số điện thoại lấy được 1 số mỗi ngày.")
        shot(phone, "remote-fields")
        land.click()
        phone.fill("#remote-phone", "0912 345 678")
        phone.click("#remote-send")
        expect(phone.locator("#remote-sent")).to_have_text("Đã gửi mã đến 0912***678. Mã có hiệu lực 5 phút.")
        phone.fill("#remote-code", "000000" if sms_code(server, "678") != "000000" else "111111")
        phone.click("#remote-take")
        expect(phone.locator("#remote-error")).to_have_text("Mã xác nhận không đúng.")
        phone.fill("#remote-code", sms_code(server, "678"))
        phone.click("#remote-take")
        # The number's own page: live, with the QR code the kiosk confirms.
        expect(phone.locator("#number")).to_have_text("2001")
        expect(phone.locator("#checkin-text")).to_contain_text("đưa mã này vào máy quét ở ki-ốt trước")
        expect(phone.locator("#checkin-qr")).to_be_visible()
        shot(phone, "remote-phone-page")
        link = phone.url
        # At the hall: the phone's QR code under the kiosk's scanner (it types the link, then Enter).
        kiosk = open_kiosk(pages)
        kiosk.keyboard.type(link, delay=4)
        kiosk.keyboard.press("Enter")
        expect(kiosk.locator("#ticket-number")).to_have_text("2001")
        expect(kiosk.locator("#ticket-print")).to_have_text("Đã xác nhận có mặt. Xin chờ đến lượt.")
        expect(phone.locator("#checkin-text")).to_have_text("Đã xác nhận có mặt tại trung tâm.")
        expect(phone.locator("#checkin-qr")).to_be_hidden()
    finally:
        pages.close()
        next(served, None)
