"""Screens in a real headless Chromium (Debian's, driven by Playwright) against a real
`qms serve` process and Redis. Screenshots go to test-artifacts/screens/."""
from __future__ import annotations

import json
import re
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest

from ..hall import hall_document, password_hash
from ..servers import ServerProcess, write_config

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "screens"
KIOSK_PIN = "246810"


def screens_hall(prefix: str, **site_overrides) -> dict:
    doc = hall_document(prefix, **site_overrides)
    site = doc["sites"][0]
    site["displays"][0].update(voice_repeat=1, notice="Thông báo: trung tâm nghỉ Tết từ 14/02.")
    site["catalogue"] = str(ROOT / "tests" / "data" / "catalogue.yaml")
    site["kiosk_pin_hash"] = password_hash(KIOSK_PIN)
    return doc


@pytest.fixture
def hall(tmp_path, prefix, redis_url):
    """A running server on the test Redis: returns (server, config path)."""
    yield from serve_hall(tmp_path, screens_hall(prefix), redis_url)


def serve_hall(tmp_path, document: dict, redis_url: str):
    """A `qms serve` of ``document`` while the test runs; no page may show a catalogue key."""
    path = write_config(tmp_path, document, redis_url=redis_url)
    server = ServerProcess(path).wait_ready()
    yield server
    server.stop()
    log = server.log_path.read_text(errors="replace").splitlines()
    missing = [line for line in log if "missing translation" in line]
    assert not missing, missing  # a page rendered a catalogue key with no words behind it


CATALOGUE = json.loads((ROOT / "server" / "translations" / "vi.json").read_text(encoding="utf-8"))
# Text that looks like a catalogue key ("error.bad_period"): words a screen must never show.
_SECTIONS = "|".join(sorted({key.split(".")[0] for key in CATALOGUE}))
RAW_KEY = re.compile(rf"(?<![\w/.-])(?:{_SECTIONS})\.[a-z0-9_]+(?:\.[a-z0-9_]+)*(?![\w/.-])")


FILE_NAME = re.compile(r"\.(?:js|css|png|svg|wav|json|html|yaml)$")


def raw_keys(page) -> list[str]:
    """Catalogue keys shown on the page as they are, in its text or its labels, instead of words."""
    page.wait_for_load_state()  # not in the middle of a navigation
    text = page.evaluate("""() => [document.body ? document.body.innerText : "",
        ...[...document.querySelectorAll("[placeholder],[aria-label],[title]")].map(
            (el) => [el.getAttribute("placeholder"), el.getAttribute("aria-label"), el.getAttribute("title")].join(" "))
    ].join("\\n")""")
    return sorted({key for key in RAW_KEY.findall(text) if not FILE_NAME.search(key)})


class Pages:
    """Browser pages that record console errors and every host they load from."""

    def __init__(self, browser, base_url: str):
        self.browser = browser
        self.base = base_url
        self.errors: list[str] = []
        self.hosts: set[str] = set()
        self.contexts = []

    def open(self, path: str, *, width=1280, height=800, lang: str | None = None):
        context = self.browser.new_context(viewport={"width": width, "height": height}, locale="vi-VN")
        self.contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda err: self.errors.append(f"{path}: {err}"))
        page.on("console", lambda msg: msg.type == "error" and "status of 4" not in msg.text
                and self.errors.append(f"{path}: {msg.text}"))
        page.on("request", lambda req: self.hosts.add(urlparse(req.url).hostname or req.url.split(":")[0]))
        page.goto(self.base + path)
        return page

    def close(self):
        for c in self.contexts:
            for page in c.pages:
                if not page.is_closed():
                    shown = raw_keys(page)
                    if shown:
                        self.errors.append(f"{page.url}: shows catalogue keys instead of words: {shown}")
            c.close()


@pytest.fixture
def pages(browser, hall):
    p = Pages(browser, hall.url)
    yield p
    p.close()
    assert not p.errors, p.errors
    assert p.hosts <= {"127.0.0.1", "data"}, f"a page loaded something from elsewhere: {p.hosts}"


def wait_js(page, expression: str, timeout: float = 30000) -> None:
    """Wait until ``expression`` is truthy in the page. (Playwright's wait_for_function builds its
    predicate with eval inside the page, which the Content-Security-Policy refuses; evaluate does not.)"""
    from playwright.sync_api import Error as PlaywrightError

    deadline = time.monotonic() + timeout / 1000
    while True:
        try:
            if page.evaluate(f"!!({expression})"):
                return
        except PlaywrightError as err:
            if "context was destroyed" not in str(err):  # a navigation in between: ask the new page
                raise
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout / 1000:.0f} s waiting for {expression}")
        time.sleep(0.05)


def shot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path
