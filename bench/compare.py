"""This tree against another commit, interleaved on the same machine: ticket issue at 8
clients, (``fanout``) a call to 1,000 screens, or (``calls``) officers calling over Socket.IO.

    .venv/bin/python -m bench.compare main          # (a branch, a tag or a commit)
    QMS_BENCH_ROUNDS=7 .venv/bin/python -m bench.compare HEAD~3
    .venv/bin/python -m bench.compare main fanout   # bench.workers_fanout's round, on both trees
    .venv/bin/python -m bench.compare main calls    # bench.run's 2b at 1 and 16 officers

Both are served as shipped (INFO logging, one worker per core, the archiver running), each on
its own embedded Redis; every round runs one after the other, so the machine's noise falls on
both. Cells are the median (lowest–highest run); CPU is every `qms serve` process of the tree
(workers and archiver) over the tickets issued. The other commit is checked out into a
temporary git worktree, removed afterwards. In ``calls`` each round starts a fresh hall of each
tree in turn and runs bench.run's call-next over Socket.IO once at 1 and at 16 officers (4,000
waiting per field, this tree's clients for both). In ``fanout`` each round starts a fresh hall of each
tree (two workers) in turn and runs bench.workers_fanout's round on it: 1,000 websocket screens
(this tree's light clients for both), 60 calls 0.2 s apart, a call that missed a screen counted.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from .harness import KIOSK_TOKENS, ROOT, WARM_TOKEN, Hall, post_script, wrk
from .run import ROUNDS, WAITING, WORKERS, bench_call_socketio, cell, interleaved, serve_cpu, spread, summary
from .workers_fanout import CALLS, CLIENTS, one

SECONDS = 8
CALL_OFFICERS = (1, 16)


def issue_run(hall: Hall):
    script = post_script("/api/v1/sites/hcc/tickets", {"field": "TP"}, KIOSK_TOKENS)

    def once() -> dict:
        cpu = serve_cpu(hall)
        r = wrk(hall.url() + "/api/v1/sites/hcc/tickets", script, 8, seconds=SECONDS)
        done = r["requests"] - r["errors"]
        r["cpu_ms"] = 1000 * (serve_cpu(hall) - cpu) / done if done else None
        return r
    return once


def fanout(ref: str, tree: Path) -> None:
    """Fan-out rounds on fresh halls of both trees, alternating which goes first."""
    trees = {ref: tree, "this tree": ROOT}
    runs: dict[str, list[dict]] = {name: [] for name in trees}
    for round_no in range(ROUNDS):
        for name in (list(trees) if round_no % 2 == 0 else list(trees)[::-1]):
            sys.stderr.write(f"round {round_no + 1}: {name}\n")
            runs[name].append(one(WORKERS, root=trees[name]))
    lines = [f"A call to {CLIENTS:,} screens, {WORKERS} workers, {CALLS} calls a round, {ROUNDS} rounds, "
             "interleaved; median (lowest–highest round):", "",
             "| tree | every-screen p99 ms | every-screen p50 ms | per-delivery p99 ms | calls that missed a screen |",
             "|---|---|---|---|---|"]
    for name, rs in runs.items():
        lines.append(f"| {name} | {cell(spread(rs, 'all_p99'))} | {cell(spread(rs, 'all_p50'))} | "
                     f"{cell(spread(rs, 'p99'))} | {sum(CALLS - r['complete_calls'] for r in rs)} of "
                     f"{CALLS * len(rs)} |")
    sys.stdout.write("\n".join(lines) + "\n")


def calls(ref: str, tree: Path) -> None:
    """bench.run's 2b rows on fresh halls of both trees, alternating which goes first."""
    trees = {ref: tree, "this tree": ROOT}
    samples: dict[tuple[str, int], list[dict]] = {(name, n): [] for name in trees for n in CALL_OFFICERS}
    for round_no in range(ROUNDS):
        for name in (list(trees) if round_no % 2 == 0 else list(trees)[::-1]):
            sys.stderr.write(f"round {round_no + 1}: {name}\n")
            hall = Hall(workers=WORKERS, log_level="INFO", root=trees[name])
            try:
                rows = bench_call_socketio(hall, rounds=1, officers=CALL_OFFICERS)["rows"]
            finally:
                hall.close()
            for row in rows:
                samples[(name, row["clients"])].append({"errors": row["errors"],
                                                        **{k: row[k]["median"] for k in ("calls", "p50", "p99")}})
    lines = [f"Call-next over Socket.IO, {ROUNDS} rounds, interleaved, {WAITING:,} waiting per field; median "
             "(lowest–highest round):", "",
             "| tree | officers | tickets called/s | median ms | p99 ms | errors |", "|---|---|---|---|---|---|"]
    for (name, officers), runs in samples.items():
        lines.append(f"| {name} | {officers} | {cell(spread(runs, 'calls'))} | {cell(spread(runs, 'p50'), 1)} | "
                     f"{cell(spread(runs, 'p99'), 1)} | {sum(r['errors'] for r in runs)} |")
    sys.stdout.write("\n".join(lines) + "\n")


def main(argv: list[str]) -> int:
    if not argv or argv[1:] not in ([], ["fanout"], ["calls"]):
        sys.stderr.write(__doc__ or "")
        return 2
    ref = argv[0]
    tree = Path(tempfile.mkdtemp(prefix="qms-compare-")) / "tree"
    subprocess.run(["git", "worktree", "add", "--detach", str(tree), ref], cwd=ROOT, check=True,
                   capture_output=True)
    halls: dict[str, Hall] = {}
    try:
        if argv[1:] == ["fanout"]:
            fanout(ref, tree)
            return 0
        if argv[1:] == ["calls"]:
            calls(ref, tree)
            return 0
        halls[f"{ref}"] = Hall(workers=WORKERS, log_level="INFO", root=tree)
        halls["this tree"] = Hall(workers=WORKERS, log_level="INFO")
        for hall in halls.values():   # a cold process warms up on the other site
            wrk(hall.url() + "/api/v1/sites/warm/tickets",
                post_script("/api/v1/sites/warm/tickets", {"field": "A"}, WARM_TOKEN), 8, seconds=4)
        samples = interleaved({name: issue_run(hall) for name, hall in halls.items()}, rounds=ROUNDS)
        lines = [f"Issue at 8 clients, {ROUNDS} rounds of {SECONDS} s, interleaved:", "",
                 "| tree | tickets/s | median ms | p99 ms | server CPU ms per ticket | errors |",
                 "|---|---|---|---|---|---|"]
        for row in summary(samples, ("rps", "p50", "p99", "cpu_ms")):
            lines.append(f"| {row['clients']} | {cell(row['rps'])} | {cell(row['p50'], 1)} | {cell(row['p99'], 1)} "
                         f"| {cell(row['cpu_ms'], 2)} | {row['errors']} |")
        sys.stdout.write("\n".join(lines) + "\n")
    finally:
        for hall in halls.values():
            hall.close()
        subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, capture_output=True)
        shutil.rmtree(tree.parent, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
