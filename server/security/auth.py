"""Who is asking: officers by session, kiosks, displays and device agents by their config token.

Tokens arrive as ``Authorization: Bearer <token>``; browsers of signed-in officers carry the
session in an HttpOnly cookie instead. A device or an officer belongs to exactly one site; a
person of the province (a province admin, or a leader given several sites) signs in once, at
/province, and the same session opens the sites they have (sessions of scope PROVINCE).
"""
from __future__ import annotations

import logging
from collections.abc import Callable

from flask import current_app, g, request

from ..config import Config, SiteConfig, token_digest
from ..engine.actor import Actor
from ..engine.keys import PROVINCE
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
        self._devices: dict[str, tuple[str, str, str]] = {}
        self.reindex()

    def reindex(self, *_changed) -> None:
        """The devices by their token's digest: built again whenever a site's devices change
        (the live administration calls this), swapped whole."""
        self._devices = {c.token_sha256: (site.id, c.kind, c.id) for site in self.config.sites.values()
                         for group in (site.kiosks, site.displays, site.agents) for c in group.values()
                         if c.token_sha256}

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
                if client.disabled:
                    logger.warning("revoked device refused site=%s %s=%s", site.id, client.kind, client.id)
                    raise Unauthorized("This device has been revoked: ask the administrator for a new token.",
                                       code="device_revoked")
                return Actor(client.kind, client.id, site.id)
            actor = self._session(site, bearer)
            if actor is None:
                raise Unauthorized("Unknown or expired token: sign in again.", code="bad_token")
            return actor
        if cookie:
            return self._session(site, cookie)
        return None

    def device(self, token: str):
        """(site, client) of the kiosk, display or agent holding ``token``; None if no device does.
        Found by the token's SHA-256, so no comparison with a kept token can leak its length
        or prefix through time."""
        digest = token_digest(token)
        found = self._devices.get(digest)
        if found is None:
            return None
        site = self.config.sites[found[0]]
        client = {"kiosk": site.kiosks, "display": site.displays, "agent": site.agents}[found[1]].get(found[2])
        # The devices may have been swapped since the index was built: the token must still be theirs.
        return (site, client) if client is not None and client.token_sha256 == digest else None

    def _session(self, site: SiteConfig, session_id: str) -> Actor | None:
        actor = self._officer(site, self.sessions.get(site.id, session_id))
        if actor is None:
            actor = self._province_person(site, self.sessions.get(PROVINCE, session_id))
        return actor

    def session_actor(self, site: SiteConfig, digest: str, scope: str | None = None) -> Actor | None:
        """The person of a session named by its digest (a socket re-checking); None once it ended."""
        if scope == PROVINCE:
            return self._province_person(site, self.sessions.get_by_digest(PROVINCE, digest))
        return self._officer(site, self.sessions.get_by_digest(site.id, digest))

    def _still_valid(self, scope: str, record: dict, password_hash: str | None) -> bool:
        """False, and the session ended, when its person was removed or their password changed."""
        if password_hash is not None and record.get("pw") == fingerprint(password_hash):
            return True
        why = "removed or disabled" if password_hash is None else "password changed"
        logger.info("session ended scope=%s user=%s: %s", scope, record["officer"], why)
        self.end_sessions(self.sessions.end(scope, record["digest"]), why)
        return False

    def _officer(self, site: SiteConfig, record: dict | None) -> Actor | None:
        if record is None:
            return None
        officer = self._active(site.officers.get(record["officer"]))
        if not self._still_valid(site.id, record, officer.password_hash if officer else None) or officer is None:
            return None
        return Actor("leader" if officer.role == "leader" else "officer", officer.username, site.id,
                     record.get("counter"), officer.is_admin, session=record["digest"], scope=site.id)

    def _province_person(self, site: SiteConfig, record: dict | None) -> Actor | None:
        """A province admin (an admin here) or a leader; Forbidden for a leader not given this site."""
        if record is None:
            return None
        user = self._active(self.config.province.users.get(record["officer"]))
        if not self._still_valid(PROVINCE, record, user.password_hash if user else None) or user is None:
            return None
        if not user.site_ids([site.id]):
            raise Forbidden("This site is not among the sites given to you.", code="not_your_site")
        return Actor("officer" if user.is_admin else "leader", user.username, site.id, None, user.is_admin,
                     session=record["digest"], scope=PROVINCE)

    def province_person(self, bearer: str | None, cookie: str | None):
        """The person of the province signed in with this token or cookie; None otherwise."""
        record = self.sessions.get(PROVINCE, bearer or cookie or "")
        if record is None:
            return None, None
        user = self._active(self.config.province.users.get(record["officer"]))
        if not self._still_valid(PROVINCE, record, user.password_hash if user else None) or user is None:
            return None, None
        return user, record["digest"]

    @staticmethod
    def _active(user):
        """The person, unless disabled since signing in (as good as removed)."""
        return None if user is None or getattr(user, "disabled", False) else user

    def end_sessions(self, sids: list[str], why: str) -> None:
        if sids:
            logger.info("session sockets closed count=%d: %s", len(sids), why)
        self.drop_sockets(sids)

    def check_password(self, site: SiteConfig | None, username: str, password: str):
        """The officer of ``site`` (the province's person, for None) when the password matches;
        None otherwise (same cost either way)."""
        people = site.officers if site is not None else self.config.province.users
        person = people.get(username) if isinstance(username, str) else None
        if person is not None and getattr(person, "disabled", False):
            person = None    # a disabled officer cannot sign in (and the answer is a wrong password's)
        ok = self.passwords.check(person.password_hash if person else _DUMMY_HASH,
                                  password if isinstance(password, str) else "")
        if person is None or not ok:
            logger.warning("login-failed site=%s username=%r", site.id if site else PROVINCE,
                           username if isinstance(username, str) else "?")
            return None
        return person


def require(actor: Actor | None, *kinds: str) -> Actor:
    """The actor if it is one of ``kinds``: 'officer' admits admins too, 'admin' only admins."""
    if actor is None:
        raise Unauthorized("Sign in or send a device token.", code="unauthorized")
    if actor.kind in kinds or (actor.is_admin and "admin" in kinds):
        return actor
    raise Forbidden(f"Only {_who(kinds)} may do this.", code="forbidden")


_NAMES = {"admin": "an administrator", "leader": "a leader", "officer": "an officer", "kiosk": "a kiosk",
          "display": "a lobby display",
          "agent": "a device agent"}


def _who(kinds: tuple[str, ...]) -> str:
    """'an administrator', 'an officer or a kiosk', ... for a refusal's message."""
    names = [_NAMES.get(k, k) for k in kinds]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def require_reader(actor: Actor | None) -> Actor:
    """Who reads a site's reports and monitor: its admins and leaders (the province's too)."""
    return require(actor, "admin", "leader")


def require_counter(actor: Actor | None, number: int) -> Actor:
    """Officers operate only the counter they signed in at; admins any counter."""
    actor = require(actor, "officer")
    if actor.is_admin or actor.counter == number:
        return actor
    raise Forbidden(f"You are signed in at counter {actor.counter}, not {number}.", code="not_your_counter")


def bearer_of(header: str) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header."""
    return header[7:].strip() if header.lower().startswith("bearer ") else None


def site_and_actor(site_id: str):
    """The site of the URL and who is asking (None when anonymous)."""
    svc = current_app.extensions["qms"]
    site = svc.engine.site(site_id)
    bearer = bearer_of(request.headers.get("Authorization", ""))
    cookie = request.cookies.get(SESSION_COOKIE)
    actor = svc.auth.actor(site, bearer, cookie)
    # Cookie-authenticated changes must come from our own pages: a cross-site form cannot
    # send this content type without a CORS preflight, which this server never grants.
    if (actor is not None and bearer is None and request.method not in ("GET", "HEAD", "OPTIONS")
            and request.mimetype != "application/json"):
        raise Forbidden("Send requests as application/json.", code="csrf")
    g.actor = actor
    return site, actor
