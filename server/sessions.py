"""Officer sign-in sessions, kept in Redis so every server process sees them and they expire."""
from __future__ import annotations

import json
import secrets
import time

import redis

from .keys import Keys


class SessionStore:
    """Opaque session ids -> {officer, counter}; each use extends the session (sliding expiry)."""

    def __init__(self, client: redis.Redis, keys: dict[str, Keys], ttl_seconds: int):
        self.client = client
        self.keys = keys
        self.ttl = ttl_seconds

    def create(self, site_id: str, username: str, counter: int | None) -> str:
        session_id = secrets.token_urlsafe(32)
        record = {"officer": username, "counter": counter, "created": int(time.time())}
        self.client.set(self.keys[site_id].session(session_id), json.dumps(record), ex=self.ttl)
        return session_id

    def get(self, site_id: str, session_id: str) -> dict | None:
        if site_id not in self.keys or not session_id or len(session_id) > 128:
            return None
        key = self.keys[site_id].session(session_id)
        pipe = self.client.pipeline(transaction=False)
        pipe.get(key)
        pipe.expire(key, self.ttl)
        raw, _ = pipe.execute()
        return json.loads(raw) if raw else None

    def delete(self, site_id: str, session_id: str) -> None:
        if site_id in self.keys and session_id:
            self.client.delete(self.keys[site_id].session(session_id))
