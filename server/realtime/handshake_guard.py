"""Engine.IO sessions that have not joined Socket.IO: few per address, and not for long.

Every screen opens an Engine.IO session, then at once sends Socket.IO's CONNECT with its
token; a session that stays without a namespace is someone holding connections open (it
answers pings, so Engine.IO alone keeps it for ever). Such sessions are limited per
client address and closed after ``timeout`` seconds. A legitimate client spends a few
milliseconds in this state, so the limit does not touch a hall's real screens, even
many phones behind one NAT address (one refused retries as every Socket.IO client does).
"""
from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable

from ..web.web_guards import is_trusted_proxy

logger = logging.getLogger(__name__)


def client_address(environ: dict, proxies: frozenset[str]) -> str:
    """The client's address as the app sees it (web_guards.TrustedProxyFix: one trusted hop)."""
    if is_trusted_proxy(environ, proxies):
        forwarded = environ.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()
    return environ.get("REMOTE_ADDR", "") or "?"


class HandshakeGuard:
    def __init__(self, sio_server, *, per_address: int, timeout: float, proxies: frozenset[str],
                 sleep: Callable[[float], None], start_task: Callable, clock: Callable[[], float] = time.monotonic):
        self.eio = sio_server.eio
        self.per_address = per_address
        self.timeout = timeout
        self.proxies = proxies
        self.sleep = sleep
        self.start_task = start_task
        self.clock = clock
        self.pending: dict[str, tuple[str, float]] = {}   # Engine.IO sid -> (address, opened at)
        self.by_address: Counter[str] = Counter()
        self.refused: Counter[str] = Counter()           # refusals per address since the last report
        self.closed = 0                                   # sessions closed by the timeout since then
        self._lock = threading.Lock()
        self._running = False
        self._stopped = False
        # Socket.IO's own Engine.IO handlers run after ours.
        self._then_connect = self.eio.handlers["connect"]
        self._then_disconnect = self.eio.handlers["disconnect"]
        self.eio.on("connect", self._connect)
        self.eio.on("disconnect", self._disconnect)

    def _connect(self, eio_sid: str, environ: dict):
        address = client_address(environ, self.proxies)
        with self._lock:
            if self.by_address[address] >= self.per_address:
                self.refused[address] += 1
                first = self.refused[address] == 1
                refuse = True
            else:
                refuse = first = False
                self.pending[eio_sid] = (address, self.clock())
                self.by_address[address] += 1
            start = not self._running and not self._stopped
            self._running = self._running or start
        if first:
            logger.warning("handshake-flood: %s holds %d Socket.IO sessions that have not connected; "
                           "refusing more from it", address, self.per_address)
        if start:
            self.start_task(self._sweep)
        if refuse:
            return False
        return self._then_connect(eio_sid, environ)

    def _disconnect(self, eio_sid: str, *args):
        self._forget(eio_sid)
        return self._then_disconnect(eio_sid, *args)

    def admitted(self, eio_sid: str | None) -> None:
        """The session joined Socket.IO with a valid principal: no longer anonymous."""
        if eio_sid is not None:
            self._forget(eio_sid)

    def _forget(self, eio_sid: str) -> None:
        with self._lock:
            entry = self.pending.pop(eio_sid, None)
            if entry is not None:
                self.by_address[entry[0]] -= 1
                if self.by_address[entry[0]] <= 0:
                    del self.by_address[entry[0]]

    def _sweep(self) -> None:
        """Close sessions past the timeout; one log line a minute says what was refused or closed."""
        reported = self.clock()
        while not self._stopped:
            self.sleep(min(1.0, self.timeout / 4))
            now = self.clock()
            with self._lock:
                late = [sid for sid, (_, opened) in self.pending.items() if now - opened > self.timeout]
            for sid in late:
                self._forget(sid)
                try:
                    self.eio.disconnect(sid)
                except Exception:
                    logger.exception("closing the idle Engine.IO session %s failed", sid)
            self.closed += len(late)
            if now - reported >= 60:
                self._report()
                reported = now

    def _report(self) -> None:
        with self._lock:
            refused, closed = sum(self.refused.values()), self.closed
            addresses = len(self.refused)
            self.refused.clear()
            self.closed = 0
        if refused or closed:
            logger.warning("handshake-flood: last minute %d session(s) refused from %d address(es), %d closed "
                           "after %.0f s without connecting", refused, addresses, closed, self.timeout)

    def stop(self) -> None:
        self._stopped = True
