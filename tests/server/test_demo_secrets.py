"""The demo's published secrets never reach a hall's network: `qms serve` refuses them but
with --demo on loopback, `qms check-config` names each one, and the default host is this
computer only."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import requests
import yaml

from server.config import load_config, parse_config
from server.config.demo_secrets import demo_secrets
from server.store.embedded_redis import free_port

from ..hall import hall_document
from ..helpers import wait_until

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def prefix():
    """Nothing here touches a shared Redis: one run of each test."""
    return "qmsdemo"


def demo_copy(tmp_path: Path, **server) -> Path:
    """config.yaml as shipped, with its files where a copy can find them."""
    doc = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    doc["server"].update({"data_dir": str(tmp_path / "data"), **server})
    for site in doc["sites"]:
        site["catalogue"] = str(ROOT / site["catalogue"])
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def qms(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "server.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


def test_the_shipped_config_holds_every_published_secret_and_a_test_hall_none(prefix):
    found = demo_secrets(load_config(ROOT / "config.yaml"))
    kinds = {s.kind for s in found}
    assert kinds == {"password", "token", "PIN"} and len(found) == 29, [s.path for s in found]
    assert {"sites[hcc].officers[cb01].password_hash", "province.users[qt-tinh].password_hash",
            "province.users[lanhdao].password_hash"} <= {s.path for s in found}
    assert demo_secrets(parse_config(hall_document(prefix))) == []


@pytest.mark.parametrize("args, expected", [
    ((), "qms serve --demo"),                                      # not told it is a demo
    (("--demo", "--host", "0.0.0.0"), "on loopback only"),         # a demo on the network
    (("--demo", "--host", "192.168.1.10"), "not on 192.168.1.10"),
])
def test_serving_the_demo_secrets_is_refused_with_the_way_out(tmp_path, args, expected):
    result = qms("serve", "--config", str(demo_copy(tmp_path)), "--port", str(free_port()), *args, timeout=30)
    assert result.returncode == 2, result.stderr[-2000:]
    assert expected in result.stderr and "qms init" in result.stderr
    assert "sites[hcc]" in result.stderr  # it says which secrets
    assert not (tmp_path / "data" / "redis").exists()  # refused before anything started


def test_a_demo_behind_a_proxy_is_refused_even_on_loopback(tmp_path):
    result = qms("serve", "--config", str(demo_copy(tmp_path, behind_proxy=True)), "--port", str(free_port()),
                 "--demo", timeout=30)
    assert result.returncode == 2 and "behind_proxy" in result.stderr


def test_the_demo_runs_on_loopback_with_demo(tmp_path):
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "server.cli", "serve", "--config", str(demo_copy(tmp_path)),
                             "--port", str(port), "--demo", "--always-open"], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        def healthy():
            assert proc.poll() is None, proc.stderr.read()
            try:
                return requests.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200
            except requests.RequestException:
                return False

        wait_until(healthy, timeout=30, what="the demo hall to serve")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_check_config_names_each_demo_secret(tmp_path, prefix):
    result = qms("check-config", str(ROOT / "config.yaml"))
    assert result.returncode == 0
    assert "demo" in result.stderr and "sites[hcc].kiosks[kiosk-1].token" in result.stderr
    assert "sites[xa-demo].officers[admin-xa].password_hash" in result.stderr
    own = tmp_path / "own.yaml"
    own.write_text(yaml.safe_dump(hall_document(prefix), allow_unicode=True), encoding="utf-8")
    clean = qms("check-config", str(own))
    assert clean.returncode == 0 and "demo" not in clean.stderr


def test_the_default_host_is_this_computer_only(prefix):
    doc = hall_document(prefix)
    doc["server"].pop("host", None)
    assert parse_config(doc).server.host == "127.0.0.1"
    assert load_config(ROOT / "config.yaml").server.host == "127.0.0.1"
