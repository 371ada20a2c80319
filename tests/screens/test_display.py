"""The lobby display's voice: Vietnamese number reading, the queue of announcements, the clips."""
from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
import requests
from playwright.sync_api import expect

from ..hall import DISPLAY_TOKEN, KIOSK_TOKEN, PASSWORD
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
    assert dict(zip(READINGS, said, strict=True)) == READINGS
    sentence = display.evaluate("lobby.announcer.text('1023', 5)")
    assert sentence == "Xin mời công dân có số thứ tự một nghìn không trăm hai mươi ba đến quầy số năm"
    assert display.evaluate("lobby.announcer.text('A023', 12)") == \
        "Xin mời công dân có số thứ tự a hai mươi ba đến quầy số mười hai"


def test_digit_by_digit_reading(display):
    tokens = display.evaluate("VietnameseNumbers.labelTokens('1023', true)")
    words = display.evaluate("(t) => t.map((x) => lobby.announcer.manifest.words[x]).join(' ')", tokens)
    assert words == "một không hai ba"


class Desk:
    """Officers at their counters, calling through the API as their screens do."""

    def __init__(self, url: str):
        self.url = f"{url}/api/v1/sites/hcc"
        self.tokens: dict[int, dict] = {}

    def issue(self, field: str) -> dict:
        return requests.post(f"{self.url}/tickets", json={"field": field}, timeout=10,
                             headers={"Authorization": f"Bearer {KIOSK_TOKEN}"}).json()

    def act(self, counter: int, action: str) -> dict:
        if counter not in self.tokens:
            token = requests.post(f"{self.url}/login", timeout=10, json={"username": f"cb{counter}",
                                                                       "password": PASSWORD,
                                                                       "counter": counter}).json()["token"]
            self.tokens[counter] = {"Authorization": f"Bearer {token}"}
        r = requests.post(f"{self.url}/counters/{counter}/{action}", json={}, headers=self.tokens[counter],
                          timeout=10)
        assert r.status_code == 200, r.text
        return r.json()


def said(page) -> list[dict]:
    return [item for item in page.evaluate("lobby.announcer.log") if not item.get("skipped")]


def test_a_new_call_never_cuts_off_the_one_being_spoken(display, hall):
    desk = Desk(hall.url)
    desk.issue("TP")
    desk.issue("DD")
    desk.act(1, "call-next")
    desk.act(2, "call-next")
    wait_js(display, "lobby.announcer.log.length === 2", timeout=40000)
    first, second = said(display)
    assert [first["label"], second["label"]] == ["1001", "2001"]
    assert second["startedAt"] >= first["endedAt"]
    assert first["endedAt"] - first["startedAt"] > 3000


def test_calls_that_queue_are_said_together_under_one_chime(display, hall):
    """Before: every call waited for the whole of the one before (chime and repeats), so at a
    busy moment the lag grew with each call. Now calls that queued meanwhile share one chime,
    and after the first each is said once, shorter: "số … đến quầy số …"."""
    desk = Desk(hall.url)
    for field in ("TP", "DD", "TP", "XD", "K"):
        desk.issue(field if field != "K" else "KD")
    desk.act(1, "call-next")
    display.wait_for_timeout(300)  # the first call has begun
    for counter in (2, 3, 4, 5):
        desk.act(counter, "call-next")
    wait_js(display, "lobby.announcer.log.length === 5", timeout=60000)
    log = said(display)
    assert [item["group"] for item in log] == [1, 4, 4, 4, 4]
    assert log[1]["text"].startswith("Xin mời công dân có số thứ tự")
    assert log[2]["text"].startswith("số ") and "đến quầy số" in log[2]["text"]
    for before, after in itertools.pairwise(log):
        assert after["startedAt"] >= before["endedAt"] - 1  # never two at once
    # The group began right after the first call, with one chime between, not one each.
    assert log[1]["startedAt"] - log[0]["endedAt"] < 2500
    assert log[-1]["endedAt"] - log[0]["queuedAt"] < 45000


def test_a_browser_that_blocks_sound_shows_the_button_and_then_says_only_current_calls(browser, hall):
    """Before: when autoplay was blocked, the announcer hung on AudioContext.resume() with no
    button shown, then, after a click somewhere, said a call long gone."""
    from ..conftest import CHROMIUM, CHROMIUM_ARGS

    # The policy said, not left to the browser's default: twice in CI the default let the page
    # make sound with no gesture, and the button never showed.
    quiet = browser.browser_type.launch(executable_path=CHROMIUM,
                                        args=[a for a in CHROMIUM_ARGS if not a.startswith("--autoplay-policy")]
                                        + ["--autoplay-policy=document-user-activation-required"])
    pages = Pages(quiet, hall.url)
    try:
        display = pages.open(f"/display/hcc#token={DISPLAY_TOKEN}", width=1920, height=1080)
        # Within 2 s of the page starting its voice, with no call yet: a TV must not wait for one.
        expect(display.locator("#sound-overlay")).to_be_visible(timeout=10000)
        assert display.evaluate("lobby.soundBlockedAfterMs") < 2000
        shot(display, "display-sound-blocked")
        desk = Desk(hall.url)
        for field in ("TP", "TP", "DD", "XD"):
            desk.issue(field)
        desk.act(1, "call-next")      # 1001 at counter 1 ...
        desk.act(1, "no-show")        # ... who did not come:
        desk.act(1, "call-next")      # counter 1 now calls 1002
        desk.act(2, "call-next")      # 2001 at counter 2
        desk.act(3, "call-next")      # 3001 at counter 3 ...
        desk.act(3, "start")          # ... already at the desk
        wait_js(display, "lobby.counters[3] && lobby.counters[3].ticket_state === 'serving'")
        assert display.evaluate("lobby.announcer.log.length") == 0  # nothing said, nothing lost
        display.click("#sound-on")
        expect(display.locator("#sound-overlay")).to_be_hidden()
        wait_js(display, "lobby.announcer.log.length === 4", timeout=40000)
        assert [item["label"] for item in said(display)] == ["1002", "2001"]
        skipped = {item["label"] for item in display.evaluate("lobby.announcer.log") if item.get("skipped")}
        assert skipped == {"1001", "3001"}
        assert not pages.errors, pages.errors
    finally:
        pages.close()
        quiet.close()


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


def test_the_recording_script_names_every_clip_a_centre_can_replace():
    """A centre that records every line of the script has replaced the whole synthetic voice."""
    import re

    from display.voice_pack import PACK, recording_script

    script = recording_script()
    named = set(re.findall(r"^\| ([a-z0-9-]+\.wav) \| (.+) \|$", script, re.M))
    manifest = json.loads((PACK / "manifest.json").read_text(encoding="utf-8"))
    assert {name for name, _ in named} == set(manifest["clips"].values())
    words = {manifest["clips"][token]: text for token, text in manifest["words"].items()}
    assert all(words[name] == text for name, text in named)  # the words the clip must say


def test_a_waiting_call_goes_before_a_courtesy_repeat(display):
    """A call alone is said twice (voice_repeat 2), but not while another call waits: the
    sentence is never cut; the repeat is left out."""
    display.evaluate("() => { window.probe = new Announcer({base: '/display/voice/vi/', repeat: 2, "
                     "readDigits: false, mode: 'clips'}); }")
    wait_js(display, "probe.loaded")
    display.evaluate("probe.announce('1001', 1)")
    display.wait_for_timeout(1500)  # while 1001 is being said
    display.evaluate("probe.announce('2001', 2)")
    wait_js(display, "probe.log.length === 2", timeout=40000)
    first, second = display.evaluate("probe.log")
    assert (first["label"], first["said"]) == ("1001", 1)
    assert (second["label"], second["said"]) == ("2001", 2)  # nothing waited for it: said twice
    assert second["startedAt"] >= first["endedAt"]
