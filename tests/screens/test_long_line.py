"""At a morning's peak a field holds hundreds: the desk lists the head of the line and says how
many more wait (before, every push carried, and the desk drew, the whole line)."""
from __future__ import annotations

import pytest
import requests
from playwright.sync_api import expect

from server.engine.views import LIST_LIMIT

from ..hall import KIOSK_TOKEN
from .conftest import screens_hall, serve_hall
from .test_visit import sign_in


@pytest.fixture
def hall(tmp_path, prefix, redis_url):
    yield from serve_hall(tmp_path, screens_hall(prefix, kiosk_tickets_per_minute=1000), redis_url)


def test_a_long_line_lists_its_head_and_counts_the_rest(pages, hall):
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {KIOSK_TOKEN}"
    for _ in range(LIST_LIMIT + 3):
        r = session.post(f"{hall.url}/api/v1/sites/hcc/tickets", json={"field": "TP"}, timeout=10)
        assert r.status_code == 201, r.text
    desk = sign_in(pages, 1)
    expect(desk.locator("#waiting-list li.more")).to_have_text(
        "… và 3 người nữa đang chờ lĩnh vực Tư pháp – Hộ tịch")
    expect(desk.locator("#waiting-list li:not(.more):not(.empty)")).to_have_count(LIST_LIMIT)
    desk.keyboard.press("n")
    expect(desk.locator("#waiting-list li.more")).to_have_text(
        "… và 2 người nữa đang chờ lĩnh vực Tư pháp – Hộ tịch")
