"""The kiosk with a real (simulated) printer: printed, out of paper, printer offline — the
visitor is told in plain words, and the number on the screen stays valid."""
from __future__ import annotations

from playwright.sync_api import expect

from ..hall import KIOSK_TOKEN
from ..hardware.test_agent import Rig
from .conftest import Pages, shot


def take_number(kiosk, field="TP"):
    kiosk.click(f'.field-button[data-field="{field}"]')
    kiosk.click("#confirm-take")
    kiosk.wait_for_selector("#view-ticket:not(.hidden)")
    return kiosk.locator("#ticket-number").inner_text()


def test_print_outcomes_reach_the_visitor(browser, tmp_path, prefix, redis_url):
    rig = Rig(tmp_path, prefix, redis_url)
    pages = Pages(browser, rig.server.url)
    try:
        rig.start_agent()
        kiosk = pages.open(f"/kiosk/hcc#token={KIOSK_TOKEN}", width=1280, height=1024)
        kiosk.wait_for_selector(".field-button")
        first = take_number(kiosk)
        expect(kiosk.locator("#ticket-print")).to_have_text("Mời bạn nhận vé.")
        assert rig.printer.wait_for_jobs(1)
        kiosk.click("#ticket-done")

        rig.printer.paper_out = True
        second = take_number(kiosk)
        expect(kiosk.locator("#ticket-print")).to_contain_text("Máy in hết giấy")
        expect(kiosk.locator("#ticket-print")).to_contain_text("vẫn hợp lệ")
        assert second != first and kiosk.locator("#ticket-qr").get_attribute("src").endswith("/qr.svg")
        shot(kiosk, "kiosk-paper-out")
        kiosk.click("#ticket-done")

        rig.agent.stop()
        rig.agent = None
        take_number(kiosk)
        expect(kiosk.locator("#ticket-print")).to_contain_text("Không kết nối được máy in")
        assert not pages.errors, pages.errors
    finally:
        pages.close()
        rig.close()


def test_a_printer_answer_that_beats_the_ticket_reply_is_not_lost(browser, tmp_path, prefix, redis_url):
    """An out-of-paper answer takes milliseconds; the ticket's own HTTP reply can come later
    (a busy server, a slow LAN). The visitor must still be told the paper ran out."""
    rig = Rig(tmp_path, prefix, redis_url)
    pages = Pages(browser, rig.server.url)
    try:
        rig.start_agent()
        rig.printer.paper_out = True
        kiosk = pages.open(f"/kiosk/hcc#token={KIOSK_TOKEN}", width=1280, height=1024)
        kiosk.wait_for_selector(".field-button")

        def slow_reply(route):
            reply = route.fetch()
            kiosk.wait_for_timeout(1500)  # the print result arrives on the socket meanwhile
            route.fulfill(response=reply)

        kiosk.route("**/api/v1/sites/hcc/tickets", slow_reply)
        take_number(kiosk)
        expect(kiosk.locator("#ticket-print")).to_contain_text("Máy in hết giấy")
        assert not pages.errors, pages.errors
    finally:
        pages.close()
        rig.close()
