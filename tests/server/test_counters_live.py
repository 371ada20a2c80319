"""Live administration of a site's counters: the fields a counter serves, its policy and name
changed, counters added and removed, through the API with no restart; checked by config.yaml's
own reader, audited, seen by every server process, and the hall's screens told to draw it again."""
from __future__ import annotations

import pytest

from ..hall import ADMIN_PASSWORD, DISPLAY_TOKEN, KIOSK_TOKEN


def put(api, number, body, token):
    return api.put(f"/setup/counters/{number}", body, token)


def delete(api, number, token):
    return api.delete(f"/setup/counters/{number}", token)


def hall_counters(api):
    return {c["number"]: c for c in api.get("/hall", KIOSK_TOKEN).get_json()["counters"]}


def test_a_counter_given_another_field_calls_from_it_at_once(api):
    admin = api.login_admin()
    ticket = api.issue("DD")
    api.login(1)
    assert api.act(1, "open").status_code == 200
    assert api.act(1, "call-next").status_code == 204          # counter 1 serves TP only: nobody waits
    r = put(api, 1, {"fields": ["TP", "DD"]}, admin)
    assert r.status_code == 200, r.get_json()
    assert r.get_json() == {"number": 1, "name": "Quầy 1", "fields": ["TP", "DD"], "policy": "oldest"}
    called = api.act(1, "call-next")
    assert called.status_code == 200 and called.get_json()["id"] == ticket["id"]
    assert hall_counters(api)[1]["fields"] == ["TP", "DD"]
    entry = api.get("/audit", admin).get_json()["entries"][0]
    assert (entry["action"], entry["target"]) == ("counter.update", "1")
    assert entry["details"] == {"before": {"fields": ["TP"]}, "after": {"fields": ["TP", "DD"]}}


def test_a_new_counter_is_given_to_an_officer_who_serves_there(api, engine):
    admin = api.login_admin()
    r = put(api, 6, {"name": "Quầy 6 – Bưu điện", "fields": ["KD"], "policy": "in_order"}, admin)
    assert r.status_code == 201, r.get_json()
    assert hall_counters(api)[6] == {"number": 6, "name": "Quầy 6 – Bưu điện", "fields": ["KD"], "policy": "in_order"}
    refused = api.post("/login", {"username": "cb5", "password": "Demo@2026x", "counter": 6})
    assert refused.status_code in (401, 403)
    r = api.client.patch(api.url("/officers/cb5"), json={"counters": [5, 6]}, headers=api.bearer(admin))
    assert r.status_code == 200, r.get_json()
    api.login(6, "cb5")
    ticket = api.issue("KD")
    api.act(6, "open")
    assert api.act(6, "call-next").get_json()["id"] == ticket["id"]
    assert [c["number"] for c in engine.snapshot("hcc")["counters"]] == [1, 2, 3, 4, 5, 6]
    assert [a for a in api.audited(admin) if a[0] != "config.import"] == [("counter.create", "6"),
                                                                           ("officer.update", "cb5")]


def test_a_counter_goes_only_when_nobody_names_it_serves_at_it_or_waits_for_it(api):
    admin = api.login_admin()
    r = delete(api, 5, admin)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "counter_assigned"
    assert r.get_json()["error"]["details"]["named_by"] == [{"kind": "officer", "id": "cb5"},
                                                                   {"kind": "rating_panel", "id": "panel-5"}]
    assert put(api, 7, {"fields": ["XD"]}, admin).status_code == 201
    api.login(7, "admin", ADMIN_PASSWORD)                          # an admin may open any counter
    assert api.act(7, "open").status_code == 200
    r = delete(api, 7, admin)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "counter_open"
    assert api.act(7, "close").status_code == 200
    # A visitor sent to counter 7 waits for it: it cannot go from under them.
    api.login(4)
    api.act(4, "open")
    ticket = api.issue("XD")
    assert api.act(4, "call-next").get_json()["id"] == ticket["id"]
    sent = api.act(4, "transfer", {"counter": 7, "even_if_closed": True})
    assert sent.status_code == 200, sent.get_json()
    r = delete(api, 7, admin)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "counter_has_visitors"
    assert 7 in hall_counters(api)
    assert [a for a, _ in api.audited(admin)] == ["counter.create"]


def test_an_empty_closed_counter_that_nobody_names_is_removed(api):
    admin = api.login_admin()
    assert put(api, 8, {"name": "Quầy dự phòng", "fields": ["TP"]}, admin).status_code == 201
    assert delete(api, 8, admin).status_code == 204
    assert 8 not in hall_counters(api)
    assert delete(api, 8, admin).status_code == 404
    assert [a for a, _ in api.audited(admin)] == ["counter.create", "counter.delete"]


@pytest.mark.parametrize("number, body, expected", [
    (1, {"fields": ["HT"]}, "fields[0]: unknown field 'HT'"),
    (1, {"fields": []}, "fields"),
    (1, {"fields": ["TP", "TP"]}, "fields[1]"),
    (1, {"policy": "random"}, "policy"),
    (1, {"name": " "}, "name: is required"),
    (6, {"fields": ["TP"], "name": "X" * 61}, "name: at most 60 characters"),
    (10000, {"fields": ["TP"]}, "number"),
])
def test_a_counter_config_yaml_would_refuse_is_refused_and_nothing_changes(api, number, body, expected):
    admin = api.login_admin()
    before = hall_counters(api)
    r = put(api, number, body, admin)
    assert r.status_code == 400, r.get_json()
    assert r.get_json()["error"]["code"] == "bad_counter"
    assert any(expected in e for e in r.get_json()["error"]["details"]["errors"]), r.get_json()
    assert hall_counters(api) == before
    assert api.audited(admin) == []


def test_only_admins_change_counters(api):
    officer = api.login(1)
    for token in (officer, KIOSK_TOKEN):
        assert api.get("/setup/counters", token).status_code == 403
        assert put(api, 1, {"fields": ["DD"]}, token).status_code == 403
        assert delete(api, 1, token).status_code == 403
    assert hall_counters(api)[1]["fields"] == ["TP"]


def test_every_process_takes_the_new_counters_and_tells_its_screens(api, app, another_process):
    other = another_process()
    display = other.extensions["qms"].socketio.test_client(other, auth={"site": "hcc", "token": DISPLAY_TOKEN})
    display.get_received()
    assert put(api, 2, {"fields": ["DD", "XD"], "policy": "in_order"}, api.login_admin()).status_code == 200
    hall = "/api/v1/sites/hcc/hall"
    there = other.test_client()
    seen = {c["number"]: c for c in there.get(hall, headers=api.bearer(KIOSK_TOKEN)).get_json()["counters"]}
    assert seen[2]["fields"] == ["DD"]                              # not yet
    assert other.extensions["qms"].people.refresh() == ["hcc"]
    seen = {c["number"]: c for c in there.get(hall, headers=api.bearer(KIOSK_TOKEN)).get_json()["counters"]}
    assert (seen[2]["fields"], seen[2]["policy"]) == (["DD", "XD"], "in_order")
    assert {"kind": "hall"} in [m["args"][0] for m in display.get_received() if m["name"] == "settings"]
    again = another_process()   # a restart
    counters = again.test_client().get("/api/v1/sites/hcc/hall", headers=api.bearer(KIOSK_TOKEN)).get_json()
    assert {c["number"]: c["fields"] for c in counters["counters"]}[2] == ["DD", "XD"]


def test_a_change_made_from_a_stale_copy_is_refused_not_written_over_anothers(api, app, another_process):
    """Two admins on two server processes, within the second before each process has taken the
    other's change: the second change is refused (and can be repeated), not written over the first."""
    other = another_process()
    admin = api.login_admin()
    there = other.test_client()
    r = there.put("/api/v1/sites/hcc/setup/counters/2", json={"fields": ["DD", "XD"]}, headers=api.bearer(admin))
    assert r.status_code == 200, r.get_json()
    r = put(api, 3, {"policy": "in_order"}, admin)               # this process has not looked yet
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "changed_meanwhile"
    app.extensions["qms"].people.refresh()                        # what its watcher does every second
    assert put(api, 3, {"policy": "in_order"}, admin).status_code == 200
    counters = hall_counters(api)
    assert (counters[2]["fields"], counters[3]["policy"]) == (["DD", "XD"], "in_order")
