"""Collecting a result at the kiosk (issue 14, part 3): the visitor shows the receipt's QR code
to the kiosk's scanner (or types the dossier code on the screen) and gets a number in the
"trả kết quả" lane; a dossier not received here is asked its field, in words."""
from __future__ import annotations

import requests
from playwright.sync_api import expect

from ..hall import ADMIN_PASSWORD, KIOSK_TOKEN, PASSWORD
from ..helpers import wait_until
from ..server.test_result_pickup import CODE, RECEIPT, pickup_hall
from .conftest import Pages, screens_hall, serve_hall, shot
from .test_visit import open_kiosk, sign_in


def received_here(base: str) -> None:
    """Counter 2 receives a land dossier and attaches its code; wait until the archive has it."""
    site = f"{base}/api/v1/sites/hcc"
    assert requests.post(f"{site}/tickets", json={"field": "DD"}, headers={"Authorization": f"Bearer {KIOSK_TOKEN}"},
                         timeout=10).status_code == 201
    token = requests.post(f"{site}/login", json={"username": "cb2", "password": PASSWORD, "counter": 2},
                          timeout=10).json()["token"]
    officer = {"Authorization": f"Bearer {token}"}
    for action, body in (("open", None), ("call-next", None), ("start", None), ("finish", None),
                         ("dossier", {"code": CODE})):
        r = requests.post(f"{site}/counters/2/{action}", json=body, headers=officer, timeout=10)
        assert r.status_code == 200, (action, r.text)
    admin = requests.post(f"{site}/login", json={"username": "admin", "password": ADMIN_PASSWORD}, timeout=10)
    headers = {"Authorization": f"Bearer {admin.json()['token']}"}
    wait_until(lambda: requests.get(f"{site}/reports/dossiers?period=day", headers=headers,
                                    timeout=10).json()["dossiers"], what="the dossier in the archive")


def test_a_scanned_receipt_and_a_typed_code_give_numbers_to_collect_results(browser, tmp_path, prefix, redis_url):
    doc = screens_hall(prefix)
    doc["sites"][0].update({k: v for k, v in pickup_hall(prefix)["sites"][0].items()
                            if k in ("fields", "counters", "officers", "devices")})
    served = serve_hall(tmp_path, doc, redis_url)
    server = next(served)
    pages = Pages(browser, server.url)
    try:
        received_here(server.url)
        kiosk = open_kiosk(pages)
        # The pickup lane has no button of its own: the receipt leads there.
        expect(kiosk.locator('.field-button[data-field="TKQ"]')).to_have_count(0)
        expect(kiosk.locator("#open-pickup")).to_have_text("Nhận kết quả hồ sơ")
        # The scanner types the QR code's link, then Enter, while the home screen shows.
        kiosk.keyboard.type(RECEIPT, delay=4)
        kiosk.keyboard.press("Enter")
        expect(kiosk.locator("#ticket-number")).to_have_text("T001")
        expect(kiosk.locator("#ticket-field")).to_have_text("Trả kết quả")
        expect(kiosk.locator("#ticket-pickup")).to_have_text(CODE)
        shot(kiosk, "kiosk-pickup-ticket")
        kiosk.click("#ticket-done")
        # Scanned again while the number waits: that number, in words.
        kiosk.keyboard.type(CODE, delay=4)
        kiosk.keyboard.press("Enter")
        expect(kiosk.locator("#pickup-error")).to_have_text(
            "Hồ sơ này đã có số thứ tự đang chờ nhận kết quả: số T001.")
        # A code typed on the screen, for a dossier received elsewhere: which field?
        kiosk.click("#pickup-back")
        kiosk.click("#open-pickup")
        for ch in "H56-0042":
            kiosk.locator("#pickup-keyboard button", has_text=ch).first.click()
        expect(kiosk.locator("#pickup-code")).to_have_value("H56-0042")
        kiosk.click("#pickup-take")
        expect(kiosk.locator("#pickup-which")).to_have_text("Hồ sơ H56-0042 thuộc lĩnh vực nào?")
        expect(kiosk.locator('#pickup-fields .field-button[data-field="TKQ"]')).to_have_count(0)
        shot(kiosk, "kiosk-pickup-choose")
        kiosk.click('#pickup-fields .field-button[data-field="DD"]')
        expect(kiosk.locator("#ticket-number")).to_have_text("T002")
        expect(kiosk.locator("#ticket-pickup")).to_have_text("H56-0042")
        # A slow typist at home is not a scanner: nothing happens.
        kiosk.click("#ticket-done")
        kiosk.keyboard.type("H56-0099", delay=150)
        kiosk.keyboard.press("Enter")
        expect(kiosk.locator("#view-home")).to_be_visible()
        # The officer returning results sees which dossier to fetch for the visitor called.
        desk = sign_in(pages, counter=6)
        desk.click('[data-action="call-next"]')
        expect(desk.locator("#current-number")).to_have_text("T001")
        expect(desk.locator("#current-field")).to_have_text(f"Trả kết quả · Hồ sơ {CODE}")
    finally:
        pages.close()
        next(served, None)
