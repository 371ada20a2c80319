"""The Redis clients every part of the server opens: one Redis, or a Redis Cluster.

With ``redis.cluster: true``, ``redis.url`` names one node of the cluster; the client asks
it for the others and for which node serves which slot, and follows the cluster when a
replica takes over a failed master (MOVED replies, then a fresh slot map). Every key of a
site carries its hash tag ``{site}``, so each queue script, each MULTI and each pipeline of
one site runs on one node. What reads several sites at once (the event relay, the archiver)
reads them one site at a time in a cluster: Redis refuses a command whose keys lie in
different slots, even on one node (CROSSSLOT).
"""
from __future__ import annotations

import logging
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.cluster import RedisCluster
from redis.retry import Retry

logger = logging.getLogger(__name__)


def queue_client(url: str, *, cluster: bool = False) -> Any:
    """The client that runs queue scripts.

    No automatic retry on one Redis: a script re-sent after a lost reply could apply twice
    (callers retry, with idempotency keys where it matters). A pooled connection left dead by
    a Redis restart is noticed when it is taken from the pool and replaced, so none is needed
    there. A bounded pool that makes a request wait for a free connection: a surge (every
    display reconnecting at once) must queue, not fail with "too many connections".

    In a cluster a command is sent again after a failover (the slot's new master answers):
    without that, every request in the seconds of a failover would fail. A kiosk's ticket
    carries its idempotency key, so one sent twice is still one ticket.
    """
    _no_hub_for_a_readiness_check()
    if cluster:
        return RedisCluster.from_url(url, socket_timeout=10, socket_connect_timeout=5, health_check_interval=30,
                                     max_connections=64)
    pool = redis.BlockingConnectionPool.from_url(url, max_connections=64, timeout=20, socket_timeout=10,
                                                 socket_connect_timeout=5, health_check_interval=30,
                                                 retry=Retry(NoBackoff(), 0))
    return redis.Redis(connection_pool=pool)


def _no_hub_for_a_readiness_check() -> None:
    """Before each command redis-py checks, without waiting, that the pooled connection has
    nothing left to read (a dead one is then replaced). With hiredis it asks ``select.poll``,
    which eventlet's monkey-patching removes, so it falls back to a selector built on eventlet's
    green select: a switch to the hub and back for every command, a few percent of a ticket's
    CPU. A check that never waits needs no hub: give it the real poll."""
    try:
        from redis._parsers import hiredis as parser
    except ImportError:   # a redis-py without it: nothing to mend
        return
    if getattr(parser, "_HAS_POLL", True):
        return
    import eventlet.patcher

    real = eventlet.patcher.original("select")
    if hasattr(real, "poll"):
        parser.select = real
        parser._HAS_POLL = True
        logger.debug("redis: the readiness check before each command uses the real poll")


def blocking_client(url: str, *, cluster: bool = False) -> Any:
    """A client for blocking reads (XREAD BLOCK, XREADGROUP BLOCK): no read timeout (redis-py
    8 defaults to 5 s, shorter than a block)."""
    if cluster:
        return RedisCluster.from_url(url, socket_timeout=None, socket_connect_timeout=5, health_check_interval=30)
    return redis.Redis.from_url(url, socket_timeout=None, socket_connect_timeout=5, health_check_interval=30)


def plain_client(url: str, *, cluster: bool = False, timeout: float | None = None) -> Any:
    """A client for everything else (the live administration's copy, the command line)."""
    if cluster:
        return RedisCluster.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout or 5)
    return redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout or 5)


def is_cluster(client: Any) -> bool:
    return isinstance(client, RedisCluster)


def persistence(client: Any) -> list[dict]:
    """INFO persistence of the Redis, or of every master of the cluster (a master that does
    not answer raises, as one Redis that does not answer would)."""
    if not is_cluster(client):
        return [client.info("persistence")]
    replies = client.info("persistence", target_nodes=RedisCluster.PRIMARIES)
    return list(replies.values()) if replies and isinstance(next(iter(replies.values())), dict) else [replies]


def on_node(client: Any, key: str) -> Any:
    """The plain client of the node that serves ``key``'s slot now; ``client`` itself on one
    Redis. For XREAD and XREADGROUP in a cluster: redis-py routes them by asking a node
    (COMMAND GETKEYS) before each call, one more round trip, and if that node is the one
    that died, it keeps asking it and never learns of the failover."""
    if not is_cluster(client):
        return client
    return client.get_redis_connection(client.get_node_from_key(key))


def by_node(client: Any, keys: list[str]) -> list[tuple[Any, list[str]]]:
    """``keys`` grouped by the node that serves them (one group, ``client``, on one Redis)."""
    if not is_cluster(client):
        return [(client, keys)]
    groups: dict[str, tuple[Any, list[str]]] = {}
    for key in keys:
        node = client.get_node_from_key(key)
        groups.setdefault(node.name, (client.get_redis_connection(node), []))[1].append(key)
    return list(groups.values())


def relearn(client: Any) -> None:
    """After a failed read in a cluster, ask it again which node serves which slot (a replica
    may have taken over a dead master, or an admin moved slots)."""
    if is_cluster(client):
        try:
            client.nodes_manager.initialize()
        except redis.RedisError as err:   # no node answers yet: the next failure asks again
            logger.warning("redis cluster: its slot map could not be read again (%s)", err)
