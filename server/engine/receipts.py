"""The dossier code (mã hồ sơ) in what a receipt's QR code holds, as the kiosk's scanner types it.

One-stop software prints on the receipt (giấy tiếp nhận hồ sơ và hẹn trả kết quả) a QR code
that holds the code itself ("000.00.12.H56-241203-0001"), a line of text naming it ("Mã hồ sơ:
000.00.12.H56-241203-0001"), or a link to the province's lookup page with the code in its query
or as its last part. Each is read here; anything else is not a receipt.
"""
from __future__ import annotations

import re
from urllib.parse import parse_qsl, unquote, urlsplit

# A dossier code as one-stop software prints it on the receipt: "000.00.12.H56-241203-0001".
DOSSIER_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{2,63}$")
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{2,63}")
# Query names lookup pages use for the code (compared in lower case, '-' read as '_').
_QUERY_NAMES = ("mahoso", "ma_ho_so", "mahs", "ma_hs", "ma", "sohoso", "so_ho_so", "hoso", "ho_so", "code",
                "dossier", "dossiercode", "dossier_code", "nationcode", "id")
MAX_RECEIPT = 2000


def _code_like(word: str) -> bool:
    """A code has a digit and is not a plain word or number: '.', '-' or '/' join its parts."""
    return bool(DOSSIER_CODE.match(word)) and any(ch.isdigit() for ch in word) and any(ch in "./-" for ch in word)


def dossier_code(receipt: str) -> str | None:
    """The dossier code a scanned receipt holds, or None when it holds none."""
    text = receipt.strip()
    if not text or len(text) > MAX_RECEIPT:
        return None
    if DOSSIER_CODE.match(text):
        return text
    parts = urlsplit(text)
    if parts.scheme in ("http", "https") and parts.netloc:
        query = {name.lower().replace("-", "_"): value.strip() for name, value in parse_qsl(parts.query)}
        for name in _QUERY_NAMES:
            if DOSSIER_CODE.match(query.get(name, "")):
                return query[name]
        last = unquote(parts.path.rstrip("/").rsplit("/", 1)[-1])
        return last if _code_like(last) else None
    words = [w for w in _WORD.findall(text) if _code_like(w)]
    return max(words, key=len) if words else None
