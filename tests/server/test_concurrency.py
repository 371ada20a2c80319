"""Many counters and several server processes at once: no duplicate number, no ticket called
twice, no ticket lost."""
from __future__ import annotations

import multiprocessing
import threading
from collections import Counter

from server.config import parse_config
from server.engine.actor import Actor
from server.engine.queue_engine import QueueEngine

from ..hall import hall_document

N_COUNTERS = 12


def busy_hall_document(prefix: str) -> dict:
    """A hall of 12 counters over three fields, every officer at their own counter."""
    doc = hall_document(prefix, opening_hours="always", kiosk_tickets_per_minute=100_000)
    site = doc["sites"][0]
    site["fields"][1].pop("daily_cap")
    site["counters"] = [{"number": n, "fields": [["TP"], ["DD", "TP"], ["XD", "DD", "TP"]][n % 3],
                         "policy": "oldest" if n % 2 else "in_order"} for n in range(1, N_COUNTERS + 1)]
    pw = site["officers"][0]["password_hash"]
    site["officers"] = [{"username": f"cb{n}", "name": f"Cán bộ {n}", "counters": [n], "password_hash": pw}
                        for n in range(1, N_COUNTERS + 1)]
    return doc


def make_engine(doc, redis_url):
    import redis

    return QueueEngine(redis.Redis.from_url(redis_url), parse_config(doc))


def serve_until_empty(engine, counter: int) -> list[str]:
    """One officer's day: call, finish, call… until nobody waits."""
    actor = Actor("officer", f"cb{counter}", "hcc", counter)
    engine.open_counter("hcc", counter, actor)
    served = []
    while True:
        ticket = engine.call_next("hcc", counter, actor)
        if ticket is None:
            return served
        served.append(ticket["id"])
        engine.finish("hcc", counter, actor)


def issue_many(engine, kiosk: str, fields: list[str]) -> list[tuple[str, str, str]]:
    actor = Actor("kiosk", kiosk, "hcc")
    out = []
    for i, field in enumerate(fields):
        t = engine.issue("hcc", field, actor=actor, priority="elderly" if i % 7 == 0 else None)
        out.append((t["id"], t["field"], t["label"]))
    return out


def check_numbers(issued):
    by_field = {}
    for _id, field, label in issued:
        by_field.setdefault(field, []).append(int(label))
    for field, numbers in by_field.items():
        first = {"TP": 1001, "DD": 2001, "XD": 3001}[field]
        assert sorted(numbers) == list(range(first, first + len(numbers))), f"gaps or duplicates in {field}"


def test_threads_issue_and_call_at_once(prefix, redis_url):
    doc = busy_hall_document(prefix)
    engines = [make_engine(doc, redis_url) for _ in range(3)]  # three "servers"
    issued, served, errors = [], {}, []
    lock = threading.Lock()
    fields = ["TP", "DD", "XD"] * 40

    def kiosk(i):
        try:
            got = issue_many(engines[i % 3], f"kiosk-{i % 2 + 1}", fields)
            with lock:
                issued.extend(got)
        except Exception as err:
            errors.append(err)

    kiosks = [threading.Thread(target=kiosk, args=(i,)) for i in range(6)]
    for t in kiosks:
        t.start()
    for t in kiosks:
        t.join()
    assert not errors

    def officer(n):
        try:
            served[n] = serve_until_empty(engines[n % 3], n)
        except Exception as err:
            errors.append(err)

    officers = [threading.Thread(target=officer, args=(n,)) for n in range(1, N_COUNTERS + 1)]
    for t in officers:
        t.start()
    for t in officers:
        t.join()
    assert not errors
    assert len(issued) == 6 * 120
    check_numbers(issued)
    called = Counter(i for ids in served.values() for i in ids)
    assert max(called.values()) == 1, "a ticket was called twice"
    assert set(called) == {i for i, _f, _l in issued}, "a ticket was lost"
    assert sum(1 for ids in served.values() if ids) >= 6  # the work really was shared


def _process_worker(kind, doc, redis_url, arg, results):
    engine = make_engine(doc, redis_url)
    if kind == "kiosk":
        results.put(("issued", issue_many(engine, f"kiosk-{arg % 2 + 1}", ["TP", "XD", "DD"] * 30)))
    else:
        # Officers start while kiosks are still issuing: keep serving until the queue stays empty.
        served = []
        for _ in range(40):
            served += serve_until_empty(engine, arg)
            import time

            time.sleep(0.02)
        results.put(("served", served))


def test_several_processes_issue_and_call_at_once(prefix, redis_url):
    doc = busy_hall_document(prefix)
    ctx = multiprocessing.get_context("spawn")
    results = ctx.Queue()
    procs = [ctx.Process(target=_process_worker, args=("kiosk", doc, redis_url, i, results)) for i in range(3)]
    procs += [ctx.Process(target=_process_worker, args=("officer", doc, redis_url, n, results))
              for n in range(1, 7)]
    for p in procs:
        p.start()
    collected = [results.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=30)
        assert p.exitcode == 0
    issued = [t for kind, items in collected if kind == "issued" for t in items]
    served = [i for kind, items in collected if kind == "served" for i in items]
    assert len(issued) == 3 * 90
    check_numbers(issued)
    assert len(served) == len(set(served)), "a ticket was called twice"
    # Whatever was not served before the officers stopped still waits: nothing vanished.
    engine = make_engine(doc, redis_url)
    snap = engine.snapshot("hcc")
    still_waiting = sum(w["waiting"] for w in snap["waiting"].values())
    assert len(served) + still_waiting == len(issued)
