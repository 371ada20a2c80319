"""Who is asking: officers by session, kiosks, displays and device agents by their config token.

Tokens arrive as ``Authorization: Bearer <token>``; browsers of signed-in officers carry the
session in an HttpOnly cookie instead. A principal belongs to exactly one site.
"""
from __future__ import annotations

import hmac
import logging
from collections.abc import Callable

from flask import current_app, g, request

from ..config import Config, SiteConfig
from ..engine.actor import Actor
from ..errors import Forbidden, Unauthorized
from .sessions import SessionStore, fingerprint
from .sign_in import PasswordChecker

logger = logging.getLogger(__name__)

SESSION_COOKIE = "qms_session"
# A real hash to compare against when the username is unknown, so timing does not tell
# which usernames exist.
_DUMMY_HASH = ("scrypt:131072:8:1$TkqDXJTL9dpkT5jH$7703d5bed7c49095d9b166334506abb8f7ca77413c8ae68a9dcf24fe04a8fce"
               "ad58da27eb795707f1ff18272a17afa449324f9161a7ea18c90bd7e9749cb4e52")


class Authenticator:
    def __init__(self, config: Config, sessions: SessionStore, passwords: PasswordChecker,
                 drop_sockets: Callable[[list[str]], None] = lambda sids: None):
        self.config = config
        self.sessions = sessions
        self.passwords = passwords
        # Disconnects Socket.IO sids on whichever server process holds them (set by the app).
        self.drop_sockets = drop_sockets

    def actor(self, site: SiteConfig, bearer: str | None, cookie: str | None) -> Actor | None:
        """The principal for a request to ``site``; None when anonymous.

        Raises Unauthorized for a token that matches nothing (a typo should not look
        like an anonymous visitor) and Forbidden for a token of another site.
        """
        if bearer:
            device = self.device(bearer)
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

    def device(self, token: str):
        """(site, client) of the kiosk, display or agent holding ``token``; None if no device does."""
        for site in self.config.sites.values():
            for group in (site.kiosks, site.displays, site.agents):
                for client in group.values():
                    if hmac.compare_digest(client.token.encode(), token.encode()):
                        return site, client
        return None

    def _session(self, site: SiteConfig, session_id: str) -> Actor | None:
        return self._officer(site, self.sessions.get(site.id, session_id))

    def session_actor(self, site: SiteConfig, digest: str) -> Actor | None:
        """The officer of a session named by its digest (a socket re-checking); None once it ended."""
        return self._officer(site, self.sessions.get_by_digest(site.id, digest))

    def _officer(self, site: SiteConfig, record: dict | None) -> Actor | None:
        if record is None:
            return None
        officer = site.officers.get(record["officer"])
        if officer is None or record.get("pw") != fingerprint(officer.password_hash):
            # Removed from config, or the password changed, since signing in: that session is over.
            why = "officer removed" if officer is None else "password changed"
            logger.info("session ended site=%s officer=%s: %s", site.id, record["officer"], why)
            self.end_sessions(site, self.sessions.end(site.id, record["digest"]), why)
            return None
        return Actor("officer", officer.username, site.id, record.get("counter"), officer.is_admin,
                     session=record["digest"])

    def end_sessions(self, site: SiteConfig, sids: list[str], why: str) -> None:
        if sids:
            logger.info("session sockets closed site=%s count=%d: %s", site.id, len(sids), why)
        self.drop_sockets(sids)

    def check_password(self, site: SiteConfig, username: str, password: str):
        """The officer when the password matches; None otherwise (same cost either way)."""
        officer = site.officers.get(username) if isinstance(username, str) else None
        ok = self.passwords.check(officer.password_hash if officer else _DUMMY_HASH,
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
    raise Forbidden(f"Only {_who(kinds)} may do this.", code="forbidden")


_NAMES = {"admin": "an administrator", "officer": "an officer", "kiosk": "a kiosk", "display": "a lobby display",
          "agent": "a device agent"}


def _who(kinds: tuple[str, ...]) -> str:
    """'an administrator', 'an officer or a kiosk', ... for a refusal's message."""
    names = [_NAMES.get(k, k) for k in kinds]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def require_counter(actor: Actor | None, number: int) -> Actor:
    """Officers operate only the counter they signed in at; admins any counter."""
    actor = require(actor, "officer")
    if actor.is_admin or actor.counter == number:
        return actor
    raise Forbidden(f"You are signed in at counter {actor.counter}, not {number}.", code="not_your_counter")


def site_and_actor(site_id: str):
    """The site of the URL and who is asking (None when anonymous)."""
    svc = current_app.extensions["qms"]
    site = svc.engine.site(site_id)
    header = request.headers.get("Authorization", "")
    bearer = header[7:].strip() if header.lower().startswith("bearer ") else None
    cookie = request.cookies.get(SESSION_COOKIE)
    actor = svc.auth.actor(site, bearer, cookie)
    # Cookie-authenticated changes must come from our own pages: a cross-site form cannot
    # send this content type without a CORS preflight, which this server never grants.
    if (actor is not None and bearer is None and request.method not in ("GET", "HEAD", "OPTIONS")
            and request.mimetype != "application/json"):
        raise Forbidden("Send requests as application/json.", code="csrf")
    g.actor = actor
    return site, actor
