"""Live administration of a site's fields (lĩnh vực): added, changed and removed through the API
with no restart; checked by config.yaml's own reader; a field that has given numbers today keeps
its numbering until tomorrow; audited and seen by every server process."""
from __future__ import annotations

import pytest

from ..hall import DISPLAY_TOKEN, KIOSK_TOKEN


def put(api, code, body, token):
    return api.put(f"/setup/fields/{code}", body, token)


def delete(api, code, token):
    return api.delete(f"/setup/fields/{code}", token)


def hall_fields(api):
    return {f["code"]: f for f in api.get("/hall", KIOSK_TOKEN).get_json()["fields"]}


def test_a_new_field_is_offered_at_the_kiosk_and_served_at_a_counter(api):
    admin = api.login_admin()
    r = put(api, "HT", {"name": "Hộ tịch", "name_en": "Civil status", "prefix": "H", "target_wait_minutes": 10,
                        "agency": "Sở Tư pháp"}, admin)
    assert r.status_code == 201, r.get_json()
    assert r.get_json() == {"code": "HT", "name": "Hộ tịch", "name_en": "Civil status", "numbers": "1-999",
                            "prefix": "H", "digits": 3, "target_wait_minutes": 10, "service_minutes": 10,
                            "agency": "Sở Tư pháp"}
    assert hall_fields(api)["HT"]["target_wait_seconds"] == 600
    ticket = api.issue("HT")
    assert ticket["label"] == "H001"
    assert api.put("/setup/counters/1", {"fields": ["TP", "HT"]}, admin).status_code == 200
    api.login(1)
    api.act(1, "open")
    assert api.act(1, "call-next").get_json()["id"] == ticket["id"]
    assert api.state()["waiting"]["HT"]["waiting"] == 0
    assert api.audited(admin)[0] == ("field.create", "HT")


def test_a_cap_and_a_target_change_at_once_and_are_audited(api):
    admin = api.login_admin()
    r = put(api, "TP", {"daily_cap": 2, "target_wait_minutes": 30}, admin)
    assert r.status_code == 200, r.get_json()
    assert hall_fields(api)["TP"]["target_wait_seconds"] == 1800
    api.issue("TP")
    api.issue("TP")
    refused = api.post("/tickets", {"field": "TP"}, KIOSK_TOKEN)
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "daily_cap_reached"
    entry = api.get("/audit", admin).get_json()["entries"][0]
    assert (entry["action"], entry["target"]) == ("field.update", "TP")
    assert entry["details"] == {"before": {"daily_cap": None, "target_wait_minutes": 15},
                                "after": {"daily_cap": 2, "target_wait_minutes": 30}}
    # Cleared: no cap again.
    assert put(api, "TP", {"daily_cap": None}, admin).status_code == 200
    assert api.post("/tickets", {"field": "TP"}, KIOSK_TOKEN).status_code == 201


def test_a_field_that_gave_numbers_today_keeps_its_numbering_until_tomorrow(api, clock):
    admin = api.login_admin()
    api.issue("TP")
    r = put(api, "TP", {"numbers": "5001-5999"}, admin)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "field_numbered_today"
    assert put(api, "TP", {"prefix": "T"}, admin).status_code == 409
    assert put(api, "TP", {"name": "Tư pháp"}, admin).status_code == 200      # its name may change
    assert put(api, "TP", {"numbers": "1001-1999", "name": "Tư pháp"}, admin).status_code == 200   # unchanged
    r = delete(api, "TP", admin)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "field_numbered_today"
    clock.advance(days=2)             # Wednesday: a new day (24 November is Vietnam Culture Day, a holiday)
    admin = api.login_admin()                                                # (yesterday's session is over)
    assert put(api, "TP", {"numbers": "5001-5999"}, admin).status_code == 200
    assert api.issue("TP")["number"] == 5001
    assert hall_fields(api)["TP"]["name"] == "Tư pháp"


def test_a_field_goes_only_when_nobody_names_it(api):
    admin = api.login_admin()
    r = delete(api, "XD", admin)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "field_in_use"
    assert r.get_json()["error"]["details"]["named_by"] == [{"kind": "counter", "id": "3"},
                                                            {"kind": "counter", "id": "4"}]
    assert put(api, "ZZ", {"name": "Dự phòng", "prefix": "Z"}, admin).status_code == 201
    assert delete(api, "ZZ", admin).status_code == 204
    assert "ZZ" not in hall_fields(api)
    assert delete(api, "ZZ", admin).status_code == 404
    assert [a for a, _ in api.audited(admin)] == ["field.create", "field.delete"]


@pytest.mark.parametrize("code, body, expected", [
    ("HT", {"name": "Hộ tịch", "numbers": "1500-2500"}, "overlap field"),
    ("HT", {"name": "Hộ tịch", "prefix": "K"}, "prefix"),
    ("HT", {"name": "Hộ tịch", "numbers": "mười"}, "is not a range like '1001-1999'"),
    ("HT", {"name": "Hộ tịch", "numbers": "1-10", "daily_cap": 50}, "50 is more than the 10 numbers"),
    ("HT", {"name": ""}, "name"),
    ("HT", {"name": "Hộ tịch", "prefix": "h"}, "prefix"),
    ("Hộ-tịch", {"name": "Hộ tịch"}, "code"),
    ("TP", {"target_wait_minutes": 0}, "target_wait_minutes"),
])
def test_a_field_config_yaml_would_refuse_is_refused_and_nothing_changes(api, code, body, expected):
    admin = api.login_admin()
    before = hall_fields(api)
    r = put(api, code, body, admin)
    assert r.status_code == 400, r.get_json()
    assert r.get_json()["error"]["code"] == "bad_field"
    assert any(expected in e for e in r.get_json()["error"]["details"]["errors"]), r.get_json()
    assert hall_fields(api) == before
    assert api.audited(admin) == []


def test_only_admins_change_fields(api):
    officer = api.login(1)
    for token in (officer, KIOSK_TOKEN):
        assert api.get("/setup/fields", token).status_code == 403
        assert put(api, "TP", {"name": "X"}, token).status_code == 403
        assert delete(api, "KD", token).status_code == 403


def test_every_process_takes_the_new_fields_and_tells_its_screens(api, another_process):
    other = another_process()
    display = other.extensions["qms"].socketio.test_client(other, auth={"site": "hcc", "token": DISPLAY_TOKEN})
    display.get_received()
    assert put(api, "HT", {"name": "Hộ tịch", "prefix": "H"}, api.login_admin()).status_code == 201
    there = other.test_client()
    issue = {"json": {"field": "HT"}, "headers": api.bearer(KIOSK_TOKEN)}
    assert there.post("/api/v1/sites/hcc/tickets", **issue).status_code == 400      # not yet known there
    assert other.extensions["qms"].people.refresh() == ["hcc"]
    r = there.post("/api/v1/sites/hcc/tickets", **issue)
    assert r.status_code == 201 and r.get_json()["label"] == "H001"
    assert {"kind": "hall"} in [m["args"][0] for m in display.get_received() if m["name"] == "settings"]
    again = another_process()   # a restart
    fields = again.test_client().get("/api/v1/sites/hcc/hall", headers=api.bearer(KIOSK_TOKEN)).get_json()
    assert [f["code"] for f in fields["fields"]] == ["TP", "DD", "XD", "KD", "HT"]
