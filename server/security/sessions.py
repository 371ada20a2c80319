"""Officer sign-in sessions, kept in Redis so every server process sees them and they expire.

The id a browser holds is never a key name: Redis holds its SHA-256 digest, so reading the
keys (a backup, MONITOR, a leaked dump) does not give anyone a session. A session ends:

- after ``session_hours`` without use (sliding), and at the latest ``session_max_hours``
  after sign-in, however busy (absolute);
- at logout, and when another officer takes over its counter;
- when the officer's password hash changes (in config.yaml, or later by an admin): the
  session remembers a fingerprint of the hash it was opened with.

Each session knows the Socket.IO connections opened with it, so that its end can disconnect
them on whichever server process holds them.
"""
from __future__ import annotations

import hashlib
import json
import secrets
import time
from collections.abc import Callable

import redis

from ..engine.keys import ScopeKeys, as_text


def digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8", "replace")).hexdigest()


def fingerprint(password_hash: str) -> str:
    """Changes whenever the hash does; tells nothing about the password."""
    return hashlib.sha256(("qms-session\0" + password_hash).encode()).hexdigest()[:16]


class SessionStore:
    def __init__(self, client: redis.Redis, keys: dict[str, ScopeKeys], ttl_seconds: int, max_seconds: int,
                 now: Callable[[], float] = time.time):
        self.client = client
        self.keys = keys
        self.ttl = ttl_seconds
        self.max = max(max_seconds, ttl_seconds)
        self.now = now

    def create(self, site_id: str, username: str, counter: int | None, password_fingerprint: str) -> str:
        session_id = secrets.token_urlsafe(32)
        d = digest(session_id)
        k = self.keys[site_id]
        record = {"officer": username, "counter": counter, "created": int(self.now()), "pw": password_fingerprint}
        pipe = self.client.pipeline(transaction=True)
        pipe.set(k.session(d), json.dumps(record), ex=self.ttl)
        pipe.sadd(k.officer_sessions(username), d)
        pipe.expire(k.officer_sessions(username), self.max)
        pipe.execute()
        return session_id

    def get(self, site_id: str, session_id: str) -> dict | None:
        """The session's record (with its ``digest``), extended by this use; None once it ended."""
        if site_id not in self.keys or not session_id or len(session_id) > 128:
            return None
        return self.get_by_digest(site_id, digest(session_id))

    def get_by_digest(self, site_id: str, d: str) -> dict | None:
        key = self.keys[site_id].session(d)
        raw = self.client.get(key)
        if not raw:
            return None
        record = json.loads(raw)
        left = int(record.get("created", 0)) + self.max - int(self.now())
        if left <= 0:
            self.end(site_id, d)
            return None
        self.client.expire(key, min(self.ttl, left))
        record["digest"] = d
        return record

    def end(self, site_id: str, d: str) -> list[str]:
        """End one session; the Socket.IO sids that were opened with it are returned."""
        k = self.keys[site_id]
        raw = self.client.get(k.session(d))
        pipe = self.client.pipeline(transaction=True)
        pipe.delete(k.session(d))
        pipe.smembers(k.session_sockets(d))
        pipe.delete(k.session_sockets(d))
        if raw:
            pipe.srem(k.officer_sessions(json.loads(raw)["officer"]), d)
        sids = pipe.execute()[1]
        return sorted(as_text(s) for s in sids)

    def end_officer(self, site_id: str, username: str, *, counter: int | None = None,
                    unless_fingerprint: str | None = None) -> list[str]:
        """End the officer's sessions (only those at ``counter``, or only those not opened with
        ``unless_fingerprint``); the sids of their sockets are returned."""
        k = self.keys[site_id]
        sids: list[str] = []
        for raw_d in self.client.smembers(k.officer_sessions(username)):
            d = as_text(raw_d)
            raw = self.client.get(k.session(d))
            record = json.loads(raw) if raw else None
            if record is not None and counter is not None and record.get("counter") != counter:
                continue
            if record is not None and unless_fingerprint is not None and record.get("pw") == unless_fingerprint:
                continue
            sids += self.end(site_id, d)
            if record is None:
                self.client.srem(k.officer_sessions(username), d)
        return sids

    def add_socket(self, site_id: str, d: str, sid: str) -> None:
        k = self.keys[site_id]
        pipe = self.client.pipeline(transaction=True)
        pipe.sadd(k.session_sockets(d), sid)
        pipe.expire(k.session_sockets(d), self.max)
        pipe.execute()

    def remove_socket(self, site_id: str, d: str, sid: str) -> None:
        self.client.srem(self.keys[site_id].session_sockets(d), sid)
