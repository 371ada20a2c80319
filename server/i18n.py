"""Translation catalogues: Vietnamese first, English second.

Every string a screen shows comes from ``server/translations/<lang>.json`` (flat keys,
``{name}`` placeholders). Templates call ``_("kiosk.title")``; the same catalogue is put
into each page for its JavaScript. The language is chosen by ``?lang=en`` (remembered in
a cookie) and is Vietnamese otherwise.
"""
from __future__ import annotations

import json
import logging
from functools import cache
from importlib import resources
from urllib.parse import parse_qsl

from flask import Flask, g, request
from werkzeug.http import parse_cookie

logger = logging.getLogger(__name__)

LANGUAGES = ("vi", "en")
DEFAULT = "vi"
COOKIE = "qms_lang"


@cache
def catalogue(lang: str) -> dict[str, str]:
    text = (resources.files("server") / "translations" / f"{lang}.json").read_text(encoding="utf-8")
    return json.loads(text)


def translate(lang: str, key: str, **params) -> str:
    """The text of ``key``; a missing key falls back to Vietnamese, then to the key itself."""
    text = catalogue(lang).get(key)
    if text is None:
        text = catalogue(DEFAULT).get(key)
        if text is None:
            logger.error("missing translation %r", key)
            return key
    return text.format(**params) if params else text


def current_language() -> str:
    return language_of(request.environ)


def language_of(environ: dict) -> str:
    """``?lang=``, else the language the cookie remembers, else Vietnamese."""
    chosen = _asked(environ)
    if chosen in LANGUAGES:
        return chosen
    remembered = _remembered(environ)
    return remembered if remembered in LANGUAGES else DEFAULT


def _asked(environ: dict) -> str | None:
    """``?lang=`` (the first one); a query string that names none is not parsed (most requests:
    a kiosk's ticket, a screen's poll), nor a cookie header without ours."""
    query = environ.get("QUERY_STRING", "")
    if "lang=" not in query:
        return None
    return next((value for name, value in parse_qsl(query, keep_blank_values=True) if name == "lang"), None)


def _remembered(environ: dict) -> str | None:
    header = environ.get("HTTP_COOKIE", "")
    return parse_cookie(header).get(COOKIE) if COOKIE in header else None


def init_app(app: Flask) -> None:
    @app.before_request
    def _choose_language():
        g.lang = current_language()

    @app.after_request
    def _remember_language(response):
        chosen = _asked(request.environ)
        if chosen in LANGUAGES and _remembered(request.environ) != chosen:
            response.set_cookie(COOKIE, chosen, max_age=365 * 24 * 3600, samesite="Lax", secure=request.is_secure)
        return response

    @app.context_processor
    def _translation_helpers():
        lang = getattr(g, "lang", DEFAULT)
        return {"_": lambda key, **params: translate(lang, key, **params), "lang": lang,
                "languages": LANGUAGES, "catalogue": catalogue(lang)}
