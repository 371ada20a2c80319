"""A province on a real Redis Cluster: three masters started from redis-server binaries,
the sites spread over them, and `qms serve` (its workers, relay and archiver) on top.

Each site's keys share its hash tag, so each lands whole on one shard. What reads many
sites (the relay's XREAD, the archiver's XREADGROUP) must then read them one slot at a
time: a cluster refuses a command over several slots (CROSSSLOT).
"""
from __future__ import annotations

import logging
import sqlite3
import threading
import time
import uuid
from collections import Counter

import pytest
import requests
import yaml
from redis.cluster import RedisCluster

from server.realtime.message_queue import ClusterMessageQueue

from ..cluster import RedisClusterServers
from ..hall import PASSWORD, hall_document, password_hash
from ..helpers import wait_until
from ..servers import ServerProcess, write_config

CLOSE = {"Connection": "close"}
logger = logging.getLogger(__name__)


def spread_sites(cluster: RedisClusterServers, prefix: str, per_shard: int = 1) -> list[str]:
    """Site ids whose keys land on every master of the cluster (``per_shard`` on each)."""
    chosen: dict[int, list[str]] = {node.port: [] for node in cluster.masters}
    i = 0
    while any(len(ids) < per_shard for ids in chosen.values()):
        i += 1
        site = f"xa{i}"
        port = cluster.node_of(f"{prefix}:{{{site}}}:events").port
        if len(chosen[port]) < per_shard:
            chosen[port].append(site)
    return [site for ids in chosen.values() for site in ids]


def commune(site: str) -> dict:
    return {"id": site, "name": f"Bộ phận Một cửa {site}", "opening_hours": "always",
            "kiosk_tickets_per_minute": 100_000,   # the failover test's kiosks issue without pause
            "fields": [{"code": "A", "name": "Hộ tịch", "prefix": "A", "numbers": "1-9999", "digits": 4}],
            "counters": [{"number": 1, "fields": ["A"]}],
            "officers": [{"username": f"cb-{site}", "name": "Cán bộ", "counters": [1],
                          "password_hash": password_hash(PASSWORD)}],
            "kiosks": [{"id": "kiosk-1", "token": f"kiosk-token-{site}-0001"}],
            "displays": [{"id": "display-1", "token": f"display-token-{site}-01"}]}


def province(tmp_path, cluster: RedisClusterServers, sites: list[str], prefix: str):
    doc = hall_document(prefix)
    doc["sites"] = [commune(site) for site in sites]
    doc["redis"]["cluster"] = True
    return write_config(tmp_path, doc, redis_url=cluster.url)


def issue(server: ServerProcess, site: str, key: str | None = None) -> requests.Response:
    headers = {**CLOSE, "Authorization": f"Bearer kiosk-token-{site}-0001"}
    if key:
        headers["Idempotency-Key"] = key
    return requests.post(f"{server.url}/api/v1/sites/{site}/tickets", json={"field": "A"}, headers=headers,
                         timeout=10)


def archived(data_dir, site: str) -> set[str]:
    with sqlite3.connect(data_dir / "archive.sqlite") as db:
        return {row[0] for row in db.execute("SELECT id FROM tickets WHERE site = ?", (site,))}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    servers = RedisClusterServers(tmp_path_factory.mktemp("cluster"), masters=3).start()
    yield servers
    servers.stop()


def test_sites_on_three_shards_issue_call_reach_their_screens_and_are_archived(tmp_path, cluster):
    from hardware.ordered_client import OrderedClient

    prefix = f"qmstest-{uuid.uuid4().hex[:12]}"
    sites = spread_sites(cluster, prefix)
    server = ServerProcess(province(tmp_path, cluster, sites, prefix), workers=2).wait_ready()
    screens: list = []
    try:
        for site in sites:
            screen = OrderedClient(reconnection=False)
            heard: list = []
            screen.on("update", heard.append)
            screen.connect(server.url, auth={"site": site, "token": f"display-token-{site}-01"},
                           transports=["websocket"], wait_timeout=10)
            screens.append((site, screen, heard))
        tickets = {}
        for site in sites:
            r = issue(server, site)
            assert r.status_code == 201, r.text
            tickets[site] = r.json()
            assert tickets[site]["label"] == "A0001"
        for site in sites:
            url = f"{server.url}/api/v1/sites/{site}"
            desk = requests.post(f"{url}/login", json={"username": f"cb-{site}", "password": PASSWORD, "counter": 1},
                                 headers=CLOSE, timeout=10).json()["token"]
            auth = {**CLOSE, "Authorization": f"Bearer {desk}"}
            requests.post(f"{url}/counters/1/open", headers=auth, timeout=10)
            called = requests.post(f"{url}/counters/1/call-next", headers=auth, timeout=10)
            assert called.status_code == 200 and called.json()["id"] == tickets[site]["id"], called.text
        for site, _screen, heard in screens:
            wait_until(lambda h=heard: any(u.get("type") == "ticket.called" for u in h), timeout=10,
                       what=f"the display of {site} to hear its call")
            called = next(u for u in heard if u.get("type") == "ticket.called")
            assert called["ticket"]["id"] == tickets[site]["id"]   # its own site's call, not another's
        # The keys of each site are on one master, and every master holds a site.
        holders = {node.port: {key.decode().split("{", 1)[1].split("}", 1)[0]
                               for key in node.client().scan_iter(match=f"{prefix}:*")}
                   for node in cluster.masters}
        assert all(len(held) == 1 for held in holders.values()), holders
        assert set().union(*holders.values()) == set(sites)
        # The archiver (one per qms serve) reads every shard: each site's ticket reaches SQL.
        data_dir = tmp_path / "data"
        for site in sites:
            wait_until(lambda s=site: tickets[s]["id"] in archived(data_dir, s), timeout=15,
                       what=f"{site}'s ticket archived")
    finally:
        for _site, screen, _heard in screens:
            screen.disconnect()
        server.stop()
    whole = server.log_path.read_text(errors="replace")
    assert "CROSSSLOT" not in whole and "Traceback" not in whole, whole[-3000:]


def test_webhooks_of_sites_on_three_shards_are_each_sent(tmp_path, cluster):
    """The webhook sender reads each site's stream on its own shard (a consumer group per hook)."""
    from ..receiver import Receiver

    prefix = f"qmstest-{uuid.uuid4().hex[:12]}"
    sites = spread_sites(cluster, prefix)
    receiver = Receiver()
    secret = "province-one-stop-0123456789"
    path = province(tmp_path, cluster, sites, prefix)
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    for site in doc["sites"]:
        site["webhooks"] = [{"id": "motcua", "url": receiver.url, "events": ["ticket"], "secret": secret}]
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    server = ServerProcess(path).wait_ready()
    try:
        def sent_sites():
            return {e["site"] for e in receiver.events(secret)}

        def issue_everywhere():
            for site in sites:
                assert issue(server, site).status_code == 201
            return sent_sites() == set(sites)

        # Each hook's group is made when the sender first looks: tickets from then on are sent.
        wait_until(issue_everywhere, timeout=40, what="a ticket of every shard's site at the receiver")
    finally:
        server.stop()
        receiver.close()
    whole = server.log_path.read_text(errors="replace")
    assert "CROSSSLOT" not in whole and "Traceback" not in whole, whole[-3000:]


def test_a_master_killed_under_issue_load_loses_no_acknowledged_ticket(tmp_path_factory, tmp_path):
    """Three masters, each with a replica. Kiosks of every site issue without pause; the master
    of one site's shard is killed (SIGKILL). Its replica takes over within seconds, the kiosks'
    retries (same idempotency key) then succeed, and every ticket a kiosk was given is still
    there, each number once."""
    from hardware.ordered_client import OrderedClient

    servers = RedisClusterServers(tmp_path_factory.mktemp("failover"), masters=3, replicas=1).start()
    prefix = f"qmstest-{uuid.uuid4().hex[:12]}"
    sites = spread_sites(servers, prefix)
    server = ServerProcess(province(tmp_path, servers, sites, prefix), workers=2).wait_ready()
    given: dict[str, dict[str, dict]] = {site: {} for site in sites}   # idempotency key -> ticket
    refused: dict[str, list[int]] = {site: [] for site in sites}
    stop = threading.Event()

    def kiosk(site: str) -> None:
        while not stop.is_set():
            key = uuid.uuid4().hex
            while not stop.is_set():   # the same press again until it is answered
                try:
                    r = issue(server, site, key)
                except requests.RequestException:
                    r = None
                if r is not None and r.status_code in (200, 201):
                    given[site][key] = r.json()
                    time.sleep(0.02)   # a busy kiosk: about 20 presses a second each
                    break
                refused[site].append(r.status_code if r is not None else 0)
                # Only the store's outage refuses, saying so (503 store_unavailable, never a 500).
                assert r is None or r.status_code == 503, r.text
                time.sleep(0.05)

    kiosks = [threading.Thread(target=kiosk, args=(site,)) for site in sites for _ in range(2)]
    # What workers send each other goes through one node; the one it starts on is killed below.
    queue = ClusterMessageQueue(RedisCluster.from_url(servers.url), servers.url, channel=f"{prefix}-socketio",
                                write_only=True)
    queue._redis_connect()
    assert queue.redis.connection_pool.connection_kwargs["port"] == servers.masters[0].port
    screen = OrderedClient(reconnection=False)
    heard: list = []
    screen.on("update", heard.append)
    screen.connect(server.url, auth={"site": sites[0], "token": f"display-token-{sites[0]}-01"},
                   transports=["websocket"], wait_timeout=10)
    try:
        for thread in kiosks:
            thread.start()
        time.sleep(2)
        victim = servers.node_of(f"{prefix}:{{{sites[0]}}}:events")
        before = len(given[sites[0]])
        victim.kill()
        killed_at = time.monotonic()
        wait_until(lambda: len(given[sites[0]]) > before + 20, timeout=30,
                   what=f"{sites[0]}'s kiosks to be answered again after its master died")
        back_after = time.monotonic() - killed_at
        time.sleep(1)
    finally:
        stop.set()
        for thread in kiosks:
            thread.join(20)
    try:
        # The lobby display of the failed-over site still hears the calls made there.
        url = f"{server.url}/api/v1/sites/{sites[0]}"
        desk = requests.post(f"{url}/login", json={"username": f"cb-{sites[0]}", "password": PASSWORD, "counter": 1},
                             headers=CLOSE, timeout=10).json()["token"]
        auth = {**CLOSE, "Authorization": f"Bearer {desk}"}
        requests.post(f"{url}/counters/1/open", headers=auth, timeout=10)
        called = requests.post(f"{url}/counters/1/call-next", headers=auth, timeout=10).json()
        wait_until(lambda: any(u.get("type") == "ticket.called" and u["ticket"]["id"] == called["id"] for u in heard),
                   timeout=10, what="the display to hear a call made after the failover "
                                    f"(connected: {screen.connected}, heard {len(heard)} updates, last {heard[-1:]})")
        assert victim.port != servers.node_of(f"{prefix}:{{{sites[0]}}}:events").port   # a replica took over
        store = RedisCluster.from_url(servers.url_alive)
        for site in sites:
            tickets = list(given[site].values())
            assert len(tickets) > 20, (site, len(tickets))
            days = {t["id"].split("-")[0] for t in tickets}
            stored = {}
            for day in days:
                stored.update(store.hgetall(f"{prefix}:{{{site}}}:tickets:{day}"))
            missing = [t["id"] for t in tickets if t["id"].encode() not in stored]
            assert not missing, f"{site}: {len(missing)} acknowledged tickets lost: {missing[:5]}"
            labels = [t["label"] for t in tickets]
            assert len(labels) == len(set(labels)), f"{site}: a number given twice"
        logger.info("failover: %s tickets acknowledged (%s); %d presses refused then sent again; the killed "
                    "shard answered again after %.1f s", sum(len(g) for g in given.values()),
                    {site: len(g) for site, g in given.items()}, len(refused[sites[0]]), back_after)
        # The failover took seconds, not minutes (cluster-node-timeout is 1 s here).
        assert back_after < 20, back_after
        # The server says it is well again (every master of the cluster answers).
        health = requests.get(f"{server.url}/api/v1/health", headers=CLOSE, timeout=10)
        assert health.status_code == 200, health.text
        # The message queue finds a node that lives: a message published reaches a subscriber.
        listener = servers.url_alive_client().pubsub(ignore_subscribe_messages=True)
        listener.subscribe(f"{prefix}-socketio")
        queue.connected = False   # as after its connection failed
        queue._publish({"method": "emit", "event": "ping"})
        heard_queue = wait_until(lambda: listener.get_message(timeout=0.1), timeout=5,
                                 what="the message queue's message after the failover")
        assert b"ping" in heard_queue["data"]
        # The display missed no event of the failover: every sequence number, in order.
        seqs = [u["seq"] for u in heard]
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), "the display missed events"
        # And the archive has every ticket acknowledged, on every shard.
        for site in sites:
            ids = {t["id"] for t in given[site].values()}
            wait_until(lambda s=site, i=ids: i <= archived(tmp_path / "data", s), timeout=30,
                       what=f"every acknowledged ticket of {site} archived")
        # The other shards went on: their kiosks were refused nothing.
        assert not any(refused[site] for site in sites[1:]), refused
        # Each process said the outage once, not at every request that failed between two that
        # worked on the other shards (a hall's log at the peak must stay readable).
        said = Counter(line.split()[3] for line in server.log_path.read_text(errors="replace").splitlines()
                       if " WARNING " in line and "store_health" in line)
        assert said and max(said.values()) <= 2, said
    finally:
        screen.disconnect()
        server.stop()
        servers.stop()


def test_a_site_removed_and_made_again_is_read_by_one_reader(cluster):
    """On a cluster each site has its own reader. A site removed and made again with the same
    code (a province admin's mistake undone) must be read again, by one reader only: none would
    leave its screens deaf, two would send them every event twice."""
    from datetime import datetime

    from server.config import parse_config
    from server.engine.clock import ControlledClock
    from server.engine.keys import Keys
    from server.engine.queue_engine import QueueEngine
    from server.realtime.relay import EventRelay
    from server.store.clients import blocking_client, queue_client

    from ..conftest import HCM

    prefix = f"qmstest-{uuid.uuid4().hex[:12]}"
    doc = hall_document(prefix)
    doc["sites"] = [commune("xa1")]
    doc["redis"].update(url=cluster.url, cluster=True)
    config = parse_config(doc)
    engine = QueueEngine(queue_client(cluster.url, cluster=True), config,
                         clock=ControlledClock(datetime(2026, 11, 23, 9, 0, tzinfo=HCM)))
    heard: list[int] = []
    relay = EventRelay(blocking_client(cluster.url, cluster=True), config, engine.keys,
                       emit=lambda name, payload, room: name == "update" and heard.append(payload["seq"]),
                       sleep=time.sleep, listeners=lambda site: 1,
                       spawn=lambda target, *args: threading.Thread(target=target, args=args, daemon=True).start())
    relay.prime()
    threading.Thread(target=relay.run, daemon=True).start()
    try:
        time.sleep(1.5)   # its reader started (within a second) and waits in its XREAD
        engine.issue("xa1", "A")
        wait_until(lambda: heard == [1], timeout=5, what="the first ticket's event")
        relay.remove_site("xa1")
        site = config.sites["xa1"]
        engine.keys["xa1"] = Keys(prefix, site)
        relay.add_site("xa1")   # made again within a second: the old reader may still be waiting
        time.sleep(1.5)   # a reader for the site made again (within a second)
        engine.issue("xa1", "A")
        wait_until(lambda: 2 in heard, timeout=10, what="the event after the site was made again")
        time.sleep(1.5)
        assert heard == [1, 2], heard   # each event once
        # Removed again, and made again once its old reader has ended (it wakes every 5 s).
        relay.remove_site("xa1")
        time.sleep(6)
        engine.keys["xa1"] = Keys(prefix, site)
        relay.add_site("xa1")
        time.sleep(1.5)
        engine.issue("xa1", "A")
        wait_until(lambda: 3 in heard, timeout=10, what="the event after the site was made again, later")
        assert heard == [1, 2, 3], heard
    finally:
        relay.stop()
