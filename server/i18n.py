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

from flask import Flask, g, request

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
    chosen = request.args.get("lang")
    if chosen in LANGUAGES:
        return chosen
    remembered = request.cookies.get(COOKIE)
    return remembered if remembered in LANGUAGES else DEFAULT


def init_app(app: Flask) -> None:
    @app.before_request
    def _choose_language():
        g.lang = current_language()

    @app.after_request
    def _remember_language(response):
        chosen = request.args.get("lang")
        if chosen in LANGUAGES and request.cookies.get(COOKIE) != chosen:
            response.set_cookie(COOKIE, chosen, max_age=365 * 24 * 3600, samesite="Lax", secure=request.is_secure)
        return response

    @app.context_processor
    def _translation_helpers():
        lang = getattr(g, "lang", DEFAULT)
        return {"_": lambda key, **params: translate(lang, key, **params), "lang": lang,
                "languages": LANGUAGES, "catalogue": catalogue(lang)}
