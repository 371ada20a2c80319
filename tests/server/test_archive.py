"""The archive holds every stream event exactly once, even when the archiver is killed."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import redis as redis_lib
from sqlalchemy import func, select

from server.config import parse_config
from server.engine.actor import Actor
from server.engine.queue_engine import QueueEngine
from server.history.archive_schema import events, open_archive, services, tickets

from ..hall import hall_document
from ..servers import ROOT, write_config


def busy_day(engine: QueueEngine, tickets_wanted: int = 1500) -> None:
    kiosk = Actor("kiosk", "kiosk-1", "hcc")
    officers = {n: Actor("officer", f"cb{n}", "hcc", n) for n in (1, 2, 4)}
    for n, actor in officers.items():
        engine.open_counter("hcc", n, actor)
    for i in range(tickets_wanted):
        engine.issue("hcc", ("TP", "DD", "XD")[i % 3], actor=kiosk)
        if i % 2:
            n = (1, 2, 4)[i % 3]
            if engine.call_next("hcc", n, officers[n], finish_current=True):
                engine.start("hcc", n, officers[n])


def test_archive_equals_the_stream_after_a_killed_archiver(tmp_path, prefix, redis_url, archive_url):
    doc = hall_document(prefix, opening_hours="always", kiosk_tickets_per_minute=100_000)
    doc["sites"][0]["fields"][1].pop("daily_cap")
    doc["archive"] = {"url": archive_url}
    config = parse_config(doc)
    client = redis_lib.Redis.from_url(redis_url)
    engine = QueueEngine(client, config)
    busy_day(engine)
    stream = engine.keys["hcc"].events
    total = client.xlen(stream)
    assert total > 3000

    path = write_config(tmp_path, doc, redis_url=redis_url)
    args = [sys.executable, "-m", "server.cli", "archive", "--config", str(path), "--consumer", "archiver-a"]
    sql = open_archive(archive_url)

    def archived() -> int:
        with sql.connect() as conn:
            return conn.execute(select(func.count()).select_from(events)).scalar()

    first = subprocess.Popen(args, cwd=ROOT, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while archived() < 500 and time.monotonic() < deadline:
        time.sleep(0.05)
    first.send_signal(signal.SIGKILL)  # in the middle of the work
    first.wait()
    assert 0 < archived() < total

    second = subprocess.Popen(args, cwd=ROOT, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while archived() < total and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=30)

    stream_ids = {e[0].decode() for e in client.xrange(stream)}
    with sql.connect() as conn:
        rows = conn.execute(select(events.c.stream_id, events.c.seq)).all()
        archived_tickets = {r.id: r for r in conn.execute(select(tickets))}
        open_services = conn.execute(select(func.count()).select_from(services)
                                     .where(services.c.outcome == "open")).scalar()
    assert len(rows) == len({r.stream_id for r in rows}) == total   # each event once
    assert {r.stream_id for r in rows} == stream_ids
    assert sorted(r.seq for r in rows) == list(range(1, total + 1))
    # The projection agrees with the live records.
    day = next(iter(archived_tickets.values())).day
    live = {k.decode(): json.loads(v) for k, v in client.hgetall(engine.keys["hcc"].tickets(day)).items()}
    assert set(live) == set(archived_tickets)
    for ticket_id, record in live.items():
        row = archived_tickets[ticket_id]
        assert (row.state, row.counter, row.field) == (record["state"], record.get("counter"), record["field"])
    assert open_services == sum(1 for t in live.values() if t["state"] in ("called", "serving"))
    # Everything is acknowledged: nothing left pending in the group.
    assert client.xpending(stream, "archive")["pending"] == 0


def test_a_group_set_back_delivers_stored_events_again_and_they_are_stored_once(app, api, redis_url, clock):
    """New entries ('>') are stored without looking each up first; if the group was set back (an
    older Redis snapshot restored under a newer archive), the batch fails on the first one
    stored and goes one at a time: nothing twice, nothing lost."""
    from ..helpers import archive_now

    for _ in range(5):
        api.issue("TP")
    archive_now(app, redis_url)
    engine = app.extensions["qms"].engine
    stream = engine.keys["hcc"].events
    client = redis_lib.Redis.from_url(redis_url)
    client.xgroup_setid(stream, "archive", "0")   # every entry delivered again as new
    for _ in range(2):
        api.issue("DD")
    archive_now(app, redis_url)
    sql = app.extensions["qms"].archive_sql
    with sql.connect() as conn:
        ids = [r.stream_id for r in conn.execute(select(events.c.stream_id).where(events.c.site == "hcc"))]
        labels = sorted(r.label for r in conn.execute(select(tickets.c.label).where(tickets.c.site == "hcc")))
    assert sorted(ids) == sorted(e[0].decode() for e in client.xrange(stream))
    assert labels == ["1001", "1002", "1003", "1004", "1005", "2001", "2002"]
