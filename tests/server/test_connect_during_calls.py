"""A screen that connects while the hall is busy gets its snapshot, then every later update
once, in order: none slips in before the snapshot (where a browser must ignore it) and none
is missing after it."""
from __future__ import annotations

import threading
import time

import pytest
import redis
import requests

from hardware.ordered_client import OrderedClient

from ..hall import DISPLAY_TOKEN, KIOSK_TOKEN, PASSWORD
from ..servers import running, write_config
from .test_concurrency import N_COUNTERS, busy_hall_document

SCREENS = 40


class Screen:
    """Records the snapshot and the updates in the order they arrived."""

    def __init__(self, url: str):
        self.url = url
        self.arrivals: list[tuple[str, int]] = []
        self.client = OrderedClient(reconnection=False)
        self.client.on("snapshot", lambda snap: self.arrivals.append(("snapshot", snap["seq"])))
        self.client.on("update", lambda event: self.arrivals.append(("update", event["seq"])))
        self.client.connect(url, auth={"site": "hcc", "token": DISPLAY_TOKEN}, transports=["websocket"],
                            wait_timeout=10)

    def after_snapshot(self) -> tuple[int, list[int], list[int]]:
        """(snapshot seq, updates newer than it that came after it, updates that came before it).

        Updates the snapshot already contains (the relay of a process can be a moment behind
        Redis) may follow it: screens ignore those, as the protocol says."""
        kinds = [kind for kind, _ in self.arrivals]
        first = kinds.index("snapshot")
        start = self.arrivals[first][1]
        return (start, [seq for kind, seq in self.arrivals[first + 1:] if kind == "update" and seq > start],
                [seq for kind, seq in self.arrivals[:first]])


def connect_screens(servers) -> list[Screen]:
    """SCREENS screens, four at a time, each one after another, spread over the servers. In all
    well within the 25 s before a server's first ping: this process's clients read every event,
    and one that reads the ping more than 5 s late gives up its connection (python-engineio)."""
    screens: list[Screen] = []
    lock = threading.Lock()

    def connect(first: int) -> None:
        for i in range(first, SCREENS, 4):
            screen = Screen(servers[i % 2].url)
            with lock:
                screens.append(screen)
            time.sleep(0.03)

    connecting = [threading.Thread(target=connect, args=(k,)) for k in range(4)]
    for c in connecting:
        c.start()
    for c in connecting:
        c.join()
    return screens


@pytest.fixture
def two_servers(tmp_path, prefix, redis_url):
    path = write_config(tmp_path, busy_hall_document(prefix), redis_url=redis_url)
    with running(path, 2) as servers:
        yield servers


def test_forty_screens_connecting_during_calls_miss_nothing(two_servers, redis_url, prefix):
    kiosk = {"Authorization": f"Bearer {KIOSK_TOKEN}"}
    stop = threading.Event()
    errors: list[str] = []

    def hall_at_work(n: int) -> None:
        server = two_servers[n % 2]
        token = requests.post(f"{server.url}/api/v1/sites/hcc/login", timeout=10,
                              json={"username": f"cb{n}", "password": PASSWORD, "counter": n}).json()["token"]
        officer = {"Authorization": f"Bearer {token}"}
        while not stop.wait(0.2):   # a busy hall's pace (dozens of events a second), not a flood
            r = requests.post(f"{server.url}/api/v1/sites/hcc/tickets", json={"field": "TP"}, headers=kiosk,
                              timeout=10)
            if r.status_code != 201:
                errors.append(r.text)
            for action in ("call-next", "start", "finish"):
                r = requests.post(f"{server.url}/api/v1/sites/hcc/counters/{n}/{action}", headers=officer,
                                  timeout=10)
                if r.status_code != 200:
                    errors.append(r.text)
                    return

    workers = [threading.Thread(target=hall_at_work, args=(n,)) for n in range(1, min(N_COUNTERS, 6) + 1)]
    for w in workers:
        w.start()
    screens: list[Screen] = []
    try:
        time.sleep(0.5)
        screens += connect_screens(two_servers)
        time.sleep(0.5)
    finally:
        stop.set()
        for w in workers:
            w.join(timeout=30)
    assert not errors, errors[:3]

    events = redis.Redis.from_url(redis_url).xrange(f"{prefix}:{{hcc}}:events")
    last = int(events[-1][1][b"seq"])
    calls = {int(f[b"seq"]) for _, f in events if f[b"type"] == b"ticket.called"}
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and not all(s.arrivals and s.arrivals[-1][1] >= last for s in screens):
        time.sleep(0.1)
    for n, screen in enumerate(screens):
        start, after, before = screen.after_snapshot()
        assert after == list(range(start + 1, last + 1)), (
            f"screen {n} ({screen.url}): snapshot {start}, then {after[:5]}…; before the snapshot: {before}")
        assert not [seq for seq in before if seq > start], f"screen {n} got updates newer than its snapshot first"
        assert calls & set(after) == {seq for seq in calls if seq > start}  # every later call, once
    for screen in screens:
        screen.client.close()
