"""The kiosk at the sizes halls buy, at every A+ step, with a provincial centre's eight
fields: every button whole on the screen and at least 15 mm, the search keyboard above the
fold, and a portrait screen filled, not left 60% empty."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from ..hall import KIOSK_TOKEN
from ..servers import ServerProcess, write_config
from .conftest import Pages, screens_hall, shot, wait_js

SIZES = [(1280, 800), (1080, 1920), (1920, 1080)]
SCALES = [1.0, 1.3, 1.6]   # A+ pressed 0, 3 and 6 times (the largest step)
MM15 = 57                  # 15 mm in CSS pixels (96 per inch)
FIELDS = [("TP", "Tư pháp – Hộ tịch"), ("DD", "Đất đai"), ("XD", "Xây dựng"), ("KD", "Đăng ký kinh doanh"),
          ("GT", "Giao thông vận tải"), ("LD", "Lao động – Thương binh và Xã hội"), ("YT", "Y tế"),
          ("CT", "Công Thương")]


@pytest.fixture(scope="module")
def big_kiosk(tmp_path_factory):
    doc = screens_hall("qmskiosklayout")
    site = doc["sites"][0]
    site["fields"] = [{"code": c, "name": n, "numbers": f"{i}001-{i}999"} for i, (c, n) in enumerate(FIELDS, 1)]
    site["counters"] = [{"number": n, "fields": [FIELDS[(n - 1) % 8][0]]} for n in range(1, 9)]
    site["officers"] = [o for o in site["officers"] if o["username"] in ("cb1", "admin")]
    site["devices"] = []
    tmp = tmp_path_factory.mktemp("kiosklayout")
    server = ServerProcess(write_config(tmp, doc, redis_url=None)).wait_ready()
    yield server
    server.stop()


def outside(page, selector: str, least: int = MM15) -> list[str]:
    """Elements of ``selector`` not wholly on the screen, or smaller than ``least`` px (15 mm), or
    cutting their text."""
    return page.evaluate("""([selector, least]) => [...document.querySelectorAll(selector)]
        .filter((el) => el.offsetParent !== null)
        .map((el) => [el, el.getBoundingClientRect()])
        .filter(([el, r]) => r.top < -1 || r.left < -1 || r.bottom > innerHeight + 1 || r.right > innerWidth + 1
                || r.height < least || r.width < least || el.scrollWidth > el.clientWidth + 1
                || el.scrollHeight > el.clientHeight + 1)
        .map(([el, r]) => (el.innerText || el.id).replace(/\\s+/g, " ").slice(0, 20)
             + " " + Math.round(r.top) + ".." + Math.round(r.bottom)
             + " w" + Math.round(r.width) + " h" + Math.round(r.height)
             + " scroll " + el.scrollWidth + "x" + el.scrollHeight
             + " in " + el.clientWidth + "x" + el.clientHeight)""",
        [selector, least])


@pytest.mark.parametrize("width, height", SIZES)
def test_every_button_is_whole_and_big_enough_at_every_a_plus_step(browser, big_kiosk, width, height):
    pages = Pages(browser, big_kiosk.url)
    try:
        for scale in SCALES:
            kiosk = pages.open(f"/kiosk/hcc#token={KIOSK_TOKEN}", width=width, height=height)
            kiosk.evaluate(f"localStorage.setItem('qms-scale', '{scale}')")
            kiosk.reload()
            kiosk.wait_for_selector(".field-button")
            expect(kiosk.locator(".field-button")).to_have_count(8)
            bad = outside(kiosk, ".field-button, #open-lookup, .toolbar .tool")
            if bad:
                shot(kiosk, f"kiosk-{width}x{height}-{scale}-failed")
            assert not bad, f"{width}x{height} at {scale}: " + "; ".join(bad)
            assert kiosk.evaluate("document.querySelector('.kiosk-main').scrollHeight "
                                  "<= document.querySelector('.kiosk-main').clientHeight + 1"), "the home view scrolls"
            if scale == SCALES[-1]:
                shot(kiosk, f"kiosk-{width}x{height}-a-plus")
            kiosk.click("#open-lookup")
            expect(kiosk.locator("#keyboard button").first).to_be_visible()
            bad = outside(kiosk, "#keyboard button, #lookup-back, #lookup-query")
            assert not bad, f"{width}x{height} at {scale}, search: " + "; ".join(bad)
            if scale == SCALES[0]:
                shot(kiosk, f"kiosk-{width}x{height}-lookup")
            kiosk.context.close()
            pages.contexts.remove(kiosk.context)
        assert not pages.errors, pages.errors
    finally:
        pages.close()


def test_a_portrait_kiosk_is_filled_with_large_text(browser, big_kiosk):
    """Before: 60% of a 1080×1920 screen was empty, the text about 18 px."""
    pages = Pages(browser, big_kiosk.url)
    try:
        kiosk = pages.open(f"/kiosk/hcc#token={KIOSK_TOKEN}", width=1080, height=1920)
        kiosk.wait_for_selector(".field-button")
        used = kiosk.evaluate("""() => { const r = [...document.querySelectorAll('.field-button, #open-lookup')]
            .map((el) => el.getBoundingClientRect()); return Math.max(...r.map((x) => x.bottom)) / innerHeight; }""")
        name = kiosk.evaluate("parseFloat(getComputedStyle(document.querySelector('.field-button .name')).fontSize)")
        assert used > 0.85, used
        assert name >= 32, name
        shot(kiosk, "kiosk-1080x1920")
    finally:
        pages.close()


@pytest.mark.parametrize("width, height", SIZES)
def test_the_confirm_and_ticket_views_fit_at_the_largest_a_plus_step(browser, big_kiosk, width, height):
    """After a field is chosen, the question and the number taken must be whole on the screen too,
    with the longest field name and the buttons at their largest, and nothing scrolls."""
    pages = Pages(browser, big_kiosk.url)
    try:
        kiosk = pages.open(f"/kiosk/hcc#token={KIOSK_TOKEN}", width=width, height=height)
        kiosk.evaluate(f"localStorage.setItem('qms-scale', '{SCALES[-1]}')")
        kiosk.reload()
        kiosk.locator(".field-button", has_text="Lao động").click()
        expect(kiosk.locator("#view-confirm")).to_be_visible()
        bad = outside(kiosk, "#view-confirm button")
        if bad:
            shot(kiosk, f"kiosk-confirm-{width}x{height}-failed")
        assert not bad, f"{width}x{height}, confirm: " + "; ".join(bad)
        assert not outside(kiosk, "#confirm-field, #confirm-wait", least=0), "the question is cut off"
        shot(kiosk, f"kiosk-confirm-{width}x{height}-a-plus")
        kiosk.click("#confirm-take")
        expect(kiosk.locator("#view-ticket")).to_be_visible()
        expect(kiosk.locator("#ticket-number")).not_to_be_empty()
        wait_js(kiosk, "document.querySelector('#ticket-qr').complete "
                       "&& document.querySelector('#ticket-qr').naturalWidth > 0")
        bad = outside(kiosk, "#ticket-done")
        bad += outside(kiosk, "#ticket-number, #ticket-field, #ticket-qr, .ticket-facts", least=0)
        if bad:
            shot(kiosk, f"kiosk-ticket-{width}x{height}-failed")
        assert not bad, f"{width}x{height}, ticket: " + "; ".join(bad)
        assert kiosk.evaluate("document.querySelector('.kiosk-main').scrollHeight "
                              "<= document.querySelector('.kiosk-main').clientHeight + 1"), "the ticket view scrolls"
        shot(kiosk, f"kiosk-ticket-{width}x{height}-a-plus")
        assert not pages.errors, pages.errors
    finally:
        pages.close()
