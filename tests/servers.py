"""Real `qms serve` processes for end-to-end tests."""
from __future__ import annotations

import glob
import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import requests
import yaml

from server.store.embedded_redis import free_port

ROOT = Path(__file__).resolve().parents[1]


class ServerProcess:
    """One `qms serve` on a free port, logging to a file beside its config."""

    def __init__(self, config_path: Path, *, port: int | None = None, always_open: bool = True,
                 extra_args: tuple[str, ...] = (), own_group: bool = False, faketime: str | None = None,
                 workers: int | None = 1):
        """``workers``: `--workers` (one process unless a test says otherwise; None: the default,
        one per core)."""
        self.config_path = config_path
        self.port = port or free_port()
        self.log_path = config_path.parent / f"server-{self.port}.log"
        args = [sys.executable, "-m", "server.cli", "serve", "--config", str(config_path),
                "--host", "127.0.0.1", "--port", str(self.port), *extra_args]
        if always_open:
            args.append("--always-open")
        if workers is not None:
            args += ["--workers", str(workers)]

        self._log = open(self.log_path, "wb")  # noqa: SIM115 - the server writes it while it runs; stop() closes it
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        if faketime:
            # The wall clock of another day ("@2027-02-08 02:00:00", then running on), monotonic time
            # true, by libfaketime preloaded into the server itself: a signal to stop it reaches it.
            library = next(iter(glob.glob("/usr/lib/*/faketime/libfaketime.so.1")), None)
            if library is None:
                raise RuntimeError("libfaketime is not installed: apt-get install faketime (.ci/run does it)")
            env.update(LD_PRELOAD=library, FAKETIME=faketime, FAKETIME_DONT_FAKE_MONOTONIC="1")
        self.proc = subprocess.Popen(args, cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT, env=env,
                                     start_new_session=own_group)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 30.0) -> ServerProcess:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}: {self.log()}")
            try:
                if requests.get(self.url + "/api/v1/health", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server not ready in {timeout} s: {self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def stop(self, sig=signal.SIGTERM, timeout: float = 20.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        return self.proc.returncode


@contextmanager
def running(path: Path, count: int):
    """``count`` `qms serve` processes on one config (one Redis), all ready; stopped after."""
    servers = [ServerProcess(path) for _ in range(count)]
    try:
        for s in servers:
            s.wait_ready()
        yield servers
    finally:
        for s in servers:
            s.stop()


def write_config(tmp_path: Path, document: dict, *, redis_url: str | None) -> Path:
    doc = dict(document)
    doc["redis"] = {**doc.get("redis", {}), "url": redis_url or ""}
    doc["server"] = {**doc.get("server", {}), "async_mode": "eventlet", "data_dir": str(tmp_path / "data")}
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path
