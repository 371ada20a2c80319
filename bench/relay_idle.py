"""What a server process's relay spends on one event of a site none of its sockets belongs to.

    .venv/bin/python -m bench.relay_idle          # 7 rounds, rows interleaved; writes docs/benchmarks.md

Every process reads every event of every site (XREAD) and, before, decoded it, shaped its
payloads and emitted them to rooms, whether or not a socket of that site was connected to it:
with several processes, or a province's sites spread over them, most of that work is for no
one. Now an event of a site with no socket here is kept as it came (for the next screen that
joins) and neither decoded nor emitted.

The bench issues, calls and finishes tickets with the engine on an embedded Redis (the
shipped appendfsync always), then hands the same stream entries to the relay of a real app
(Flask-SocketIO emitting to its rooms, as in production) twice per round: once with a socket
of the site connected (what every event cost before) and once with none. CPU time of this
process per event; the rows alternate within each round and the table gives the median and
the range over the rounds.
"""
from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import redis
import yaml

from server import create_app
from server.config import load_config
from server.engine.actor import Actor
from server.realtime.relay import EventRelay
from server.store.embedded_redis import EmbeddedRedis

from .harness import ROOT, hall, write_section

DOC = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- bench:relay:start -->", "<!-- bench:relay:end -->"
ROUNDS, VISITS = 7, 1500


def make_events(app) -> list:
    """A busy morning's events: each visitor issued, called, started and finished at one of 12 counters."""
    engine = app.extensions["qms"].engine
    kiosk = Actor("kiosk", "kiosk-1", "hcc")
    officers = {n: Actor("officer", f"cb{n}", "hcc", n) for n in range(1, 13)}
    for n, officer in officers.items():
        engine.open_counter("hcc", n, officer)
    fields = ("TP", "DD", "XD", "KD")
    for i in range(VISITS):
        engine.issue("hcc", fields[i % 4], actor=kiosk)
        n = (i % 12) + 1
        if engine.call_next("hcc", n, officers[n]):
            engine.start("hcc", n, officers[n])
            engine.finish("hcc", n, officers[n])
    client = redis.Redis.from_url(app.extensions["qms"].config.redis.url or "")
    return client.xrange(engine.keys["hcc"].events)


def cpu_per_event(app, entries: list, listeners: int) -> float:
    svc = app.extensions["qms"]
    relay = EventRelay(svc.redis, svc.config, svc.engine.keys,
                       emit=lambda name, payload, room: svc.socketio.emit(name, payload, to=room, ignore_queue=True),
                       sleep=lambda s: None, listeners=lambda site: listeners)
    started = time.process_time()
    for _, raw in entries:
        relay._deliver("hcc", raw)
    return (time.process_time() - started) / len(entries) * 1e6


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="qms-bench-relay-"))
    store = EmbeddedRedis(tmp / "redis", appendfsync="always")
    url = store.start()
    try:
        config_path = tmp / "config.yaml"
        doc = hall(url, tmp / "data")
        doc["server"]["async_mode"] = "threading"  # in this process, without eventlet's patching
        config_path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
        app = create_app(load_config(config_path), redis_url=url, message_queue=False, start_relay=False)
        entries = make_events(app)
        rows: dict[str, list[float]] = {"a socket of the site here (every event, before)": [],
                                        "no socket of the site here (now)": []}
        for round_no in range(ROUNDS):
            order = list(rows) if round_no % 2 == 0 else list(reversed(rows))
            for name in order:
                rows[name].append(cpu_per_event(app, entries, 1 if name.startswith("a socket") else 0))
        app.extensions["qms"].shutdown()
    finally:
        store.stop()
    lines = [START, "", "### 8. The relay, per event, with and without a socket of the site on the process", "",
             f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: `python -m bench.relay_idle`, "
             f"{len(entries)} events of one site ({VISITS} visitors issued, called, started, finished at 12 "
             f"counters), "
             f"{ROUNDS} rounds, rows alternating. CPU time of the process per event.", "",
             "| the process has | µs per event, median | range |", "|---|---|---|"]
    for name, values in rows.items():
        lines.append(f"| {name} | {statistics.median(values):.0f} | {min(values):.0f}–{max(values):.0f} |")
    busy, idle = (statistics.median(v) for v in rows.values())
    lines += ["", f"A process with no screen of that site, at a hall's 10-call/s peak (about 40 events a second: "
              f"issue, call, start, finish): {busy * 40 / 1e4:.2f}% of a core before, {idle * 40 / 1e4:.3f}% now; "
              f"under the issue bench's load (about 1,300 events a second, section 1): {busy * 1300 / 1e4:.1f}% "
              f"before, {idle * 1300 / 1e4:.2f}% now. Small for one hall; what it saves grows with the sites a "
              f"process reads but does not serve (a province's processes read every site's stream).",
              "", END]
    block = "\n".join(lines)
    write_section(DOC, START, END, block)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
