"""Who is asking: officers by session, kiosks, displays and device agents by their config token.

Tokens arrive as ``Authorization: Bearer <token>``; browsers of signed-in officers carry the
session in an HttpOnly cookie instead. A principal belongs to exactly one site.
"""
from __future__ import annotations

import hmac
import logging

from werkzeug.security import check_password_hash

from .config import Config, SiteConfig
from .errors import Forbidden, Unauthorized
from .queue_engine import Actor
from .sessions import SessionStore

logger = logging.getLogger(__name__)

SESSION_COOKIE = "qms_session"
# A real hash to compare against when the username is unknown, so timing does not tell
# which usernames exist.
_DUMMY_HASH = ("scrypt:32768:8:1$0000000000000000$"
               "5f8a6c6d0c1f5e2b2f4c9d2a8e7b1c3d4e5f60718293a4b5c6d7e8f9012345675f8a6c6d0c1f5e2b2f4c9d2a8e7b1c3d"
               "4e5f60718293a4b5c6d7e8f901234567")


class Authenticator:
    def __init__(self, config: Config, sessions: SessionStore):
        self.config = config
        self.sessions = sessions

    def actor(self, site: SiteConfig, bearer: str | None, cookie: str | None) -> Actor | None:
        """The principal for a request to ``site``; None when anonymous.

        Raises Unauthorized for a token that matches nothing (a typo should not look
        like an anonymous visitor) and Forbidden for a token of another site.
        """
        if bearer:
            device = self._device(bearer)
            if device is not None:
                dev_site, client = device
                if dev_site.id != site.id:
                    raise Forbidden("This token belongs to another site.", code="wrong_site")
                return Actor(client.kind, client.id, site.id)
            actor = self._session(site, bearer)
            if actor is None:
                raise Unauthorized("Unknown or expired token: sign in again.", code="bad_token")
            return actor
        if cookie:
            return self._session(site, cookie)
        return None

    def _device(self, token: str):
        for site in self.config.sites.values():
            for group in (site.kiosks, site.displays, site.agents):
                for client in group.values():
                    if hmac.compare_digest(client.token.encode(), token.encode()):
                        return site, client
        return None

    def _session(self, site: SiteConfig, session_id: str) -> Actor | None:
        record = self.sessions.get(site.id, session_id)
        if record is None:
            return None
        officer = site.officers.get(record["officer"])
        if officer is None:  # removed from config since signing in
            return None
        return Actor("officer", officer.username, site.id, record.get("counter"), officer.is_admin)

    def check_password(self, site: SiteConfig, username: str, password: str):
        """The officer when the password matches; None otherwise (same cost either way)."""
        officer = site.officers.get(username) if isinstance(username, str) else None
        ok = check_password_hash(officer.password_hash if officer else _DUMMY_HASH,
                                 password if isinstance(password, str) else "")
        if officer is None or not ok:
            logger.warning("login-failed site=%s username=%r", site.id, username if isinstance(username, str) else "?")
            return None
        return officer


def require(actor: Actor | None, *kinds: str) -> Actor:
    """The actor if it is one of ``kinds``: 'officer' admits admins too, 'admin' only admins."""
    if actor is None:
        raise Unauthorized("Sign in or send a device token.", code="unauthorized")
    if actor.kind in kinds or (actor.is_admin and "admin" in kinds):
        return actor
    raise Forbidden(f"A {actor.kind} may not do this.", code="forbidden")


def require_counter(actor: Actor | None, number: int) -> Actor:
    """Officers operate only the counter they signed in at; admins any counter."""
    actor = require(actor, "officer")
    if actor.is_admin or actor.counter == number:
        return actor
    raise Forbidden(f"You are signed in at counter {actor.counter}, not {number}.", code="not_your_counter")
