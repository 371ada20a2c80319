"""`qms serve` as a hall runs it: several processes on one Redis, and the embedded Redis."""
from __future__ import annotations

import os
import re
import signal
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import requests

from hardware.ordered_client import OrderedClient

from ..hall import DISPLAY_TOKEN, KIOSK_B_TOKEN, KIOSK_TOKEN, PASSWORD, hall_document
from ..helpers import wait_until
from ..servers import ServerProcess, running, write_config
from .test_concurrency import N_COUNTERS, busy_hall_document


@pytest.fixture
def three_servers(tmp_path, prefix, redis_url):
    path = write_config(tmp_path, busy_hall_document(prefix), redis_url=redis_url)
    with running(path, 3) as servers:
        yield servers


class Display:
    """A lobby display on a real Socket.IO connection. Like a browser, it handles events one
    at a time in arrival order, so what it records is the order the server sent."""

    def __init__(self, url: str):
        self.updates: list[dict] = []
        self.snapshots: list[dict] = []
        self.notices: list[dict] = []
        self.client = OrderedClient(reconnection=False)
        self.client.on("snapshot", self.snapshots.append)
        self.client.on("update", self.updates.append)
        self.client.on("notice", self.notices.append)
        self.client.connect(url, auth={"site": "hcc", "token": DISPLAY_TOKEN}, transports=["websocket"],
                            wait_timeout=10)

    def wait(self, predicate, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.05)
        raise AssertionError("timed out waiting for the display")

    def close(self) -> None:
        self.client.close()


class Traffic:
    """Kiosks issuing and officers calling and finishing, each on its own thread and server."""

    def __init__(self, servers, sessions):
        self.servers, self.sessions = servers, sessions
        self.issued: list[dict] = []
        self.called: list[str] = []
        self.errors: list[str] = []
        self.lock = threading.Lock()

    def kiosk(self, i: int) -> None:
        token = KIOSK_TOKEN if i % 2 else KIOSK_B_TOKEN
        server = self.servers[i % 3]
        for j in range(40):
            body = {"field": ["TP", "DD", "XD"][j % 3], "idempotency_key": f"k{i}-{j}"}
            r = requests.post(f"{server.url}/api/v1/sites/hcc/tickets", json=body,
                              headers={"Authorization": f"Bearer {token}"}, timeout=10)
            if r.status_code != 201:
                self.errors.append(r.text)
                return
            with self.lock:
                self.issued.append(r.json())

    def officer(self, n: int) -> None:
        server, token = self.sessions[n]
        headers = {"Authorization": f"Bearer {token}"}
        idle = 0
        while idle < 20:
            r = requests.post(f"{server.url}/api/v1/sites/hcc/counters/{n}/call-next", headers=headers, timeout=10)
            if r.status_code == 204:
                idle += 1
                time.sleep(0.05)
                continue
            if r.status_code != 200:
                self.errors.append(r.text)
                return
            idle = 0
            with self.lock:
                self.called.append(r.json()["id"])
            r = requests.post(f"{server.url}/api/v1/sites/hcc/counters/{n}/finish", headers=headers, timeout=10)
            if r.status_code != 200:
                self.errors.append(r.text)
                return


def test_three_servers_one_hall(three_servers, redis_url, prefix):
    # A display on each server: every process must send every update, in sequence order.
    displays = [Display(s.url) for s in three_servers]
    for display in displays:
        display.wait(lambda d=display: d.snapshots)
    start_seq = displays[0].snapshots[0]["seq"]
    assert all(d.snapshots[0]["seq"] == start_seq for d in displays)

    sessions = {}
    for n in range(1, N_COUNTERS + 1):
        server = three_servers[n % 3]
        r = requests.post(f"{server.url}/api/v1/sites/hcc/login",
                          json={"username": f"cb{n}", "password": PASSWORD, "counter": n}, timeout=10)
        assert r.status_code == 200, r.text
        sessions[n] = (server, r.json()["token"])

    traffic = Traffic(three_servers, sessions)
    threads = [threading.Thread(target=traffic.kiosk, args=(i,)) for i in range(6)]
    threads += [threading.Thread(target=traffic.officer, args=(n,)) for n in range(1, N_COUNTERS + 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    issued, called, errors = traffic.issued, traffic.called, traffic.errors
    assert not errors, errors[:3]

    assert len(issued) == 240
    per_field = Counter(t["field"] for t in issued)
    for field, first in (("TP", 1001), ("DD", 2001), ("XD", 3001)):
        numbers = sorted(t["number"] for t in issued if t["field"] == field)
        assert numbers == list(range(first, first + per_field[field])), f"duplicate or missing numbers in {field}"
    assert len(called) == len(set(called)), "a ticket was called twice"
    assert set(called) == {t["id"] for t in issued}, "a ticket was lost"

    # Each display heard every call, whichever server made it, and every update in order.
    for display in displays:
        display.wait(lambda d=display: sum(u["type"] == "ticket.called" for u in d.updates) == len(called))
        seqs = [u["seq"] for u in display.updates]
        assert seqs == list(range(start_seq + 1, start_seq + 1 + len(seqs)))

    # Another process can push through the shared Socket.IO message queue.
    from flask_socketio import SocketIO

    SocketIO(message_queue=redis_url, channel=f"{prefix}-socketio", async_mode="threading").emit(
        "notice", {"text": "Trung tâm nghỉ lễ 2/9"}, to="site:hcc")
    for display in displays:
        display.wait(lambda d=display: d.notices)
        assert display.notices[0]["text"] == "Trung tâm nghỉ lễ 2/9"
        display.close()


def pid_alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as f:
            return "zombie" not in f.read()
    except FileNotFoundError:
        return False


def embedded_pid(tmp_path: Path) -> int:
    return int((tmp_path / "data" / "redis" / "redis.pid").read_text())


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_embedded_redis_starts_keeps_data_and_stops_with_the_server(tmp_path, prefix, sig):
    path = write_config(tmp_path, hall_document(prefix), redis_url=None)
    server = ServerProcess(path).wait_ready()
    headers = {"Authorization": f"Bearer {KIOSK_TOKEN}"}
    r = requests.post(f"{server.url}/api/v1/sites/hcc/tickets", json={"field": "TP"}, headers=headers, timeout=10)
    assert r.status_code == 201 and r.json()["label"] == "1001"
    pid = embedded_pid(tmp_path)
    assert pid_alive(pid)
    assert server.stop(sig) == 0
    assert not pid_alive(pid), "the embedded redis-server outlived the server"

    again = ServerProcess(path).wait_ready()
    try:
        r = requests.post(f"{again.url}/api/v1/sites/hcc/tickets", json={"field": "TP"}, headers=headers, timeout=10)
        assert r.json()["label"] == "1002"  # the first ticket survived the restart (AOF)
        state = requests.get(f"{again.url}/api/v1/sites/hcc/state", headers=headers, timeout=10).json()
        assert state["waiting"]["TP"]["waiting"] == 2
    finally:
        again.stop()


def test_embedded_redis_dies_with_a_killed_server(tmp_path, prefix):
    path = write_config(tmp_path, hall_document(prefix), redis_url=None)
    server = ServerProcess(path).wait_ready()
    pid = embedded_pid(tmp_path)
    os.kill(server.proc.pid, signal.SIGKILL)
    server.proc.wait()
    wait_until(lambda: not pid_alive(pid), timeout=10, what="the orphaned redis-server to go")
    server.stop()


@pytest.mark.parametrize("workers", [1, 2])
def test_ctrl_c_in_a_terminal_stops_everything_in_order(tmp_path, prefix, workers):
    """Ctrl-C sends SIGINT to the whole foreground process group. The server must still
    be the one to stop its children: no worker or archiver is started again, the archiver
    hands over its lead while Redis is up, the embedded Redis goes last, and nothing
    complains on the way out."""
    path = write_config(tmp_path, hall_document(prefix), redis_url=None)
    server = ServerProcess(path, own_group=True, workers=workers).wait_ready()
    r = requests.post(f"{server.url}/api/v1/sites/hcc/tickets", json={"field": "TP"},
                      headers={"Authorization": f"Bearer {KIOSK_TOKEN}"}, timeout=10)
    assert r.status_code == 201
    wait_until(lambda: "leads hcc" in server.log(), what="the archiver to lead hcc")
    pid = embedded_pid(tmp_path)
    os.killpg(server.proc.pid, signal.SIGINT)
    assert server.proc.wait(timeout=20) == 0
    wait_until(lambda: not pid_alive(pid), timeout=10, what="the embedded redis-server to stop")
    redis_log = (tmp_path / "data" / "redis" / "redis.log").read_text(errors="replace")
    assert "Received SIGINT" not in redis_log and "User requested shutdown" in redis_log, redis_log[-800:]
    log = server.log_path.read_text(errors="replace")
    assert re.search(r"archiver \S+ stopped", log), log[-2000:]
    complaints = [line for line in log.splitlines() if " WARNING " in line or " ERROR " in line]
    assert not complaints, complaints
    server.stop()


def test_the_same_code_serves_in_threading_mode(tmp_path, prefix, redis_url):
    """async_mode is a setting: nothing outside the entry point depends on eventlet."""
    path = write_config(tmp_path, hall_document(prefix), redis_url=redis_url)
    server = ServerProcess(path, extra_args=("--async-mode", "threading")).wait_ready()
    try:
        display = Display(server.url)
        display.wait(lambda d=display: d.snapshots)
        r = requests.post(f"{server.url}/api/v1/sites/hcc/tickets", json={"field": "TP"},
                          headers={"Authorization": f"Bearer {KIOSK_TOKEN}"}, timeout=10)
        assert r.status_code == 201
        display.wait(lambda: any(u["type"] == "ticket.issued" for u in display.updates))
        display.close()
        assert "async_mode=threading" in server.log()
    finally:
        server.stop()


def test_a_chunked_body_is_read(tmp_path, prefix, redis_url):
    """A client that streams its body (Transfer-Encoding: chunked, no Content-Length) is
    served like any other, and a chunked body over the limit is refused as too large."""
    server = ServerProcess(write_config(tmp_path, hall_document(prefix), redis_url=redis_url)).wait_ready()
    headers = {"Authorization": f"Bearer {KIOSK_TOKEN}", "Content-Type": "application/json"}
    try:
        r = requests.post(f"{server.url}/api/v1/sites/hcc/tickets", headers=headers, timeout=10,
                          data=(part for part in (b'{"field":', b' "TP"}')))
        assert r.status_code == 201, r.text
        assert r.json()["label"] == "1001"
        r = requests.post(f"{server.url}/api/v1/sites/hcc/tickets", headers=headers, timeout=10,
                          data=(b'{"field": "' + b"T" * 4096 if i == 0 else b"T" * 4096 for i in range(40)))
        assert r.status_code == 413 and r.json()["error"]["code"] == "payload_too_large", r.text
    finally:
        server.stop()
