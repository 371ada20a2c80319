"""Keeps the embedded redis-server running for as long as `qms serve` runs.

If it dies (killed, out of memory, or it exited because the disk is full and it could not
write its append-only file), it is started again on the same port and the same data, so
every connection pool, the relay and the archiver find it where they left it and every
acknowledged change is still there. Restarts back off (0.2 s doubling to 5 s) while it
keeps failing, e.g. until disk space returns; /health says why meanwhile.
"""
from __future__ import annotations

import logging
import shutil
import threading
import time

from .embedded_redis import EmbeddedRedis, EmbeddedRedisError
from .store_health import StoreHealth

logger = logging.getLogger(__name__)

CHECK_SECONDS = 0.25
FIRST_BACKOFF = 0.2
MAX_BACKOFF = 5.0
STABLE_SECONDS = 10.0   # up this long after a restart: the next death starts the back-off afresh
LOW_DISK_BYTES = 1 << 20
RESUME_DISK_BYTES = 4 << 20  # free space to wait for before starting it again on a full disk


class RedisSupervisor:
    """Watches one EmbeddedRedis; ``run`` is a background task of the server."""

    def __init__(self, embedded: EmbeddedRedis, health: StoreHealth, sleep=time.sleep):
        self.embedded = embedded
        self.health = health
        self.sleep = sleep
        self.running = True
        self.reason = ""
        self.restarts = 0
        self._stop = threading.Event()

    def stop(self) -> None:
        """Before the embedded Redis is stopped on purpose: do not bring it back."""
        self._stop.set()

    def run(self) -> None:
        backoff, started_at = FIRST_BACKOFF, time.monotonic()
        while not self._stop.is_set():
            proc = self.embedded.process
            if proc is not None and proc.poll() is None:
                self.sleep(CHECK_SECONDS)
                continue
            if self._stop.is_set() or proc is None:
                break
            # poll() above reaped it: no zombie is left behind.
            down_at = time.monotonic()
            if down_at - started_at >= STABLE_SECONDS:
                backoff = FIRST_BACKOFF
            self.running = False
            self.reason = self._why(proc.returncode)
            self.health.failed(self.reason, known=True)
            self._wait_for_disk_space()
            started_at = self._restart(down_at, backoff)
            backoff = min(backoff * 2, MAX_BACKOFF)

    def _restart(self, down_at: float, backoff: float) -> float:
        """Start it again until it answers (or the server stops); returns when it came back."""
        attempt = 0
        while not self._stop.is_set():
            attempt += 1
            try:
                self.embedded.start(timeout=10)
            except EmbeddedRedisError as err:
                self.reason = self._why(None, str(err))
                self.health.failed(self.reason, known=True)
                self.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
                continue
            self.restarts += 1
            self.running = True
            self.reason = ""
            logger.warning("embedded redis-server restarted on its data after %.1f s (attempt %d, restart %d)",
                           time.monotonic() - down_at, attempt, self.restarts)
            self.health.ok()
            return time.monotonic()
        return time.monotonic()

    def _free_bytes(self) -> int:
        try:
            return shutil.disk_usage(self.embedded.data_dir).free
        except OSError:
            return 0

    def _wait_for_disk_space(self) -> None:
        """On a full disk it would start, then exit at its first write, again and again: wait
        (quietly, /health says why) until there is room."""
        if self._free_bytes() >= RESUME_DISK_BYTES:
            return
        logger.warning("embedded redis-server: waiting for %d MB free in %s before starting it again",
                       RESUME_DISK_BYTES >> 20, self.embedded.data_dir)
        while not self._stop.is_set() and self._free_bytes() < RESUME_DISK_BYTES:
            self.sleep(0.5)

    def _why(self, returncode: int | None, detail: str = "") -> str:
        """What /health and the log say: disk full when it is, else how it ended."""
        tail = detail or self.embedded.log_tail()
        if "No space left" in tail or self._free_bytes() < LOW_DISK_BYTES:
            return "redis: disk full, writes refused (the embedded redis-server cannot write its data; free some space)"
        how = f"exit code {returncode}" if returncode is not None else "it would not start"
        return f"redis: the embedded redis-server stopped ({how}); restarting it"
