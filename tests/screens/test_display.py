"""The lobby display's voice: Vietnamese number reading, the queue of announcements, the clips."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
from playwright.sync_api import expect

from ..hall import DISPLAY_TOKEN
from ..servers import ServerProcess, write_config
from .conftest import Pages, screens_hall, shot, wait_js
from .test_admin import busy_morning
from .test_visit import open_display

READINGS = {
    1023: "một nghìn không trăm hai mươi ba",
    15: "mười lăm",
    21: "hai mươi mốt",
    24: "hai mươi tư",
    105: "một trăm linh năm",
    1005: "một nghìn không trăm linh năm",
    2014: "hai nghìn không trăm mười bốn",
    10: "mười",
    11: "mười một",
    14: "mười bốn",
    25: "hai mươi lăm",
    110: "một trăm mười",
    1100: "một nghìn một trăm",
    1000: "một nghìn",
    5: "năm",
    0: "không",
    45000: "bốn mươi lăm nghìn",
}


@pytest.fixture
def display(pages):
    page = open_display(pages)
    wait_js(page, "lobby.announcer.loaded")
    return page


def test_numbers_are_read_the_vietnamese_way(display):
    said = display.evaluate("""(numbers) => numbers.map((n) => lobby.announcer.manifest &&
        VietnameseNumbers.numberTokens(n).map((t) => lobby.announcer.manifest.words[t]).join(' '))""",
                            list(READINGS))
    assert dict(zip(READINGS, said)) == READINGS
    sentence = display.evaluate("lobby.announcer.text('1023', 5)")
    assert sentence == "Xin mời công dân có số thứ tự một nghìn không trăm hai mươi ba đến quầy số năm"
    assert display.evaluate("lobby.announcer.text('A023', 12)") == \
        "Xin mời công dân có số thứ tự a hai mươi ba đến quầy số mười hai"


def test_digit_by_digit_reading(display):
    tokens = display.evaluate("VietnameseNumbers.labelTokens('1023', true)")
    words = display.evaluate("(t) => t.map((x) => lobby.announcer.manifest.words[x]).join(' ')", tokens)
    assert words == "một không hai ba"


def test_a_new_call_never_cuts_off_the_one_being_spoken(display):
    display.evaluate("lobby.announcer.announce('1001', 1); lobby.announcer.announce('2002', 2)")
    wait_js(display, "lobby.announcer.log.length === 2", timeout=40000)
    first, second = display.evaluate("lobby.announcer.log")
    assert [first["label"], second["label"]] == ["1001", "2002"]
    assert second["startedAt"] >= first["endedAt"]
    assert first["endedAt"] - first["startedAt"] > 3000


def test_every_clip_of_the_pack_is_served(hall):
    manifest = requests.get(f"{hall.url}/display/voice/vi/manifest.json", timeout=10).json()
    files = set(manifest["clips"].values()) | {manifest["chime"]}
    assert len(files) >= 40
    for name in files:
        r = requests.get(f"{hall.url}/display/voice/vi/{name}", timeout=10)
        assert r.status_code == 200 and r.content[:4] == b"RIFF", name
    assert requests.get(f"{hall.url}/display/voice/vi/..%2Fmanifest.json", timeout=10).status_code == 404


def test_a_site_recording_replaces_the_default_clip(browser, tmp_path, prefix, redis_url):
    voice = tmp_path / "voice" / "vi"
    voice.mkdir(parents=True)
    pack = Path(__file__).resolve().parents[2] / "display" / "static" / "voice" / "vi"
    manifest = json.loads((pack / "manifest.json").read_text(encoding="utf-8"))
    manifest["words"]["intro"] = "Kính mời công dân có số"
    (voice / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    (voice / "xin-moi.wav").write_bytes((pack / "nam.wav").read_bytes())
    doc = screens_hall(prefix)
    doc["server"] = {**doc["server"], "voice_dir": str(tmp_path / "voice")}
    server = ServerProcess(write_config(tmp_path, doc, redis_url=redis_url)).wait_ready()
    pages = Pages(browser, server.url)
    try:
        assert requests.get(f"{server.url}/display/voice/vi/xin-moi.wav", timeout=10).content == \
            (pack / "nam.wav").read_bytes()
        page = pages.open(f"/display/hcc#token={DISPLAY_TOKEN}", width=1920, height=1080)
        wait_js(page, "window.lobby && lobby.announcer && lobby.announcer.loaded")
        assert page.evaluate("lobby.announcer.text('1001', 3)").startswith("Kính mời công dân có số một nghìn")
        assert not pages.errors, pages.errors
    finally:
        pages.close()
        server.stop()


def test_layouts_per_display(browser, tmp_path, prefix, redis_url):
    """A second screen by the counters shows only the calls, in bigger type; another
    shows only the counters; the main display keeps everything."""
    doc = screens_hall(prefix)
    doc["sites"][0]["displays"] += [
        {"id": "display-b", "token": "test-display-token-02", "layout": "calls", "counters": [1, 2], "fields": ["TP"]},
        {"id": "display-c", "token": "test-display-token-03", "layout": "counters"}]
    server = ServerProcess(write_config(tmp_path, doc, redis_url=redis_url)).wait_ready()
    pages = Pages(browser, server.url)
    try:
        calls = pages.open("/display/hcc#token=test-display-token-02", width=1920, height=1080)
        tiles = pages.open("/display/hcc#token=test-display-token-03", width=1920, height=1080)
        standard = pages.open(f"/display/hcc#token={DISPLAY_TOKEN}", width=1920, height=1080)
        for page in (calls, tiles, standard):
            wait_js(page, "window.lobby && lobby.snapshots > 0")
        busy_morning(server.url)

        assert calls.evaluate("document.body.classList.contains('layout-calls')")
        expect(calls.locator("#recent li")).to_have_count(2)
        expect(calls.locator("#recent")).to_be_visible()
        expect(calls.locator("#counters")).to_be_hidden()
        expect(calls.locator("#waiting")).to_be_hidden()
        big = calls.evaluate("parseFloat(getComputedStyle(document.querySelector('#recent li')).fontSize)")
        expect(standard.locator("#recent li")).to_have_count(2)
        normal = standard.evaluate("parseFloat(getComputedStyle(document.querySelector('#recent li')).fontSize)")
        assert big > normal * 1.2, (big, normal)
        shot(calls, "display-layout-calls")

        expect(tiles.locator('.tile[data-counter="1"] .tile-number')).not_to_have_text("")
        expect(tiles.locator("#recent")).to_be_hidden()
        expect(tiles.locator("#waiting")).to_be_hidden()
        shot(tiles, "display-layout-counters")

        expect(standard.locator("#counters")).to_be_visible()
        expect(standard.locator("#waiting")).to_be_visible()
        assert standard.locator(".tile").count() == 5 and standard.locator("#waiting li").count() == 4
        assert not pages.errors, pages.errors
    finally:
        pages.close()
        server.stop()
