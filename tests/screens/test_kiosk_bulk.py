"""An agent with many dossiers at the kiosk (issue 14, part 5): the land field asks who files,
sends businesses, postal workers and authorised agents to their own lane, and asks how many
dossiers (within the lane's cap); the ticket says how many."""
from __future__ import annotations

from playwright.sync_api import expect

from ..server.test_bulk_submitters import bulk_hall
from .conftest import Pages, screens_hall, serve_hall, shot
from .test_visit import open_kiosk


def test_an_agent_takes_a_number_in_the_agents_lane_for_five_dossiers(browser, tmp_path, prefix, redis_url):
    doc = screens_hall(prefix)
    doc["sites"][0].update({k: v for k, v in bulk_hall(prefix)["sites"][0].items()
                            if k in ("fields", "counters", "officers")})
    served = serve_hall(tmp_path, doc, redis_url)
    server = next(served)
    pages = Pages(browser, server.url)
    try:
        kiosk = open_kiosk(pages)
        expect(kiosk.locator('.field-button[data-field="DDN"]')).to_have_count(0)   # reached from land
        kiosk.click('.field-button[data-field="DD"]')
        expect(kiosk.locator("#submitter-bulk")).to_have_text(
            "Doanh nghiệp, bưu chính, người được ủy quyền (nhiều hồ sơ)")
        # A citizen may bring two land dossiers: no more.
        expect(kiosk.locator("#dossiers-max")).to_have_text("(tối đa 2)")
        kiosk.click("#dossiers-more")
        expect(kiosk.locator("#dossiers-n")).to_have_text("2")
        expect(kiosk.locator("#dossiers-more")).to_be_disabled()
        kiosk.click("#submitter-bulk")
        expect(kiosk.locator("#confirm-field")).to_have_text("Đất đai – Doanh nghiệp, bưu chính, người được ủy quyền")
        expect(kiosk.locator("#dossiers-max")).to_have_text("(tối đa 30)")
        for _ in range(3):
            kiosk.click("#dossiers-more")
        expect(kiosk.locator("#dossiers-n")).to_have_text("5")
        shot(kiosk, "kiosk-bulk-confirm")
        kiosk.click("#confirm-take")
        expect(kiosk.locator("#ticket-number")).to_have_text("N001")
        expect(kiosk.locator("#ticket-dossiers")).to_have_text("5")
        assert kiosk.evaluate("window.kiosk.lastTicket.dossiers_declared") == 5
        # Back to the citizen: one dossier, the land lane.
        kiosk.click("#ticket-done")
        kiosk.click('.field-button[data-field="DD"]')
        expect(kiosk.locator("#dossiers-n")).to_have_text("1")
        expect(kiosk.locator("#submitter-self")).to_have_attribute("aria-pressed", "true")
        kiosk.click("#confirm-take")
        expect(kiosk.locator("#ticket-number")).to_have_text("2001")
        expect(kiosk.locator("#ticket-dossiers-row")).to_be_hidden()
    finally:
        pages.close()
        next(served, None)
