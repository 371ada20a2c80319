"""Live administration of a site's rating panels, ticket printers and LED boards: added, changed
and removed through the API with no restart, checked by config.yaml's own reader, audited; the
agent that serves a changed one is told to read its settings again, and a press on a new panel
is tied to its counter's visitor."""
from __future__ import annotations

import pytest

from ..hall import AGENT_TOKEN

PANEL = {"kind": "rating_panel", "url": "/dev/ttyQMS9", "counter": 1, "agent": "agent-1"}


def agent_devices(api):
    r = api.client.get("/api/v1/agent/settings", headers=api.bearer(AGENT_TOKEN))
    assert r.status_code == 200, r.get_json()
    return {d["id"]: d for d in r.get_json()["devices"]}


def test_a_new_panel_is_read_by_its_agent_and_its_presses_rate_the_counter(api, app):
    admin = api.login_admin()
    agent = app.extensions["qms"].socketio.test_client(app, auth={"site": "hcc", "token": AGENT_TOKEN})
    agent.get_received()
    r = api.put("/setup/devices/panel-9", PANEL, admin)
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["counter"] == 1 and r.get_json()["options"]["model"] == "ascii"
    assert [m["args"][0] for m in agent.get_received() if m["name"] == "settings"] == [{"kind": "devices"}]
    assert agent_devices(api)["panel-9"]["url"] == "/dev/ttyQMS9"
    # A visitor served at counter 1 presses the new panel: the rating is theirs.
    ticket = api.issue("TP")
    api.login(1)
    api.act(1, "open")
    api.act(1, "call-next")
    api.act(1, "start")
    r = api.post("/ratings", {"counter": 1, "level": 3, "press_id": "panel-9-press0001", "device": "panel-9"},
                 AGENT_TOKEN)
    assert r.status_code == 201 and r.get_json()["outcome"] == "recorded", r.get_json()
    assert r.get_json()["ticket"] == ticket["id"]
    assert api.audited(admin)[-1] == ("device.create", "panel-9")


def test_a_panel_moved_to_another_counter_and_one_removed(api):
    admin = api.login_admin()
    r = api.put("/setup/devices/panel-2", {"counter": 3}, admin)
    assert r.status_code == 200 and r.get_json()["counter"] == 3
    entry = api.get("/audit", admin).get_json()["entries"][0]
    assert entry["details"] == {"before": {"counter": 2}, "after": {"counter": 3}}
    assert api.delete("/setup/devices/panel-5", admin).status_code == 204
    assert "panel-5" not in agent_devices(api)
    refused = api.delete("/setup/counters/5", admin)        # cb5 is still given counter 5
    assert refused.get_json()["error"]["details"]["named_by"] == [{"kind": "officer", "id": "cb5"}]
    assert api.delete("/setup/devices/panel-5", admin).status_code == 404


@pytest.mark.parametrize("device, expected", [
    ({**PANEL, "counter": 42}, "unknown counter 42"),
    ({**PANEL, "counter": None}, "a rating_panel needs the counter it belongs to"),
    ({**PANEL, "agent": "agent-9"}, "unknown agent 'agent-9'"),
    ({**PANEL, "url": "COM3"}, "is not a serial port address"),
    ({**PANEL, "kind": "printer", "url": "/dev/ttyQMS9", "options": {"kiosk": "kiosk-9"}}, "kiosk"),
    ({**PANEL, "options": {"model": "quantum"}}, "model"),
    ({**PANEL, "kind": "toaster"}, "kind"),
])
def test_a_device_config_yaml_would_refuse_is_refused_and_nothing_changes(api, device, expected):
    admin = api.login_admin()
    before = agent_devices(api)
    r = api.put("/setup/devices/panel-9", device, admin)
    assert r.status_code == 400, r.get_json()
    assert r.get_json()["error"]["code"] == "bad_device"
    assert any(expected in e for e in r.get_json()["error"]["details"]["errors"]), r.get_json()
    assert agent_devices(api) == before
    assert api.audited(admin) == []


def test_every_process_serves_the_new_devices(api, another_process):
    other = another_process()
    assert api.put("/setup/devices/panel-9", PANEL, api.login_admin()).status_code == 201
    other.extensions["qms"].people.refresh()
    r = other.test_client().get("/api/v1/agent/settings", headers=api.bearer(AGENT_TOKEN))
    assert "panel-9" in {d["id"] for d in r.get_json()["devices"]}
    again = another_process()   # a restart
    r = again.test_client().get("/api/v1/agent/settings", headers=api.bearer(AGENT_TOKEN))
    assert "panel-9" in {d["id"] for d in r.get_json()["devices"]}
