"""Model 2: several addressed panels on one RS-485 bus, polled by the PC (half duplex).

Frames are ASCII so a vendor can test with a terminal: ``:`` + address (2 hex digits) +
command + payload + checksum (2 hex digits, XOR of the bytes between ``:`` and the
checksum) + CR LF.

    master -> panel  :AAP<ck>          poll
    panel -> master  :AAN<ck>          nothing pressed
    panel -> master  :AAKSSk<ck>       key k pressed, press sequence SS (2 hex digits)
    master -> panel  :AAASS<ck>        acknowledged: the panel forgets that press

A panel keeps a press (and its sequence number) until it is acknowledged and sends it
again at each poll; the master counts a sequence number once per address.
"""
from __future__ import annotations

from dataclasses import dataclass

MAX_FRAME = 32


def checksum(body: bytes) -> str:
    value = 0
    for byte in body:
        value ^= byte
    return f"{value:02X}"


def frame(address: int, command: str, payload: str = "") -> bytes:
    body = f"{address:02X}{command}{payload}".encode("ascii")
    return b":" + body + checksum(body).encode("ascii") + b"\r\n"


def poll(address: int) -> bytes:
    return frame(address, "P")


def ack(address: int, seq: int) -> bytes:
    return frame(address, "A", f"{seq:02X}")


def key_press(address: int, seq: int, key: str) -> bytes:
    return frame(address, "K", f"{seq:02X}{key}")


def nothing(address: int) -> bytes:
    return frame(address, "N")


@dataclass(frozen=True)
class Frame:
    address: int
    command: str
    payload: str


class FrameParser:
    """Splits a byte stream into frames; broken frames and bad checksums are counted and skipped."""

    def __init__(self):
        self._buffer = bytearray()
        self._inside = False
        self.broken = 0
        self.bad_checksum = 0

    def feed(self, data: bytes) -> list[Frame]:
        frames = []
        for byte in data:
            if byte == 0x3A:  # ':' starts a frame, even in the middle of a broken one
                if self._inside and self._buffer:
                    self.broken += 1
                self._buffer.clear()
                self._inside = True
            elif not self._inside:
                if byte not in b"\r\n":
                    self.broken += 1  # noise between frames
            elif byte == 0x0A:
                parsed = self._parse(bytes(self._buffer).rstrip(b"\r"))
                if parsed is not None:
                    frames.append(parsed)
                self._buffer.clear()
                self._inside = False
            else:
                self._buffer.append(byte)
                if len(self._buffer) > MAX_FRAME:
                    self.broken += 1
                    self._buffer.clear()
                    self._inside = False
        return frames

    def _parse(self, raw: bytes) -> Frame | None:
        if len(raw) < 5:
            self.broken += 1
            return None
        body, check = raw[:-2], raw[-2:]
        try:
            text = body.decode("ascii")
            address = int(text[:2], 16)
            check_text = check.decode("ascii")
        except (UnicodeDecodeError, ValueError):
            self.broken += 1
            return None
        if checksum(body) != check_text.upper():
            self.bad_checksum += 1
            return None
        command, payload = text[2:3], text[3:]
        if command not in "PNKA" or (command == "K" and not _valid_press(payload)) or \
                (command == "A" and not _valid_seq(payload)) or (command in "PN" and payload):
            self.broken += 1
            return None
        return Frame(address, command, payload)


def _valid_seq(text: str) -> bool:
    return len(text) == 2 and all(c in "0123456789ABCDEFabcdef" for c in text)


def _valid_press(payload: str) -> bool:
    return len(payload) == 3 and _valid_seq(payload[:2]) and payload[2].isdigit()
