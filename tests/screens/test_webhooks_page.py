"""The webhooks page in a real browser: an admin adds a hook for the province's one-stop
software, sees its secret once, and the delivery log fills as tickets are taken."""
from __future__ import annotations

import requests
from playwright.sync_api import expect

from ..hall import KIOSK_TOKEN
from ..receiver import Receiver
from .conftest import shot
from .test_admin import admin_login


def test_an_admin_adds_a_webhook_and_watches_its_deliveries(pages, hall):
    receiver = Receiver(fail=1)
    try:
        page = pages.open("/admin/hcc/webhooks", width=1400, height=1200)
        admin_login(page)
        expect(page.locator("#webhook-none")).to_be_visible()
        page.fill("#webhook-code", "motcua")
        page.fill("#webhook-url", receiver.url)
        page.click("#webhook-save")
        expect(page.locator("#webhook-done")).to_have_text("Đã lưu. Mọi máy chủ áp dụng trong vòng 2 giây.")
        expect(page.locator("#webhook-secret-box")).to_be_visible()
        secret = page.locator("#webhook-secret").inner_text()
        assert len(secret) >= 24
        row = page.locator('#webhooks tr[data-id="motcua"]')
        expect(row.locator("td").nth(2)).to_have_text("Số thứ tự (lấy, gọi, phục vụ, chuyển, huỷ…), Đánh giá hài lòng")
        expect(row.locator("td").nth(3)).to_have_text("Đang gửi")

        def take():
            r = requests.post(f"{hall.url}/api/v1/sites/hcc/tickets", json={"field": "TP"}, timeout=10,
                              headers={"Authorization": f"Bearer {KIOSK_TOKEN}"})
            assert r.status_code == 201, r.text

        # The first answer is a 500: the log says it will retry, then that it was delivered.
        take()
        log = page.locator("#webhook-log tbody tr")
        for _ in range(20):
            if receiver.got:
                break
            page.wait_for_timeout(1000)
            take()
        expect(page.locator('#webhook-log tr[data-status="retrying"]').first).to_contain_text(
            "Lỗi, sẽ gửi lại", timeout=15000)
        expect(page.locator('#webhook-log tr[data-status="delivered"]').first).to_contain_text("HTTP 204",
                                                                                                timeout=30000)
        assert log.count() >= 2
        receiver.events(secret)   # every request signed with the secret shown
        shot(page, "admin-webhooks")
    finally:
        receiver.close()
