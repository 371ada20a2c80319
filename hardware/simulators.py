"""Devices without hardware: rating panels on pseudo-terminals, a network ticket printer
that turns what it receives back into PNG images, and an LED display that remembers what
it was told. Used by the tests and by ``qms simulate``; the whole stack runs against them.
"""
from __future__ import annotations

import contextlib
import logging
import os
import select
import socket
import threading
import time
import tty
from pathlib import Path

from PIL import Image

from . import led_display, raster_decode
from .panels import rs485

logger = logging.getLogger(__name__)


class PseudoTerminal:
    """A pty whose device path is a stable symlink, so it can be 'unplugged' and 'replugged'."""

    def __init__(self, link: str | Path | None = None):
        self.link = Path(link) if link else None
        self.master: int | None = None
        self.slave_name = ""
        self._slave: int | None = None
        self.plug()

    @property
    def path(self) -> str:
        return str(self.link) if self.link else self.slave_name

    def plug(self) -> None:
        self.master, self._slave = os.openpty()
        tty.setraw(self.master)
        tty.setraw(self._slave)
        self.slave_name = os.ttyname(self._slave)
        if self.link:
            tmp = self.link.with_suffix(".tmp")
            tmp.unlink(missing_ok=True)
            tmp.symlink_to(self.slave_name)
            tmp.replace(self.link)

    def unplug(self) -> None:
        """Like pulling the cable: the port vanishes and readers get errors."""
        if self.link:
            self.link.unlink(missing_ok=True)
        for fd in (self.master, self._slave):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self.master = self._slave = None

    def write(self, data: bytes) -> None:
        if self.master is None:
            raise OSError("the simulated device is closed")
        os.write(self.master, data)

    def read(self, timeout: float = 0.1) -> bytes:
        if self.master is None:
            return b""
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return b""
        try:
            return os.read(self.master, 1024)
        except OSError:
            return b""


class AsciiPanelSimulator:
    """Model 1: each press writes one byte."""

    def __init__(self, link: str | Path | None = None):
        self.pty = PseudoTerminal(link)

    @property
    def path(self) -> str:
        return self.pty.path

    def press(self, key: str) -> None:
        self.pty.write(key.encode("ascii"))

    def send_raw(self, data: bytes) -> None:
        self.pty.write(data)

    def close(self) -> None:
        self.pty.unplug()


class Rs485PanelSimulator:
    """Model 2: panels at several addresses on one line, answering the PC's polls."""

    def __init__(self, addresses: list[int], link: str | Path | None = None, *, drop_acks: int = 0):
        self.pty = PseudoTerminal(link)
        self.addresses = set(addresses)
        self.pending: dict[int, list[tuple[int, str]]] = {a: [] for a in addresses}
        self.seq = {a: 0 for a in addresses}
        self.polls = {a: 0 for a in addresses}
        self.drop_acks = drop_acks  # ignore this many ACKs, as if they were lost on the line
        self.drop_acks_until = 0.0  # ...or every ACK until this time.monotonic()
        self.acks_dropped = 0
        self.garbage_next: bytes = b""
        self.lock = threading.Lock()
        self.stop_event = threading.Event()
        self.parser = rs485.FrameParser()
        self.thread = threading.Thread(target=self._serve, daemon=True, name="rs485-sim")
        self.thread.start()

    @property
    def path(self) -> str:
        return self.pty.path

    def press(self, address: int, key: str) -> None:
        with self.lock:
            self.seq[address] = (self.seq[address] + 1) % 256
            self.pending[address].append((self.seq[address], key))

    def waiting(self) -> int:
        with self.lock:
            return sum(len(v) for v in self.pending.values())

    def _serve(self) -> None:
        while not self.stop_event.is_set():
            data = self.pty.read(0.05)
            for frame in self.parser.feed(data):
                if frame.address not in self.addresses:
                    continue
                with self.lock:
                    if frame.command == "P":
                        self.polls[frame.address] += 1
                        reply = self.garbage_next
                        self.garbage_next = b""
                        queue = self.pending[frame.address]
                        reply += rs485.key_press(frame.address, *queue[0]) if queue else rs485.nothing(frame.address)
                        self.pty.write(reply)
                    elif frame.command == "A":
                        if self.drop_acks or time.monotonic() < self.drop_acks_until:
                            self.drop_acks = max(0, self.drop_acks - 1)
                            self.acks_dropped += 1
                            continue
                        queue = self.pending[frame.address]
                        if queue and queue[0][0] == int(frame.payload, 16):
                            queue.pop(0)

    def close(self) -> None:
        self.stop_event.set()
        self.thread.join(timeout=2)
        self.pty.unplug()


class LedDisplaySimulator:
    """Remembers the last text each address was told to show."""

    def __init__(self, link: str | Path | None = None):
        self.pty = PseudoTerminal(link)
        self.shown: dict[int, led_display.LedFrame] = {}
        self.bad_frames = 0
        self.stop_event = threading.Event()
        self._buffer = b""
        self.thread = threading.Thread(target=self._serve, daemon=True, name="led-sim")
        self.thread.start()

    @property
    def path(self) -> str:
        return self.pty.path

    def _serve(self) -> None:
        while not self.stop_event.is_set():
            self._buffer += self.pty.read(0.05)
            while b"\n" in self._buffer:
                line, self._buffer = self._buffer.split(b"\n", 1)
                parsed = led_display.parse(line + b"\n")
                if parsed is None:
                    self.bad_frames += 1
                else:
                    self.shown[parsed.address] = parsed

    def close(self) -> None:
        self.stop_event.set()
        self.thread.join(timeout=2)
        self.pty.unplug()


class PrinterMechanism:
    """What a simulated ESC/POS printer does with the bytes it gets, whatever the line:
    answers status questions, and keeps each job as an image (and PNG, with ``out_dir``)."""

    READY = 0x12
    PAPER_END = 0x60
    OFFLINE = 0x08

    def __init__(self, out_dir: str | Path | None = None, width: int | None = None):
        self.out_dir = Path(out_dir) if out_dir else None
        self.width = width
        self.paper_out = False
        self.offline = False
        self.printouts: list[raster_decode.Printout] = []
        self.images: list[Image.Image] = []

    def answer(self, data: bytearray) -> bytes:
        """Answers to the DLE EOT n questions at the front of ``data`` (removed from it), as
        soon as they arrive: the sender waits for them. Inside a job (after ESC @) those
        bytes may be raster data, so only the part before it is read."""
        answers = bytearray()
        while True:
            job_start = data.find(b"\x1b@")
            at = data.find(b"\x10\x04", 0, job_start if job_start >= 0 else len(data))
            if at < 0 or at + 2 >= len(data):
                return bytes(answers)
            n = data[at + 2]
            answers.append(self.READY | (self.OFFLINE if self.offline and n == 1 else 0)
                           | (self.PAPER_END if self.paper_out and n == 4 else 0))
            del data[at:at + 3]

    def keep(self, data: bytes) -> None:
        """One job's bytes, printed."""
        if not bytes(data).strip(b"\x1b@"):
            return
        printout = raster_decode.decode(bytes(data))
        self.printouts.append(printout)
        image = printout.image(self.width)
        self.images.append(image)
        if self.out_dir:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            path = self.out_dir / f"ticket-{len(self.images):04d}.png"
            image.save(path)
            logger.info("virtual printer: printed %s", path)

    def wait_for_jobs(self, count: int, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.images) >= count:
                return True
            time.sleep(0.02)
        return False


class VirtualNetworkPrinter:
    """A raw-TCP (port 9100 style) ESC/POS printer (80 mm unless ``width`` says otherwise)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, out_dir: str | Path | None = None,
                 width: int = 576):
        self.server = socket.create_server((host, port))
        self.host, self.port = self.server.getsockname()[:2]
        self.status = PrinterMechanism(out_dir, width)
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True, name="printer-sim")
        self.thread.start()

    @property
    def url(self) -> str:
        return f"tcp://{self.host}:{self.port}"

    def _serve(self) -> None:
        self.server.settimeout(0.2)
        while not self.stop_event.is_set():
            try:
                conn, _ = self.server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                self._job(conn)

    def _job(self, conn: socket.socket) -> None:
        data = bytearray()
        conn.settimeout(2)
        while True:
            try:
                chunk = conn.recv(65536)
            except TimeoutError:
                break
            if not chunk:
                break
            data += chunk
            conn.sendall(self.status.answer(data))
        self.status.keep(bytes(data))
    @property
    def printouts(self) -> list[raster_decode.Printout]:
        return self.status.printouts

    @property
    def images(self) -> list[Image.Image]:
        return self.status.images

    @property
    def paper_out(self) -> bool:
        return self.status.paper_out

    @paper_out.setter
    def paper_out(self, value: bool) -> None:
        self.status.paper_out = value

    def wait_for_jobs(self, count: int, timeout: float = 10.0) -> bool:
        """True once ``count`` jobs were printed (a job is complete when the sender hangs up)."""
        return self.status.wait_for_jobs(count, timeout)

    def close(self) -> None:
        self.stop_event.set()
        self.server.close()
        self.thread.join(timeout=2)


class SerialPrinterSimulator:
    """An ESC/POS printer on a pseudo-terminal that takes bytes no faster than its line
    (``baudrate``, 8N1: ten bits a byte), so a sender meets the real time a ticket takes.
    Jobs are read one after another, as the printer's parser would."""

    def __init__(self, baudrate: int = 19200, link: str | Path | None = None, out_dir: str | Path | None = None,
                 width: int = 576):
        self.pty = PseudoTerminal(link)
        self.bytes_per_second = baudrate / 10
        self.status = PrinterMechanism(out_dir, width)
        self.received = 0
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True, name="serial-printer-sim")
        self.thread.start()

    @property
    def path(self) -> str:
        return self.pty.path

    def _serve(self) -> None:
        data = bytearray()
        tick = 0.02
        allowance, last = 0.0, time.monotonic()
        while not self.stop_event.is_set():
            started = time.monotonic()
            # The line's rate over real time, as a UART runs whatever its parser is doing: a
            # slow turn of this loop (a busy machine) is made up by a bigger read next turn.
            allowance = min(allowance + self.bytes_per_second * (started - last), self.bytes_per_second)
            last = started
            budget = max(1, int(allowance))
            chunk = b""
            if self.pty.master is not None:
                ready, _, _ = select.select([self.pty.master], [], [], tick)
                if ready:
                    try:
                        chunk = os.read(self.pty.master, budget)
                    except OSError:
                        chunk = b""
            if chunk:
                allowance -= len(chunk)
                self.received += len(chunk)
                data += chunk
            while data and chunk:
                answers = self.status.answer(data)
                if answers:
                    self.pty.write(answers)
                try:
                    end = raster_decode.job_end(bytes(data))
                except raster_decode.EscPosError:
                    logger.exception("serial printer simulator: unreadable bytes, dropped")
                    data.clear()
                    break
                if end is None:
                    break
                self.status.keep(bytes(data[:end]))
                del data[:end]
            time.sleep(max(0.0, tick - (time.monotonic() - started)))  # the line's pace

    def close(self) -> None:
        self.stop_event.set()
        self.thread.join(timeout=2)
        self.pty.unplug()
