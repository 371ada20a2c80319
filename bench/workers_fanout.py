"""A call reaching 1,000 connected screens, with `qms serve --workers 1` and `--workers 2`.

    .venv/bin/python -m bench.workers_fanout        # 5 rounds, rows interleaved; writes docs/benchmarks.md

Each round starts a hall (embedded Redis with the shipped appendfsync always, the shipped
INFO log level) once with one worker and once with two, connects 1,000 websocket screens
(light asyncio clients in two other processes, bench/fanout.py), then makes 60 calls 0.2 s
apart. For each call: the time until the last of the 1,000 screens had it (every-client
latency), and whether every screen had it at all: a call that missed a screen counts as a
failure. The clients share the machine's two cores with the server, as in bench.run.
"""
from __future__ import annotations

import statistics
import sys
from pathlib import Path

from .harness import KIOSK_TOKENS, ROOT, Hall, post_script, write_section, wrk
from .run import bench_fanout

DOC = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- bench:workers:start -->", "<!-- bench:workers:end -->"
ROUNDS, CLIENTS, CALLS = 5, 1000, 60


def one(workers: int, root: Path = ROOT) -> dict:
    """One round of the fan-out on a fresh hall (of the tree at ``root``): its every-screen and
    per-delivery figures."""
    hall = Hall(workers=workers, log_level="INFO", root=root)
    try:
        return {**bench_fanout(hall, clients=CLIENTS, calls=CALLS, rounds=1)["runs"][0], "calls": CALLS}
    finally:
        hall.close()


ISSUE_START, ISSUE_END = "<!-- bench:workers-issue:start -->", "<!-- bench:workers-issue:end -->"


def issue(workers: int) -> dict:
    """Tickets issued over HTTP by 8 wrk connections for 8 s (timeouts at 10 s count as errors)."""
    hall = Hall(workers=workers, log_level="INFO")
    try:
        return wrk(hall.url() + "/api/v1/sites/hcc/tickets",
                   post_script("/api/v1/sites/hcc/tickets", {"field": "TP"}, KIOSK_TOKENS), 8)
    finally:
        hall.close()


def main_issue() -> int:
    results: dict[int, list[dict]] = {1: [], 2: []}
    for round_no in range(ROUNDS):
        for workers in ((1, 2) if round_no % 2 == 0 else (2, 1)):
            results[workers].append(issue(workers))

    def cell(values: list[float], unit: str, digits: int = 0) -> str:
        return f"{statistics.median(values):,.{digits}f}{unit} ({min(values):,.{digits}f}–{max(values):,.{digits}f})"

    block = "\n".join([
        ISSUE_START,
        "Issuing over HTTP with the same halls (`python -m bench.workers_fanout issue`): 8 wrk connections for 8 s, "
        f"timeouts at 10 s and socket errors counted as errors, {ROUNDS} interleaved rounds; median (range):",
        "",
        "| workers | tickets/s | p99 | errors |",
        "|---|---|---|---|",
        *(f"| {w} | {cell([r['rps'] for r in runs], '')} | {cell([r['p99'] for r in runs], ' ms', 1)} | "
          f"{sum(r['errors'] for r in runs)} |" for w, runs in results.items()),
        ISSUE_END,
    ])
    write_section(DOC, ISSUE_START, ISSUE_END, block)
    return 0


def main() -> int:
    if sys.argv[1:] == ["issue"]:
        return main_issue()
    results: dict[int, list[dict]] = {1: [], 2: []}
    for round_no in range(ROUNDS):
        for workers in ((1, 2) if round_no % 2 == 0 else (2, 1)):
            sys.stderr.write(f"round {round_no + 1}, {workers} worker(s)…\n")
            results[workers].append(one(workers))
    block = render(results)
    write_section(DOC, START, END, block)
    return 0


def render(results: dict[int, list[dict]]) -> str:
    def cell(values: list[float]) -> str:
        return f"{statistics.median(values):.0f} ms ({min(values):.0f}–{max(values):.0f})"

    rows = []
    for workers, runs in results.items():
        missed = sum(r["calls"] - r["complete_calls"] for r in runs)
        rows.append(f"| {workers} | {cell([r['all_p99'] for r in runs])} | {cell([r['all_p50'] for r in runs])} | "
                    f"{cell([r['p99'] for r in runs])} | {missed} of {sum(r['calls'] for r in runs)} |")
    return "\n".join([
        START,
        "## 10. A call to 1,000 screens with one and two workers",
        "",
        "`python -m bench.workers_fanout` (bench/workers_fanout.py): one `qms serve` with `--workers 1` and with "
        f"`--workers 2` (its default on this 2-core machine), {CLIENTS:,} websocket screens, {CALLS} calls 0.2 s "
        f"apart, shipped settings (INFO logs, appendfsync always). {ROUNDS} rounds, the two rows alternating "
        "within each; median (range) over the rounds.",
        "",
        "| workers | every-screen p99 | every-screen p50 | per-delivery p99 | calls that missed a screen |",
        "|---|---|---|---|---|",
        *rows,
        "",
        "Every-screen latency: from the call's request to the moment the last of the screens had it. "
        "Target: p99 ≤ 150 ms with the clients on the same two cores.",
        END,
    ])


if __name__ == "__main__":
    sys.exit(main())
