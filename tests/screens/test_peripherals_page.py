"""The site's rating panels, printers and LED boards managed in a real browser: an admin adds a
panel at a counter for the hall's agent, a mistake is said in config.yaml's words, and the
audit says what was added."""
from __future__ import annotations

import requests
from playwright.sync_api import expect

from ..hall import AGENT_TOKEN
from .conftest import shot
from .test_admin import admin_login


def test_an_admin_adds_a_rating_panel_for_the_agent(pages, hall):
    page = pages.open("/admin/hcc/peripherals", width=1400, height=1100)
    admin_login(page)
    expect(page.locator("#peripherals tbody tr")).to_have_count(5)     # panel-1 … panel-5
    page.fill("#peripheral-id", "panel-9")
    page.select_option("#peripheral-kind", "rating_panel")
    page.fill("#peripheral-url", "/dev/ttyUSB9")
    page.select_option("#peripheral-agent", "agent-1")
    page.click("#peripheral-save")             # no counter: a panel belongs to one
    expect(page.locator("#peripheral-error")).to_contain_text("a rating_panel needs the counter it belongs to")
    page.select_option("#peripheral-counter", "3")
    page.fill("#peripheral-options", '{"model": "ascii", "baudrate": 19200}')
    page.click("#peripheral-save")
    row = page.locator('#peripherals tr[data-id="panel-9"] td')
    expect(row.nth(3)).to_have_text("3")
    expect(row.nth(5)).to_contain_text('"baudrate":19200')
    settings = requests.get(f"{hall.url}/api/v1/agent/settings", headers={"Authorization": f"Bearer {AGENT_TOKEN}"},
                            timeout=10).json()
    assert {d["id"]: d["counter"] for d in settings["devices"]}["panel-9"] == 3
    shot(page, "admin-peripherals")
    page.click("nav.admin-nav >> text=Nhật ký thay đổi")
    expect(page.locator('#audit tr[data-action="device.create"] td.details')).to_have_text(
        "bàn phím đánh giá · /dev/ttyUSB9 · Số quầy 3")
