"""Ticket issue at 8 clients, this tree against another commit, interleaved on the same machine.

    .venv/bin/python -m bench.compare main          # (a branch, a tag or a commit)
    QMS_BENCH_ROUNDS=7 .venv/bin/python -m bench.compare HEAD~3

Both are served as shipped (INFO logging, one worker per core, the archiver running), each on
its own embedded Redis; every round runs one after the other, so the machine's noise falls on
both. Cells are the median (lowest–highest run); CPU is every `qms serve` process of the tree
(workers and archiver) over the tickets issued. The other commit is checked out into a
temporary git worktree, removed afterwards.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from .harness import KIOSK_TOKENS, ROOT, WARM_TOKEN, Hall, post_script, wrk
from .run import ROUNDS, WORKERS, cell, interleaved, serve_cpu, summary

SECONDS = 8


def issue_run(hall: Hall):
    script = post_script("/api/v1/sites/hcc/tickets", {"field": "TP"}, KIOSK_TOKENS)

    def once() -> dict:
        cpu = serve_cpu(hall)
        r = wrk(hall.url() + "/api/v1/sites/hcc/tickets", script, 8, seconds=SECONDS)
        done = r["requests"] - r["errors"]
        r["cpu_ms"] = 1000 * (serve_cpu(hall) - cpu) / done if done else None
        return r
    return once


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        sys.stderr.write(__doc__ or "")
        return 2
    ref = argv[0]
    tree = Path(tempfile.mkdtemp(prefix="qms-compare-")) / "tree"
    subprocess.run(["git", "worktree", "add", "--detach", str(tree), ref], cwd=ROOT, check=True,
                   capture_output=True)
    halls: dict[str, Hall] = {}
    try:
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
