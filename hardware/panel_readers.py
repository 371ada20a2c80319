"""Reading rating panels: a thread per serial port, turning bytes into presses.

``on_press(device_id, level, pressed_at)`` is called for every press; the callback must
be quick and must not lose it (the agent writes it to disk first). A reader never dies:
bad bytes are counted, a lost port is reopened.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from .panels import rs485
from .panels.ascii_panel import AsciiPanelDecoder
from .serial_link import LinkDown, LinkStatus, SerialLink

logger = logging.getLogger(__name__)

OnPress = Callable[[str, int, datetime], None]
REPLY_TIMEOUT = 0.15
SILENT_AFTER = 3          # polls without an answer before a panel counts as offline
# A sequence number not heard for this long, then heard again, is a new press (the panel
# restarted and counts from 1 again). Counted from the last time it was heard: a press
# resent at every poll while its acknowledgements are lost stays one press.
SEQ_FORGET_SECONDS = 10


class AsciiPanelReader(threading.Thread):
    """Model 1: one panel on its own port sending one byte per press."""

    def __init__(self, device, on_press: OnPress, stop: threading.Event):
        super().__init__(name=f"panel-{device.id}", daemon=True)
        self.device = device
        self.on_press = on_press
        self.stop_event = stop
        self.link = SerialLink(device.url, device.options.get("baudrate", 9600), stop=stop)
        self.decoder = AsciiPanelDecoder(device.options["keys"])

    def statuses(self) -> dict[str, dict]:
        status = self.link.status.to_json()
        status["counts"] = {**status["counts"], "presses": self.decoder.presses, "garbage": self.decoder.garbage}
        return {self.device.id: status}

    def run(self) -> None:
        while not self.stop_event.is_set():
            try:
                if not self.link.ensure_open():
                    continue
                data = self.link.read(64)
                for level in self.decoder.feed(data):
                    self.on_press(self.device.id, level, datetime.now(UTC))
            except LinkDown:
                continue
            except Exception:
                logger.exception("panel %s: unexpected error", self.device.id)
                self.link.status.count("errors")
                self.stop_event.wait(1)
        self.link.close()


class Rs485Bus(threading.Thread):
    """Model 2: polls every panel on one RS-485 port in turn, acknowledges each press."""

    def __init__(self, url: str, baudrate: int, devices: list, on_press: OnPress, stop: threading.Event,
                 *, interval: float = 0.02):
        super().__init__(name=f"bus-{url}", daemon=True)
        self.devices = {d.options["address"]: d for d in devices}
        self.on_press = on_press
        self.stop_event = stop
        self.interval = interval
        self.link = SerialLink(url, baudrate, stop=stop)
        self.parser = rs485.FrameParser()
        self.panel = {a: LinkStatus() for a in self.devices}
        self._silent = {a: 0 for a in self.devices}
        self._last_seq: dict[int, tuple[int, float]] = {}

    def statuses(self) -> dict[str, dict]:
        bus = self.link.status
        out = {}
        for address, device in self.devices.items():
            mine = self.panel[address]
            out[device.id] = {
                "connected": bus.connected and mine.connected, "last_seen": mine.last_seen,
                "reconnects": bus.reconnects, "last_error": bus.last_error,
                "counts": {**mine.counts, "bus_disconnects": bus.counts.get("disconnects", 0),
                           "bus_broken_frames": self.parser.broken,
                           "bus_bad_checksum": self.parser.bad_checksum,
                           "bus_unknown_address": bus.counts.get("unknown_address", 0)},
            }
        return out

    def run(self) -> None:
        while not self.stop_event.is_set():
            try:
                if not self.link.ensure_open():
                    for status in self.panel.values():
                        status.connected = False
                    continue
                for address in self.devices:
                    if self.stop_event.is_set():
                        break
                    self._poll(address)
                    time.sleep(self.interval)
            except LinkDown:
                for status in self.panel.values():
                    status.connected = False
            except Exception:
                logger.exception("bus %s: unexpected error", self.link.url)
                self.link.status.count("errors")
                self.stop_event.wait(1)
        self.link.close()

    def _poll(self, address: int) -> None:
        self.link.write(rs485.poll(address))
        answered = False
        deadline = time.monotonic() + REPLY_TIMEOUT
        while time.monotonic() < deadline and not answered:
            for frame in self.parser.feed(self.link.read_line(deadline - time.monotonic())):
                if frame.command in ("P", "A"):
                    continue  # our own frames echoed by a half-duplex adapter
                if frame.address not in self.devices:
                    self.link.status.count("unknown_address")
                    continue
                if frame.address != address:
                    self.link.status.count("out_of_turn")
                    continue
                answered = True
                self._answered(address)
                if frame.command == "K":
                    self._press(address, int(frame.payload[:2], 16), frame.payload[2])
        if not answered:
            status = self.panel[address]
            status.count("timeouts")
            self._silent[address] += 1
            if self._silent[address] >= SILENT_AFTER:
                status.connected = False

    def _answered(self, address: int) -> None:
        status = self.panel[address]
        status.connected = True
        status.seen()
        self._silent[address] = 0

    def _press(self, address: int, seq: int, key: str) -> None:
        device = self.devices[address]
        status = self.panel[address]
        level = device.options["keys"].get(key)
        now = time.monotonic()
        previous = self._last_seq.get(address)
        fresh = previous is None or previous[0] != seq or now - previous[1] > SEQ_FORGET_SECONDS
        if level is None:
            status.count("unknown_key")
        elif fresh:
            self._last_seq[address] = (seq, now)
            status.count("presses")
            self.on_press(device.id, level, datetime.now(UTC))
        else:
            self._last_seq[address] = (seq, now)
            status.count("repeats")
        # Acknowledge even a repeat or an unknown key, so the panel stops sending it.
        self.link.write(rs485.ack(address, seq))


@dataclass(frozen=True)
class PanelModel:
    """What config and the agent need to know of a rating panel model. A new model is a
    decoder in hardware/panels/, a reader here, and an entry in MODELS."""

    name: str
    label: str   # as an installer calls it
    description: str
    # Panels of this model may share one serial port (a bus), each with its own address.
    shares_port: bool
    needs_address: bool
    # Keys are digits only (the model's frames carry a digit).
    digit_keys: bool
    # Start reading: (url, baudrate, the panels on that port, on_press, stop) -> a thread to start.
    reader: Callable[[str, int, list, OnPress, threading.Event], threading.Thread]


MODELS: dict[str, PanelModel] = {
    "ascii": PanelModel("ascii", "ASCII", "one panel per port, one byte per press", shares_port=False,
                        needs_address=False, digit_keys=False,
                        reader=lambda url, baudrate, panels, on_press, stop: AsciiPanelReader(panels[0], on_press,
                                                                                              stop)),
    "rs485": PanelModel("rs485", "RS-485", "panels polled on an RS-485 bus, each press acknowledged", shares_port=True,
                        needs_address=True, digit_keys=True, reader=Rs485Bus),
}
