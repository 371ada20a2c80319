"""A busy site's peak with 1,000 phones and 50 screens connected: pages that pull after every
update (before) against pages that the server pushes state to (now).

    .venv/bin/python -m bench.push_vs_pull        # 3 rounds, rows interleaved; writes docs/benchmarks.md

Each round starts two halls with the shipped settings (two workers, INFO logging, embedded
Redis with appendfsync always): one served from the last commit whose pages pulled
(BEFORE, checked out into a temporary git worktree), one from this tree. Each hall gets
1,000 waiting tickets (250 per field), 16 open counters, and, in two client processes
(bench/hall_clients.py), a phone page for every ticket, 16 counter screens, 24 kiosks and
10 lobby displays, each acting as its page does in that version. Then 10 calls a second
for 20 s, each a counter's `start` of its visitor and `call-next` with `finish_current`.
Measured over the peak and the 3 s after it: CPU time of the server processes (parent and
workers) and of redis-server, per call; the requests the pages made (phone GETs, snapshot
requests); errors; and called visitors whose phone did not hear the call (each a failure).
The peak's length is reported too: a server that cannot keep up stretches it.
"""
from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from .harness import COUNTERS, KIOSK_TOKEN, ROOT, Hall, cpu_seconds, write_section

BEFORE = "43d713e"   # the last commit whose kiosk, counter, monitor and phone pages pulled
DOC = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- bench:push:start -->", "<!-- bench:push:end -->"
ROUNDS, PHONES, KIOSKS, DISPLAYS = 3, 1000, 24, 10
RATE, SECONDS, SETTLE = 10, 20, 3.0
FIELDS = ("TP", "DD", "XD", "KD")


def worktree() -> Path:
    path = Path(tempfile.mkdtemp(prefix="qms-before-"))
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-f", str(path), BEFORE],
                   check=True, capture_output=True)
    return path


def prepare(hall: Hall) -> tuple[list[dict], dict[int, requests.Session]]:
    """1,000 waiting tickets, a quarter per field, and every counter open with its officer."""
    api = hall.url() + "/api/v1/sites/hcc"
    kiosk = requests.Session()
    kiosk.headers["Authorization"] = f"Bearer {KIOSK_TOKEN}"
    phones = []
    for i in range(PHONES):
        t = kiosk.post(f"{api}/tickets", json={"field": FIELDS[i % 4]}, timeout=10).json()
        phones.append({"id": t["id"], "token": t["token"], "field": t["field"]})
    officers = {}
    for n in range(1, COUNTERS + 1):
        officers[n] = requests.Session()
        officers[n].headers["Authorization"] = "Bearer " + hall.login(n)
        officers[n].headers["Connection"] = "close"   # no stale keep-alive between a counter's calls
        officers[n].post(f"{api}/counters/{n}/open", json={}, timeout=10).raise_for_status()
    return phones, officers


def peak(api: str, officers: dict[int, requests.Session]) -> tuple[list[str], int]:
    """RATE calls a second for SECONDS: each counter in turn starts its visitor, then finishes
    and calls the next in one step."""
    called, errors = [], 0
    started = time.monotonic()
    for i in range(RATE * SECONDS):
        time.sleep(max(0.0, started + i / RATE - time.monotonic()))
        n = 1 + i % COUNTERS
        try:
            if i >= COUNTERS:
                errors += officers[n].post(f"{api}/counters/{n}/start", json={}, timeout=10).status_code != 200
            r = officers[n].post(f"{api}/counters/{n}/call-next", json={"finish_current": True}, timeout=10)
        except requests.RequestException as err:   # a timeout or a refused connection is an error
            sys.stderr.write(f"counter {n}: {err}\n")
            errors += 1
            continue
        if r.status_code == 200:
            called.append(r.json()["id"])
        else:
            errors += 1
    return called, errors


def start_clients(hall: Hall, mode: str, phones: list[dict], tokens: list[str]) -> tuple[list, list[Path]]:
    """Two client processes, each with half of everything; returns once all are connected."""
    tmp = Path(tempfile.mkdtemp(prefix="qms-clients-"))
    clients, outs = [], []
    for part in range(2):
        spec = {"phones": phones[part::2], "counters": tokens[part::2], "kiosks": KIOSKS // 2,
                "displays": DISPLAYS // 2}
        (tmp / f"spec{part}.json").write_text(json.dumps(spec), encoding="utf-8")
        outs.append(tmp / f"out{part}.json")
        clients.append(subprocess.Popen([sys.executable, "-m", "bench.hall_clients", hall.url(), mode,
                                         str(tmp / f"spec{part}.json"), str(outs[-1])],
                                        cwd=ROOT, stdout=subprocess.PIPE, text=True))
    for c in clients:
        if c.stdout.readline().strip() != "ready":
            raise RuntimeError("the clients did not connect")
    return clients, outs


def one(mode: str, root: Path) -> dict:
    hall = Hall(workers=2, log_level="INFO", root=root)
    clients: list[subprocess.Popen] = []
    try:
        phones, officers = prepare(hall)
        tokens = [o.headers["Authorization"].split()[1] for o in officers.values()]
        clients, outs = start_clients(hall, mode, phones, tokens)
        time.sleep(2.0)
        pids, redis_pid = hall.server_pids(), hall.redis.process.pid
        cpu0, redis0 = sum(cpu_seconds(p) for p in pids), cpu_seconds(redis_pid)
        started = time.monotonic()
        called, errors = peak(hall.url() + "/api/v1/sites/hcc", officers)
        time.sleep(SETTLE)
        seconds = time.monotonic() - started
        cpu = sum(cpu_seconds(p) for p in pids) - cpu0
        redis_cpu = cpu_seconds(redis_pid) - redis0
        for c in clients:
            c.terminate()
        for c in clients:
            c.wait(timeout=20)
        counts = [json.loads(o.read_text(encoding="utf-8")) for o in outs]
        heard = {token for c in counts for token in c["called"]}
        by_id = {p["id"]: p["token"] for p in phones}
        calls = len(called)
        return {"calls": calls, "seconds": seconds, "cpu_ms": 1000 * cpu / calls, "redis_ms": 1000 * redis_cpu / calls,
                "cpu_share": cpu / seconds, "gets": sum(c["gets"] for c in counts),
                "snapshots": sum(c["snapshots"] for c in counts), "messages": sum(c["messages"] for c in counts),
                "errors": errors + sum(c["errors"] for c in counts),
                "missed": sum(1 for tid in called if by_id[tid] not in heard)}
    finally:
        for c in clients:
            if c.poll() is None:
                c.kill()
        hall.close()


def render(results: dict[str, list[dict]]) -> str:
    def cell(values: list[float], digits: int = 1, unit: str = "") -> str:
        return f"{statistics.median(values):,.{digits}f}{unit} ({min(values):,.{digits}f}–{max(values):,.{digits}f})"

    rows = []
    for mode, label in (("pull", f"before ({BEFORE}): pages pull"), ("push", "now: state pushed")):
        runs = results[mode]
        rows.append(f"| {label} | {cell([r['seconds'] for r in runs], 0, ' s')} | "
                    f"{cell([r['cpu_ms'] for r in runs], 0, ' ms')} | "
                    f"{cell([r['redis_ms'] for r in runs], 1, ' ms')} | "
                    f"{cell([100 * r['cpu_share'] for r in runs], 0, ' %')} | "
                    f"{cell([r['gets'] for r in runs], 0)} | {cell([r['snapshots'] for r in runs], 0)} | "
                    f"{cell([r['messages'] / r['calls'] for r in runs], 0)} | "
                    f"{sum(r['errors'] for r in runs)} | {sum(r['missed'] for r in runs)} of "
                    f"{sum(r['calls'] for r in runs)} |")
    return "\n".join([
        START,
        "## 11. A busy site's peak with 1,000 phones: pages that pull against pushed state",
        "",
        f"A busy site's peak (`python -m bench.push_vs_pull`): {PHONES:,} phone pages and 50 screens (16 counter "
        f"screens, {KIOSKS} kiosks, {DISPLAYS} displays) connected, {RATE} calls a second for {SECONDS} s, two "
        f"workers, INFO logging; {ROUNDS} interleaved rounds, median (range). CPU is the server's processes' "
        "(parent and workers) and redis-server's, over the peak and the 3 s after it, divided by the calls. "
        "A call whose visitor's phone did not hear it counts as missed.",
        "",
        f"| pages | {RATE * SECONDS} calls took (asked: {SECONDS} s + {SETTLE:.0f} s) | server CPU per call | "
        "redis CPU per call | server CPU share | phone GETs | snapshot requests | messages received per call | "
        "errors | calls missed |",
        "|---|---|---|---|---|---|---|---|---|---|",
        *rows,
        END,
    ])


def main() -> int:
    before = worktree()
    results: dict[str, list[dict]] = {"pull": [], "push": []}
    try:
        for round_no in range(ROUNDS):
            for mode in (("pull", "push") if round_no % 2 == 0 else ("push", "pull")):
                sys.stderr.write(f"round {round_no + 1}, {mode}…\n")
                results[mode].append(one(mode, before if mode == "pull" else ROOT))
                sys.stderr.write(json.dumps(results[mode][-1]) + "\n")
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(before)], check=False)
    block = render(results)
    write_section(DOC, START, END, block)
    return 0


if __name__ == "__main__":
    sys.exit(main())
