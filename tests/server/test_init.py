"""`qms init` makes a hall's own config: random tokens, the passwords its people typed,
nothing of the demo's, readable by its owner only, and it serves as written."""
from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from werkzeug.security import check_password_hash

from server.config import load_config
from server.config.demo_secrets import demo_secrets

from ..servers import ServerProcess

ROOT = Path(__file__).resolve().parents[2]
PASSWORDS = ["Quan-tri-An-Binh-1", "Can-bo-mot-2026", "Can-bo-hai-2026"]
PIN = "135790"


def init(path: Path, *extra: str, answers: list[str] | None = None) -> subprocess.CompletedProcess:
    lines = "".join(f"{a}\n" for a in (answers if answers is not None else [*PASSWORDS, PIN]))
    return subprocess.run([sys.executable, "-m", "server.cli", "init", str(path), "--site", "xa-an-binh",
                           "--name", "Bộ phận Một cửa xã An Bình", "--counters", "2", "--stdin", *extra],
                          input=lines, capture_output=True, text=True, cwd=ROOT, timeout=60)


def test_a_new_hall_gets_its_own_secrets_and_serves(tmp_path):
    path = tmp_path / "hall.yaml"
    result = init(path)
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    config = load_config(path)
    site = config.sites["xa-an-binh"]
    assert site.name == "Bộ phận Một cửa xã An Bình" and len(site.counters) == 2
    assert config.server.host == "127.0.0.1" and demo_secrets(config) == []
    for username, password in zip(["admin", "cb01", "cb02"], PASSWORDS, strict=True):
        assert check_password_hash(site.officers[username].password_hash, password)
    assert check_password_hash(site.kiosk_pin_hash, PIN)
    kiosk_token = site.kiosks["kiosk-1"].token
    assert kiosk_token in result.stdout  # shown once, to be typed into the kiosk

    again = tmp_path / "other.yaml"
    assert init(again).returncode == 0
    other = load_config(again).sites["xa-an-binh"]
    tokens = {c.token for group in (site.kiosks, site.displays, site.agents) for c in group.values()}
    assert tokens.isdisjoint({c.token for group in (other.kiosks, other.displays, other.agents)
                              for c in group.values()})

    server = ServerProcess(path).wait_ready()  # no --demo needed: nothing published in it
    try:
        api = f"{server.url}/api/v1/sites/xa-an-binh"
        r = requests.post(f"{api}/login", json={"username": "cb01", "password": PASSWORDS[1], "counter": 1},
                          timeout=10)
        assert r.status_code == 200, r.text
        r = requests.post(f"{api}/tickets", json={"field": "TP"}, timeout=10,
                          headers={"Authorization": f"Bearer {kiosk_token}"})
        assert r.status_code == 201 and r.json()["label"] == "1001"
    finally:
        server.stop()


@pytest.mark.parametrize("answers, why", [
    (["short", *PASSWORDS[1:], PIN], "shorter than 8"),
    ([*PASSWORDS, "12"], "4 to 8 digits"),
    (PASSWORDS[:2], "ended before"),
])
def test_a_weak_or_missing_secret_writes_nothing(tmp_path, answers, why):
    path = tmp_path / "hall.yaml"
    result = init(path, answers=answers)
    assert result.returncode == 2 and why in result.stderr and "nothing written" in result.stderr
    assert not path.exists()


def test_an_existing_config_is_not_replaced_unless_asked(tmp_path):
    path = tmp_path / "hall.yaml"
    path.write_text("# the hall's config, edited by hand\n", encoding="utf-8")
    assert init(path).returncode == 2
    assert path.read_text(encoding="utf-8") == "# the hall's config, edited by hand\n"
    assert init(path, "--force").returncode == 0 and load_config(path).sites["xa-an-binh"]
