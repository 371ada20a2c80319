"""A province of 150 sites on one Redis and on a 3-master Redis Cluster, on this machine.

    .venv/bin/python -m bench.cluster          # 5 rounds, rows interleaved; writes docs/benchmarks.md

For each store, in alternation within each round: `qms serve` as shipped (a worker per core,
INFO logging) with 150 sites is started on it, left idle for a while (the CPU its relays
spend reading 150 streams with nobody issuing), then wrk sends tickets from 8 connections,
each request to the next site in turn. The Redis servers run with appendfsync always, the
shipped setting. All of it shares this machine's two cores, so the cluster cannot be faster
here: the table says what it costs, not what three machines would give.
"""
from __future__ import annotations

import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
import yaml

from server.store.embedded_redis import EmbeddedRedis, free_port
from tests.cluster import RedisClusterServers

from .harness import ROOT, cpu_seconds, write_section, wrk

DOC = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- bench:cluster:start -->", "<!-- bench:cluster:end -->"
ROUNDS = int(os.environ.get("QMS_BENCH_ROUNDS", "5"))
SITES = 150
IDLE_SECONDS = 20
WORKERS = os.cpu_count() or 1


def site_id(i: int) -> str:
    return f"xa{i:03d}"


def province(url: str, cluster: bool, data_dir: Path) -> dict:
    sites = [{"id": site_id(i), "name": f"Bộ phận Một cửa xã {i}", "opening_hours": "always",
              "kiosk_tickets_per_minute": 100_000,   # wrk stands for every kiosk of the site
              "fields": [{"code": "A", "name": "Hộ tịch", "prefix": "A", "numbers": "1-999999", "digits": 6}],
              "counters": [{"number": 1, "fields": ["A"]}],
              "kiosks": [{"id": "kiosk-1", "token": f"kiosk-{site_id(i)}-token-0001"}]} for i in range(1, SITES + 1)]
    return {"server": {"data_dir": str(data_dir), "log_level": "INFO", "async_mode": "eventlet"},
            "redis": {"url": url, "key_prefix": "bench", "cluster": cluster},
            "archive": {"url": f"sqlite:///{data_dir / 'archive.sqlite'}"}, "sites": sites}


ROTATE = """
local n = 0
request = function()
  n = n + 1
  local site = string.format("xa%03d", (n % SITES) + 1)
  local headers = {["Content-Type"] = "application/json",
                   ["Authorization"] = "Bearer kiosk-" .. site .. "-token-0001"}
  return wrk.format("POST", "/api/v1/sites/" .. site .. "/tickets", headers, '{"field": "A"}')
end
""".replace("SITES", str(SITES))


class Province:
    """One store (embedded Redis, or a 3-master cluster) with `qms serve` on it."""

    def __init__(self, cluster: bool):
        self.tmp = Path(tempfile.mkdtemp(prefix="qms-bench-cluster-"))
        if cluster:
            self.store = RedisClusterServers(self.tmp / "cluster", masters=3).start()
            url = self.store.url
        else:
            self.store = EmbeddedRedis(self.tmp / "redis", appendfsync="always")
            url = self.store.start()
        config = self.tmp / "config.yaml"
        config.write_text(yaml.safe_dump(province(url, cluster, self.tmp / "data"), allow_unicode=True),
                          encoding="utf-8")
        self.port = free_port()
        with open(self.tmp / "serve.log", "wb") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "server.cli", "serve", "--config", str(config),
                                          "--host", "127.0.0.1", "--port", str(self.port),
                                          "--workers", str(WORKERS)], cwd=ROOT, stdout=subprocess.DEVNULL,
                                         stderr=log)
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{self.url}/api/v1/health", timeout=1).ok:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError("server did not start: " + (self.tmp / "serve.log").read_text()[-2000:])
            time.sleep(0.2)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def idle_cpu(self) -> float:
        """Per cent of one core the server (workers, relays, archiver) spends with no one issuing."""
        time.sleep(5)   # started: the archiver's first rounds and the workers' warm-up are over
        before, started = cpu_seconds(self.proc.pid), time.monotonic()
        time.sleep(IDLE_SECONDS)
        return (cpu_seconds(self.proc.pid) - before) / (time.monotonic() - started) * 100

    def close(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.store.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)


def main() -> int:
    rows: dict[str, dict[str, list[float]]] = {name: {"idle": [], "rps": [], "p99": [], "errors": []}
                                                for name in ("one Redis", "Redis Cluster, 3 masters")}
    for round_no in range(ROUNDS):
        order = list(rows) if round_no % 2 == 0 else list(reversed(rows))
        for name in order:
            hall = Province(cluster=name != "one Redis")
            try:
                rows[name]["idle"].append(hall.idle_cpu())
                result = wrk(f"{hall.url}/api/v1/sites/xa001/tickets", ROTATE, connections=8, seconds=8)
                rows[name]["rps"].append(result["rps"])
                rows[name]["p99"].append(result["p99"])
                rows[name]["errors"].append(result["errors"])
            finally:
                hall.close()
            sys.stderr.write(f"round {round_no + 1} {name}: {rows[name]['idle'][-1]:.1f}% idle, "
                             f"{rows[name]['rps'][-1]:.0f}/s p99 {rows[name]['p99'][-1]:.1f} ms\n")

    def cell(values: list[float], fmt: str) -> str:
        return f"{format(statistics.median(values), fmt)} ({format(min(values), fmt)}–{format(max(values), fmt)})"

    lines = [START, "", "### 12. A province of 150 sites: one Redis against a 3-master Redis Cluster", "",
             f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: `python -m bench.cluster`, "
             f"{ROUNDS} rounds, rows alternating; each row starts its store and `qms serve` ({WORKERS} workers, "
             f"INFO logging) with {SITES} sites. Idle: the server's CPU over {IDLE_SECONDS} s with no request. "
             "Issue: wrk, 8 connections, 8 s, each request to the next site. Median (lowest–highest). Every "
             "Redis server runs on this 2-core machine with appendfsync always.", "",
             "| store | CPU while idle, % of a core | issues/s | p99 ms | errors |", "|---|---|---|---|---|"]
    for name, r in rows.items():
        lines.append(f"| {name} | {cell(r['idle'], '.1f')} | {cell(r['rps'], '.0f')} | {cell(r['p99'], '.1f')} "
                     f"| {int(sum(r['errors']))} |")
    lines += ["", "On one Redis one XREAD per worker reads all 150 streams; on the cluster each worker has a "
              "reader per site (a cluster refuses one read over several slots), each waking every 5 s "
              "when idle, and the archiver asks each node for its sites' streams once a second. The three "
              "masters share the two cores with the server here; on three machines each would have its own.",
              "", END]
    block = "\n".join(lines)
    write_section(DOC, START, END, block)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
