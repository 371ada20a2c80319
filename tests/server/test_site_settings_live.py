"""A site's general settings changed live: its names, the calls its screens list, how long a
no-show may come back, a kiosk's ticket rate, the priority ratio and the kiosk PIN; checked by
config.yaml's rules, audited (never the PIN or its hash), seen by every process and kept."""
from __future__ import annotations

import pytest

from ..hall import DISPLAY_TOKEN, KIOSK_TOKEN


def test_a_renamed_site_is_shown_renamed_and_its_screens_draw_again(api, app):
    admin = api.login_admin()
    display = app.extensions["qms"].socketio.test_client(app, auth={"site": "hcc", "token": DISPLAY_TOKEN})
    display.get_received()
    r = api.put("/setup/site", {"name": "Trung tâm Phục vụ hành chính công tỉnh", "recent_calls": 6}, admin)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["recent_calls"] == 6 and r.get_json()["kiosk_pin_set"] is False
    hall = api.get("/hall", KIOSK_TOKEN).get_json()
    assert hall["site"]["name"] == "Trung tâm Phục vụ hành chính công tỉnh"
    assert {"kind": "hall"} in [m["args"][0] for m in display.get_received() if m["name"] == "settings"]
    entry = api.get("/audit", admin).get_json()["entries"][0]
    assert (entry["action"], entry["target"]) == ("site.update", "hcc")
    assert entry["details"]["after"] == {"name": "Trung tâm Phục vụ hành chính công tỉnh", "recent_calls": 6}
    assert put_twice_works(api, admin)


def put_twice_works(api, admin) -> bool:
    """A second change from this process's own copy is not taken for someone else's."""
    return api.put("/setup/site", {"kiosk_tickets_per_minute": 20}, admin).status_code == 200


def test_a_new_kiosk_pin_opens_the_kiosk_and_the_old_one_no_more(api):
    admin = api.login_admin()
    assert api.put("/setup/site", {"kiosk_pin": "135790"}, admin).get_json()["kiosk_pin_set"] is True
    assert api.post("/kiosk/unlock", {"pin": "135790"}, KIOSK_TOKEN).status_code == 200
    assert api.put("/setup/site", {"kiosk_pin": "246802"}, admin).status_code == 200
    assert api.post("/kiosk/unlock", {"pin": "135790"}, KIOSK_TOKEN).status_code == 401
    assert api.post("/kiosk/unlock", {"pin": "246802"}, KIOSK_TOKEN).status_code == 200
    audit = str(api.get("/audit", admin).get_json())
    assert "246802" not in audit and "scrypt" not in audit and "pbkdf2" not in audit


@pytest.mark.parametrize("change, expected", [
    ({"priority_ratio": "0:1"}, "ratio"),
    ({"recent_calls": 0}, "recent_calls"),
    ({"name": " "}, "name"),
    ({"kiosk_pin": "12ab"}, "kiosk_pin"),
    ({"no_show_restore_minutes": 100000}, "no_show_restore_minutes"),
])
def test_a_setting_config_yaml_would_refuse_is_refused_and_nothing_changes(api, change, expected):
    admin = api.login_admin()
    before = api.get("/setup/site", admin).get_json()
    r = api.put("/setup/site", change, admin)
    assert r.status_code == 400, r.get_json()
    assert any(expected in e for e in r.get_json()["error"]["details"]["errors"]), r.get_json()
    assert api.get("/setup/site", admin).get_json() == before
    assert api.audited(admin) == []


def test_only_admins_change_the_settings(api):
    officer = api.login(1)
    assert api.get("/setup/site", officer).status_code == 403
    assert api.put("/setup/site", {"name": "X"}, officer).status_code == 403


def test_every_process_and_a_restart_take_the_settings(api, another_process):
    other = another_process()
    assert api.put("/setup/site", {"name_en": "Provincial Centre"}, api.login_admin()).status_code == 200
    other.extensions["qms"].people.refresh()
    hall = other.test_client().get("/api/v1/sites/hcc/hall", headers=api.bearer(KIOSK_TOKEN)).get_json()
    assert hall["site"]["name_en"] == "Provincial Centre"
    again = another_process()
    hall = again.test_client().get("/api/v1/sites/hcc/hall", headers=api.bearer(KIOSK_TOKEN)).get_json()
    assert hall["site"]["name_en"] == "Provincial Centre"


def test_export_writes_the_live_settings_and_import_takes_them_back(written_hall, tmp_path):
    """`qms config export` is the backup and the move to another server: a site renamed live
    must be exported renamed (it was exported with config.yaml's name and ratio), and a file's
    settings imported."""
    import yaml

    admin = written_hall.headers
    r = written_hall.client.put("/api/v1/sites/hcc/setup/site", headers=admin,
                                json={"name": "Trung tâm mới", "recent_calls": 7, "priority_ratio": "3:1"})
    assert r.status_code == 200, r.get_json()
    r = written_hall.client.put("/api/v1/sites/hcc/setup/priorities/pregnant", headers=admin,
                                json={"name": "Phụ nữ mang thai", "weight": 2})
    assert r.status_code == 201, r.get_json()
    r = written_hall.client.put("/api/v1/sites/hcc/setup/remote", headers=admin,
                                json={"enabled": True, "caps": {"DD": 20}, "arrive_within_minutes": 45})
    assert r.status_code == 200, r.get_json()
    r = written_hall.client.put("/api/v1/sites/hcc/setup/appointments", headers=admin,
                                json={"enabled": True, "capacity": {"TP": 3, "default": 0}, "late": "refuse"})
    assert r.status_code == 200, r.get_json()
    exported = yaml.safe_load(written_hall.config_command("export").stdout)
    hcc = next(s for s in exported["sites"] if s["id"] == "hcc")
    assert (hcc["name"], hcc["recent_calls"], hcc["priority"]["ratio"]) == ("Trung tâm mới", 7, "3:1")
    assert (hcc["remote"]["enabled"], hcc["remote"]["caps"], hcc["remote"]["arrive_within_minutes"]) == (
        True, {"DD": 20}, 45)
    hcc["remote"]["per_phone"] = 2
    assert (hcc["appointments"]["enabled"], hcc["appointments"]["capacity"], hcc["appointments"]["late"]) == (
        True, {"TP": 3, "default": 0}, "refuse")
    hcc["appointments"]["capacity"] = {"TP": 4, "DD": 1, "default": 0}
    assert [c["code"] for c in hcc["priority"]["categories"]] == ["merit", "elderly", "disabled", "pregnant"]
    hcc["name"], hcc["recent_calls"] = "Trung tâm tỉnh", 12
    hcc["priority"]["categories"] = hcc["priority"]["categories"][:2]
    edited = tmp_path / "edited.yaml"
    edited.write_text(yaml.safe_dump(exported, allow_unicode=True), encoding="utf-8")
    done = written_hall.config_command("import", str(edited))
    assert done.returncode == 0, done.stderr
    written_hall.app.extensions["qms"].people.refresh()
    now = written_hall.client.get("/api/v1/sites/hcc/setup/site", headers=admin).get_json()
    assert (now["name"], now["recent_calls"], now["priority_ratio"]) == ("Trung tâm tỉnh", 12, "3:1")
    categories = written_hall.client.get("/api/v1/sites/hcc/setup/priorities", headers=admin).get_json()
    assert [c["code"] for c in categories["categories"]] == ["merit", "elderly"]
    remote = written_hall.client.get("/api/v1/sites/hcc/setup/remote", headers=admin).get_json()
    assert (remote["enabled"], remote["per_phone"], remote["caps"]) == (True, 2, {"DD": 20})
    appointments = written_hall.client.get("/api/v1/sites/hcc/setup/appointments", headers=admin).get_json()
    assert (appointments["capacity"], appointments["late"]) == ({"TP": 4, "DD": 1, "default": 0}, "refuse")


def test_priority_categories_are_changed_live_and_the_kiosk_offers_them(api, app, another_process):
    """A centre adds "pregnant women", raises the weight of people with meritorious service and
    drops a category: the kiosk's hall lists what is offered now, on every process; a visitor
    already waiting keeps the place they were given."""
    admin = api.login_admin()
    other = another_process()
    kiosk = app.extensions["qms"].socketio.test_client(app, auth={"site": "hcc", "token": KIOSK_TOKEN})
    kiosk.get_received()
    elderly = api.issue("TP", priority="elderly")
    r = api.put("/setup/priorities/pregnant", {"name": "Phụ nữ mang thai", "name_en": "Pregnant woman",
                                               "weight": 2}, admin)
    assert r.status_code == 201, r.get_json()
    assert api.put("/setup/priorities/merit", {"name": "Người có công với cách mạng", "weight": 5},
                   admin).status_code == 200
    assert api.delete("/setup/priorities/elderly", admin).status_code == 204
    offered = api.get("/hall", KIOSK_TOKEN).get_json()["priority_categories"]
    assert [(c["code"], c["weight"]) for c in offered] == [("merit", 5), ("disabled", 1), ("pregnant", 2)]
    assert {"kind": "hall"} in [m["args"][0] for m in kiosk.get_received() if m["name"] == "settings"]
    # The category removed is refused at the kiosk; the visitor issued with it still waits.
    r = api.post("/tickets", {"field": "TP", "priority": "elderly"}, KIOSK_TOKEN)
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "unknown_priority"
    pregnant = api.issue("TP", priority="pregnant")
    waiting = [t["id"] for t in api.state(api.login(1), lists=True)["waiting"]["TP"]["tickets"]]
    assert waiting == [pregnant["id"], elderly["id"]]   # weight 2 before weight 1
    # Every process, and the audit.
    other.extensions["qms"].people.refresh()
    there = other.test_client().get("/api/v1/sites/hcc/hall", headers=api.bearer(KIOSK_TOKEN)).get_json()
    assert [c["code"] for c in there["priority_categories"]] == ["merit", "disabled", "pregnant"]
    actions = [(e["action"], e["target"]) for e in api.get("/audit", admin).get_json()["entries"][:3]]
    assert actions == [("priority.delete", "elderly"), ("priority.update", "merit"), ("priority.create", "pregnant")]


@pytest.mark.parametrize("code, body, expected", [
    ("elderly", {"name": "Người cao tuổi", "weight": 100}, "bad_priority"),
    ("Bad Code", {"name": "X", "weight": 1}, "bad_priority"),
    ("new", {"name": "", "weight": 1}, "bad_priority"),
    ("new", {"weight": 1}, "missing_parameter"),
])
def test_a_priority_category_config_yaml_would_refuse_is_refused(api, code, body, expected):
    admin = api.login_admin()
    r = api.put(f"/setup/priorities/{code}", body, admin)
    assert r.status_code == 400 and r.get_json()["error"]["code"] == expected, r.get_json()
    assert [c["code"] for c in api.get("/setup/priorities", admin).get_json()["categories"]] == [
        "merit", "elderly", "disabled"]
    assert api.delete("/setup/priorities/nobody", admin).status_code == 404


def test_the_time_zone_is_changed_live_unless_it_moves_today(api, another_process):
    """A site's time zone (its business day, the times on its screens) was config.yaml's alone.
    A zone that keeps today's date is taken by every process and audited; one in which it is
    another day now is refused (the day's numbers would start again, or a closed day reopen)."""
    admin = api.login_admin()
    other = another_process()
    r = api.put("/setup/site", {"timezone": "Asia/Bangkok"}, admin)   # 09:00 in Hà Nội, 09:00 in Bangkok
    assert r.status_code == 200 and r.get_json()["timezone"] == "Asia/Bangkok", r.get_json()
    assert api.get("/hall", KIOSK_TOKEN).get_json()["site"]["timezone"] == "Asia/Bangkok"
    other.extensions["qms"].people.refresh()
    hall = other.test_client().get("/api/v1/sites/hcc/hall", headers=api.bearer(KIOSK_TOKEN)).get_json()
    assert hall["site"]["timezone"] == "Asia/Bangkok"
    entry = api.get("/audit", admin).get_json()["entries"][0]
    assert entry["details"] == {"before": {"timezone": "Asia/Ho_Chi_Minh"}, "after": {"timezone": "Asia/Bangkok"}}
    # 02:00 UTC: still yesterday in Los Angeles.
    r = api.put("/setup/site", {"timezone": "America/Los_Angeles"}, admin)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "timezone_changes_day", r.get_json()
    r = api.put("/setup/site", {"timezone": "Asia/Atlantis"}, admin)
    assert r.status_code == 400 and any("timezone" in e for e in r.get_json()["error"]["details"]["errors"])
    assert api.get("/setup/site", admin).get_json()["timezone"] == "Asia/Bangkok"
