"""Talking to the API the way kiosks and counters do."""
from __future__ import annotations

import time

from .hall import ADMIN_PASSWORD, KIOSK_TOKEN, PASSWORD


def wait_until(predicate, timeout=15.0, what="condition"):
    """Poll until predicate() is truthy; returns its value, or fails the test."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


class Api:
    def __init__(self, client, site: str = "hcc"):
        self.client = client
        self.site = site
        self.tokens: dict[int | str, str] = {}

    def url(self, path: str) -> str:
        return f"/api/v1/sites/{self.site}{path}"

    @staticmethod
    def bearer(token: str | None) -> dict:
        return {"Authorization": f"Bearer {token}"} if token else {}

    def post(self, path: str, body=None, token: str | None = None, **kw):
        return self.client.post(self.url(path), json=body, headers=self.bearer(token), **kw)

    def get(self, path: str, token: str | None = None, **kw):
        return self.client.get(self.url(path), headers=self.bearer(token), **kw)

    def put(self, path: str, body=None, token: str | None = None):
        return self.client.put(self.url(path), json=body, headers=self.bearer(token))

    def patch(self, path: str, body=None, token: str | None = None):
        return self.client.patch(self.url(path), json=body, headers=self.bearer(token))

    def delete(self, path: str, token: str | None = None):
        return self.client.delete(self.url(path), headers=self.bearer(token))

    def audited(self, token: str) -> list[tuple[str, str]]:
        """The site's audit log, oldest first: (action, target)."""
        entries = self.get("/audit", token).get_json()["entries"]
        return [(e["action"], e["target"]) for e in reversed(entries)]

    def issue(self, field: str, token: str = KIOSK_TOKEN, **body):
        r = self.post("/tickets", {"field": field, **body}, token)
        assert r.status_code in (200, 201), r.get_json()
        return r.get_json()

    def login(self, counter: int, username: str | None = None, password: str = PASSWORD) -> str:
        r = self.post("/login", {"username": username or f"cb{counter}", "password": password, "counter": counter})
        assert r.status_code == 200, r.get_json()
        token = r.get_json()["token"]
        self.tokens[counter] = token
        return token

    def login_admin(self) -> str:
        r = self.post("/login", {"username": "admin", "password": ADMIN_PASSWORD})
        assert r.status_code == 200, r.get_json()
        self.tokens["admin"] = r.get_json()["token"]
        return self.tokens["admin"]

    def act(self, counter: int, action: str, body=None, token: str | None = None):
        """A counter action by the officer signed in at it."""
        return self.post(f"/counters/{counter}/{action}", body, token or self.tokens[counter])

    def state(self, token: str = KIOSK_TOKEN, lists: bool = False):
        r = self.get("/state" + ("?lists=1" if lists else ""), token)
        assert r.status_code == 200, r.get_json()
        return r.get_json()


def archive_now(app, redis_url) -> None:
    """Store every event the app's sites have written so far in the archive (as `qms archive`
    would within a second), so reports of today read them."""
    import redis as redis_lib

    from server.history.archiver import Archiver

    services = app.extensions["qms"]
    client = redis_lib.Redis.from_url(redis_url)
    archiver = Archiver(client, services.engine.config, services.engine.keys, services.archive_sql, consumer="test")
    try:
        while archiver.step(block_ms=10):
            pass
    finally:
        client.close()
