"""Appointments as citizens meet them (issue 14, parts 2 and 6): a phone books a time on the public
page and lands on the booking's own page with its QR code; the kiosk's scanner checks it in and
the number says when it is called; a visitor finding a field full is offered a time on the next
working day and takes the booking's slip; a code typed on the pad is looked up."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import requests
from playwright.sync_api import expect

from ..hall import KIOSK_TOKEN
from ..servers import ServerProcess, write_config
from .conftest import Pages, screens_hall, shot
from .test_remote_page import sms_code
from .test_visit import open_kiosk

APPOINTMENTS = {"enabled": True, "slot_minutes": 30, "capacity": {"TP": 2, "DD": 1, "default": 0},
                "checkin_before_minutes": 30, "late_minutes": 15}


def test_a_booking_made_on_a_phone_is_checked_in_at_the_kiosk(browser, tmp_path, prefix, redis_url):
    doc = screens_hall(prefix, appointments=APPOINTMENTS)
    # Monday 23 November 2026, 08:50 in Hà Nội (the clock runs on from there).
    server = ServerProcess(write_config(tmp_path, doc, redis_url=redis_url), always_open=False,
                           faketime="@2026-11-23 01:50:00").wait_ready()
    pages = Pages(browser, server.url)
    try:
        phone = pages.open("/book/hcc", width=390, height=844)
        expect(phone.locator("#book-rules")).to_contain_text("Mỗi số điện thoại đặt được 1 lịch hẹn mỗi ngày.")
        expect(phone.locator("#book-fields .field-button")).to_have_count(2)   # TP and DD take bookings
        phone.locator("#book-fields .field-button", has_text="Tư pháp").click()
        expect(phone.locator("#book-days .field-button").first).to_have_text("Thứ Hai 23/11")
        first = phone.locator("#book-slots .field-button").first
        expect(first.locator(".name")).to_have_text("09:00–09:30")
        expect(first.locator(".meta")).to_have_text("còn 2 chỗ")
        shot(phone, "book-slots")
        first.click()
        phone.fill("#book-phone", "0912 345 678")
        phone.click("#book-send")
        expect(phone.locator("#book-sent")).to_contain_text("0912***678")
        phone.fill("#book-code", sms_code(server, "678"))
        phone.click("#book-confirm")
        phone.wait_for_url("**/a/hcc/**")
        expect(phone.locator("#booking-status")).to_have_text("Đã đặt lịch")
        expect(phone.locator("#booking-when")).to_have_text("Thứ Hai, 23/11/2026, 09:00–09:30")
        expect(phone.locator("#booking-checkin")).to_have_text("Quét mã này tại ki-ốt từ 08:30 đến 09:15.")
        expect(phone.locator("#booking-qr")).to_be_visible()
        code = phone.locator("#booking-code").inner_text()
        assert len(code) == 6 and code.isdigit(), code
        shot(phone, "booking-page")
        phone.click('button[data-lang="en"]')
        expect(phone.locator("#booking-status")).to_have_text("Booked")
        expect(phone.locator("#booking-when")).to_have_text("Monday, 23/11/2026, 09:00–09:30")
        expect(phone.locator("#booking-cancel")).to_have_text("Cancel the appointment")
        phone.click('button[data-lang="vi"]')
        expect(phone.locator("#booking-status")).to_have_text("Đã đặt lịch")

        # At the hall: the kiosk's scanner reads the phone's QR code (its link), then Enter.
        kiosk = open_kiosk(pages)
        expect(kiosk.locator("#open-appointment")).to_have_text("Tôi có lịch hẹn")
        kiosk.keyboard.type(phone.url, delay=4)
        kiosk.keyboard.press("Enter")
        expect(kiosk.locator("#ticket-number")).to_have_text("1001")
        expect(kiosk.locator("#ticket-wait")).to_have_text("được gọi lúc 09:00 (giờ hẹn)")
        shot(kiosk, "kiosk-appointment-ticket")
        # The number's own phone page (its QR code) says when it is called; the phone's clock is
        # the server's day.
        token = kiosk.evaluate("window.kiosk.lastTicket.token")
        context = browser.new_context(viewport={"width": 390, "height": 844}, locale="vi-VN")
        pages.contexts.append(context)
        own = context.new_page()
        own.on("pageerror", lambda err: pages.errors.append(f"phone page: {err}"))
        own.clock.install(time=datetime(2026, 11, 23, 8, 52, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh")))
        own.goto(f"{server.url}/t/hcc/{token}")
        expect(own.locator("#status")).to_have_text(
            "Bạn có lịch hẹn: được gọi từ 09:00, trước người lấy số tại chỗ.")
        expect(own.locator("#facts")).to_be_hidden()
        kiosk.click("#ticket-done")
        phone.reload()
        expect(phone.locator("#booking-status")).to_have_text("Đã xác nhận có mặt: xem số thứ tự của bạn")
        expect(phone.locator("#booking-cancel")).to_be_hidden()

        # Land gives five numbers a day: the sixth visitor is offered a time on the next working day.
        for _ in range(5):
            assert requests.post(f"{server.url}/api/v1/sites/hcc/tickets", json={"field": "DD"}, timeout=10,
                                 headers={"Authorization": f"Bearer {KIOSK_TOKEN}"}).status_code == 201
        land = kiosk.locator('.field-button[data-field="DD"]')
        expect(land.locator(".meta")).to_have_text("Hôm nay đã hết số: chạm để đặt lịch hẹn ngày làm việc tới")
        land.click()
        expect(kiosk.locator("#offer-text")).to_have_text("Đất đai: còn chỗ vào Thứ Tư 25/11/2026. Chọn giờ đến:")
        shot(kiosk, "kiosk-appointment-offer")
        kiosk.click('#offer-slots [data-time="07:30"]')
        expect(kiosk.locator("#booked-when")).to_have_text("Thứ Tư 25/11/2026, 07:30–08:00")
        expect(kiosk.locator("#booked-checkin")).to_have_text("Quét mã này tại ki-ốt từ 07:00 đến 07:45.")
        expect(kiosk.locator("#booked-print")).not_to_be_empty()
        slip = kiosk.locator("#booked-code").inner_text()
        shot(kiosk, "kiosk-appointment-booked")
        kiosk.click("#booked-done")

        # Its six digits typed today: it is Wednesday's, not today's.
        kiosk.click("#open-appointment")
        for digit in slip:
            kiosk.locator("#appointment-pad button", has_text=digit).first.click()
        expect(kiosk.locator("#appointment-code")).to_have_value(slip)
        kiosk.click("#appointment-take")
        expect(kiosk.locator("#appointment-error")).to_have_text("Không tìm thấy lịch hẹn với mã này trong hôm nay.")
        shot(kiosk, "kiosk-appointment-code")
        assert not pages.errors, pages.errors
    finally:
        pages.close()
        server.stop()


def test_after_closing_the_kiosk_offers_a_time_on_the_next_working_day(browser, tmp_path, prefix, redis_url):
    doc = screens_hall(prefix, appointments=APPOINTMENTS)
    # Monday 23 November 2026, 17:30 in Hà Nội: the hall closed at 17:00; Tuesday is a day off.
    server = ServerProcess(write_config(tmp_path, doc, redis_url=redis_url), always_open=False,
                           faketime="@2026-11-23 10:30:00").wait_ready()
    pages = Pages(browser, server.url)
    try:
        kiosk = pages.open(f"/kiosk/hcc#token={KIOSK_TOKEN}", width=1080, height=1920)
        expect(kiosk.locator("#view-closed")).to_be_visible()
        kiosk.click("#closed-book")
        expect(kiosk.locator("#offer-text")).to_have_text("Chọn lĩnh vực cần giải quyết:")
        expect(kiosk.locator("#offer-fields .field-button")).to_have_count(2)
        kiosk.click('#offer-fields .field-button[data-field="TP"]')
        expect(kiosk.locator("#offer-text")).to_have_text(
            "Tư pháp – Hộ tịch: còn chỗ vào Thứ Tư 25/11/2026. Chọn giờ đến:")
        kiosk.click('#offer-slots [data-time="08:00"]')
        expect(kiosk.locator("#booked-when")).to_have_text("Thứ Tư 25/11/2026, 08:00–08:30")
        shot(kiosk, "kiosk-closed-booked")
        assert not pages.errors, pages.errors
    finally:
        pages.close()
        server.stop()
