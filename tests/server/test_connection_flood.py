"""Connection floods on a real `qms serve` (eventlet): idle and slow connections cannot fill
the server, a header that never ends is cut, an Engine.IO session that never connects to
Socket.IO is closed, and one address can hold only a few such sessions at once."""
from __future__ import annotations

import time

import pytest
import requests

from hardware.ordered_client import OrderedClient

from ..flood import Flood
from ..hall import DISPLAY_TOKEN, KIOSK_TOKEN, PASSWORD, hall_document
from ..helpers import wait_until
from ..servers import ServerProcess, write_config

pytestmark = pytest.mark.slow


@pytest.fixture
def prefix():
    """Each server here runs its own embedded Redis: no shared store, one run of each test."""
    return "qmsflood"


def serve(tmp_path, prefix, **server) -> ServerProcess:
    doc = hall_document(prefix, opening_hours="always")
    doc["server"].update(server)
    return ServerProcess(write_config(tmp_path, doc, redis_url=None)).wait_ready()


def addresses(block: int, n: int) -> list[str]:
    return [f"127.0.{block}.{i}" for i in range(1, n + 1)]


class Hall:
    """A display, a kiosk and an officer at counter 1, talking to one server."""

    def __init__(self, server: ServerProcess):
        self.server = server
        self.api = f"{server.url}/api/v1/sites/hcc"
        self.received: dict[str, float] = {}
        self.display = OrderedClient(reconnection=False)
        self.display.on("update", lambda u: u.get("type") == "ticket.called" and self.received.setdefault(
            u["ticket"]["id"], time.monotonic()))
        self.officer = None

    def connect(self) -> None:
        self.display.connect(self.server.url, auth={"site": "hcc", "token": DISPLAY_TOKEN},
                             transports=["websocket"], wait_timeout=10)
        r = requests.post(f"{self.api}/login", json={"username": "cb1", "password": PASSWORD, "counter": 1},
                          timeout=10)
        assert r.status_code == 200, r.text
        self.officer = {"Authorization": f"Bearer {r.json()['token']}"}

    def call(self) -> float:
        """Issue a ticket, call it at counter 1; seconds until the display shows the call."""
        assert requests.post(f"{self.api}/tickets", json={"field": "TP"}, timeout=10,
                             headers={"Authorization": f"Bearer {KIOSK_TOKEN}"}).status_code == 201
        sent = time.monotonic()
        r = requests.post(f"{self.api}/counters/1/call-next", json={"finish_current": True}, timeout=10,
                          headers=self.officer)
        assert r.status_code == 200, r.text
        ticket = r.json()["id"]
        wait_until(lambda: ticket in self.received, timeout=10, what="the call on the display")
        assert requests.post(f"{self.api}/counters/1/start", json={}, timeout=10,
                             headers=self.officer).status_code == 200
        return self.received[ticket] - sent

    def close(self) -> None:
        self.display.disconnect()


def test_more_idle_connections_than_the_old_pool_held_do_not_stop_the_server(tmp_path, prefix):
    """eventlet's default pool holds 1,024 connections: 1,100 slow clients used to stop the
    server completely (nothing else was even accepted)."""
    server = serve(tmp_path, prefix)
    flood = Flood(server.port, slow=1100, addresses=addresses(4, 25)).start()
    hall = Hall(server)
    try:
        wait_until(lambda: flood.stats.open_slow >= 1100, timeout=30, what="1,100 slow clients to be connected")
        started = time.monotonic()
        assert requests.get(f"{server.url}/api/v1/health", timeout=10).status_code == 200
        assert time.monotonic() - started < 2.0
        hall.connect()
        delays = [hall.call() for _ in range(3)]
        assert flood.stats.open_slow >= 1000, flood.stats  # the flood was still there
        assert max(delays) < 1.0, delays
    finally:
        hall.close()
        flood.stop()
        server.stop()


def test_a_header_that_never_ends_is_cut_at_the_header_timeout(tmp_path, prefix):
    server = serve(tmp_path, prefix, header_timeout_seconds=2)
    flood = Flood(server.port, slow=5, reconnect=False, byte_every=0.5).start()
    try:
        wait_until(lambda: flood.stats.open_slow == 5, timeout=10, what="the slow clients to connect")
        started = time.monotonic()
        wait_until(lambda: flood.stats.slow_cut == 5, timeout=10, what="the slow clients to be cut")
        # Each kept sending a header line every half second: only a deadline on the whole
        # header could end them, and it did, at about 2 s.
        assert time.monotonic() - started < 4.0
        assert requests.get(f"{server.url}/api/v1/health", timeout=10).status_code == 200
    finally:
        flood.stop()
        server.stop()


def test_an_engineio_session_that_never_connects_is_closed(tmp_path, prefix):
    server = serve(tmp_path, prefix, handshake_timeout_seconds=2)
    flood = Flood(server.port, idle=3, reconnect=False).start()
    hall = Hall(server)
    try:
        wait_until(lambda: flood.stats.idle_cut == 3, timeout=15, what="the idle websockets to be closed")
        assert all(1.5 <= s <= 5.0 for s in flood.stats.idle_seconds), flood.stats.idle_seconds
        # A screen that does connect stays, past the same timeout.
        hall.connect()
        time.sleep(3)
        assert hall.display.connected and hall.call() < 1.0
    finally:
        hall.close()
        flood.stop()
        server.stop()


def test_one_address_holds_only_a_few_sessions_that_have_not_connected(tmp_path, prefix):
    server = serve(tmp_path, prefix, anonymous_sessions_per_address=5)
    flood = Flood(server.port, idle=8, reconnect=False, addresses=["127.0.5.1"]).start()
    hall = Hall(server)
    try:
        wait_until(lambda: flood.stats.open_idle + flood.stats.idle_refused == 8, timeout=15,
                   what="every handshake to be answered")
        assert (flood.stats.open_idle, flood.stats.idle_refused) == (5, 3), flood.stats
        hall.connect()  # another address is not held back
        assert hall.call() < 1.0
    finally:
        hall.close()
        flood.stop()
        server.stop()


def test_behind_nginx_each_phone_counts_under_its_own_address():
    from server.realtime.handshake_guard import client_address

    via_nginx = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "10.9.9.9, 192.168.1.23"}
    # nginx appends the address it saw: the last entry is the one a client cannot forge.
    assert client_address(via_nginx, frozenset({"127.0.0.1"})) == "192.168.1.23"
    assert client_address(via_nginx, frozenset()) == "127.0.0.1"
    # A LAN client sending the header itself is counted under its own address.
    forged = {"REMOTE_ADDR": "192.168.1.77", "HTTP_X_FORWARDED_FOR": "192.168.1.23"}
    assert client_address(forged, frozenset({"127.0.0.1"})) == "192.168.1.77"
