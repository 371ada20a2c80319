"""The transport: one serial port chosen by a pyserial URL (``/dev/ttyUSB0``,
``/dev/serial/by-id/...``, ``socket://host:port``, ``rfc2217://``, ``loop://``), kept open.

When the port disappears (a USB-serial adapter pulled out) the link closes it and tries
again with a doubling back-off capped at 30 s; the status says connected / last seen /
errors, so the admin page can tell a dead panel from a quiet one.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import serial

logger = logging.getLogger(__name__)

MAX_BACKOFF = 30.0


class LinkDown(Exception):
    """The port is not open (unplugged, not there yet, or failed)."""


@dataclass
class LinkStatus:
    connected: bool = False
    last_seen: str | None = None
    reconnects: int = 0
    last_error: str | None = None
    counts: dict[str, int] = field(default_factory=dict)

    def count(self, what: str, n: int = 1) -> None:
        if n:
            self.counts[what] = self.counts.get(what, 0) + n

    def seen(self) -> None:
        self.last_seen = datetime.now(UTC).isoformat(timespec="seconds")

    def to_json(self) -> dict:
        return {"connected": self.connected, "last_seen": self.last_seen, "reconnects": self.reconnects,
                "last_error": self.last_error, "counts": dict(self.counts)}


class SerialLink:
    """A serial port that reopens itself; ``read``/``write`` raise LinkDown while it is away."""

    def __init__(self, url: str, baudrate: int = 9600, *, stop: threading.Event | None = None):
        self.url = url
        self.baudrate = baudrate
        self.status = LinkStatus()
        self.stop = stop or threading.Event()
        self._port: serial.SerialBase | None = None
        self._backoff = 0.5
        self._ever_opened = False

    def ensure_open(self) -> bool:
        """Open the port if needed; on failure wait the back-off (interruptibly) and return False."""
        if self._port is not None:
            return True
        try:
            self._port = serial.serial_for_url(self.url, baudrate=self.baudrate, timeout=0.05, write_timeout=1)
        except (serial.SerialException, OSError, ValueError) as err:
            self.status.connected = False
            self.status.last_error = str(err)
            logger.warning("serial %s unavailable (%s); retrying in %.1f s", self.url, err, self._backoff)
            self.stop.wait(self._backoff)
            self._backoff = min(self._backoff * 2, MAX_BACKOFF)
            return False
        if self._ever_opened:
            self.status.reconnects += 1
        self._ever_opened = True
        self._backoff = 0.5
        self.status.connected = True
        self.status.last_error = None
        logger.info("serial %s open", self.url)
        return True

    def read(self, size: int = 256) -> bytes:
        if self._port is None:
            raise LinkDown(self.url)
        try:
            data = self._port.read(size)
        except (serial.SerialException, OSError) as err:
            self._lost(err)
            raise LinkDown(self.url) from err
        if data:
            self.status.seen()
        return data

    def write(self, data: bytes) -> None:
        if self._port is None:
            raise LinkDown(self.url)
        try:
            self._port.write(data)
            self._port.flush()
        except (serial.SerialException, OSError) as err:
            self._lost(err)
            raise LinkDown(self.url) from err

    def read_line(self, timeout: float) -> bytes:
        """Bytes up to and including LF, or whatever arrived before ``timeout``."""
        deadline = time.monotonic() + timeout
        out = bytearray()
        while time.monotonic() < deadline:
            chunk = self.read(1)
            if chunk:
                out += chunk
                if chunk == b"\n":
                    break
        return bytes(out)

    def _lost(self, err: Exception) -> None:
        logger.warning("serial %s lost: %s", self.url, err)
        self.status.connected = False
        self.status.last_error = str(err)
        self.status.count("disconnects")
        self.close()

    def close(self) -> None:
        port, self._port = self._port, None
        if port is not None:
            try:
                port.close()
            except (serial.SerialException, OSError):
                logger.debug("closing %s failed", self.url, exc_info=True)
