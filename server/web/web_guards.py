"""What every HTTP response says to the browser, and whose forwarded headers are believed.

``SecurityHeaders`` wraps the whole WSGI app (Flask and the Socket.IO endpoint alike), so
no response leaves without them: a Content-Security-Policy that runs only the server's own
script files (no inline script, nothing from elsewhere: halls may have no internet and
must load nothing from it), no framing, no MIME sniffing, no referrer (a phone page's
address carries its ticket's token).

``TrustedProxyFix`` believes X-Forwarded-For/-Proto/-Host only from the configured proxy
addresses (nginx on the same machine by default) and strips them from anyone else, so a
client on the LAN cannot claim another address or a secure scheme.
"""
from __future__ import annotations

from werkzeug.middleware.proxy_fix import ProxyFix

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "media-src 'self'",
    "connect-src 'self'",   # the API and the Socket.IO websocket of this same host
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
HEADERS = [
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Frame-Options", "DENY"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
]
FORWARDED = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST", "HTTP_X_FORWARDED_PORT",
             "HTTP_X_FORWARDED_PREFIX")


class SecurityHeaders:
    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        def start(status, headers, exc_info=None):
            present = {name.lower() for name, _ in headers}
            headers.extend((name, value) for name, value in HEADERS if name.lower() not in present)
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        return self.app(environ, start)


def is_trusted_proxy(environ: dict, proxies: frozenset[str]) -> bool:
    return environ.get("REMOTE_ADDR", "") in proxies


class TrustedProxyFix:
    def __init__(self, app, proxies: frozenset[str]):
        self.app = app
        self.fixed = ProxyFix(app, x_for=1, x_proto=1, x_host=1)
        self.proxies = proxies

    def __call__(self, environ, start_response):
        if is_trusted_proxy(environ, self.proxies):
            return self.fixed(environ, start_response)
        for name in FORWARDED:
            environ.pop(name, None)
        return self.app(environ, start_response)
