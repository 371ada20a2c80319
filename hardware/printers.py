"""Printer connections, one small class each (as in python-escpos): ``open``, ``_raw``,
``_read``, ``close``. The address in config.yaml chooses the class:

    /dev/ttyS0, socket://…, rfc2217://…   serial (pyserial URL)
    usb:/dev/usb/lp0                      the kernel's USB printer device file
    tcp://192.168.1.50:9100               raw TCP (port 9100), the usual network printer
    cups:QueueName                        CUPS, sent with `lp -d QueueName -o raw`
    file:/var/spool/qms/ticket.bin        append to a file
    dummy:                                keep the bytes in memory (tests, demos)
"""
from __future__ import annotations

import io
import logging
import os
import re
import select
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import serial

from . import escpos
from .escpos import PrinterState

logger = logging.getLogger(__name__)
_H = TypeVar("_H")  # an open port, file descriptor or socket


class PrinterError(Exception):
    """The printer could not be reached or refused the job; ``state`` says what is known."""

    def __init__(self, message: str, state: PrinterState = PrinterState.OFFLINE):
        super().__init__(message)
        self.state = state


class Printer:
    """Base: send a ticket after asking the printer whether it can print."""

    can_answer = False  # whether DLE EOT questions get answers on this connection

    def open(self) -> None:
        pass

    def _raw(self, data: bytes) -> None:
        raise NotImplementedError

    def _read(self, size: int, timeout: float) -> bytes:
        return b""

    def close(self) -> None:
        pass

    def state(self) -> PrinterState:
        if not self.can_answer:
            return PrinterState.UNKNOWN
        answers = []
        for question in (escpos.ASK_PRINTER, escpos.ASK_PAPER):
            self._raw(question)
            reply = self._read(1, timeout=0.5)
            answers.append(reply[0] if reply else None)
        if answers == [None, None]:
            return PrinterState.OFFLINE  # a bidirectional printer that does not answer is not there
        return escpos.state_from(*answers)

    address = ""  # set by printer_for: jobs for one address never interleave

    @staticmethod
    def _opened(handle: _H | None) -> _H:
        """The port, file or socket open() made; a job is never sent to a closed printer."""
        if handle is None:
            raise PrinterError("the printer is not open", PrinterState.OFFLINE)
        return handle

    def print_job(self, job: bytes) -> PrinterState:
        """Print ``job``; raises PrinterError (paper out, offline) and leaves nothing half-sent when it can tell.
        Jobs for one printer wait for each other: two tickets never mix on one roll."""
        with _port_lock(self.address):
            return self._print(job)

    def _print(self, job: bytes) -> PrinterState:
        try:
            self.open()
            state = self.state()
            if state in (PrinterState.PAPER_OUT, PrinterState.OFFLINE):
                raise PrinterError(f"printer {state.value}", state)
            self._raw(job)
            return state
        except PrinterError:
            raise
        except (OSError, serial.SerialException, subprocess.SubprocessError) as err:
            raise PrinterError(str(err)) from err
        finally:
            try:
                self.close()
            except (OSError, serial.SerialException):
                logger.debug("closing printer failed", exc_info=True)


class SerialPrinter(Printer):
    """A serial line takes baudrate / 10 bytes a second (8N1): a ticket of 15 KB needs 8 s
    at 19200 baud. The job goes out as fast as the line (and the printer's flow control)
    takes it, however long that is; what counts as a dead printer is one that takes no byte
    at all for ``STALL_SECONDS``. A fixed timeout per write would either cut a slow line
    short or wait too long for a dead printer."""

    can_answer = True
    CHUNK = 512
    STALL_SECONDS = 5.0

    def __init__(self, url: str, baudrate: int = 19200):
        self.url, self.baudrate = url, baudrate
        self.port: serial.SerialBase | None = None

    def open(self) -> None:
        self.port = serial.serial_for_url(self.url, baudrate=self.baudrate, timeout=0.5,
                                          write_timeout=self.STALL_SECONDS)

    def _raw(self, data: bytes) -> None:
        port = self._opened(self.port)
        try:
            fd = port.fileno()  # a real or pseudo terminal (opened non-blocking by pyserial)
        except (AttributeError, io.UnsupportedOperation, serial.SerialException):
            fd = None
        if fd is None:  # socket://, rfc2217:// …: their own write timeout, chunk by chunk
            for start in range(0, len(data), self.CHUNK):
                port.write(data[start:start + self.CHUNK])
        else:
            self._write_watching_progress(fd, data)
        port.flush()

    def _write_watching_progress(self, fd: int, data: bytes) -> None:
        sent, progress = 0, time.monotonic()
        while sent < len(data):
            _, ready, _ = select.select([], [fd], [], 0.2)
            written = 0
            if ready:
                try:
                    written = os.write(fd, data[sent:sent + self.CHUNK])
                except BlockingIOError:
                    written = 0
            if written:
                sent, progress = sent + written, time.monotonic()
            elif time.monotonic() - progress > self.STALL_SECONDS:
                raise serial.SerialTimeoutException(
                    f"the printer took no data for {self.STALL_SECONDS:.0f} s ({sent} of {len(data)} bytes sent)")

    def _read(self, size: int, timeout: float) -> bytes:
        port = self._opened(self.port)
        port.timeout = timeout
        return port.read(size)

    def close(self) -> None:
        if self.port is not None:
            self.port.close()
            self.port = None


class DeviceFilePrinter(Printer):
    """/dev/usb/lp0 and friends: written like a file; status answers are read when the kernel passes them."""

    can_answer = True

    def __init__(self, path: str):
        self.path = path
        self.fd: int | None = None

    def open(self) -> None:
        self.fd = os.open(self.path, os.O_RDWR | os.O_NONBLOCK)

    def _raw(self, data: bytes) -> None:
        fd = self._opened(self.fd)
        view = memoryview(data)
        while view:
            _, ready, _ = select.select([], [fd], [], 5)
            if not ready:
                raise PrinterError("printer does not take data", PrinterState.OFFLINE)
            view = view[os.write(fd, view):]

    def _read(self, size: int, timeout: float) -> bytes:
        fd = self._opened(self.fd)
        ready, _, _ = select.select([fd], [], [], timeout)
        return os.read(fd, size) if ready else b""

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


class NetworkPrinter(Printer):
    can_answer = True

    def __init__(self, host: str, port: int = 9100):
        self.host, self.port = host, port
        self.sock: socket.socket | None = None

    def open(self) -> None:
        self.sock = socket.create_connection((self.host, self.port), timeout=3)

    def _raw(self, data: bytes) -> None:
        self._opened(self.sock).sendall(data)

    def _read(self, size: int, timeout: float) -> bytes:
        sock = self._opened(self.sock)
        sock.settimeout(timeout)
        try:
            return sock.recv(size)
        except TimeoutError:
            return b""

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None


class CupsPrinter(Printer):
    def __init__(self, queue: str):
        self.queue = queue

    def _raw(self, data: bytes) -> None:
        done = subprocess.run(["lp", "-d", self.queue, "-o", "raw"], input=data, capture_output=True, timeout=15)
        if done.returncode != 0:
            raise PrinterError(f"lp failed: {done.stderr.decode(errors='replace').strip()}")


class FilePrinter(Printer):
    def __init__(self, path: str):
        self.path = Path(path)

    def _raw(self, data: bytes) -> None:
        with open(self.path, "ab") as out:
            out.write(data)


class DummyPrinter(Printer):
    """Records every byte sent; real code used by tests and demos."""

    def __init__(self):
        self.output = bytearray()

    def _raw(self, data: bytes) -> None:
        self.output += data


@dataclass(frozen=True)
class Connection:
    """A way to reach a printer, known by the shape of its address in config.yaml. A new way
    is a Printer class above and an entry in CONNECTIONS."""

    address: re.Pattern
    make: Callable[[str, int], Printer]   # (address, baudrate) -> the printer
    example: str


def _network(url: str, _baudrate: int) -> Printer:
    host, _, port = url[len("tcp://"):].rpartition(":")
    return NetworkPrinter(host, int(port))


CONNECTIONS: tuple[Connection, ...] = (
    Connection(re.compile(r"^usb:/"), lambda url, _: DeviceFilePrinter(url[len("usb:"):]), "usb:/dev/usb/lp0"),
    Connection(re.compile(r"^tcp://[^/:]+:\d+$"), _network, "tcp://192.168.1.50:9100"),
    Connection(re.compile(r"^cups:[\w.-]+$"), lambda url, _: CupsPrinter(url[len("cups:"):]), "cups:kiosk-1"),
    Connection(re.compile(r"^file:/"), lambda url, _: FilePrinter(url[len("file:"):]), "file:/tmp/tickets.bin"),
    Connection(re.compile(r"^dummy:"), lambda url, _: DummyPrinter(), "dummy:"),
    # A serial line: a device path, or pyserial's URLs for a serial port over the network.
    Connection(re.compile(r"^(/|socket://|rfc2217://|loop://)"), SerialPrinter, "/dev/ttyUSB0"),
)


def is_printer_address(url: str) -> bool:
    return any(c.address.match(url) for c in CONNECTIONS)


def printer_for(url: str, baudrate: int = 19200) -> Printer:
    """The connection for a printer address from config.yaml."""
    for connection in CONNECTIONS:
        if connection.address.match(url):
            printer = connection.make(url, baudrate)
            printer.address = url
            return printer
    raise PrinterError(f"{url!r} is not a printer address (e.g. {', '.join(c.example for c in CONNECTIONS)})")


_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def _port_lock(address: str) -> threading.Lock:
    """One lock per printer address in this agent (the agent is the only writer to its ports)."""
    with _locks_guard:
        return _locks.setdefault(address, threading.Lock())
