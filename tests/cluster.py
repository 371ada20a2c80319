"""A real Redis Cluster the suite starts from redis-server binaries (the embedded one's).

Masters share the 16,384 slots evenly; each replica follows one master. The cluster is
built with the cluster's own commands (ADDSLOTSRANGE, MEET, REPLICATE), as redis-cli
--cluster create does, so no other tool is needed.
"""
from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import redis
from redis.crc import key_slot

from server.store.embedded_redis import choose_redis_binary, die_with_parent, free_port

SLOTS = 16384


class ClusterNode:
    def __init__(self, folder: Path, port: int, bus_port: int, binary: str):
        self.folder, self.port, self.bus_port, self.binary = folder, port, bus_port, binary
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        conf = self.folder / "redis.conf"
        conf.write_text("\n".join([
            "bind 127.0.0.1", f"port {self.port}", f"cluster-port {self.bus_port}", f"dir {self.folder}",
            "cluster-enabled yes",
            "cluster-config-file nodes.conf", "cluster-node-timeout 1000", "appendonly yes",
            "appendfsync always", "save ''", "logfile redis.log", "cluster-replica-validity-factor 0",
        ]) + "\n")
        self.process = subprocess.Popen([self.binary, str(conf)], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, preexec_fn=die_with_parent)
        deadline = time.monotonic() + 15
        while True:
            try:
                if self.client().ping():
                    return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"cluster node on {self.port} did not start: {self.log()}") from None
                time.sleep(0.05)

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=5, socket_connect_timeout=1)

    def node_id(self) -> str:
        return self.client().execute_command("CLUSTER", "MYID").decode()

    def role(self) -> str:
        return self.client().info("replication")["role"]

    def kill(self) -> None:
        """SIGKILL: the node dies as a crashed machine would, with no goodbye."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def log(self) -> str:
        path = self.folder / "redis.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""


class RedisClusterServers:
    """``masters`` masters (each with ``replicas`` replicas), on free loopback ports."""

    def __init__(self, folder: Path, masters: int = 3, replicas: int = 0):
        binary = choose_redis_binary().path
        used: set[int] = set()
        self.masters: list[ClusterNode] = []
        self.replicas: list[ClusterNode] = []
        for i in range(masters * (1 + replicas)):
            port = free_port(frozenset(used))
            bus = free_port(frozenset(used | {port}))
            used |= {port, bus}
            node = ClusterNode(folder / f"node{i}", port, bus, binary)
            (self.masters if i < masters else self.replicas).append(node)
        self.replicas_per_master = replicas

    @property
    def nodes(self) -> list[ClusterNode]:
        return self.masters + self.replicas

    @property
    def url(self) -> str:
        return self.masters[0].url

    def start(self) -> RedisClusterServers:
        for node in self.nodes:
            node.start()
        per = SLOTS // len(self.masters)
        for i, node in enumerate(self.masters):
            last = SLOTS - 1 if i == len(self.masters) - 1 else (i + 1) * per - 1
            node.client().execute_command("CLUSTER", "ADDSLOTSRANGE", i * per, last)
        first = self.masters[0].client()
        for node in self.nodes[1:]:
            first.execute_command("CLUSTER", "MEET", "127.0.0.1", node.port, node.bus_port)
        self._wait(lambda: all(len(n.client().execute_command("CLUSTER", "NODES").splitlines()) == len(self.nodes)
                               for n in self.nodes), "every node to know the others")
        for j, replica in enumerate(self.replicas):
            master = self.masters[j % len(self.masters)]
            replica.client().execute_command("CLUSTER", "REPLICATE", master.node_id())
        self._wait(self.healthy, "the cluster to be ok")
        return self

    def healthy(self) -> bool:
        for node in self.nodes:
            if node.process is None or node.process.poll() is not None:
                continue
            info = node.client().execute_command("CLUSTER", "INFO").decode()
            if "cluster_state:ok" not in info:
                return False
        for replica in self.replicas:
            alive = replica.process is not None and replica.process.poll() is None
            if alive and replica.role() == "slave" and \
                    replica.client().info("replication").get("master_link_status") != "up":
                return False
        return True

    def node_of(self, key: str) -> ClusterNode:
        """The master that serves the key's slot now."""
        live = [node for node in self.nodes if node.process is not None and node.process.poll() is None]
        slot = key_slot(key.encode())
        for start, end, master, *_ in live[0].client().execute_command("CLUSTER", "SLOTS"):
            if start <= slot <= end:
                return next(n for n in self.nodes if n.port == int(master[1]))
        raise LookupError(key)

    def url_alive_client(self) -> redis.Redis:
        return next(n.client() for n in self.nodes if n.process is not None and n.process.poll() is None)

    @property
    def url_alive(self) -> str:
        """The address of a node that runs now."""
        return next(n.url for n in self.nodes if n.process is not None and n.process.poll() is None)

    def _wait(self, ready, what: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not ready():
            if time.monotonic() > deadline:
                raise RuntimeError(f"gave up waiting for {what}: " + self.masters[0].log())
            time.sleep(0.1)

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()
