"""Engine.IO sessions stay with the worker that made them (`qms serve --workers N`).

Workers share one listening socket, so any worker may receive any request. A websocket stays
on its connection, but a long-polling client sends each request of its session anew, and a
browser or Python client may send it on a kept-alive connection that another worker accepted.
Each worker therefore starts its session ids with its own number, and passes a polling request
of another worker's session to that worker over the worker's Unix socket (in the data
directory, 0700), with the client's address; the answer goes back as it came. A websocket
upgrade of another worker's session is refused (400): the client keeps polling, which works.
"""
from __future__ import annotations

import http.client
import logging
import socket
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs

logger = logging.getLogger(__name__)

PREFIX_DIGITS = 2
FORWARDED_FOR = "HTTP_X_QMS_WORKER_CLIENT"   # set only by a sibling worker, on the private socket
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "upgrade", "proxy-connection", "te", "trailer"}
POLL_TIMEOUT = 90.0   # a long-poll waits up to ping_interval + ping_timeout for something to send


def session_prefix(index: int) -> str:
    return f"{index:0{PREFIX_DIGITS}d}"


def prefix_session_ids(socketio, index: int) -> None:
    """Make this worker's Engine.IO session ids start with its number."""
    eio = socketio.server.eio
    make = eio.generate_id
    prefix = session_prefix(index)
    eio.generate_id = lambda: prefix + make()


def owner_of(sid: str | None) -> int | None:
    if not sid or len(sid) <= PREFIX_DIGITS or not sid[:PREFIX_DIGITS].isdigit():
        return None
    return int(sid[:PREFIX_DIGITS])


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: Path, timeout: float):
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(str(self.path))
        self.sock = sock


class Sticky:
    """WSGI middleware of worker ``index``: requests of another worker's session go to it."""

    def __init__(self, app: Callable, index: int, sockets: dict[int, Path], path: str = "/socket.io/"):
        self.app = app
        self.index = index
        self.sockets = sockets
        self.path = path

    def __call__(self, environ, start_response):
        def tagged(status, headers, exc_info=None):
            # Which worker answered (and, for a passed request, which one passed it): for logs
            # behind nginx, and for the tests.
            if not any(k.lower() == "x-qms-worker" for k, _ in headers):
                headers = [*headers, ("X-Qms-Worker", str(self.index))]
            return start_response(status, headers, exc_info)

        if environ.get("PATH_INFO", "").startswith(self.path):
            sid = parse_qs(environ.get("QUERY_STRING", "")).get("sid", [None])[0]
            owner = owner_of(sid)
            if owner is not None and owner != self.index and owner in self.sockets:
                if environ.get("HTTP_UPGRADE", "").lower() == "websocket":
                    tagged("400 Bad Request", [("Content-Type", "text/plain")])
                    return [b"this session lives in another worker: keep polling"]
                return self._forward(owner, environ, tagged)
        return self.app(environ, tagged)

    def _forward(self, owner: int, environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        headers = {name[5:].replace("_", "-").title(): value for name, value in environ.items()
                   if name.startswith("HTTP_") and name != FORWARDED_FOR and name[5:].lower().replace("_", "-")
                   not in HOP_BY_HOP}
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        headers["X-Qms-Worker-Client"] = environ.get("REMOTE_ADDR", "")
        target = environ.get("PATH_INFO", "") + ("?" + environ["QUERY_STRING"] if environ.get("QUERY_STRING") else "")
        conn = _UnixConnection(self.sockets[owner], POLL_TIMEOUT)
        try:
            conn.request(environ["REQUEST_METHOD"], target, body=body, headers=headers)
            reply = conn.getresponse()
            data = reply.read()
        except OSError as err:
            logger.warning("worker %d: cannot reach worker %d for session %s: %s", self.index, owner,
                           environ.get("QUERY_STRING", ""), err)
            start_response("503 Service Unavailable", [("Content-Type", "text/plain"), ("Retry-After", "1")])
            return [b"the worker of this session is restarting"]
        finally:
            conn.close()
        kept = [(k, v) for k, v in reply.getheaders() if k.lower() not in HOP_BY_HOP and k.lower() != "content-length"]
        start_response(f"{reply.status} {reply.reason}", [*kept, ("Content-Length", str(len(data))),
                                                           ("X-Qms-Worker-Via", str(self.index))])
        return [data]


class FromSibling:
    """WSGI middleware of a worker's private socket: the client's address as the sibling saw it."""

    def __init__(self, app: Callable):
        self.app = app

    def __call__(self, environ, start_response):
        client = environ.pop(FORWARDED_FOR, "")
        environ["REMOTE_ADDR"] = client or "127.0.0.1"
        return self.app(environ, start_response)
