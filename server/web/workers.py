"""`qms serve --workers N`: N server processes behind one port, so one hall uses all its cores.

The parent binds the port, starts the store (the embedded Redis and its supervisor) and the
archiver, and keeps N worker processes running, each a whole server (app, relay, Socket.IO)
accepting on the same listening socket: the kernel hands each new connection to one of them.
The parent serves nothing itself.

A Socket.IO connection lives in the worker that accepted it. Screens open a websocket first
(one TCP connection for good), so nothing more is needed for them. A client that polls
(Engine.IO long-polling: a browser whose websocket is blocked, or a Python client before its
upgrade) sends each request on any connection, which may reach another worker: its session id
names its worker (the first two characters), and a worker passes a request of another's
session to that worker over a Unix socket of the data directory (sticky.py). Several `qms
serve` on several machines still go behind nginx as docs/deploy shows.
"""
from __future__ import annotations

import hashlib
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from ..store.embedded_redis import die_with_parent

logger = logging.getLogger(__name__)

RESTART_BACKOFF_MAX = 10.0


def default_workers() -> int:
    """One worker per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def socket_dir(data_dir: Path) -> Path:
    """Where the workers' private Unix sockets live (0700: only this service's user): the data
    directory's run/, or one in the temporary directory if that path is too long for a socket."""
    path = data_dir.resolve() / "run"
    if len(str(path)) > 80:   # a Unix socket's path has at most 107 bytes
        digest = hashlib.sha256(str(path).encode()).hexdigest()[:16]
        path = Path(tempfile.gettempdir()) / f"qms-run-{digest}"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.chmod(0o700)
    return path


def worker_socket(data_dir: Path, port: int, index: int) -> Path:
    return socket_dir(data_dir) / f"worker-{port}-{index:02d}.sock"


def bind(host: str, port: int) -> socket.socket:
    """The listening socket every worker accepts on, as eventlet.listen makes it."""
    family, _type, _proto, _name, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(address)
    sock.listen(2048)  # a deep accept queue: after a network cut every screen reconnects at once
    sock.set_inheritable(True)
    return sock


class WorkerPool:
    """Starts the workers, starts again any that dies (backing off while one keeps dying), and
    stops them all on the way out."""

    def __init__(self, count: int, listener: socket.socket, argv: list[str], env: dict[str, str]):
        self.count = count
        self.listener = listener
        self.argv = argv   # `python -m server.cli serve …` less the worker's own options
        self.env = env
        self.procs: dict[int, subprocess.Popen] = {}
        self.restarts = 0
        self._stop = threading.Event()

    def _start(self, index: int) -> None:
        fd = self.listener.fileno()
        args = [*self.argv, "--worker-fd", str(fd), "--worker-index", str(index), "--workers", str(self.count)]
        self.procs[index] = subprocess.Popen(args, env=self.env, pass_fds=(fd,), preexec_fn=die_with_parent)
        logger.info("worker %d of %d: pid %d", index, self.count, self.procs[index].pid)

    def start(self) -> None:
        for index in range(self.count):
            self._start(index)

    def supervise(self, sleep=time.sleep) -> None:
        backoff: dict[int, float] = {}
        started: dict[int, float] = dict.fromkeys(self.procs, time.monotonic())
        while not self._stop.is_set():
            for index, proc in list(self.procs.items()):
                if self._stop.is_set() or proc.poll() is None:
                    continue
                wait = backoff.get(index, 0.5) if time.monotonic() - started.get(index, 0) < 30 else 0.5
                logger.error("worker %d (pid %d) exited with %s; starting it again in %.1f s", index, proc.pid,
                             proc.returncode, wait)
                if self._stop.wait(wait):
                    break
                self._start(index)
                self.restarts += 1
                started[index] = time.monotonic()
                backoff[index] = min(wait * 2, RESTART_BACKOFF_MAX)
            sleep(0.25)

    def halt(self) -> None:
        """Start no worker again (a signal came; stop() follows)."""
        self._stop.set()

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM to every worker (each closes its sockets and stops its relay), then wait."""
        self._stop.set()
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for index, proc in self.procs.items():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                logger.warning("worker %d (pid %d) did not stop in %.0f s: killed", index, proc.pid, timeout)
                proc.kill()
                proc.wait()


def worker_argv(args, server) -> list[str]:
    """The command line of a worker: this `qms serve`'s own, with the address already decided."""
    argv = [sys.executable, "-m", "server.cli", "serve", "--config", str(args.config), "--host", server.host,
            "--port", str(server.port), "--async-mode", server.async_mode]
    argv += [flag for flag, on in (("--always-open", args.always_open), ("--demo", args.demo)) if on]
    return argv
