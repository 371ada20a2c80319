"""The address a visitor's phone opens from the ticket's QR code.

``server.public_url`` when the hall sets it; otherwise the address the kiosk reached the
server at, unless that is this computer's own (a kiosk browser on the server itself opens
``localhost``, which no phone can): then the server's address on the LAN, with the same
scheme and port. A QR code that still points at loopback is said, by ``qms check-config``
and in the kiosk's maintenance menu.
"""
from __future__ import annotations

import ipaddress
import socket
import time
from urllib.parse import urlsplit, urlunsplit

from werkzeug.wsgi import get_current_url

# Where a UDP socket is "connected" to learn which local address would be used: no packet is
# sent. Several, since a hall's LAN may have no default route.
_PROBES = ("192.0.2.1", "10.255.255.255", "172.31.255.255", "192.168.255.255", "8.8.8.8")
_cache: tuple[float, str | None] = (0.0, None)


def is_loopback_host(host: str) -> bool:
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def lan_address(max_age: float = 60.0) -> str | None:
    """This machine's IPv4 address on its LAN (looked up at most once a minute: DHCP may move it)."""
    global _cache
    at, found = _cache
    if time.monotonic() - at < max_age and at:
        return found
    found = None
    for probe in _PROBES:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            try:
                s.connect((probe, 9))
            except OSError:
                continue
            address = s.getsockname()[0]
        if not ipaddress.ip_address(address).is_loopback and address != "0.0.0.0":
            found = address
            break
    _cache = (time.monotonic(), found)
    return found


def qr_base(public_url: str, request_host_url: str) -> str:
    """The base of the QR code's link (no trailing slash)."""
    if public_url:
        return public_url.rstrip("/")
    parts = urlsplit(request_host_url)
    if parts.hostname and is_loopback_host(parts.hostname):
        lan = lan_address()
        if lan:
            netloc = lan + (f":{parts.port}" if parts.port else "")
            return urlunsplit((parts.scheme, netloc, "", "", "")).rstrip("/")
    return request_host_url.rstrip("/")


class QrBases:
    """``qr_base`` for each request's host, kept as long as the LAN address is: every ticket
    issued asks, and working out the host's URL is most of the cost. A bounded few are kept (the
    Host header is the client's to choose)."""

    def __init__(self, max_age: float = 60.0, kept: int = 64):
        self.max_age, self.kept = max_age, kept
        self._bases: dict[tuple, tuple[float, str]] = {}

    def base(self, public_url: str, environ: dict) -> str:
        if public_url:
            return public_url.rstrip("/")
        key = (environ.get("wsgi.url_scheme"), environ.get("HTTP_HOST"), environ.get("SERVER_NAME"),
               environ.get("SERVER_PORT"))
        now = time.monotonic()
        found = self._bases.get(key)
        if found is not None and now - found[0] < self.max_age:
            return found[1]
        if len(self._bases) >= self.kept:
            self._bases.clear()
        base = qr_base(public_url, get_current_url(environ, host_only=True))
        self._bases[key] = (now, base)
        return base


def qr_warning(base: str, listen_host: str, behind_proxy: bool) -> str | None:
    """Why phones may not open the QR code's link: a loopback address, or a server listening
    on this computer only (with no proxy in front); None when nothing is known to be wrong."""
    host = urlsplit(base).hostname or ""
    if is_loopback_host(host):
        return "loopback"
    if is_loopback_host(listen_host) and not behind_proxy:
        return "listens_locally"
    return None
