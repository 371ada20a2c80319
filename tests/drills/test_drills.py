"""Fault drills with the figures docs/reliability.md records: a server killed under load,
Redis crashed under load, a 30-second network cut between the screens and the server."""
from __future__ import annotations

import json
import logging
import os
import pathlib
import re
import shutil
import signal
import subprocess
import threading
import time
import uuid
from collections import Counter

import pytest
import redis as redis_lib
import requests
from playwright.sync_api import expect

from server.store.embedded_redis import EmbeddedRedis

from ..hall import DISPLAY_TOKEN, KIOSK_B_TOKEN, KIOSK_TOKEN, PASSWORD, hall_document
from ..helpers import wait_until
from ..screens.conftest import shot, wait_js
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
        self.acked_at: list[float] = []           # time.monotonic() of each acknowledgement
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
                    self.acked_at.append(time.monotonic())
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


def embedded_store(server: ServerProcess) -> tuple[int, int]:
    """(pid, port) of the redis-server a `qms serve` started for itself."""
    match = re.findall(r"embedded redis-server pid=(\d+) on 127\.0\.0\.1:(\d+)", server.log_path.read_text())
    assert match, server.log()
    return int(match[-1][0]), int(match[-1][1])


def embedded_client(server: ServerProcess) -> redis_lib.Redis:
    """A client of the redis-server a `qms serve` started for itself (its password is in its
    redis.conf, readable by the owner only: this test runs as that owner)."""
    _pid, port = embedded_store(server)
    conf = (server.config_path.parent / "data" / "redis" / "redis.conf").read_text()
    password = re.search(r"^requirepass (\S+)$", conf, re.M).group(1)
    return redis_lib.Redis(port=port, password=password)


def first_after(times: list[float], moment: float) -> float | None:
    later = [t for t in times if t > moment]
    return min(later) - moment if later else None


def health_back_within(url: str, since: float, timeout: float) -> float:
    deadline = since + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url + "/api/v1/health", timeout=1).status_code == 200:
                return time.monotonic() - since
        except requests.RequestException:
            pass
        time.sleep(0.05)
    raise AssertionError(f"/health not 200 within {timeout} s")


def test_kill_9_of_the_embedded_redis_under_load(tmp_path, prefix):
    """The server alone brings its Redis back: nobody restarts it for it (systemd would only
    restart the server, and only if it exited)."""
    path = write_config(tmp_path, busy_hall_document(prefix), redis_url=None)
    server = ServerProcess(path).wait_ready()
    load = Load([server.url])
    try:
        threads = load.run(kiosks=4, officers=officers_on([server.url]))
        time.sleep(1.5)
        pid, port = embedded_store(server)
        os.kill(pid, signal.SIGKILL)
        killed_at = time.monotonic()
        crashed_acked = len(load.acked)
        healthy_after = health_back_within(server.url, killed_at, timeout=10)
        deadline = time.monotonic() + 10
        while first_after(load.acked_at, killed_at + 0.05) is None and time.monotonic() < deadline:
            time.sleep(0.05)
        first_201 = first_after(load.acked_at, killed_at + 0.05)
        time.sleep(1.0)
        load.stop.set()
        for t in threads:
            t.join(timeout=30)
        new_pid, new_port = embedded_store(server)
        assert new_pid != pid and new_port == port and pid_state(new_pid) == "alive"
        assert pid_state(pid) == "gone", "the killed redis-server was left as a zombie"
        figures = check_no_loss(load, embedded_client(server), prefix)
        log = server.log_path.read_text(errors="replace")
        assert "Traceback" not in log, log[-3000:]
        outage_lines = [line for line in log.splitlines() if " WARNING " in line and "redis" in line]
        assert 1 <= len(outage_lines) <= 6, outage_lines
        assert first_201 is not None and first_201 < 10, "no ticket was issued within 10 s of the crash"
        figures.update(acknowledged_at_crash=crashed_acked, health_200_after_s=round(healthy_after, 2),
                       first_201_after_s=round(first_201, 2), log_lines_about_the_outage=len(outage_lines))
        report("kill -9 of the embedded Redis", figures)
    finally:
        server.stop()


def test_an_external_redis_away_for_a_while(tmp_path, prefix):
    """Someone else's Redis (another host, its own systemd) dies and comes back after 8 s:
    the server keeps answering 503 meanwhile, then recovers by itself."""
    store = EmbeddedRedis(tmp_path / "redis", appendfsync="always")
    store.start()
    path = write_config(tmp_path, busy_hall_document(prefix), redis_url=store.url)
    server = ServerProcess(path).wait_ready()
    load = Load([server.url])
    try:
        threads = load.run(kiosks=4, officers=officers_on([server.url]))
        time.sleep(1.5)
        store.kill()
        crashed_acked = len(load.acked)
        time.sleep(1.0)
        during = requests.get(server.url + "/api/v1/health", timeout=5)
        assert during.status_code == 503 and "redis: not reachable" in during.json()["error"]["message"]
        time.sleep(7.0)
        store.start()  # the same server again: its port, its data, its password
        restarted = time.monotonic()
        healthy_after = health_back_within(server.url, restarted, timeout=10)
        deadline = time.monotonic() + 10
        while first_after(load.acked_at, restarted) is None and time.monotonic() < deadline:
            time.sleep(0.05)
        first_201 = first_after(load.acked_at, restarted)
        time.sleep(1.0)
        load.stop.set()
        for t in threads:
            t.join(timeout=30)
        figures = check_no_loss(load, redis_lib.Redis.from_url(store.url), prefix)
        log = server.log_path.read_text(errors="replace")
        assert "Traceback" not in log, log[-3000:]
        assert first_201 is not None and first_201 < 10, "the server did not recover after Redis came back"
        figures.update(acknowledged_at_crash=crashed_acked, outage_seconds=8,
                       health_200_after_s=round(healthy_after, 2), first_201_after_s=round(first_201, 2))
        report("external Redis away for 8 s", figures)
    finally:
        server.stop()
        store.stop()


def pid_state(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/status") as f:
            return "zombie" if "zombie" in f.read() else "alive"
    except FileNotFoundError:
        return "gone"


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
        wait_js(display, "window.lobby && lobby.snapshots > 0")
        phone = pages.open(f"/t/hcc/{ticket['token']}", width=390, height=844)
        phone.wait_for_selector("#number")
        desk = pages.open("/counter/hcc", width=1366, height=768)
        desk.fill("#login-username", "cb1")
        desk.fill("#login-password", PASSWORD)
        desk.select_option("#login-counter", "1")
        desk.click("#login-form button[type=submit]")
        wait_js(desk, "window.desk && window.desk.snapshot !== null")
        for page in (display, phone, desk):
            page.evaluate("window.__sameDocument = true")

        proxy.cut()
        cut_at = time.monotonic()
        wait_js(display, "document.getElementById('connection').textContent !== ''", timeout=15000)
        # While the screens are cut off, the hall goes on (another officer's terminal).
        token = requests.post(f"{api}/login", json={"username": "cb1", "password": PASSWORD, "counter": 1,
                                                    "take_over": True}, timeout=10).json()["token"]
        requests.post(f"{api}/counters/1/call-next", headers={"Authorization": f"Bearer {token}"}, timeout=10)
        for _ in range(3):
            requests.post(f"{api}/tickets", json={"field": "DD"}, headers=kiosk, timeout=10)
        time.sleep(max(0.0, 30 - (time.monotonic() - cut_at)))
        proxy.restore()
        restored = time.monotonic()
        wait_js(display, "document.querySelector('#latest-number').textContent === "
                                  f"'{ticket['label']}'", timeout=5000)
        wait_js(display, "document.querySelector('#waiting li[data-field=\"DD\"] .w-count')"
                                  ".textContent === '3'", timeout=5000)
        display_back = time.monotonic() - restored
        wait_js(phone, "!document.getElementById('call-banner').classList.contains('hidden')",
                                timeout=5000)
        phone_back = time.monotonic() - restored
        wait_js(desk, f"document.getElementById('current-number').textContent === '{ticket['label']}'",
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


class SmallDisk:
    """A 24 MB tmpfs for a server's data directory, which can be filled and freed."""

    def __init__(self, path):
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        prefix = [] if os.geteuid() == 0 else ["sudo", "-n"]
        done = subprocess.run([*prefix, "mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(path)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            pytest.fail(f"the disk-full drill mounts a tmpfs and needs root (or sudo): {done.stderr.strip()}")
        self.prefix = prefix
        self.ballast = path / "ballast"

    def fill(self) -> None:
        with open(self.ballast, "wb") as f:
            try:
                while True:
                    f.write(b"\0" * (256 * 1024))
                    f.flush()
            except OSError:
                pass  # ENOSPC: full

    def free(self) -> None:
        self.ballast.unlink(missing_ok=True)

    def close(self) -> None:
        subprocess.run([*self.prefix, "umount", "-l", str(self.path)], capture_output=True)


def test_disk_full_then_space_returns(browser, tmp_path, prefix):
    """The disk under the embedded Redis fills up: the kiosk says so in plain words, /health
    says why, nothing acknowledged is lost, and service resumes by itself once space is freed."""
    from ..screens.conftest import Pages

    disk = SmallDisk(tmp_path / "data")
    path = write_config(tmp_path, hall_document(prefix, opening_hours="always"), redis_url=None)
    server = ServerProcess(path).wait_ready()
    pages = Pages(browser, server.url)
    kiosk_headers = {"Authorization": f"Bearer {KIOSK_TOKEN}"}
    api = f"{server.url}/api/v1/sites/hcc"
    try:
        before = [requests.post(f"{api}/tickets", json={"field": "TP"}, headers=kiosk_headers, timeout=10).json()
                  for _ in range(3)]
        kiosk = pages.open(f"/kiosk/hcc#token={KIOSK_TOKEN}", width=1280, height=1024)
        kiosk.wait_for_selector(".field-button")
        disk.fill()
        refused = None
        for _ in range(50):  # the first write that needs the disk finds it full
            r = requests.post(f"{api}/tickets", json={"field": "DD"}, headers=kiosk_headers, timeout=10)
            if r.status_code == 503:
                refused = r
                break
            time.sleep(0.1)
        assert refused is not None and refused.json()["error"]["code"] == "store_unavailable"
        def health_says_disk_full():
            r = requests.get(server.url + "/api/v1/health", timeout=5)
            return r.status_code == 503 and "disk full" in r.json()["error"]["message"]

        wait_until(health_says_disk_full, timeout=5, what="/health to say the disk is full")

        kiosk.click('.field-button[data-field="TP"]')
        kiosk.click("#confirm-take")
        expect(kiosk.locator("#confirm-error")).to_have_text("Hệ thống tạm thời gián đoạn. Xin thử lại sau giây lát.")
        shot(kiosk, "kiosk-disk-full")
        time.sleep(5)  # a while on a full disk: the server waits, it does not thrash
        assert requests.get(server.url + "/api/v1/health", timeout=5).status_code == 503

        disk.free()
        freed = time.monotonic()
        wait_until(lambda: requests.get(server.url + "/api/v1/health", timeout=5).status_code == 200,
                   timeout=20, what="/health back to 200 after space returned")
        back_after = time.monotonic() - freed
        kiosk.click("#confirm-take")
        kiosk.wait_for_selector("#view-ticket:not(.hidden)")
        state = requests.get(f"{api}/state", headers=kiosk_headers, timeout=10).json()
        assert state["waiting"]["TP"]["waiting"] == len(before) + 1  # the three before, and the new one
        for t in before:
            assert requests.get(f"{api}/tickets/{t['id']}", headers=kiosk_headers, timeout=10).status_code == 200
        log = server.log_path.read_text(errors="replace")
        assert "Traceback" not in log, log[-3000:]
        outage_lines = [line for line in log.splitlines() if " WARNING " in line and "redis" in line]
        assert len(outage_lines) <= 8, outage_lines
        report("disk full, then space freed", {"health_200_after_free_s": round(back_after, 2),
                                               "log_lines_about_the_outage": len(outage_lines)})
        assert not [e for e in pages.errors if "status of 503" not in e], pages.errors
    finally:
        pages.close()
        server.stop()
        disk.close()


def test_an_external_redis_that_refuses_writes_on_a_full_disk(tmp_path, prefix):
    """Another Redis (appendfsync everysec) stays up on a full disk and refuses writes with
    MISCONF: the kiosk is told the system is briefly unavailable, not "internal error", and
    service resumes as soon as Redis can write again."""
    disk = SmallDisk(tmp_path / "store")
    store = EmbeddedRedis(disk.path / "redis", appendfsync="everysec")
    store.start()
    path = write_config(tmp_path, hall_document(prefix, opening_hours="always"), redis_url=store.url)
    server = ServerProcess(path).wait_ready()
    api = f"{server.url}/api/v1/sites/hcc"
    headers = {"Authorization": f"Bearer {KIOSK_TOKEN}"}
    try:
        assert requests.post(f"{api}/tickets", json={"field": "TP"}, headers=headers, timeout=10).status_code == 201
        disk.fill()

        def refused():
            r = requests.post(f"{api}/tickets", json={"field": "TP"}, headers=headers, timeout=10)
            return [r] if r.status_code != 201 else None  # (a Response is false when not 2xx)

        [r] = wait_until(refused, timeout=10, what="writes to be refused")
        assert r.status_code == 503 and r.json()["error"]["code"] == "store_unavailable", r.text
        assert "disk full" in r.json()["error"]["message"]
        health = requests.get(server.url + "/api/v1/health", timeout=5)
        assert health.status_code == 503 and "writes refused" in health.json()["error"]["message"]
        assert requests.get(f"{api}/state", headers=headers, timeout=10).status_code == 200  # reads still work

        disk.free()
        wait_until(lambda: requests.post(f"{api}/tickets", json={"field": "TP"}, headers=headers,
                                         timeout=10).status_code == 201, timeout=15, what="writes to resume")
        wait_until(lambda: requests.get(server.url + "/api/v1/health", timeout=5).status_code == 200,
                   timeout=5, what="/health back to 200")
        log = server.log_path.read_text(errors="replace")
        assert "Traceback" not in log, log[-3000:]
    finally:
        server.stop()
        store.stop()
        disk.close()


class SyscallTrace:
    """strace on a running redis-server: which file and socket writes it made, in order.

    A kill -9 of Redis leaves what it wrote in the OS page cache, so it cannot tell whether
    an acknowledged change would survive a power cut. The order of system calls can: with
    `appendfsync always`, every write to the AOF must be followed by an fdatasync of that file
    before any answer leaves on a socket."""

    LINE = re.compile(r"^(\d+)\s+(write|fdatasync|fsync)\((\d+)<([^>]*)>")

    def __init__(self, pid: int, path):
        self.path = path
        self.proc = subprocess.Popen(["strace", "-f", "-y", "-qq", "-e", "trace=write,fdatasync,fsync",
                                      "-p", str(pid), "-o", str(path)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wait_until(lambda: self.proc.poll() is not None or self._tracer(pid) == self.proc.pid,
                   timeout=10, what="strace to attach")
        if self.proc.poll() is not None:
            pytest.fail(f"strace could not attach: {self.proc.stderr.read().decode(errors='replace')}")

    @staticmethod
    def _tracer(pid: int) -> int:
        status = pathlib.Path(f"/proc/{pid}/status").read_text()
        return int(re.search(r"^TracerPid:\s*(\d+)", status, re.M).group(1))

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)

    def answers_before_fsync(self) -> tuple[int, int, int]:
        """(AOF writes, answers sent, answers sent while an AOF write was not yet fsynced)."""
        dirty, aof_writes, answers, early = False, 0, 0, 0
        for line in self.path.read_text(errors="replace").splitlines():
            m = self.LINE.match(line)
            if not m:
                continue
            call, target = m.group(2), m.group(4)
            if ".aof" in target:
                if call == "write":
                    dirty, aof_writes = True, aof_writes + 1
                else:
                    dirty = False
            elif call == "write" and target.startswith(("socket:", "TCP:")):
                answers += 1
                early += dirty
        return aof_writes, answers, early


def test_every_acknowledged_ticket_is_on_disk_before_its_answer(tmp_path, prefix):
    """Durability that a kill -9 cannot show: under issue load, on the shipped config, the
    embedded Redis fsyncs the AOF before it answers, and the AOF as it stands at the last
    acknowledgement, read into a fresh redis-server, holds every acknowledged ticket."""
    path = write_config(tmp_path, busy_hall_document(prefix), redis_url=None)
    server = ServerProcess(path).wait_ready()
    load = Load([server.url])
    pid, _ = embedded_store(server)
    trace = SyscallTrace(pid, tmp_path / "redis.strace")
    try:
        threads = load.run(kiosks=4, officers=officers_on([server.url]))
        time.sleep(3.0)
        load.stop.set()
        for t in threads:
            t.join(timeout=30)
        os.kill(pid, signal.SIGSTOP)  # nothing more reaches the files from here
        try:
            copy = tmp_path / "copy"
            copy.mkdir()
            for f in (tmp_path / "data" / "redis").glob("appendonly*"):  # a file (Redis 6) or a dir (7)
                (shutil.copytree if f.is_dir() else shutil.copy)(f, copy / f.name)
        finally:
            os.kill(pid, signal.SIGCONT)
        trace.stop()
        aof_writes, answers, early = trace.answers_before_fsync()
        assert aof_writes > 100 and answers > aof_writes
        assert early == 0, f"{early} of {answers} answers left Redis before their AOF write was fsynced"

        fresh = EmbeddedRedis(copy)
        fresh.start()
        try:
            stored = stored_tickets(redis_lib.Redis.from_url(fresh.url), prefix)
        finally:
            fresh.stop()
        lost = [t["id"] for t in load.acked.values() if t["id"] not in stored]
        assert load.acked and not lost, f"{len(lost)} acknowledged tickets not in the AOF"
        report("AOF holds every acknowledged ticket before its answer",
               {"acknowledged": len(load.acked), "calls": len(load.calls), "aof_writes": aof_writes,
                "answers": answers, "answers_before_fsync": early, "lost_from_aof_copy": len(lost)})
    finally:
        if trace.proc.poll() is None:
            trace.stop()
        server.stop()


def test_the_fsync_check_catches_a_store_that_does_not_fsync(tmp_path):
    """The check above can fail: a Redis on `appendfsync no` answers before any fsync (and a
    kill -9 drill on it would still pass, since the OS keeps what was written)."""
    store = EmbeddedRedis(tmp_path / "redis", appendfsync="no")
    store.start()
    trace = SyscallTrace(store.process.pid, tmp_path / "redis.strace")
    try:
        client = redis_lib.Redis.from_url(store.url)
        for n in range(50):
            client.set(f"k{n}", n)
        trace.stop()
        aof_writes, _, early = trace.answers_before_fsync()
        assert aof_writes >= 50 and early >= 50
    finally:
        if trace.proc.poll() is None:
            trace.stop()
        store.stop()
