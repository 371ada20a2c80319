"""Feeds every event of the per-site streams into the SQL archive, through a Redis consumer
group with acknowledgements.

An entry is acknowledged only after its SQL transaction committed, and the archive refuses
an entry it already holds: a crash of the archiver or of a server between the two steps
re-delivers the entry and it is stored once. Entries a dead leader left pending are
claimed by the next leader before anything new. Acknowledged entries older than the retention are trimmed from the
stream, so Redis does not grow with years of history.
"""
from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import threading
import time

import redis
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError

from ..config import Config
from ..engine.keys import Keys, as_text
from ..engine.scripts import Scripts
from ..errors import QmsError
from ..store.clients import by_node, is_cluster, relearn
from ..store.embedded_redis import die_with_parent
from ..store.store_health import StoreHealth, is_store_outage
from .projection import Projector
from .rollup import Rollup

logger = logging.getLogger(__name__)

GROUP = "archive"
LEASE_MS = 15_000
MAX_BACKOFF = 10.0
DISCOVERY_SECONDS = 5.0


class Archiver:
    def __init__(self, client: redis.Redis, config: Config, keys: dict[str, Keys], sql: Engine, *,
                 consumer: str | None = None, stream_retention_seconds: int = 2 * 24 * 3600):
        self.client = client  # blocking reads: a client with socket_timeout=None
        self.config = config
        self.keys = keys
        self.sql = sql
        self.consumer = consumer or f"{socket.gethostname()}-{id(self):x}"
        self.retention_ms = stream_retention_seconds * 1000
        self.streams = {keys[sid].events: sid for sid in config.sites}
        self.stored = 0
        self._stop = threading.Event()
        self.health = StoreHealth()
        self._groups_ready = False
        self._last_trim = 0.0
        self._leading: set[str] = set()
        self.scripts = Scripts(client)
        self.projectors = {sid: Projector(sid) for sid in config.sites}
        self.rollups = {sid: Rollup(sql, site) for sid, site in config.sites.items()}
        self._next_rollup = 0.0
        self._next_discovery = 0.0

    def stop(self) -> None:
        self._stop.set()

    def release(self) -> None:
        """Give up the lead (a clean stop), so another archiver can take over at once."""
        for stream in list(self._leading):
            self.scripts.run("archive_lead", {"lease": self.keys[self.streams[stream]].archive_lease},
                             {"archiver": self.consumer, "lease_ms": 0})
        self._leading.clear()

    def _ensure_groups(self) -> None:
        if self._groups_ready:
            return
        for stream in self.streams:
            try:
                self.client.xgroup_create(stream, GROUP, id="0", mkstream=True)
            except redis.ResponseError as err:
                if "BUSYGROUP" not in str(err):
                    raise
        self._groups_ready = True

    def _lead(self, stream: str) -> bool:
        """Keep (or take) the lead of a site; when newly leading, first archive whatever the
        previous leader left pending, in stream order."""
        site = self.streams[stream]
        answer = self.scripts.run("archive_lead", {"lease": self.keys[site].archive_lease},
                                  {"archiver": self.consumer, "lease_ms": LEASE_MS})
        if answer["lead"] == 0:
            if stream in self._leading:
                logger.warning("archiver %s lost the lead of %s", self.consumer, site)
                self._leading.discard(stream)
            return False
        if stream not in self._leading:
            logger.info("archiver %s leads %s", self.consumer, site)
            self._leading.add(stream)
            self.projectors[site].forget()
            self._claim_all(stream)
        return True

    def leads(self, site_id: str) -> bool:
        """Whether this archiver holds the site's lease now (its webhooks are sent from here)."""
        return self.keys[site_id].events in self._leading if site_id in self.keys else False

    def _claim_all(self, stream: str) -> int:
        done, cursor = 0, "0-0"
        while True:
            reply = self.client.xautoclaim(stream, GROUP, self.consumer, 0, cursor, count=500)
            cursor = as_text(reply[0])
            done += self._store(stream, [e for e in reply[1] if e and e[1]])
            if cursor == "0-0":
                return done

    def discover(self) -> list[str]:
        """Sites a province admin added since (server/config/sites.py): archived from their first
        event on (their consumer group starts at 0). Looked at every few seconds."""
        from ..config import sites
        from ..config.people import stored_site_documents

        self._next_discovery = time.monotonic() + DISCOVERY_SECONDS
        docs = stored_site_documents(self.sql)
        added = []
        for doc in docs:
            if doc.get("id") in self.config.sites:
                continue
            try:
                site = sites.read(self.config, doc, self.config.server.data_dir, new=False)
            except QmsError as err:
                logger.error("archiver: site %s cannot be read: %s", doc.get("id"), err)
                continue
            object.__setattr__(self.config, "sites", {**self.config.sites, site.id: site})
            self.keys[site.id] = Keys(self.config.redis.key_prefix, site)
            self.streams = {**self.streams, self.keys[site.id].events: site.id}
            self.projectors[site.id] = Projector(site.id)
            self.rollups[site.id] = Rollup(self.sql, site)
            self._groups_ready = False
            added.append(site.id)
            logger.info("archiver: site %s added", site.id)
        return added

    def step(self, block_ms: int = 1000, count: int = 500) -> int:
        """Archive what is waiting for the sites this archiver leads; 0 when there was nothing."""
        if time.monotonic() >= self._next_discovery:
            try:
                self.discover()
            except SQLAlchemyError as err:
                logger.warning("archiver: new sites not looked for (%s)", err)
        self._ensure_groups()
        led = [stream for stream in self.streams if self._lead(stream)]
        if not led:
            self._stop.wait(block_ms / 1000)
            return 0
        fresh = self._read_fresh(led, count, block_ms)
        done = 0
        for stream, entries in fresh or []:
            done += self._store(as_text(stream), entries, never_delivered=True)
        if time.monotonic() - self._last_trim > 60:
            self.trim()
        if time.monotonic() >= self._next_rollup:
            self.roll_up([self.streams[s] for s in led])
        return done

    def _read_fresh(self, led: list[str], count: int, block_ms: int) -> list:
        """New entries of the streams led: on one Redis one XREADGROUP waits for any of them.
        A Redis Cluster refuses one command over several slots (CROSSSLOT), so there each
        stream is asked without waiting, in one pipeline (one round trip per node), and an
        empty round waits ``block_ms`` before the next: archiving lags a second at most."""
        if not is_cluster(self.client):
            positions: dict = {s: ">" for s in led}
            return self.client.xreadgroup(  # type: ignore[return-value]  # redis-py types RESP2 and RESP3 replies as one
                GROUP, self.consumer, positions, count=count, block=block_ms)
        fresh = []
        for node, streams in by_node(self.client, led):
            pipe = node.pipeline(transaction=False)
            for stream in streams:
                pipe.xreadgroup(GROUP, self.consumer, {stream: ">"}, count=count)
            fresh += [reply for replies in pipe.execute() for reply in replies or []]
        if not any(entries for _, entries in fresh):
            self._stop.wait(block_ms / 1000)
        return fresh

    def roll_up(self, sites: list[str], days_per_site: int = 3) -> int:
        """Roll the final days of the sites this archiver leads into report rows: a few days per
        site at a time, so archiving keeps up while an upgraded archive catches up."""
        rolled = 0
        behind = False
        for site in sites:
            try:
                days = self.rollups[site].step(days_per_site)
            except (OperationalError, IntegrityError) as err:
                logger.warning("rollup %s: %s; trying again later", site, err)
                continue
            rolled += len(days)
            behind = behind or len(days) == days_per_site
            if days:
                logger.info("rollup %s: days %s to %s rolled up", site, days[0], days[-1])
        self._next_rollup = time.monotonic() + (1 if behind else 300)
        return rolled

    def _store(self, stream: str, entries: list, *, never_delivered: bool = False) -> int:
        """Archive ``entries`` in one transaction. ``never_delivered``: read as new ('>'), so none
        can be stored yet unless the group was set back (an old Redis snapshot restored): the
        batch is not looked up first, and if one was stored, the batch goes one entry at a time."""
        if not entries:
            return 0
        site = self.streams[stream]
        batch = [(as_text(entry_id), {as_text(k): as_text(v) for k, v in raw.items()}) for entry_id, raw in entries]
        try:
            with self.sql.begin() as conn:
                self.projectors[site].apply_batch(conn, batch, looked_up=not never_delivered)
        except IntegrityError:
            # Two archivers at once (a lease lost mid-batch), or a group set back: drop the cache,
            # go one by one (each looked up first).
            logger.warning("archive: a batch of %d held an entry stored already; storing one by one", len(batch))
            self.projectors[site].forget()
            for one in batch:
                try:
                    with self.sql.begin() as conn:
                        self.projectors[site].apply_batch(conn, [one])
                except IntegrityError:
                    logger.debug("archive: %s already stored", one[0])
        self.client.xack(stream, GROUP, *[entry_id for entry_id, _ in batch])
        self.stored += len(batch)
        return len(batch)

    def trim(self) -> None:
        """Drop entries older than the retention from the streams, once every group (the
        archive's, each webhook's) has them acknowledged."""
        self._last_trim = time.monotonic()
        horizon = int(time.time() * 1000) - self.retention_ms
        for stream in self.streams:
            groups = {as_text(g["name"]): g for g in self.client.xinfo_groups(stream)}
            if GROUP not in groups:
                continue
            limit = horizon
            for name, group in groups.items():   # the archive's, and each webhook's (server/history/webhooks.py)
                limit = min(limit, int(as_text(group["last-delivered-id"]).split("-")[0]))
                pending = self.client.xpending(stream, name)
                if pending and pending.get("pending"):
                    limit = min(limit, int(as_text(pending["min"]).split("-")[0]))
            min_id = limit
            if min_id > 0:
                self.client.xtrim(stream, minid=f"{min_id}-0", approximate=True)

    def run(self, sleep=time.sleep, gather: float = 0.25) -> None:
        """Archive until stopped; a failure waits (doubling, up to a minute) and tries again.

        After a busy step it waits ``gather`` seconds, so the peak is archived in larger
        transactions (fewer commits, less CPU taken from the web server; a lag of a moment).
        """
        backoff = 1.0
        logger.info("archiver %s started", self.consumer)
        while not self._stop.is_set():
            try:
                if self.step():
                    self._stop.wait(gather)
                backoff = 1.0
                self.health.ok(wrote=False)
            except (redis.RedisError, OperationalError) as err:
                if self._stop.is_set():
                    break
                if isinstance(err, redis.RedisError) and is_store_outage(err):
                    self.health.failed(err)  # one line per change of state, not one per retry
                else:
                    logger.warning("archiver: %s; retrying in %.0f s", err, backoff)
                self._groups_ready = False
                self._leading.clear()
                sleep(backoff)
                relearn(self.client)
                backoff = min(backoff * 2, MAX_BACKOFF)
            except Exception:
                logger.exception("archiver: unexpected failure; retrying")
                sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
        try:
            self.release()
        except redis.RedisError:
            logger.warning("archiver %s could not give up its lead; it runs out by itself", self.consumer)
        logger.info("archiver %s stopped", self.consumer)



def archive_lag(client: redis.Redis, stream: str) -> int:
    """Entries of a stream not yet archived: pending, plus those after the last delivered."""
    try:
        groups = {as_text(g["name"]): g for g in client.xinfo_groups(stream)}
    except redis.ResponseError:
        return int(client.xlen(stream))
    group = groups.get(GROUP)
    if group is None:
        return int(client.xlen(stream))
    last = as_text(group["last-delivered-id"])
    newer: list = client.xrange(  # type: ignore[assignment]  # redis-py types sync and async replies as one
        stream, min=f"({last}" if last != "0-0" else "-", count=10000)
    return int(group["pending"]) + len(newer)


class ArchiverProcess:
    """`qms serve` keeps one `qms archive` child running (restarted if it dies)."""

    def __init__(self, config_path, redis_url: str, consumer: str):
        self.args = [sys.executable, "-m", "server.cli", "archive", "--config", str(config_path),
                     "--consumer", consumer, "--nice", "10"]
        # In the environment, not on the command line: the URL carries the store's password.
        self.env = {**os.environ, "QMS_ARCHIVER_REDIS_URL": redis_url}
        self.proc: subprocess.Popen | None = None
        self._stop = threading.Event()

    def supervise(self, sleep=time.sleep) -> None:
        while not self._stop.is_set():
            if self.proc is None or self.proc.poll() is not None:
                if self._stop.is_set():
                    break
                if self.proc is not None:
                    logger.error("archiver process exited with %s; starting it again", self.proc.returncode)
                self.proc = subprocess.Popen(self.args, env=self.env, preexec_fn=die_with_parent)
                logger.info("archiver process pid=%s", self.proc.pid)
            sleep(2)

    def halt(self) -> None:
        """Start it no more (a signal came; stop() follows)."""
        self._stop.set()

    def stop(self) -> None:
        self._stop.set()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
