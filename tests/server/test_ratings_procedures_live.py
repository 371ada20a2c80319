"""A site's rating levels and its procedure catalogue changed live (they were config.yaml's
alone, and a restart): checked by config.yaml's rules, refused while a panel names a level,
audited, taken by every process, exported and imported."""
from __future__ import annotations

import pytest

from ..hall import AGENT_TOKEN, KIOSK_TOKEN

FIVE = [{"level": 5, "name": "Rất hài lòng", "name_en": "Very satisfied", "category": "very_satisfied"},
        {"level": 4, "name": "Hài lòng", "name_en": "Satisfied", "category": "satisfied"},
        {"level": 3, "name": "Bình thường", "name_en": "Neutral", "category": "satisfied", "score": 2},
        {"level": 2, "name": "Chưa hài lòng", "name_en": "Not quite satisfied", "category": "dissatisfied"},
        {"level": 1, "name": "Không hài lòng", "name_en": "Dissatisfied", "category": "dissatisfied"}]


def served(api, counter=1):
    ticket = api.issue("TP")
    api.login(counter)
    api.act(counter, "open")
    api.act(counter, "call-next")
    api.act(counter, "start")
    return ticket


def press(api, level, press_id):
    return api.post("/ratings", {"counter": 1, "level": level, "press_id": press_id, "device": "panel-1"},
                    AGENT_TOKEN)


def test_five_rating_levels_are_taken_live_and_a_press_of_the_new_level_rates_the_visitor(api, another_process):
    admin = api.login_admin()
    other = another_process()
    ratings = api.get("/setup/ratings", admin).get_json()
    assert [lv["level"] for lv in ratings["levels"]] == [3, 2, 1] and ratings["window_minutes"] == 3
    ticket = served(api)
    assert press(api, 5, "panel-1-five0001").get_json()["error"]["code"] == "unknown_level"
    r = api.put("/setup/ratings", {"levels": FIVE, "window_minutes": 5}, admin)
    assert r.status_code == 200, r.get_json()
    assert [lv["level"] for lv in r.get_json()["levels"]] == [5, 4, 3, 2, 1] and r.get_json()["window_minutes"] == 5
    r = press(api, 5, "panel-1-five0002")
    assert r.status_code == 201 and r.get_json()["ticket"] == ticket["id"], r.get_json()
    assert api.audited(admin)[-1] == ("ratings.update", "hcc")
    other.extensions["qms"].people.refresh()
    there = other.test_client().get("/api/v1/sites/hcc/setup/ratings", headers=api.bearer(admin)).get_json()
    assert [lv["level"] for lv in there["levels"]] == [5, 4, 3, 2, 1]
    # A restart takes them too.
    again = another_process().test_client().get("/api/v1/sites/hcc/setup/ratings", headers=api.bearer(admin))
    assert again.get_json()["window_minutes"] == 5


def test_a_level_a_panel_names_cannot_go_and_bad_levels_are_refused(api):
    admin = api.login_admin()
    before = api.get("/setup/ratings", admin).get_json()
    four = [lv for lv in FIVE if lv["level"] != 1]   # panel-1's key "3" means level 1
    r = api.put("/setup/ratings", {"levels": four}, admin)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "rating_level_in_use", r.get_json()
    assert {"kind": "rating_panel", "id": "panel-1"} in r.get_json()["error"]["details"]["named_by"]
    assert "panel-1.options.keys.3: no rating level 1" in r.get_json()["error"]["details"]["errors"]
    for body in ({"levels": [*FIVE, {"level": 6, "name": "?", "category": "satisfied"}]},
                 {"levels": [{**FIVE[0], "category": "great"}, FIVE[1]]},
                 {"levels": [FIVE[0]]},
                 {"levels": FIVE, "window_minutes": 0}):
        r = api.put("/setup/ratings", body, admin)
        assert r.status_code == 400 and r.get_json()["error"]["code"] == "bad_ratings", (body, r.get_json())
    assert api.get("/setup/ratings", admin).get_json() == before
    assert api.audited(admin) == []


def test_procedures_are_added_changed_and_removed_live_and_the_kiosk_finds_them(api, another_process):
    admin = api.login_admin()
    other = another_process()
    assert api.get("/setup/procedures", admin).get_json()["procedures"] == []
    r = api.put("/setup/procedures/TP-01", {"field": "TP", "name": "Đăng ký khai sinh", "name_en": "Birth registration",
                                             "documents": ["Tờ khai", "Giấy chứng sinh"], "fee": "Miễn lệ phí",
                                             "processing_time": "Trong ngày"}, admin)
    assert r.status_code == 201, r.get_json()
    assert api.put("/setup/procedures/TP-02", {"field": "TP", "name": "Đăng ký kết hôn"}, admin).status_code == 201
    found = api.get("/procedures?q=dang+ky+khai+sinh", KIOSK_TOKEN).get_json()["procedures"]
    assert [(p["code"], p["documents"]) for p in found] == [("TP-01", ["Tờ khai", "Giấy chứng sinh"])]
    r = api.put("/setup/procedures/TP-01", {"fee": "50.000 đồng"}, admin)
    assert r.status_code == 200 and r.get_json()["name"] == "Đăng ký khai sinh" and r.get_json()["fee"] == "50.000 đồng"
    assert api.delete("/setup/procedures/TP-02", admin).status_code == 204
    assert [p["code"] for p in api.get("/procedures?q=dang+ky", KIOSK_TOKEN).get_json()["procedures"]] == ["TP-01"]
    other.extensions["qms"].people.refresh()
    there = other.test_client().get("/api/v1/sites/hcc/procedures?q=khai+sinh").get_json()["procedures"]
    assert [p["fee"] for p in there] == ["50.000 đồng"]
    assert api.audited(admin) == [("procedure.create", "TP-01"), ("procedure.create", "TP-02"),
                                  ("procedure.update", "TP-01"), ("procedure.delete", "TP-02")]


@pytest.mark.parametrize("code, body, expected", [
    ("TP-09", {"field": "NOPE", "name": "X"}, "bad_procedure"),
    ("TP-09", {"field": "TP", "name": ""}, "bad_procedure"),
    ("TP-09", {"field": "TP", "name": "X", "documents": "one"}, "bad_parameter"),
    ("TP-09", {"name": "X"}, "missing_parameter"),
])
def test_a_procedure_config_yaml_would_refuse_is_refused(api, code, body, expected):
    admin = api.login_admin()
    r = api.put(f"/setup/procedures/{code}", body, admin)
    assert r.status_code == 400 and r.get_json()["error"]["code"] == expected, r.get_json()
    assert api.get("/setup/procedures", admin).get_json()["procedures"] == []
    assert api.delete("/setup/procedures/nothing", admin).status_code == 404


def test_export_writes_the_levels_procedures_and_time_zone_and_import_takes_them_back(written_hall, tmp_path):
    """The backup and the move to another server carry what was changed live: the catalogue
    inline (the file config.yaml named is as it was), the levels, the time zone."""
    import yaml

    def put(path, body):
        r = written_hall.client.put(f"/api/v1/sites/hcc{path}", headers=written_hall.headers, json=body)
        assert r.status_code in (200, 201), r.get_json()

    def get(path):
        return written_hall.client.get(f"/api/v1/sites/hcc{path}", headers=written_hall.headers).get_json()

    put("/setup/procedures/TP-01", {"field": "TP", "name": "Đăng ký khai sinh", "documents": ["Tờ khai"]})
    put("/setup/ratings", {"levels": FIVE, "presses_per_minute": 6})
    put("/setup/site", {"timezone": "Asia/Bangkok"})
    exported = yaml.safe_load(written_hall.config_command("export").stdout)
    hcc = next(s for s in exported["sites"] if s["id"] == "hcc")
    assert hcc["catalogue"] == [{"code": "TP-01", "field": "TP", "name": "Đăng ký khai sinh", "documents": ["Tờ khai"]}]
    assert [lv["level"] for lv in hcc["ratings"]["levels"]] == [5, 4, 3, 2, 1]
    assert hcc["ratings"]["presses_per_minute"] == 6 and hcc["timezone"] == "Asia/Bangkok"
    # Edited: a second procedure, three levels again (the panels' keys 1-3 stand for 3, 2, 1), Vietnam's zone.
    hcc["catalogue"].append({"code": "TP-02", "field": "TP", "name": "Đăng ký kết hôn"})
    hcc["ratings"]["levels"] = hcc["ratings"]["levels"][2:]
    hcc["timezone"] = "Asia/Ho_Chi_Minh"
    edited = tmp_path / "edited.yaml"
    edited.write_text(yaml.safe_dump(exported, allow_unicode=True), encoding="utf-8")
    done = written_hall.config_command("import", str(edited))
    assert done.returncode == 0, done.stderr
    written_hall.app.extensions["qms"].people.refresh()
    assert [p["code"] for p in get("/setup/procedures")["procedures"]] == ["TP-01", "TP-02"]
    assert [lv["level"] for lv in get("/setup/ratings")["levels"]] == [3, 2, 1]
    assert get("/setup/site")["timezone"] == "Asia/Ho_Chi_Minh"
