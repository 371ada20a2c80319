"""eventlet's WSGI server with the limits a hall's open LAN needs.

Out of the box it holds 1,024 connections and waits for ever for a request's headers:
about a thousand clients that connect and send nothing, or a header line now and then,
stopped a hall's server completely. Here the pool is a setting (``max_connections``), the
whole of a request's line and headers must arrive within ``header_timeout_seconds``, and
a read that waits longer than ``socket_timeout_seconds`` ends the connection.
"""
from __future__ import annotations

import contextlib
import logging
import os
import resource
import socket
import time

import eventlet
import eventlet.wsgi

logger = logging.getLogger(__name__)

# Sockets the process needs besides its clients: Redis pools, the listener, logs, the archiver.
SPARE_FILES = 256


class _HeaderDeadline(eventlet.wsgi.HttpProtocol):
    """A request's line and headers within ``header_timeout`` seconds, counted from the moment
    the connection (or a kept-alive one) starts waiting for them; then the connection ends."""

    header_timeout = 10.0
    cuts: CutCounter

    def handle_one_request(self):
        self._deadline = eventlet.Timeout(self.header_timeout)
        try:
            super().handle_one_request()
        except eventlet.Timeout as timeout:
            if timeout is not self._deadline:
                raise
            self.close_connection = 1
            self.cuts.add()
        finally:
            self._deadline.cancel()

    def parse_request(self):
        try:
            return super().parse_request()
        finally:
            self._deadline.cancel()  # the headers are in: the request itself may take its time


class CutCounter:
    """Connections cut at the header deadline; one log line a minute at most."""

    def __init__(self, header_timeout: float):
        self.header_timeout = header_timeout
        self.count = 0
        self.total = 0
        self._since = time.monotonic()

    def add(self) -> None:
        self.count += 1
        self.total += 1
        now = time.monotonic()
        if now - self._since >= 60:
            logger.warning("slow-clients: %d connection(s) cut in the last %.0f s: no complete request "
                           "headers within %.0f s", self.count, now - self._since, self.header_timeout)
            self.count, self._since = 0, now


def file_limit(wanted: int) -> int:
    """Raise this process's open-file limit towards ``wanted`` (as far as the hard limit lets);
    the limit it has then."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    return soft


def serve(app, host: str, port: int, *, max_connections: int, header_timeout: float,
          socket_timeout: float, listener: socket.socket | None = None, private: str | None = None) -> None:
    """Serve ``app`` until the listener closes (SIGTERM, Ctrl-C). A worker of `qms serve
    --workers` passes the listening socket it shares with the others, and the path of its own
    Unix socket, where its siblings pass it requests of its sessions (sticky.py)."""
    files = file_limit(max_connections + SPARE_FILES)
    if files != resource.RLIM_INFINITY and files < max_connections + SPARE_FILES:
        fitting = max(64, files - SPARE_FILES)
        logger.warning("open-file limit %d is too low for max_connections %d: holding %d connections "
                       "(raise LimitNOFILE in the service unit)", files, max_connections, fitting)
        max_connections = fitting
    if listener is None:
        family, _type, _proto, _name, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        # A deep accept queue: after a network cut every display and phone reconnects at once.
        listener = eventlet.listen(address, family, backlog=2048)
        # TCP_NODELAY, which accepted sockets inherit: without it a small Socket.IO frame can
        # wait ~40 ms for a delayed ACK (Nagle).
        listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    protocol = type("HallProtocol", (_HeaderDeadline,), {"header_timeout": header_timeout,
                                                          "cuts": CutCounter(header_timeout)})
    logger.info("http: up to %d connections, request headers within %.0f s, idle reads end after %.0f s",
                max_connections, header_timeout, socket_timeout)
    if private is not None:
        from .sticky import FromSibling

        with contextlib.suppress(FileNotFoundError):
            os.unlink(private)
        inner = eventlet.listen(private, socket.AF_UNIX, backlog=512)
        os.chmod(private, 0o600)
        eventlet.spawn(eventlet.wsgi.server, inner, FromSibling(app), log_output=False, max_size=max_connections,
                       socket_timeout=socket_timeout)
    eventlet.wsgi.server(listener, app, log_output=False, max_size=max_connections, protocol=protocol,
                         socket_timeout=socket_timeout)
