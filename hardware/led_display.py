"""The small LED display above a counter: its current number, on a serial line.

Frame (ASCII): ``#`` + address (2 decimal digits) + ``,`` + text (1 to 8 characters:
digits, capital letters, '-' or space) + ``,`` + mode (``S`` steady, ``B`` blink) + ``*``
+ checksum (2 hex digits, XOR of the bytes between ``#`` and ``*``) + CR LF.
Example: ``#05,1023,B*47\\r\\n``. The display needs to answer nothing.
"""
from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass

from .serial_link import LinkDown, SerialLink

logger = logging.getLogger(__name__)

TEXT = re.compile(r"^[0-9A-Z -]{1,8}$")
FRAME = re.compile(rb"^#(\d{2}),([0-9A-Z -]{1,8}),([SB])\*([0-9A-F]{2})\r\n$")


def _xor(body: bytes) -> str:
    value = 0
    for byte in body:
        value ^= byte
    return f"{value:02X}"


def frame(address: int, text: str, blink: bool = False) -> bytes:
    if not TEXT.match(text):
        raise ValueError(f"an LED display shows digits, capitals, '-' and spaces, not {text!r}")
    body = f"{address:02d},{text},{'B' if blink else 'S'}".encode("ascii")
    return b"#" + body + b"*" + _xor(body).encode("ascii") + b"\r\n"


@dataclass(frozen=True)
class LedFrame:
    address: int
    text: str
    blink: bool


def parse(data: bytes) -> LedFrame | None:
    """One frame back (for the simulator and tests); None when malformed or the checksum is wrong."""
    match = FRAME.match(data)
    if not match or _xor(data[1:data.index(b"*")]) != match.group(4).decode():
        return None
    return LedFrame(int(match.group(1)), match.group(2).decode(), match.group(3) == b"B")


def counter_text(counter_state: dict, digits: int) -> tuple[str, bool]:
    """What a counter's display shows: its current number, dashes while paused, blank when closed."""
    status = counter_state.get("status")
    if status == "paused":
        return "-" * digits, False
    if status != "open":
        return " " * digits, False
    ticket = counter_state.get("ticket") or {}
    label = (ticket.get("label") or "").upper()
    if not label or ticket.get("state") not in ("called", "serving"):
        return " " * digits, False
    return label[-8:].rjust(digits), ticket.get("state") == "called"


class LedDisplay:
    """One display; writes are retried on the next change or refresh if the line is down."""

    def __init__(self, device, stop: threading.Event):
        self.device = device
        self.link = SerialLink(device.url, device.options.get("baudrate", 9600), stop=stop)
        self.shown: tuple[str, bool] | None = None
        self.lock = threading.Lock()

    def show(self, text: str, blink: bool) -> bool:
        with self.lock:
            self.shown = (text, blink)
            return self._send()

    def refresh(self) -> bool:
        with self.lock:
            return self._send() if self.shown else True

    def _send(self) -> bool:
        if self.shown is None:
            return True  # nothing to show yet
        try:
            if not self.link.ensure_open():
                return False
            self.link.write(frame(self.device.options.get("address", 1), *self.shown))
            self.link.status.seen()
            return True
        except LinkDown:
            return False
