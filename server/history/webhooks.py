"""Outbound webhooks: each site's events sent to the URLs its administrators set
(server/config/webhooks.py), signed, at least once, in order per hook, retried with back-off.

Each hook reads the site's event stream through its own consumer group (``hook:<id>``, made
at the stream's end when the hook first appears: a new hook gets what happens from then on).
An event is acknowledged only once the receiver answered 2xx, so one sent but unanswered when
the process died is sent again by the next (at least once; the receiver recognises a repeat by
its ``id``, the same on every attempt). A failure stops the hook's line: the same event is
tried again after 5 s, 10 s, 20 s … up to 10 minutes, until it is delivered, or given up
after a day (logged as failed, then the next event goes). The archiver's lease says which
process sends a site's hooks, so there is one sender per site and the order holds.

Every attempt is written to the site's delivery log (Redis, the last 500), which the
administration shows. The request::

    POST <url>
    Content-Type: application/json
    X-QMS-Delivery: hcc:1764750000000-0        (the event's id; the same on a retry)
    X-QMS-Event: ticket.called
    X-QMS-Timestamp: 1764750000                (Unix seconds of this attempt)
    X-QMS-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" with the hook's secret>

    {"id": "hcc:1764750000000-0", "site": "hcc", "type": "ticket.called", "seq": 42,
     "at": "2026-12-03T09:00:00+07:00", "data": {...the event, as the screens get it...}}
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import redis
import requests
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from ..config import Config
from ..config.webhooks import Webhook, read_webhooks
from ..engine.clock import from_ms
from ..engine.keys import Keys, as_text
from ..store.clients import on_node, relearn
from ..store.store_health import StoreHealth, is_store_outage
from .archive_schema import site_settings

logger = logging.getLogger(__name__)

GROUP_PREFIX = "hook:"
LOG_KEEP = 500
BATCH = 20
TIMEOUT_SECONDS = 5.0
REFRESH_SECONDS = 2.0
IDLE_WAIT_SECONDS = 0.25


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The X-QMS-Signature of a request: what a receiver computes again to trust it."""
    return "sha256=" + hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def group_of(hook_id: str) -> str:
    return GROUP_PREFIX + hook_id


@dataclass
class _Line:
    """One hook's place in its site's stream."""

    site: str
    hook: Webhook
    claim: bool = True          # read what this group has pending first (a start, a new lead, a failure)
    attempts: int = 0
    next_try: float = 0.0
    failing_since: float | None = None


class WebhookSender:
    def __init__(self, client: redis.Redis, config: Config, keys: dict[str, Keys], sql: Engine, *,
                 consumer: str, leads: Callable[[str], bool] = lambda site: True, backoff: float = 5.0,
                 max_backoff: float = 600.0, give_up_seconds: float = 24 * 3600,
                 session: requests.Session | None = None):
        self.client = client
        self.config = config
        self.keys = keys
        self.sql = sql
        self.consumer = consumer
        self.leads = leads
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.give_up_seconds = give_up_seconds
        self.session = session or requests.Session()
        self.lines: dict[tuple[str, str], _Line] = {}
        self._next_refresh = 0.0
        self._versions: dict[str, Any] | None = None   # the sites' settings versions last read
        self._swept: set[str] = set()
        self._stop = threading.Event()
        self.health = StoreHealth()

    # -- which hooks -----------------------------------------------------------------------
    def current(self) -> dict[str, dict[str, Webhook]]:
        """Each site's hooks now: the administration's (SQL) where changed, else config.yaml's."""
        query = select(site_settings.c.site, site_settings.c.value).where(site_settings.c.name == "webhooks")
        with self.sql.connect() as conn:
            stored = {row.site: json.loads(row.value) for row in conn.execute(query)}
        out = {}
        for site_id, site in self.config.sites.items():
            if site_id in stored:
                out[site_id], errors = read_webhooks(stored[site_id])
                for error in errors:
                    logger.warning("webhooks of %s: %s", site_id, error)
            else:
                out[site_id] = site.webhooks
        return out

    def refresh(self) -> None:
        """Follow the hooks' changes: a new one gets its group (at the stream's end), a removed
        one's group goes (so the stream can be trimmed), a changed one's settings are taken."""
        self._next_refresh = time.monotonic() + REFRESH_SECONDS
        # The hooks are read from SQL only when a site's settings moved (each live change bumps
        # its version key in Redis, which every process watches): one round trip every 2 s, not
        # a query. (A pipeline, not MGET: on a Redis Cluster each site's key is in its own slot.)
        sites = list(self.config.sites)
        pipe = self.client.pipeline(transaction=False)
        for site_id in sites:
            pipe.get(self.keys[site_id].people_version)
        versions = dict(zip(sites, pipe.execute(), strict=True))
        if versions == self._versions:
            return
        now = self.current()
        self._versions = versions
        wanted = {(s, h.id): h for s, hooks in now.items() for h in hooks.values()}
        for (site_id, hook_id), hook in wanted.items():
            line = self.lines.get((site_id, hook_id))
            if line is None:
                self._make_group(site_id, hook_id)
                self.lines[(site_id, hook_id)] = _Line(site_id, hook)
                logger.info("webhook %s of %s: sending %s to %s", hook_id, site_id, ", ".join(hook.events), hook.url)
            elif line.hook != hook:
                line.hook = hook
                line.next_try = 0.0   # a mended address is tried at once
        for key in [k for k in self.lines if k not in wanted]:
            del self.lines[key]
            self._drop_group(*key)
            logger.info("webhook %s of %s removed", key[1], key[0])
        for site_id in now:
            if site_id not in self._swept:   # groups of hooks removed while no sender ran
                self._sweep(site_id, {h for s, h in wanted if s == site_id})

    def _stream(self, site_id: str) -> str:
        return self.keys[site_id].events

    def _make_group(self, site_id: str, hook_id: str) -> None:
        try:
            self.client.xgroup_create(self._stream(site_id), group_of(hook_id), id="$", mkstream=True)
        except redis.ResponseError as err:
            if "BUSYGROUP" not in str(err):
                raise

    def _drop_group(self, site_id: str, hook_id: str) -> None:
        self.client.xgroup_destroy(self._stream(site_id), group_of(hook_id))

    def _sweep(self, site_id: str, present: set[str]) -> None:
        try:
            groups = self.client.xinfo_groups(self._stream(site_id))
        except redis.ResponseError as err:   # no stream yet: no event, no group
            if "no such key" not in str(err):
                raise
            groups = []
        for group in groups:
            name = as_text(group["name"])
            if name.startswith(GROUP_PREFIX) and name[len(GROUP_PREFIX):] not in present:
                self.client.xgroup_destroy(self._stream(site_id), name)
                logger.info("webhook %s of %s: its group left from before removed", name[len(GROUP_PREFIX):],
                            site_id)
        self._swept.add(site_id)

    # -- sending ---------------------------------------------------------------------------
    def step(self) -> int:
        """Send what is due for the hooks of the sites this process leads; how many were sent."""
        if time.monotonic() >= self._next_refresh:
            self.refresh()
        sent = 0
        for line in list(self.lines.values()):
            if not self.leads(line.site):
                line.claim = True   # if it leads again, what another left pending comes first
                continue
            if time.monotonic() < line.next_try:
                continue
            sent += self._send_line(line)
        return sent

    def _read(self, line: _Line) -> list:
        stream, group = self._stream(line.site), group_of(line.hook.id)
        node = on_node(self.client, stream)
        if line.claim:
            reply = node.xautoclaim(stream, group, self.consumer, 0, "0-0", count=BATCH)
            entries = [e for e in reply[1] if e and e[1]]
            if entries:
                return entries
            line.claim = False
        reply = node.xreadgroup(group, self.consumer, {stream: ">"}, count=BATCH)
        if not reply:
            return []
        if isinstance(reply, dict):   # RESP3
            return next(iter(reply.values()))[0] if reply else []
        return reply[0][1]

    def _send_line(self, line: _Line) -> int:
        sent = 0
        stream, group = self._stream(line.site), group_of(line.hook.id)
        for entry_id, fields in self._read(line):
            entry_id = as_text(entry_id)
            event = {as_text(k): as_text(v) for k, v in fields.items()}
            if line.hook.disabled or not line.hook.wants(event.get("type", "")):
                self.client.xack(stream, group, entry_id)
                continue
            if not self._deliver(line, entry_id, event):
                line.claim = True   # the same event first, next time
                return sent
            self.client.xack(stream, group, entry_id)
            sent += 1
        return sent

    def body(self, site_id: str, entry_id: str, event: dict[str, str]) -> bytes:
        site = self.config.sites[site_id]
        return json.dumps({"id": f"{site_id}:{entry_id}", "site": site_id, "type": event.get("type"),
                           "seq": int(event.get("seq") or 0), "at": from_ms(int(event.get("ts") or 0), site.timezone),
                           "data": json.loads(event.get("data") or "{}")}, ensure_ascii=False).encode()

    def _deliver(self, line: _Line, entry_id: str, event: dict[str, str]) -> bool:
        hook, delivery = line.hook, f"{line.site}:{entry_id}"
        body = self.body(line.site, entry_id, event)
        stamp = int(time.time())
        headers = {"Content-Type": "application/json", "User-Agent": "qms-hcc-webhook",
                   "X-QMS-Delivery": delivery, "X-QMS-Event": event.get("type", ""),
                   "X-QMS-Timestamp": str(stamp), "X-QMS-Signature": sign(hook.secret, stamp, body)}
        line.attempts += 1
        started = time.monotonic()
        code, error = None, ""
        try:
            answer = self.session.post(hook.url, data=body, headers=headers, timeout=TIMEOUT_SECONDS,
                                       allow_redirects=False)
            code = answer.status_code
            if not 200 <= code < 300:
                error = f"HTTP {code}"
        except requests.RequestException as err:
            error = type(err).__name__ + (f": {err.args[0]}" if err.args else "")
        took = round((time.monotonic() - started) * 1000)
        record = {"at": int(time.time() * 1000), "hook": hook.id, "delivery": delivery, "type": event.get("type"),
                  "attempt": line.attempts, "code": code, "ms": took, "error": error[:300]}
        if not error:
            self._log(line.site, {**record, "status": "delivered"})
            logger.info("webhook %s of %s: %s delivered (attempt %d, %d ms)", hook.id, line.site, delivery,
                        line.attempts, took)
            line.attempts, line.failing_since = 0, None
            return True
        now = time.monotonic()
        line.failing_since = line.failing_since or now
        if now - line.failing_since >= self.give_up_seconds:
            self._log(line.site, {**record, "status": "failed"})
            logger.error("webhook %s of %s: %s given up after %d attempts (%s)", hook.id, line.site, delivery,
                         line.attempts, error)
            line.attempts, line.failing_since = 0, None
            return True   # acknowledged: the next event goes
        wait = min(self.backoff * 2 ** (line.attempts - 1), self.max_backoff)
        line.next_try = now + wait
        self._log(line.site, {**record, "status": "retrying", "retry_in": round(wait, 1)})
        logger.warning("webhook %s of %s: %s not delivered (%s); again in %.0f s", hook.id, line.site, delivery,
                       error, wait)
        return False

    def _log(self, site_id: str, record: dict[str, Any]) -> None:
        key = self.keys[site_id].webhook_log
        pipe = self.client.pipeline(transaction=False)   # one key: one node, one round trip (also on a cluster)
        pipe.lpush(key, json.dumps(record, ensure_ascii=False))
        pipe.ltrim(key, 0, LOG_KEEP - 1)
        pipe.execute()

    # -- running ---------------------------------------------------------------------------
    def stop(self) -> None:
        self._stop.set()

    def run(self) -> None:
        """Send until stopped. The store or the database away: said once (the archiver beside
        it says the same), then tried again, waiting 1 s doubling to 30 s."""
        backoff = 1.0
        while not self._stop.is_set():
            try:
                if not self.step():
                    self._stop.wait(IDLE_WAIT_SECONDS)
                backoff = 1.0
                self.health.ok(wrote=False)
            except (redis.RedisError, OperationalError) as err:
                if isinstance(err, redis.RedisError) and is_store_outage(err):
                    self.health.failed(err)   # one line per change of state, not one per retry
                else:
                    logger.warning("webhooks: %s; sending again in %.0f s", err, backoff)
                self._pause(backoff)
                relearn(self.client)
                backoff = min(backoff * 2, 30.0)
            except Exception:
                logger.exception("webhooks: unexpected failure; sending again in %.0f s", backoff)
                self._pause(backoff)
                backoff = min(backoff * 2, 30.0)

    def _pause(self, seconds: float) -> None:
        for line in self.lines.values():
            line.claim = True   # what was read and not acknowledged comes first again
        self._swept.clear()
        self._stop.wait(seconds)


def delivery_log(client: redis.Redis, keys: Keys, limit: int = 100, hook: str | None = None) -> list[dict]:
    """The newest attempts first (at most ``limit``), of one hook or all."""
    raw: list = client.lrange(keys.webhook_log, 0, LOG_KEEP - 1)
    out = []
    for item in raw:
        record = json.loads(item)
        if hook is None or record.get("hook") == hook:
            out.append(record)
            if len(out) >= limit:
                break
    return out
