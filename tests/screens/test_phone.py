"""The visitor's phone page on a common phone (390×844): the toolbar in one row, and the
visitor's own priority category on their ticket."""
from __future__ import annotations

import requests
from playwright.sync_api import expect

from ..hall import KIOSK_TOKEN
from .conftest import shot


def test_the_phone_page_fits_a_phone_and_shows_my_priority(pages, hall):
    ticket = requests.post(f"{hall.url}/api/v1/sites/hcc/tickets", json={"field": "TP", "priority": "elderly"},
                           headers={"Authorization": f"Bearer {KIOSK_TOKEN}"}, timeout=10).json()
    phone = pages.open(f"/t/hcc/{ticket['token']}", width=390, height=844)
    expect(phone.locator("#priority")).to_have_text("Ưu tiên: Người cao tuổi")
    tops = phone.evaluate("[...document.querySelectorAll('.toolbar .tool')].map((b) => b.getBoundingClientRect().top)")
    assert len(tops) == 5 and max(tops) - min(tops) < 2, tops  # before: three rows of buttons
    sizes = phone.evaluate("""[...document.querySelectorAll('.toolbar .tool, .phone-actions .button')].map((b) => {
        const r = b.getBoundingClientRect(); return [r.width, r.height, r.right]; })""")
    assert all(w >= 44 and h >= 44 and right <= 390 for w, h, right in sizes), sizes  # big enough, none off-screen
    assert phone.evaluate("document.querySelector('header.bar').getBoundingClientRect().height") < 140
    shot(phone, "phone-390x844")
