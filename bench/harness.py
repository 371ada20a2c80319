"""Starting what the benchmarks measure: an embedded redis-server and `qms serve`
processes on a hall made for load (wide number ranges, no caps, always open)."""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import requests
import yaml
from werkzeug.security import generate_password_hash

from server.store.embedded_redis import EmbeddedRedis, free_port

ROOT = Path(__file__).resolve().parents[1]
KIOSK_TOKEN = "bench-kiosk-token-0001"
# The issue benches take turns over several kiosks: the load stands for many, and one kiosk may
# issue at most 100,000 tickets a minute (config.yaml's bound), which a run now exceeds.
KIOSK_TOKENS = [KIOSK_TOKEN, *(f"bench-kiosk-token-{n:04d}" for n in range(2, 9))]
DISPLAY_TOKEN = "bench-display-token-01"
WARM_TOKEN = "bench-warmup-token-001"
PASSWORD = "Bench@2026"
COUNTERS = 16
FIELDS = ("TP", "DD", "XD", "KD")   # the load hall's fields


def counter_field(number: int) -> str:
    """The field a load-hall counter serves."""
    return FIELDS[number % len(FIELDS)]


def hall(redis_url: str, data_dir: Path, display: dict | None = None, hall_numbers: bool = False) -> dict:
    """The load hall: number ranges wide enough for any run; ``hall_numbers``: a real hall's
    1001-1999, 2001-2999, ... instead (the voice bench says them aloud)."""
    pw = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
    fields = [{"code": c, "name": n, "numbers": "1-999999"} if not prefix else
              {"code": c, "name": n, "prefix": prefix, "numbers": "1-999999", "digits": 6}
              for c, n, prefix in (("TP", "Tư pháp – Hộ tịch", ""), ("DD", "Đất đai", "D"), ("XD", "Xây dựng", "X"),
                                   ("KD", "Đăng ký kinh doanh", "K"))]
    if hall_numbers:
        fields = [{"code": f["code"], "name": f["name"], "numbers": f"{i}001-{i}999"} for i, f in enumerate(fields, 1)]
    assert tuple(f["code"] for f in fields) == FIELDS
    counters = [{"number": n, "fields": [counter_field(n)]} for n in range(1, COUNTERS + 1)]
    return {
        "server": {"data_dir": str(data_dir), "log_level": "WARNING", "async_mode": "eventlet",
                   "accept_weak_hashes": True},  # logins are not what the bench measures
        "redis": {"url": redis_url, "key_prefix": "bench"},
        "archive": {"url": f"sqlite:///{data_dir / 'archive.sqlite'}"},
        "sites": [{
            "id": "hcc", "name": "Trung tâm thử tải", "opening_hours": "always",
            "kiosk_tickets_per_minute": 100_000,  # the load generator stands for many kiosks
            "fields": fields, "counters": counters,
            "officers": [{"username": f"cb{n}", "name": f"Cán bộ {n}", "counters": [n], "password_hash": pw}
                         for n in range(1, COUNTERS + 1)],
            "kiosks": [{"id": f"kiosk-{n}", "token": token} for n, token in enumerate(KIOSK_TOKENS, 1)],
            "displays": [{"id": "display-1", "token": DISPLAY_TOKEN, **(display or {})}],
        }, {
            # A second hall on the same servers: warm-up load that leaves the measured site's day empty.
            "id": "warm", "name": "Bộ phận Một cửa xã thử tải", "opening_hours": "always",
            "kiosk_tickets_per_minute": 100_000,
            "fields": [{"code": "A", "name": "Hộ tịch", "prefix": "A", "numbers": "1-999999", "digits": 6}],
            "counters": [{"number": 1, "fields": ["A"]}],
            "kiosks": [{"id": "kiosk-w", "token": WARM_TOKEN}],
        }],
    }


class Hall:
    """An embedded Redis (AOF, appendfsync always) and `processes` qms servers on it."""

    def __init__(self, processes: int = 1, display: dict | None = None, hall_numbers: bool = False,
                 workers: int = 1, log_level: str = "WARNING", root: Path = ROOT):
        self.workers = workers   # qms serve --workers: server processes behind each port
        self.root = root         # the source tree served (another commit's, to compare with)
        self.tmp = Path(tempfile.mkdtemp(prefix="qms-bench-"))
        self.redis = EmbeddedRedis(self.tmp / "redis", appendfsync="always")
        self.redis.start()
        self.config = self.tmp / "config.yaml"
        doc = hall(self.redis.url, self.tmp / "data", display, hall_numbers)
        doc["server"]["log_level"] = log_level
        self.config.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
        self.ports = [free_port() for _ in range(processes)]
        self.procs = [self._serve(p) for p in self.ports]
        for port in self.ports:
            self._wait(port)
            self._wait_workers(port)

    def _serve(self, port: int) -> subprocess.Popen:
        """A server process on ``port``; its log goes to a file the child holds (ours is closed)."""
        with open(self.tmp / f"serve-{port}.log", "wb") as log:
            return subprocess.Popen([sys.executable, "-m", "server.cli", "serve", "--config", str(self.config),
                                     "--host", "127.0.0.1", "--port", str(port), "--workers", str(self.workers)],
                                    cwd=self.root, env={**os.environ, "PYTHONPATH": str(self.root)},
                                    stdout=subprocess.DEVNULL, stderr=log)

    def _wait_workers(self, port: int) -> None:
        """Every worker serving (the port answers as soon as the first one does): each names
        itself in the Engine.IO session ids it makes."""
        seen: set[str] = set()
        deadline = time.monotonic() + 30
        while len(seen) < self.workers and time.monotonic() < deadline:
            r = requests.get(f"http://127.0.0.1:{port}/socket.io/", params={"EIO": "4", "transport": "polling"},
                             headers={"Connection": "close"}, timeout=5)
            if r.ok:
                seen.add(json.loads(r.text[1:])["sid"][:2])
            time.sleep(0.2)
        if len(seen) < self.workers:
            raise RuntimeError(f"only workers {sorted(seen)} of {self.workers} answer on port {port}")

    def url(self, i: int = 0) -> str:
        return f"http://127.0.0.1:{self.ports[i]}"

    def _wait(self, port: int) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).ok:
                    return
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError(f"server on {port} did not start")

    def login(self, counter: int, i: int = 0) -> str:
        r = requests.post(f"{self.url(i)}/api/v1/sites/hcc/login", timeout=10,
                          json={"username": f"cb{counter}", "password": PASSWORD, "counter": counter})
        r.raise_for_status()
        return r.json()["token"]

    def issue(self, n: int, field: str = "TP") -> None:
        s = requests.Session()
        s.headers["Authorization"] = f"Bearer {KIOSK_TOKEN}"
        for _ in range(n):
            s.post(f"{self.url()}/api/v1/sites/hcc/tickets", json={"field": field}, timeout=10).raise_for_status()

    def server_pids(self) -> list[int]:
        return [p.pid for p in self.procs]

    def close(self) -> None:
        for p in self.procs:
            p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
        self.redis.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process and every living descendant, in seconds."""
    total = 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except (FileNotFoundError, ProcessLookupError):
        return total
    return total + sum(cpu_seconds(int(child)) for child in children)


def tree_rss_kib(pid: int) -> int:
    """Resident memory of a process and every living descendant (workers, archiver), KiB."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except (FileNotFoundError, ProcessLookupError):
        return 0
    return rss_kib(pid) + sum(tree_rss_kib(int(child)) for child in children)


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def wrk(url: str, script: str, connections: int, seconds: int = 8, threads: int | None = None) -> dict:
    """Run wrk with a Lua script; requests/s, median and p99 latency (ms), errors."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
    threads = threads or min(connections, 2)
    out = subprocess.run(["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--latency",
                          "--timeout", "10s", "-s", f.name, url], capture_output=True, text=True, check=True).stdout
    os.unlink(f.name)

    def ms(label):
        m = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)", out, re.M)
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    # Socket errors (connect, read, write, timeout at 10 s) count as errors too.
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    failed = (int(errors.group(1)) if errors else 0) + (sum(int(n) for n in sockets.groups()) if sockets else 0)
    done = re.search(r"(\d+) requests in ([\d.]+)(ms|s|m)", out)
    elapsed = float(done.group(2)) * {"ms": 0.001, "s": 1, "m": 60}[done.group(3)]
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), "p50": ms(50), "p99": ms(99),
            "errors": failed, "requests": int(done.group(1)), "seconds": elapsed, "raw": out}


def post_script(path: str, body: dict, token: str | Sequence[str]) -> str:
    """wrk's script for POSTing ``body``; with several tokens, each request takes the next."""
    tokens = [token] if isinstance(token, str) else list(token)
    script = (f'wrk.method = "POST"\nwrk.body = {json.dumps(json.dumps(body))}\n'
              f'wrk.headers["Content-Type"] = "application/json"\nwrk.headers["Authorization"] = "Bearer {tokens[0]}"\n'
              f'wrk.path = "{path}"\n')
    if len(tokens) > 1:
        script += ("local tokens = {" + ", ".join(f'"{t}"' for t in tokens) + "}\nlocal turn = 0\n"
                   "request = function()\n  turn = turn % #tokens + 1\n"
                   '  wrk.headers["Authorization"] = "Bearer " .. tokens[turn]\n'
                   "  return wrk.format()\nend\n")
    return script


def write_section(doc: Path, start: str, end: str, block: str) -> None:
    """Put ``block`` (which starts with ``start`` and ends with ``end``) into ``doc`` in place of
    the section between those markers, or at the end the first time; and show it."""
    text = doc.read_text(encoding="utf-8")
    if start in text:
        before, _, rest = text.partition(start)
        _, _, after = rest.partition(end)
        text = before + block + after
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    doc.write_text(text, encoding="utf-8")
    sys.stdout.write(block + "\n")
