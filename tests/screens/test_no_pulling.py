"""Screens stop pulling, in Chromium: while an officer calls and visitors arrive, the kiosk's
estimates, the counter's waiting list and a phone's place in line follow what the server
pushes. None of them asks for a snapshot again, and the phone makes no request at all."""
from __future__ import annotations

import requests
from playwright.sync_api import expect

from ..hall import KIOSK_TOKEN
from .conftest import wait_js
from .test_visit import open_kiosk, sign_in


def test_kiosk_counter_and_phone_follow_the_hall_without_asking(pages, hall):
    api = f"{hall.url}/api/v1/sites/hcc"
    headers = {"Authorization": f"Bearer {KIOSK_TOKEN}"}

    def issue(**extra) -> dict:
        return requests.post(f"{api}/tickets", json={"field": "TP", **extra}, headers=headers, timeout=10).json()

    def state() -> dict:
        return requests.get(f"{api}/state", headers=headers, timeout=10).json()

    first, second, mine = issue(), issue(), issue()
    phone = pages.open(f"/t/hcc/{mine['token']}", width=390, height=844)
    expect(phone.locator("#ahead")).to_have_text("2")
    asked: list[str] = []
    phone.on("request", lambda r: asked.append(r.url) if r.resource_type in ("fetch", "xhr") else None)
    kiosk = open_kiosk(pages)
    tp = kiosk.locator('.field-button[data-field="TP"] .meta')
    expect(tp).to_contain_text("Chưa có quầy phục vụ")     # nobody serves the field yet

    desk = sign_in(pages, 1)                                  # signing in opens counter 1
    # The kiosk now estimates a wait: the counter's opening reached it pushed, not asked for.
    expect(tp).to_contain_text("Thời gian chờ")
    desk.keyboard.press("n")
    expect(desk.locator("#current-number")).to_have_text(first["label"])
    expect(phone.locator("#ahead")).to_have_text("1")
    expect(desk.locator("#waiting-list li strong")).to_have_text([second["label"], mine["label"]])

    elderly = issue(priority="elderly")                       # goes before me
    expect(phone.locator("#ahead")).to_have_text("2")
    expect(desk.locator("#waiting-list li strong")).to_have_text([elderly["label"], second["label"], mine["label"]])
    expect(tp).to_contain_text("Đang chờ: 3")
    desk.keyboard.press("b")
    expect(desk.locator("#current-state")).to_have_text("Đang phục vụ")
    desk.keyboard.press("h")                                  # a service finished: a new estimate
    expect(desk.locator("#current-number")).to_have_text("—")
    desk.keyboard.press("n")
    expect(desk.locator("#current-number")).to_have_text(elderly["label"])
    expect(phone.locator("#ahead")).to_have_text("1")
    expect(desk.locator("#waiting-list li strong")).to_have_text([second["label"], mine["label"]])

    # Nobody asked: the desk's one snapshot with lists, after its first (it has none).
    assert kiosk.evaluate("window.kiosk.live.resyncs") == 0
    assert desk.evaluate("window.desk.live.resyncs") == 1
    assert phone.evaluate("window.phone.live.resyncs") == 0
    assert [u for u in asked if "/socket.io/" not in u] == []
    # And what they show is what the server says now.
    now = state()["waiting"]["TP"]
    wait_js(kiosk, f"window.kiosk.snapshot.waiting.TP.estimated_wait_seconds === {now['estimated_wait_seconds']}")
    own = requests.get(f"{api}/t/{mine['token']}", timeout=10).json()
    wait_js(phone, f"window.phone.place.estimated_wait_seconds === {own['estimated_wait_seconds']}")
