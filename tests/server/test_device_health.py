"""What the leader's device panel reads: every device and every screen, whether it works now,
since when, with every time in the hall's zone (before: UTC and +07:00 mixed)."""
from __future__ import annotations

import re

import requests

from hardware.ordered_client import OrderedClient

from ..hall import ADMIN_PASSWORD, AGENT_TOKEN, DISPLAY_TOKEN, hall_document
from ..helpers import wait_until
from ..servers import ServerProcess, write_config

LOCAL = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00$")


def test_devices_and_screens_with_local_times(tmp_path, prefix, redis_url):
    doc = hall_document(prefix)
    doc["sites"][0]["devices"].append({"id": "printer-1", "kind": "printer", "url": "tcp://127.0.0.1:9100",
                                       "agent": "agent-1", "options": {"kiosk": "kiosk-1"}})
    server = ServerProcess(write_config(tmp_path, doc, redis_url=redis_url)).wait_ready()
    api = f"{server.url}/api/v1/sites/hcc"
    admin = {"Authorization": "Bearer " + requests.post(f"{api}/login", timeout=10, json={
        "username": "admin", "password": ADMIN_PASSWORD}).json()["token"]}
    display, agent = OrderedClient(reconnection=False), OrderedClient(reconnection=False)
    try:
        health = requests.get(f"{api}/devices", headers=admin, timeout=10).json()
        screens = {s["id"]: s for s in health["screens"]}
        assert screens["display-1"] == {"kind": "display", "id": "display-1", "name": "", "connected": False,
                                        "last_seen": None}
        assert all(not d["agent_online"] for d in health["devices"])
        display.connect(server.url, auth={"site": "hcc", "token": DISPLAY_TOKEN}, transports=["websocket"],
                        wait_timeout=10)
        agent.connect(server.url, auth={"site": "hcc", "token": AGENT_TOKEN}, transports=["websocket"],
                      wait_timeout=10)
        # An agent reports in UTC, from its own clock; a printer that ran out of paper.
        assert agent.call("device_status", {"devices": {
            "panel-1": {"connected": True, "last_seen": "2026-12-03T01:00:00+00:00", "counts": {"presses": 3}},
            "printer-1": {"connected": False, "last_seen": "2026-12-03T01:05:00+00:00", "status": "paper_out",
                          "counts": {"paper_out": 1}}}, "spool": {}}, timeout=10) == {"ok": True}
        health = wait_until(lambda: (h := requests.get(f"{api}/devices", headers=admin, timeout=10).json())
                            and h["devices"][0]["agent_online"] and h)
        devices = {d["id"]: d for d in health["devices"]}
        assert devices["panel-1"]["last_seen"] == "2026-12-03T08:00:00+07:00"
        assert devices["printer-1"]["status"] == "paper_out" and devices["printer-1"]["kiosk"] == "kiosk-1"
        screens = {s["id"]: s for s in health["screens"]}
        assert screens["display-1"]["connected"] is True and screens["kiosk-1"]["connected"] is False
        times = [d[k] for d in health["devices"] for k in ("last_seen", "reported_at") if d[k]] + \
                [s["last_seen"] for s in health["screens"] if s["last_seen"]]
        assert times and all(LOCAL.match(t) for t in times), times
    finally:
        display.disconnect()
        agent.disconnect()
        server.stop()
