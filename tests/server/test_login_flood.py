"""A login flood on a real `qms serve` (eventlet), with the real cost of scrypt: guesses are
counted before they are checked, and the hall keeps calling while hashes are computed."""
from __future__ import annotations

import http.client
import json
import logging
import statistics
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from werkzeug.security import generate_password_hash

from hardware.ordered_client import OrderedClient
from server.config.password_policy import HASH_METHOD

from ..hall import DISPLAY_TOKEN, KIOSK_TOKEN, PASSWORD, hall_document
from ..helpers import wait_until
from ..servers import ServerProcess, write_config

FLOOD = 250


def post_from(address: str, port: int, path: str, body: dict, token: str | None = None) -> int:
    """POST from a source address of our choosing (all of 127/8 is this machine)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60, source_address=(address, 0))
    try:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        conn.request("POST", f"/api/v1/sites/hcc{path}", json.dumps(body), headers)
        response = conn.getresponse()
        response.read()
        return response.status
    except OSError:
        return 0  # counted: a refused or timed-out connection is an error too
    finally:
        conn.close()


def flood(port: int, addresses: list[str], username: str) -> Counter:
    start = threading.Barrier(len(addresses))

    def one(i_address):
        i, address = i_address
        start.wait()
        return post_from(address, port, "/login", {"username": username, "password": f"guess-{i}", "counter": 1})

    with ThreadPoolExecutor(len(addresses)) as pool:
        return Counter(pool.map(one, enumerate(addresses)))


def real_cost_hall(prefix: str) -> dict:
    doc = hall_document(prefix, opening_hours="always")
    cb1 = next(o for o in doc["sites"][0]["officers"] if o["username"] == "cb1")
    cb1["password_hash"] = generate_password_hash(PASSWORD, method=HASH_METHOD)  # as `qms hash-password` makes
    return doc


def test_concurrent_guesses_from_one_address_are_each_counted(tmp_path, prefix):
    """250 guesses at once from one address: only the free tries and the few the growing wait
    lets through are checked (the old read-check-increment let 61 through)."""
    server = ServerProcess(write_config(tmp_path, real_cost_hall(prefix), redis_url=None)).wait_ready()
    try:
        answers = flood(server.port, ["127.0.2.1"] * FLOOD, "cb1")
        assert answers[401] <= 10, answers
        assert answers[401] + answers[429] + answers[503] == FLOOD, answers
        # The officer at their own desk is not refused.
        assert post_from("127.0.0.1", server.port, "/login",
                         {"username": "cb1", "password": PASSWORD, "counter": 1}) == 200
    finally:
        server.stop()


def test_a_display_gets_its_calls_during_a_login_flood(tmp_path, prefix):
    """250 sign-ins at once from 250 addresses (each a first try, so each costs a real scrypt):
    the officer's calls still reach the lobby display in under a second."""
    server = ServerProcess(write_config(tmp_path, real_cost_hall(prefix), redis_url=None)).wait_ready()
    received: dict[str, float] = {}
    display = OrderedClient(reconnection=False)
    display.on("update", lambda u: u["type"] == "ticket.called" and received.setdefault(u["ticket"]["id"],
                                                                                        time.monotonic()))
    try:
        display.connect(server.url, auth={"site": "hcc", "token": DISPLAY_TOKEN}, transports=["websocket"],
                        wait_timeout=10)
        import requests

        api = f"{server.url}/api/v1/sites/hcc"
        token = requests.post(f"{api}/login", json={"username": "cb4", "password": PASSWORD, "counter": 4},
                              timeout=10).json()["token"]
        for _ in range(12):
            assert requests.post(f"{api}/tickets", json={"field": "XD"}, timeout=10,
                                 headers={"Authorization": f"Bearer {KIOSK_TOKEN}"}).status_code == 201
        answers: Counter = Counter()
        flooding = threading.Thread(target=lambda: answers.update(
            flood(server.port, [f"127.0.3.{n}" for n in range(1, FLOOD + 1)], "cb1")))
        flooding.start()
        time.sleep(0.3)
        delays = []
        while flooding.is_alive() and len(delays) < 10:
            sent = time.monotonic()
            r = requests.post(f"{api}/counters/4/call-next", json={"finish_current": True}, timeout=30,
                              headers={"Authorization": f"Bearer {token}"})
            assert r.status_code == 200, r.text
            ticket = r.json()["id"]
            wait_until(lambda t=ticket: t in received, timeout=30, what="the call on the display")
            delays.append(received[ticket] - sent)
            requests.post(f"{api}/counters/4/start", json={}, timeout=30, headers={"Authorization": f"Bearer {token}"})
            time.sleep(0.2)
        flooding.join()
        logging.getLogger("drills").warning("login flood: call-to-display delays %s, answers %s",
                                            [round(d, 3) for d in delays], dict(answers))
        assert len(delays) >= 3, (delays, answers)  # the flood lasted long enough to be measured
        # With hashing on the event loop the first call took 25 s. Now the calls take milliseconds,
        # the first one up to half a second on this 2-core machine while 250 connections arrive at
        # once (it reached 1.07 s in one clean CI run): a call must never wait more than 2 s.
        assert max(delays) < 2.0 and statistics.median(delays) < 0.1, delays
        assert answers[0] == 0, answers  # no connection refused or timed out
        assert answers[401] >= 20, answers  # hashes really ran meanwhile
    finally:
        display.close()
        server.stop()
