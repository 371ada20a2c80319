"""Socket.IO's message queue between server processes, on a Redis Cluster.

python-socketio's RedisManager connects to the one address it is given. A cluster delivers a
PUBLISH made on any node to the subscribers of every node, so any node will do; but if the
given one dies for good (its replica took over), the manager would retry it for ever, and
what workers send each other (a kiosk's print job to the worker holding its agent) would be
lost. This one connects, each time, to the first node that answers among those the cluster
has now.
"""
from __future__ import annotations

import logging
from typing import Any

import redis
import socketio as python_socketio
from redis.connection import parse_url

from ..store.clients import relearn

logger = logging.getLogger(__name__)


class ClusterMessageQueue(python_socketio.RedisManager):
    def __init__(self, cluster: Any, url: str, **kwargs):
        self.cluster = cluster   # the server's cluster client: it knows the nodes
        super().__init__(url, **kwargs)

    def candidates(self) -> list[tuple[str, int]]:
        """The cluster's nodes as it says now: masters first."""
        nodes = sorted(self.cluster.get_nodes(), key=lambda n: n.server_type != "primary")
        return [(n.host, int(n.port)) for n in nodes]

    def _redis_connect(self) -> None:
        options = {**parse_url(self.redis_url), **self.redis_options}
        tried = []
        for attempt in range(2):
            if attempt:
                relearn(self.cluster)   # all known nodes failed: the cluster may have moved on
            for host, port in self.candidates():
                client = redis.Redis(**{**options, "host": host, "port": port})
                try:
                    client.ping()
                except redis.RedisError as err:
                    tried.append(f"{host}:{port} ({err})")
                    client.close()
                    continue
                self.redis = client
                self.pubsub = client.pubsub(ignore_subscribe_messages=True)
                self.connected = True
                logger.info("message queue: on the cluster's node %s:%s", host, port)
                return
        raise redis.ConnectionError("no node of the Redis Cluster answers: " + "; ".join(tried))
