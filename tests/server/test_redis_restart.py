"""Redis with AOF: a crash or restart of the store keeps every acknowledged change."""
from __future__ import annotations

from datetime import datetime

import redis

from server.config import parse_config
from server.engine.actor import Actor
from server.engine.clock import ControlledClock
from server.engine.queue_engine import QueueEngine
from server.store.clients import queue_client
from server.store.embedded_redis import EmbeddedRedis

from ..conftest import HCM
from ..hall import hall_document


def test_state_survives_a_redis_crash_and_the_engine_carries_on(tmp_path, prefix):
    store = EmbeddedRedis(tmp_path / "redis", appendfsync="always")
    store.start()
    try:
        config = parse_config(hall_document(prefix, opening_hours="always"))
        clock = ControlledClock(datetime(2026, 11, 23, 9, 0, tzinfo=HCM))
        engine = QueueEngine(queue_client(store.url), config, clock=clock)
        kiosk = Actor("kiosk", "kiosk-1", "hcc")
        officer = Actor("officer", "cb1", "hcc", 1)
        issued = [engine.issue("hcc", "TP", actor=kiosk) for _ in range(5)]
        engine.open_counter("hcc", 1, officer)
        called = engine.call_next("hcc", 1, officer)
        engine.start("hcc", 1, officer)
        before = engine.snapshot("hcc")

        store.kill()  # SIGKILL: no chance to flush anything more
        store.start()  # the same server again: its port, its data, its password

        # The same engine (same pooled connection, same registered scripts) goes on after the restart.
        after = engine.snapshot("hcc")
        assert after == before
        assert after["counters"][0]["ticket"]["id"] == called["id"]
        assert after["counters"][0]["ticket"]["state"] == "serving"
        assert after["waiting"]["TP"]["waiting"] == 4
        # Scripts were lost with the server's script cache: they are loaded again by themselves.
        assert engine.issue("hcc", "TP", actor=kiosk)["label"] == "1006"
        engine.finish("hcc", 1, officer)
        assert engine.call_next("hcc", 1, officer)["id"] == issued[1]["id"]
    finally:
        store.stop()


def test_embedded_redis_keeps_its_data_across_a_clean_restart(tmp_path):
    store = EmbeddedRedis(tmp_path / "redis")
    store.start()
    redis.Redis.from_url(store.url).set("qms-check", "giữ lại")
    store.stop()
    store.start()
    try:
        assert redis.Redis.from_url(store.url).get("qms-check").decode() == "giữ lại"
    finally:
        store.stop()
