"""The Content-Security-Policy is in force in a real browser: every screen works under it
(the pages fixture fails on any console error, a refused script included), and a script
slipped into a page does not run."""
from __future__ import annotations

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from .test_visit import open_kiosk


def test_a_script_slipped_into_a_page_does_not_run(pages):
    kiosk = open_kiosk(pages)
    expect(kiosk.locator('.field-button[data-field="TP"]')).to_be_visible()  # its own scripts ran
    with pytest.raises(PlaywrightError):
        kiosk.add_script_tag(content="window.slipped = 'ran'")
    assert kiosk.evaluate("window.slipped") is None
    with pytest.raises(PlaywrightError):
        kiosk.add_script_tag(url="http://127.0.0.2:9/evil.js")  # nor one from another host
    assert kiosk.evaluate("window.slipped") is None
    pages.hosts.discard("127.0.0.2")  # asked for, and refused by the browser itself (below)
    # Both refusals were reported as the browser reports them; that is what this test expects.
    refused = [e for e in pages.errors if "Content Security Policy" in e]
    assert any("inline script" in e for e in refused) and any("evil.js" in e for e in refused), pages.errors
    pages.errors[:] = [e for e in pages.errors if e not in refused]
