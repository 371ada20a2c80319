"""Fault drills with the figures docs/reliability.md records: a server killed under load,
Redis crashed under load, a 30-second network cut between the screens and the server."""
from __future__ import annotations

import json
import logging
import os
import signal
import threading
import time
import uuid
from collections import Counter

import pytest
import redis as redis_lib
import requests

from server.embedded_redis import EmbeddedRedis

from ..hall import DISPLAY_TOKEN, KIOSK_B_TOKEN, KIOSK_TOKEN, PASSWORD, hall_document
from ..server.test_concurrency import N_COUNTERS, busy_hall_document
from ..servers import ServerProcess, write_config

logger = logging.getLogger("drills")
KIOSKS = (KIOSK_TOKEN, KIOSK_B_TOKEN)


class Load:
    """Kiosks and officers hammering a set of servers; a request that fails is retried on
    another server with the same idempotency key, as the kiosk does."""

    def __init__(self, urls: list[str]):
        self.urls = urls
        self.stop = threading.Event()
        self.acked: dict[str, dict] = {}          # idempotency key -> ticket acknowledged
        self.calls: list[str] = []                # ticket ids acknowledged as called
        self.failures = Counter()
        self.lock = threading.Lock()

    def post(self, path: str, token: str, body: dict, attempts: int = 60):
        for i in range(attempts):
            url = self.urls[i % len(self.urls)]
            try:
                r = requests.post(f"{url}/api/v1/sites/hcc{path}", json=body, timeout=5,
                                  headers={"Authorization": f"Bearer {token}"})
            except requests.RequestException:
                with self.lock:
                    self.failures["connection"] += 1
                time.sleep(0.05)
                continue
            if r.status_code in (502, 503):
                with self.lock:
                    self.failures[r.status_code] += 1
                time.sleep(0.05)
                continue
            return r
        return None

    def kiosk(self, n: int) -> None:
        i = 0
        while not self.stop.is_set():
            key = f"k{n}-{i}-{uuid.uuid4().hex[:6]}"
            r = self.post("/tickets", KIOSKS[n % 2], {"field": ("TP", "DD", "XD")[i % 3], "idempotency_key": key})
            if r is not None and r.status_code in (200, 201):
                with self.lock:
                    self.acked[key] = r.json()
            i += 1

    def officer(self, counter: int, token: str) -> None:
        while not self.stop.is_set():
            r = self.post(f"/counters/{counter}/call-next", token, {"finish_current": True})
            if r is not None and r.status_code == 200:
                with self.lock:
                    self.calls.append(r.json()["id"])
                self.post(f"/counters/{counter}/start", token, {})
            elif r is not None and r.status_code == 409:
                self.post(f"/counters/{counter}/finish", token, {})  # a call whose answer was lost
            else:
                time.sleep(0.05)

    def run(self, kiosks: int, officers: dict[int, str]) -> list[threading.Thread]:
        threads = [threading.Thread(target=self.kiosk, args=(n,), daemon=True) for n in range(kiosks)]
        threads += [threading.Thread(target=self.officer, args=(c, t), daemon=True) for c, t in officers.items()]
        for t in threads:
            t.start()
        return threads


def stored_tickets(client, prefix: str) -> dict[str, dict]:
    out = {}
    for key in client.scan_iter(match=f"{prefix}:{{hcc}}:tickets:*"):
        for tid, raw in client.hgetall(key).items():
            out[tid.decode()] = json.loads(raw)
    return out


def called_counts(client, prefix: str) -> Counter:
    counts = Counter()
    for _id, fields in client.xrange(f"{prefix}:{{hcc}}:events"):
        if fields[b"type"] == b"ticket.called":
            counts[json.loads(fields[b"data"])["ticket"]["id"]] += 1
    return counts


def check_no_loss(load: Load, client, prefix: str) -> dict:
    stored = stored_tickets(client, prefix)
    lost = [t["id"] for t in load.acked.values() if t["id"] not in stored]
    labels = Counter((t["field"], t["number"]) for t in stored.values())
    duplicates = [k for k, n in labels.items() if n > 1]
    twice = [tid for tid, n in called_counts(client, prefix).items() if n > 1]
    missing_calls = [tid for tid in load.calls if tid not in stored]
    assert not lost, f"acknowledged tickets lost: {lost[:5]}"
    assert not duplicates, f"duplicate numbers: {duplicates[:5]}"
    assert not twice, f"tickets called twice: {twice[:5]}"
    assert not missing_calls
    # An idempotency key retried on another server never made a second ticket.
    assert len(stored) <= len(load.acked) + sum(load.failures.values()) + 10
    return {"acknowledged": len(load.acked), "stored": len(stored), "calls": len(load.calls), "lost": len(lost),
            "duplicate_numbers": len(duplicates), "called_twice": len(twice), "failures": dict(load.failures)}


def report(name: str, figures: dict) -> None:
    """Figures of a drill, for docs/reliability.md (printed with -s, and logged)."""
    logger.warning("drill %s: %s", name, json.dumps(figures))
    path = os.environ.get("QMS_DRILL_REPORT")
    if path:
        with open(path, "a") as out:
            out.write(json.dumps({"drill": name, **figures}) + "\n")


def officers_on(urls: list[str]) -> dict[int, str]:
    tokens = {}
    for n in range(1, 7):
        r = requests.post(f"{urls[n % len(urls)]}/api/v1/sites/hcc/login", timeout=10,
                          json={"username": f"cb{n}", "password": PASSWORD, "counter": n})
        tokens[n] = r.json()["token"]
    return tokens


def test_kill_9_of_a_server_under_load(tmp_path, prefix, redis_url):
    path = write_config(tmp_path, busy_hall_document(prefix), redis_url=redis_url)
    victim, survivor = ServerProcess(path).wait_ready(), ServerProcess(path).wait_ready()
    load = Load([victim.url, survivor.url])
    try:
        threads = load.run(kiosks=6, officers=officers_on([victim.url, survivor.url]))
        time.sleep(2.0)
        before = len(load.acked)
        os.kill(victim.proc.pid, signal.SIGKILL)
        killed_at = time.monotonic()
        time.sleep(2.0)
        load.stop.set()
        for t in threads:
            t.join(timeout=30)
        figures = check_no_loss(load, redis_lib.Redis.from_url(redis_url), prefix)
        figures.update(acknowledged_before_kill=before, seconds_after_kill=round(time.monotonic() - killed_at, 1))
        assert len(load.acked) > before  # the survivor went on serving
        report("kill -9 of a server", figures)
    finally:
        victim.stop()
        survivor.stop()


def test_redis_crash_under_load(tmp_path, prefix):
    store = EmbeddedRedis(tmp_path / "redis", appendfsync="always")
    store.start()
    port = store.port
    path = write_config(tmp_path, busy_hall_document(prefix), redis_url=store.url)
    server = ServerProcess(path).wait_ready()
    load = Load([server.url])
    try:
        threads = load.run(kiosks=4, officers=officers_on([server.url]))
        time.sleep(1.5)
        store.kill()
        crashed_acked = len(load.acked)
        crashed_at = time.monotonic()
        time.sleep(1.0)
        store = EmbeddedRedis(tmp_path / "redis", port=port, appendfsync="always")
        store.start()
        restarted = time.monotonic()
        while len(load.acked) <= crashed_acked and time.monotonic() - restarted < 20:
            time.sleep(0.05)
        recovered_after = time.monotonic() - restarted
        time.sleep(1.0)
        load.stop.set()
        for t in threads:
            t.join(timeout=30)
        figures = check_no_loss(load, redis_lib.Redis.from_url(store.url), prefix)
        figures.update(acknowledged_at_crash=crashed_acked, outage_seconds=round(restarted - crashed_at, 1),
                       first_ticket_after_restart_seconds=round(recovered_after, 2))
        assert len(load.acked) > crashed_acked, "the server did not recover after Redis came back"
        report("Redis SIGKILL and restart", figures)
    finally:
        server.stop()
        store.stop()


def test_screens_recover_from_a_30_second_network_cut(browser, tmp_path, prefix, redis_url):
    from ..proxy import CuttableProxy
    from ..screens.conftest import Pages

    path = write_config(tmp_path, hall_document(prefix), redis_url=redis_url)
    server = ServerProcess(path).wait_ready()
    proxy = CuttableProxy(server.port)
    pages = Pages(browser, proxy.url)
    try:
        api = f"{server.url}/api/v1/sites/hcc"
        kiosk = {"Authorization": f"Bearer {KIOSK_TOKEN}"}
        ticket = requests.post(f"{api}/tickets", json={"field": "TP"}, headers=kiosk, timeout=10).json()
        display = pages.open(f"/display/hcc#token={DISPLAY_TOKEN}", width=1920, height=1080)
        display.wait_for_function("window.lobby && lobby.snapshots > 0")
        phone = pages.open(f"/t/hcc/{ticket['token']}", width=390, height=844)
        phone.wait_for_selector("#number")
        desk = pages.open("/counter/hcc", width=1366, height=768)
        desk.fill("#login-username", "cb1")
        desk.fill("#login-password", PASSWORD)
        desk.select_option("#login-counter", "1")
        desk.click("#login-form button[type=submit]")
        desk.wait_for_function("window.desk && window.desk.snapshot !== null")
        for page in (display, phone, desk):
            page.evaluate("window.__sameDocument = true")

        proxy.cut()
        cut_at = time.monotonic()
        display.wait_for_function("document.getElementById('connection').textContent !== ''", timeout=15000)
        # While the screens are cut off, the hall goes on (another officer's terminal).
        token = requests.post(f"{api}/login", json={"username": "cb1", "password": PASSWORD, "counter": 1,
                                                    "take_over": True}, timeout=10).json()["token"]
        requests.post(f"{api}/counters/1/call-next", headers={"Authorization": f"Bearer {token}"}, timeout=10)
        for _ in range(3):
            requests.post(f"{api}/tickets", json={"field": "DD"}, headers=kiosk, timeout=10)
        time.sleep(max(0.0, 30 - (time.monotonic() - cut_at)))
        proxy.restore()
        restored = time.monotonic()
        display.wait_for_function("document.querySelector('#latest-number').textContent === "
                                  f"'{ticket['label']}'", timeout=5000)
        display.wait_for_function("document.querySelector('#waiting li[data-field=\"DD\"] .w-count')"
                                  ".textContent === '3'", timeout=5000)
        display_back = time.monotonic() - restored
        phone.wait_for_function("!document.getElementById('call-banner').classList.contains('hidden')",
                                timeout=5000)
        phone_back = time.monotonic() - restored
        desk.wait_for_function(f"document.getElementById('current-number').textContent === '{ticket['label']}'",
                               timeout=5000)
        desk_back = time.monotonic() - restored
        for page in (display, phone, desk):
            assert page.evaluate("window.__sameDocument") is True  # no reload
        report("30 s network cut", {"cut_seconds": round(restored - cut_at, 1),
                                    "display_right_after_s": round(display_back, 2),
                                    "phone_right_after_s": round(phone_back, 2),
                                    "counter_right_after_s": round(desk_back, 2)})
        pages.errors[:] = [e for e in pages.errors if "net::ERR_" not in e and "WebSocket" not in e]
        assert not pages.errors, pages.errors
    finally:
        pages.close()
        proxy.close()
        server.stop()


assert N_COUNTERS >= 6
