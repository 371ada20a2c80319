"""Numbers taken away from the hall (issue 14, part 1): the phone number check behind them.

A citizen gives a phone number; a six-digit code goes to it by SMS (through an adapter: the
default writes the message to the log, as a hall without an SMS contract has none); the number
is given only with that code. So a phone takes its share (``remote.per_phone`` a day) and no
more: touts cannot hoard numbers with a script. Phone numbers are never stored: Redis keeps a
digest keyed with a random secret of the site's.
"""
from __future__ import annotations

import hashlib
import hmac
import importlib
import logging
import re
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

import redis

from ..config import SiteConfig
from ..config.catalogue import without_marks
from ..errors import BadRequest, Conflict, TooManyRequests, Unauthorized
from .keys import Keys, as_text
from .queue_engine import RemoteTake

logger = logging.getLogger(__name__)

# A Vietnamese mobile number: 0 or +84 / 84, then 3, 5, 7, 8 or 9 and eight digits.
PHONE = re.compile(r"^(?:\+?84|0)([35789]\d{8})$")
CODE = re.compile(r"^\d{6}$")
CODE_TRIES = 5                  # wrong codes before the code is void
CODES_PER_PHONE_PER_DAY = 5
CODES_PER_ADDRESS_PER_HOUR = 20
RESEND_SECONDS = 60


def normalized_phone(text) -> str | None:
    """'0912 345 678' / '+84912345678' -> '84912345678'; None for anything else."""
    if not isinstance(text, str):
        return None
    match = PHONE.match(re.sub(r"[\s.\-()]", "", text))
    return "84" + match.group(1) if match else None


def masked(phone: str) -> str:
    """How logs and screens show a phone: '0912***678'."""
    return "0" + phone[2:5] + "***" + phone[-3:]


class LogSms:
    """The default SMS adapter: the message goes to the log (a hall without an SMS contract)."""

    def send(self, phone: str, text: str) -> None:
        logger.info("sms to=%s text=%r", masked(phone), text)


def sms_sender(spec: str):
    """The adapter config.yaml names: 'log', or 'package.module:attribute' (a class made with no
    arguments, or an object, with send(phone, text); phone as 84xxxxxxxxx)."""
    if spec == "log":
        return LogSms()
    module_name, _, attribute = spec.partition(":")
    target = getattr(importlib.import_module(module_name), attribute)
    return target() if isinstance(target, type) else target


class RemoteDesk:
    """Codes by SMS, checked once, then a remote number through the queue engine."""

    def __init__(self, client: redis.Redis, keys: dict[str, Keys], now: Callable[[], datetime]):
        self.client = client
        self.keys = keys
        self.now = now
        self._senders: dict[str, object] = {}

    def _secret(self, site_id: str) -> bytes:
        """The site's key, read from Redis each time (every process must hold the same one, even
        after a Redis that lost its data made a new one); made there by the first to need it."""
        key = self.keys[site_id].remote_secret()
        value = self.client.get(key)
        if value is None:
            self.client.set(key, secrets.token_hex(32), nx=True)
            value = self.client.get(key)
        return as_text(value or b"").encode()

    def phone_key(self, site_id: str, phone: str) -> str:
        return hmac.new(self._secret(site_id), phone.encode(), hashlib.sha256).hexdigest()[:32]

    def _count(self, key: str, seconds: int) -> int:
        pipe = self.client.pipeline(transaction=True)
        pipe.incr(key)
        pipe.expire(key, seconds, nx=True)
        return int(pipe.execute()[0])

    def send_code(self, site: SiteConfig, phone_text, address: str) -> dict:
        """Send a code to the phone; refused when asked too often (per phone and per address)."""
        phone = normalized_phone(phone_text)
        if phone is None:
            raise BadRequest("Give a Vietnamese mobile number, like 0912 345 678.", code="bad_phone")
        k = self.keys[site.id]
        who = self.phone_key(site.id, phone)
        now = int(self.now().timestamp())
        checks = ((k.otp_rate(who, now // RESEND_SECONDS), RESEND_SECONDS, 1),
                  (k.otp_rate(who, now // 86400 + 10**6), 86400, CODES_PER_PHONE_PER_DAY),
                  (k.otp_rate("ip-" + hashlib.sha256(address.encode()).hexdigest()[:16], now // 3600 + 2 * 10**6),
                   3600, CODES_PER_ADDRESS_PER_HOUR))
        for key, seconds, limit in checks:
            if self._count(key, seconds) > limit:
                logger.warning("remote-code-refused site=%s phone=%s: asked too often", site.id, masked(phone))
                raise TooManyRequests("A code was sent a moment ago: wait a minute before asking again.",
                                      code="code_asked_too_often", details={"retry_after": RESEND_SECONDS})
        code = f"{secrets.randbelow(10**6):06d}"
        ttl = site.remote.otp_minutes * 60
        self.client.hset(k.otp(who), mapping={"digest": self._digest(site.id, phone, code), "tries": 0})
        self.client.expire(k.otp(who), ttl)
        # SMS in Vietnam go without diacritics (a Unicode message holds half as many letters).
        text = (f"Ma xac nhan lay so thu tu tai {without_marks(site.name)}: {code}. "
                f"Hieu luc {site.remote.otp_minutes} phut.")
        self._sender(site).send(phone, text)
        logger.info("remote-code-sent site=%s phone=%s", site.id, masked(phone))
        return {"sent": True, "phone": masked(phone), "expires_in": ttl}

    def _digest(self, site_id: str, phone: str, code: str) -> str:
        return hmac.new(self._secret(site_id), f"{phone}:{code}".encode(), hashlib.sha256).hexdigest()

    def _sender(self, site: SiteConfig):
        if site.remote.sms not in self._senders:
            self._senders[site.remote.sms] = sms_sender(site.remote.sms)
        return self._senders[site.remote.sms]

    def check_code(self, site: SiteConfig, phone_text, code) -> str:
        """The phone's key once its code is right (the code is then used up)."""
        phone = normalized_phone(phone_text)
        if phone is None:
            raise BadRequest("Give a Vietnamese mobile number, like 0912 345 678.", code="bad_phone")
        if not isinstance(code, str) or not CODE.match(code):
            raise BadRequest("The code is the six digits sent by SMS.", code="bad_code")
        who = self.phone_key(site.id, phone)
        key = self.keys[site.id].otp(who)
        digest = self.client.hget(key, "digest")
        if digest is None:
            raise Unauthorized("No code is waiting for this number (or it expired): ask for a new one.",
                               code="code_expired")
        if self.client.hincrby(key, "tries", 1) > CODE_TRIES:
            raise TooManyRequests("Too many wrong codes: ask for a new one.", code="code_locked")
        if not hmac.compare_digest(as_text(digest), self._digest(site.id, phone, code)):
            raise Unauthorized("That code is not the one sent.", code="bad_code_given")
        if not self.client.delete(key):   # used once: a second request with it finds it gone
            raise Unauthorized("No code is waiting for this number (or it expired): ask for a new one.",
                               code="code_expired")
        return who

    def take(self, site: SiteConfig, phone_key: str, field_code: str, local: datetime) -> RemoteTake:
        """The terms of a remote number for this phone and field now."""
        if not site.remote.enabled:
            raise Conflict("This centre gives no numbers away from the hall.", code="remote_disabled")
        field = site.fields.get(field_code) if isinstance(field_code, str) else None
        if field is None or field.kind == "pickup":
            raise BadRequest(f"Unknown field {field_code!r}.", code="unknown_field")
        arrive_by = 0
        if site.remote.arrive_within_minutes:
            start = local
            if not site.opening_hours.is_open(local):
                nxt = site.opening_hours.next_opening(local)
                start = nxt if nxt is not None and nxt.date() == local.date() else local
            arrive_by = int((start + timedelta(minutes=site.remote.arrive_within_minutes)).timestamp() * 1000)
        return RemoteTake(phone_key=phone_key, per_phone=site.remote.per_phone, cap=site.remote.cap(field.code),
                          arrive_by=arrive_by)

