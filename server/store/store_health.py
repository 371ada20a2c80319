"""What this process knows of its Redis: up, or down since when and why.

Every part that talks to Redis reports here (requests, the relay, the embedded Redis's
supervisor), and a change of state is logged once: "redis: disk full, writes refused"
when it starts, "redis: back after 12.3 s" when it ends, and a reminder each minute in
between. A hall at the morning peak must not write a traceback per request.
"""
from __future__ import annotations

import logging
import re
import threading
import time

import redis

logger = logging.getLogger(__name__)

REMIND_SECONDS = 60.0
_REFUSAL = re.compile(r"(?:^|-)(MISCONF|OOM) ")
# A Redis Cluster's own: a shard with no master yet (CLUSTERDOWN, MASTERDOWN, TRYAGAIN during
# a failover), or no node of it answering.
STORE_ERRORS = (redis.ConnectionError, redis.TimeoutError, redis.BusyLoadingError, redis.ReadOnlyError,
                redis.exceptions.ClusterError, redis.exceptions.TryAgainError)


def is_store_outage(err: BaseException) -> bool:
    """Whether ``err`` says the store is unavailable (rather than that our command was wrong)."""
    if isinstance(err, STORE_ERRORS):
        return True
    # Inside a Lua script the refusal comes wrapped: "Error running script ...: -MISCONF ...".
    return isinstance(err, redis.ResponseError) and _REFUSAL.search(str(err)) is not None


class LoopLog:
    """A background loop's word on its failures: a store outage once when it begins and once
    when it ends (the loop goes on), anything else with its traceback."""

    def __init__(self, name: str, log: logging.Logger):
        self.name, self.log, self.down = name, log, False

    def ok(self) -> None:
        if self.down:
            self.log.info("%s: the store answers again", self.name)
        self.down = False

    def failed(self, err: BaseException) -> None:
        if not is_store_outage(err):
            self.log.exception("%s failed", self.name)
        elif not self.down:
            self.log.warning("%s: the store is unavailable (%s); trying again later", self.name, err)
        self.down = is_store_outage(err)


def outage_reason(err: BaseException) -> str:
    """The words for /health and the log: what is wrong, for the person on call."""
    text = str(err)
    refusal = _REFUSAL.search(text)
    if "No space left" in text:
        return "redis: disk full, writes refused"
    if refusal and refusal.group(1) == "MISCONF":
        return f"redis: writes refused ({text[refusal.start(1):][:160]})"
    if refusal and refusal.group(1) == "OOM":
        return "redis: out of memory (maxmemory reached), writes refused"
    if isinstance(err, redis.BusyLoadingError):
        return "redis: loading its data after a restart"
    if isinstance(err, redis.ReadOnlyError):
        return "redis: read-only (a replica), writes refused"
    if isinstance(err, redis.TimeoutError):
        return "redis: not answering in time"
    return f"redis: not reachable ({text[:160]})"


class StoreHealth:
    """The store's state as this process saw it last; thread- and greenlet-safe."""

    def __init__(self, clock=time.monotonic):
        self._clock = clock
        self._lock = threading.Lock()
        self._down_since: float | None = None
        self._reason = ""
        self._reminded = 0.0
        self._reads_work = False  # down only for writes (disk full, OOM): a read proves nothing
        self._known = False       # the reason came from who knows best (the embedded Redis's supervisor)
        # When each kind of outage was last said. A store that fails and works by turns (one
        # shard of a cluster down, the others answering) is said once a minute, not at every turn.
        self._said: dict[str, float] = {}
        self._quiet = False       # this outage began unsaid (said within the minute): so does its end

    @property
    def down(self) -> bool:
        return self._down_since is not None

    @property
    def reason(self) -> str:
        return self._reason

    def failed(self, err: BaseException | str, *, known: bool = False) -> str:
        """Record a failure (an exception, or a reason in words); returns the reason.

        ``known``: the cause itself (the supervisor saw redis-server exit), which the symptoms
        requests see meanwhile ("connection refused") do not replace.
        """
        reason = err if isinstance(err, str) else outage_reason(err)
        now = self._clock()
        with self._lock:
            if self._known and not known and self._down_since is not None:
                reason = self._reason
            self._known = known or (self._known and self._down_since is not None)
            self._reads_work = "writes refused" in reason
            if self._down_since is None:
                self._down_since, self._reason, self._reminded = now, reason, now
                self._quiet = now - self._said.get(_kind(reason), -REMIND_SECONDS) < REMIND_SECONDS
                if self._quiet:
                    logger.debug("%s (again)", reason)
                else:
                    self._said[_kind(reason)] = now
                    logger.warning("%s", reason)
            elif _kind(reason) != _kind(self._reason):
                self._reason, self._reminded = reason, now
                logger.warning("%s (down for %.0f s)", reason, now - self._down_since)
            elif now - self._reminded >= REMIND_SECONDS:
                self._reminded = now
                logger.warning("%s, still, for %.0f s", reason, now - self._down_since)
        return reason

    def ok(self, *, wrote: bool = True) -> None:
        """Record that the store answered (``wrote=False``: a read only); logs the end of an
        outage once."""
        if self._down_since is None or (not wrote and self._reads_work):
            return
        with self._lock:
            if self._down_since is None:
                return
            seconds = self._clock() - self._down_since
            self._down_since, self._reason, self._known = None, "", False
        logger.log(logging.DEBUG if self._quiet else logging.INFO, "redis: back after %.1f s", seconds)

    def describe(self) -> dict:
        since = self._down_since
        if since is None:
            return {"status": "ok"}
        return {"status": "down", "message": self._reason, "down_seconds": round(self._clock() - since, 1)}


def _kind(reason: str) -> str:
    """A reason without its detail: "connection refused" then "closed by server" is one outage."""
    return reason.split(" (", 1)[0]
