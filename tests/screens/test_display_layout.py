"""The lobby display of a big hall at its busiest, on the two TV sizes halls buy: 12 counters
and 10 fields, calls, a recall and a restored no-show. Nothing is cut off, every field's
waiting count is shown, and a recall is the same row blinking again, not a second row."""
from __future__ import annotations

import pytest
import requests
from playwright.sync_api import expect

from ..hall import DISPLAY_TOKEN, KIOSK_TOKEN, PASSWORD, password_hash
from ..servers import ServerProcess, write_config
from .conftest import Pages, screens_hall, shot, wait_js

FIELDS = [("TP", "Tư pháp – Hộ tịch"), ("DD", "Đất đai"), ("XD", "Xây dựng"), ("KD", "Đăng ký kinh doanh"),
          ("GT", "Giao thông vận tải"), ("LD", "Lao động – Thương binh và Xã hội"), ("YT", "Y tế"),
          ("CT", "Công Thương"), ("TN", "Tài nguyên và Môi trường"), ("NV", "Nội vụ – Tôn giáo")]

# Every box the hall must see whole: (selector, the box it must stay inside).
WHOLE = [(".tile", ".counters"), ("#waiting li", ".side"), ("#recent li", ".side"), ("#latest", ".latest")]


def big_hall(prefix: str) -> dict:
    doc = screens_hall(prefix)
    site = doc["sites"][0]
    site["fields"] = [{"code": code, "name": name, "numbers": f"{n}001-{n}999"}
                      for n, (code, name) in enumerate(FIELDS, 1)]
    site["counters"] = [{"number": n, "name": f"Quầy {n}", "fields": [FIELDS[(n - 1) % 10][0]]} for n in range(1, 13)]
    site["officers"] = [{"username": f"cb{n}", "name": f"Cán bộ {n}", "counters": [n],
                         "password_hash": password_hash(PASSWORD)} for n in range(1, 13)]
    site["devices"] = []
    site["displays"][0]["recent_calls"] = 20
    return doc


def clipped(page) -> list[str]:
    """Boxes that are not wholly inside their container and the window."""
    return page.evaluate("""(pairs) => {
        const out = [];
        const inside = (r, b) => r.top >= b.top - 1 && r.bottom <= b.bottom + 1 && r.left >= b.left - 1
                                 && r.right <= b.right + 1;
        const view = {top: 0, left: 0, bottom: innerHeight, right: innerWidth};
        for (const [selector, within] of pairs) {
            const box = document.querySelector(within).getBoundingClientRect();
            document.querySelectorAll(selector).forEach((el, i) => {
                const r = el.getBoundingClientRect();
                if (!inside(r, box) || !inside(r, view) || el.scrollWidth > el.clientWidth + 1)
                    out.push(selector + "[" + i + "] " + (el.innerText || "").replace(/\\s+/g, " ").slice(0, 40));
            });
        }
        return out;
    }""", WHOLE)


@pytest.mark.parametrize("width, height", [(1920, 1080), (1366, 768)])
def test_a_busy_big_hall_fits_the_tv_and_a_recall_is_one_row(browser, tmp_path, prefix, redis_url, width, height):
    server = ServerProcess(write_config(tmp_path, big_hall(prefix), redis_url=redis_url)).wait_ready()
    pages = Pages(browser, server.url)
    api = f"{server.url}/api/v1/sites/hcc"
    kiosk = {"Authorization": f"Bearer {KIOSK_TOKEN}"}
    try:
        display = pages.open(f"/display/hcc#token={DISPLAY_TOKEN}", width=width, height=height)
        wait_js(display, "window.lobby && lobby.snapshots > 0")
        for code, _ in FIELDS * 3:
            assert requests.post(f"{api}/tickets", json={"field": code}, headers=kiosk, timeout=10).status_code == 201
        officers = {}
        for n in range(1, 13):
            token = requests.post(f"{api}/login", json={"username": f"cb{n}", "password": PASSWORD, "counter": n},
                                  timeout=10).json()["token"]
            officers[n] = {"Authorization": f"Bearer {token}"}

        def act(n, action, **body):
            r = requests.post(f"{api}/counters/{n}/{action}", json=body, headers=officers[n], timeout=10)
            assert r.status_code == 200, r.text
            return r.json()

        for n in range(1, 13):
            act(n, "call-next")
        absent = act(2, "no-show")              # counter 2's visitor did not come ...
        act(2, "call-next")
        requests.post(f"{api}/tickets/{absent['id']}/restore", json={}, headers=officers[2], timeout=10)
        act(2, "no-show")
        again = act(2, "call-next")             # ... came back, restored, and is called again
        assert again["id"] == absent["id"]
        recalled = act(3, "recall")              # counter 3 calls its number once more
        wait_js(display, "lobby.updates >= 30")
        display.wait_for_timeout(500)

        labels = display.locator("#recent li .r-number").all_inner_texts()
        assert len(labels) == len(set(labels)), labels  # a recall or a restored call is one row
        top = display.locator("#recent li").first
        expect(top).to_have_class("blink")  # the recalled number, at the top, blinking again
        expect(top.locator(".r-number")).to_have_text(recalled["label"])
        assert len(labels) >= 4, labels
        expect(display.locator("#waiting li")).to_have_count(10)
        expect(display.locator(".tile")).to_have_count(12)
        assert clipped(display) == []
        shot(display, f"display-busy-{width}x{height}")
        assert not pages.errors, pages.errors
    finally:
        pages.close()
        server.stop()
