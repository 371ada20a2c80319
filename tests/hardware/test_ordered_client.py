"""The agent's (and the tests') Socket.IO client handles events in the order they arrived,
as a browser does, even when a handler is slow: an LED must never end on an older state."""
from __future__ import annotations

import threading
import time

import pytest
import requests

from hardware.ordered_client import OrderedClient

from ..hall import DISPLAY_TOKEN, KIOSK_TOKEN, hall_document
from ..helpers import wait_until
from ..servers import ServerProcess, write_config


@pytest.fixture
def server(tmp_path, prefix, redis_url):
    s = ServerProcess(write_config(tmp_path, hall_document(prefix), redis_url=redis_url)).wait_ready()
    yield s
    s.stop()


def test_a_slow_handler_does_not_let_later_events_overtake_it(server):
    seen: list[int] = []
    first_started = threading.Event()

    def on_update(event):
        if not seen and not first_started.is_set():
            first_started.set()
            time.sleep(0.5)  # a serial write that takes a while
        seen.append(event["seq"])

    client = OrderedClient(reconnection=False)
    client.on("update", on_update)
    snapshots: list[dict] = []
    client.on("snapshot", snapshots.append)
    client.connect(server.url, auth={"site": "hcc", "token": DISPLAY_TOKEN}, transports=["websocket"],
                   wait_timeout=10)
    try:
        wait_until(lambda: snapshots, what="the snapshot")
        start = snapshots[0]["seq"]
        for _ in range(5):
            r = requests.post(f"{server.url}/api/v1/sites/hcc/tickets", json={"field": "TP"},
                              headers={"Authorization": f"Bearer {KIOSK_TOKEN}"}, timeout=10)
            assert r.status_code == 201
        wait_until(lambda: len(seen) == 5, what="five updates")
        assert seen == list(range(start + 1, start + 6))
        # The slow handler did not stall the connection: it still answers the server.
        assert client.call("snapshot", {}, timeout=5)["ok"] is True
    finally:
        client.close()
