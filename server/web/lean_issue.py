"""A kiosk's ticket without Flask's request machinery: the hall's busiest request, made lean.

Taking a number is the request a hall (and a province's shared servers) answers most, and
most of its CPU went to the layers around the work: Flask's request context, URL matching,
hooks and response objects cost about as much as the queue script's round trip. This WSGI
layer answers ``POST /api/v1/sites/<site>/tickets`` itself when the request has the plain
shape a kiosk sends: a bearer token, a JSON object of a stated length, no ``?lang=``. It does
the route's own work with the route's own functions (``api.issue_from``: the same checks, the
same engine call, the same answer), so the route in api.py stays the one definition.

Anything else (a cookie session, a chunked or oversized body, a body that is not a JSON
object, another path) goes to Flask untouched, and a refusal is answered by Flask's own error
handlers in a request context, so every error reads exactly as the route's would.
"""
from __future__ import annotations

import io
import json
import re
from typing import Any

from flask import Flask, g

from ..i18n import language_of
from ..security.auth import bearer_of
from .api import issue_from

PATH = re.compile(r"^/api/v1/sites/([^/]+)/tickets$")
MAX_BODY = 16 * 1024   # a kiosk's body is about 40 bytes: a larger one is Flask's to judge
STATUS = {200: "200 OK", 201: "201 CREATED"}


class LeanIssue:
    """WSGI middleware in front of Flask's own (``app.wsgi_app``), inside the trusted-proxy fix."""

    def __init__(self, app: Flask, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app
        self.max_body = min(MAX_BODY, app.config.get("MAX_CONTENT_LENGTH") or MAX_BODY)

    def __call__(self, environ: dict, start_response):
        match = PATH.match(environ.get("PATH_INFO", "")) if environ.get("REQUEST_METHOD") == "POST" else None
        bearer = bearer_of(environ.get("HTTP_AUTHORIZATION", "")) if match else None
        data = self._body(environ) if bearer else None
        if match is None or data is None:
            return self.wsgi_app(environ, start_response)
        svc = self.app.extensions["qms"]
        lang = language_of(environ)
        try:
            site = svc.engine.site(match.group(1))
            answer, status = issue_from(svc, site, svc.auth.actor(site, bearer, None), lambda: data,
                                        environ.get("HTTP_IDEMPOTENCY_KEY"), lang, environ)
        except Exception as err:  # answered by Flask's handlers, as the route's refusal would be
            return self._refused(environ, start_response, err, lang)
        body = (self.app.json.dumps(answer) + "\n").encode()
        start_response(STATUS[status], [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    def _body(self, environ: dict) -> dict[str, Any] | None:
        """The request's JSON object when it has the plain shape; None (and the body left for
        Flask to read) otherwise."""
        if "lang=" in environ.get("QUERY_STRING", ""):
            return None   # Flask remembers the language chosen in a cookie
        if environ.get("CONTENT_TYPE", "").split(";", 1)[0].strip().lower() != "application/json":
            return None
        length = environ.get("CONTENT_LENGTH", "")
        if not length.isdigit() or not 0 < int(length) <= self.max_body:
            return None
        raw = environ["wsgi.input"].read(int(length))
        environ["wsgi.input"] = io.BytesIO(raw)   # for Flask, if it is the one to answer
        environ["CONTENT_LENGTH"] = str(len(raw))
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError):
            return None
        return data if isinstance(data, dict) else None

    def _refused(self, environ: dict, start_response, err: Exception, lang: str):
        environ["wsgi.input"].seek(0)
        with self.app.request_context(environ):
            g.lang = lang
            response = self.app.finalize_request(self.app.handle_user_exception(err))
        return response(environ, start_response)
