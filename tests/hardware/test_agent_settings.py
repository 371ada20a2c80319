"""The device agent knows only the server's address and its own token: it fetches its
devices from the server, keeps the last answer for a start while the server is away, and
follows a change of its devices on the server. A hall PC never holds config.yaml."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import requests
import yaml

from hardware.agent import DeviceAgent
from server.config import parse_config

from ..hall import ADMIN_PASSWORD, AGENT_TOKEN, DISPLAY_TOKEN, KIOSK_TOKEN, hall_document
from ..helpers import wait_until
from ..servers import ROOT, ServerProcess
from .test_agent import rig  # noqa: F401 - the fixture

OTHER_AGENT_TOKEN = "test-agent-token-0002"


def two_agent_hall(prefix: str) -> dict:
    doc = hall_document(prefix)
    site = doc["sites"][0]
    site["agents"] = [{"id": "agent-1", "token": AGENT_TOKEN}, {"id": "agent-2", "token": OTHER_AGENT_TOKEN}]
    site["devices"] = [
        {"id": "panel-1", "kind": "rating_panel", "url": "/dev/ttyUSB0", "counter": 1, "agent": "agent-1",
         "options": {"keys": {"a": 3, "b": 2, "c": 1}}},
        {"id": "printer-1", "kind": "printer", "url": "tcp://192.168.1.50:9100", "agent": "agent-1",
         "options": {"kiosk": "kiosk-1", "paper": 58}},
        {"id": "panel-2", "kind": "rating_panel", "url": "/dev/ttyUSB1", "counter": 2, "agent": "agent-2"},
    ]
    return doc


@pytest.fixture
def config(prefix):
    return parse_config(two_agent_hall(prefix))


def test_an_agent_is_told_its_own_devices_and_nothing_secret(client):
    r = client.get("/api/v1/agent/settings", headers={"Authorization": f"Bearer {AGENT_TOKEN}"})
    assert r.status_code == 200
    settings = r.get_json()
    assert (settings["site"], settings["agent"]) == ("hcc", "agent-1")
    assert {d["id"]: (d["kind"], d["url"], d["counter"]) for d in settings["devices"]} == {
        "panel-1": ("rating_panel", "/dev/ttyUSB0", 1), "printer-1": ("printer", "tcp://192.168.1.50:9100", None)}
    panel = next(d for d in settings["devices"] if d["id"] == "panel-1")
    assert panel["options"]["keys"] == {"a": 3, "b": 2, "c": 1}
    text = r.get_data(as_text=True)
    for secret in (AGENT_TOKEN, OTHER_AGENT_TOKEN, KIOSK_TOKEN, DISPLAY_TOKEN, "scrypt", "pbkdf2", "password"):
        assert secret not in text
    for token in (KIOSK_TOKEN, DISPLAY_TOKEN, "not-a-token", ""):
        r = client.get("/api/v1/agent/settings", headers={"Authorization": f"Bearer {token}"} if token else {})
        assert r.status_code == 401 and r.get_json()["error"]["code"] == "bad_token"


def test_the_qms_agent_command_needs_only_the_server_and_its_token(rig, tmp_path):  # noqa: F811 - the rig fixture imported above
    token_file = tmp_path / "agent.token"
    token_file.write_text(AGENT_TOKEN + "\n", encoding="utf-8")
    token_file.chmod(0o600)
    env = {k: v for k, v in os.environ.items() if k != "QMS_CONFIG"}
    proc = subprocess.Popen([sys.executable, "-m", "server.cli", "agent", "--server", rig.server.url,
                             "--token-file", str(token_file), "--spool", str(tmp_path / "spool")],
                            cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        wait_until(lambda: rig.devices()["panel-1"]["agent_online"], timeout=30, what="the agent to connect")
        ticket = rig.serve(1, "TP")
        rig.panel.press("2")
        assert wait_until(lambda: rig.rating_of(ticket), what="the rating")["level"] == 2
        kept = json.loads((tmp_path / "spool" / "settings.json").read_text(encoding="utf-8"))
        assert {d["id"] for d in kept["devices"]} == {"panel-1", "panel-2", "panel-3", "led-1", "printer-1"}
        assert AGENT_TOKEN not in (tmp_path / "spool" / "settings.json").read_text(encoding="utf-8")
    finally:
        proc.terminate()
        assert proc.wait(timeout=20) == 0, proc.stderr.read()[-2000:]


def test_a_refused_token_is_said_plainly(rig, tmp_path):  # noqa: F811 - the rig fixture imported above
    token_file = tmp_path / "agent.token"
    token_file.write_text("agent1-not-the-right-one\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "server.cli", "agent", "--server", rig.server.url,
                             "--token-file", str(token_file), "--spool", str(tmp_path / "spool")],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "does not know this agent's token" in result.stderr


def test_an_agent_restarted_while_the_server_is_away_still_reads_its_panels(rig):  # noqa: F811 - the rig fixture imported above, passed by name
    agent = rig.start_agent()
    ticket = rig.serve(1, "TP")
    agent.stop()
    port = rig.server.port
    rig.server.stop()
    rig.agent = DeviceAgent(rig.server.url, AGENT_TOKEN, rig.tmp / "spool", heartbeat=0.5)
    rig.agent.start()  # from the settings the server gave last time
    assert set(rig.agent.devices) == {"panel-1", "panel-2", "panel-3", "led-1", "printer-1"}
    rig.wait_panel_open()
    rig.panel.press("1")
    wait_until(lambda: rig.agent.spool.counts().get("pending") == 1, what="the press to be kept on disk")
    rig.server = ServerProcess(rig.config_path, port=port).wait_ready()
    rating = wait_until(lambda: rig.rating_of(ticket), timeout=40, what="the rating once the server is back")
    assert rating["level"] == 3


def test_a_panel_moved_on_the_server_is_followed_by_the_agent(rig):  # noqa: F811 - the rig fixture imported above, passed by name
    rig.start_agent()
    port = rig.server.port
    rig.server.stop()
    doc = yaml.safe_load(rig.config_path.read_text(encoding="utf-8"))
    panel = next(d for d in doc["sites"][0]["devices"] if d["id"] == "panel-1")
    panel["counter"] = 4  # the panel was carried to counter 4
    rig.config_path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    rig.server = ServerProcess(rig.config_path, port=port).wait_ready()
    wait_until(lambda: rig.agent.devices.get("panel-1") and rig.agent.devices["panel-1"].counter == 4,
               timeout=40, what="the agent to take the new settings")
    at_4 = rig.serve(4, "XD")
    rig.panel.press("1")
    assert wait_until(lambda: rig.rating_of(at_4), timeout=20, what="the rating at counter 4")["level"] == 3


def test_a_panel_moved_in_the_administration_is_followed_at_once(rig):  # noqa: F811 - the rig fixture imported above, passed by name
    """No restart of the server or the agent: the admin moves the panel in the page's API, the
    agent is told, reads its settings again and the next press rates counter 4's visitor."""
    rig.start_agent()
    r = requests.post(f"{rig.server.url}/api/v1/sites/hcc/login", timeout=10,
                      json={"username": "admin", "password": ADMIN_PASSWORD})
    moved = rig.api("PUT", "/setup/devices/panel-1", r.json()["token"], json={"counter": 4})
    assert moved.status_code == 200, moved.text
    wait_until(lambda: rig.agent.devices.get("panel-1") and rig.agent.devices["panel-1"].counter == 4,
               timeout=10, what="the agent to take the new settings")
    at_4 = rig.serve(4, "XD")
    rig.panel.press("1")
    assert wait_until(lambda: rig.rating_of(at_4), timeout=20, what="the rating at counter 4")["level"] == 3
