"""Live administration of the province's people: a province admin adds a leader who reads the
sites given to them at once, changes the sites, disables and gives new passwords; everyone
changes their own; checked by config.yaml's rules, audited, seen by every process, kept."""
from __future__ import annotations

import pytest

from server.config import parse_config

from ..hall import ADMIN_PASSWORD
from .test_province import LEADER_PASSWORD, Province, province_document

NEW = "Moi@20261"


@pytest.fixture
def config(prefix, tmp_path):   # the province of test_province.py
    return parse_config(province_document(prefix, tmp_path))


@pytest.fixture
def province(client):
    return Province(client)


def people(province, admin):
    r = province.call("GET", "/people", admin)
    assert r.status_code == 200, r.get_json()
    return {p["username"]: p for p in r.get_json()["people"]}


def audited(province, admin):
    return [(e["action"], e["target"]) for e in reversed(province.call("GET", "/audit", admin).get_json()["entries"])]


def test_a_new_leader_reads_the_sites_given_at_once_and_no_other(province, client):
    admin = province.token("qt-tinh", ADMIN_PASSWORD)
    r = province.call("POST", "/people", admin, {"username": "ld-xa", "name": "Lãnh đạo xã", "role": "leader",
                                                  "sites": ["xa"], "password": NEW})
    assert r.status_code == 201, r.get_json()
    assert r.get_json() == {"username": "ld-xa", "name": "Lãnh đạo xã", "role": "leader", "sites": ["xa"],
                            "disabled": False}
    leader = province.token("ld-xa", NEW)
    assert [s["id"] for s in province.call("GET", "/me", leader).get_json()["sites"]] == ["xa"]
    headers = {"Authorization": f"Bearer {leader}"}
    assert client.get("/api/v1/sites/xa/reports?period=day", headers=headers).status_code == 200
    assert client.get("/api/v1/sites/hcc/reports?period=day", headers=headers).status_code == 403
    # Given hcc too: the same session reads it.
    r = province.call("PATCH", "/people/ld-xa", admin, {"sites": ["xa", "hcc"]})
    assert r.status_code == 200, r.get_json()
    assert client.get("/api/v1/sites/hcc/reports?period=day", headers=headers).status_code == 200
    assert audited(province, admin) == [("config.import", "_province"), ("province_user.create", "ld-xa"),
                                        ("province_user.update", "ld-xa")]
    entry = province.call("GET", "/audit", admin).get_json()["entries"][0]
    assert entry["details"] == {"before": {"sites": ["xa"]}, "after": {"sites": ["xa", "hcc"]}}
    assert "hash" not in str(province.call("GET", "/audit", admin).get_json())


@pytest.mark.parametrize("person, expected", [
    ({"username": "ld9", "name": "X", "role": "leader", "sites": []}, "a leader needs the sites they read"),
    ({"username": "ld9", "name": "X", "role": "leader", "sites": ["hanoi"]}, "unknown site 'hanoi'"),
    ({"username": "ld9", "name": "X", "role": "province_admin", "sites": ["xa"]}, "a province admin has every site"),
    ({"username": "ld9", "name": "X", "role": "mayor", "sites": ["xa"]}, "role"),
    ({"username": "ld9", "name": "", "role": "leader", "sites": ["xa"]}, "name"),
    ({"username": "cb1", "name": "X", "role": "leader", "sites": ["xa"]}, "one name, one person"),
    ({"username": "Lãnh đạo", "name": "X", "role": "leader", "sites": ["xa"]}, "username"),
])
def test_a_person_config_yaml_would_refuse_is_refused_and_nothing_changes(province, person, expected):
    admin = province.token("qt-tinh", ADMIN_PASSWORD)
    before = people(province, admin)
    r = province.call("POST", "/people", admin, {**person, "password": NEW})
    assert r.status_code == 400, r.get_json()
    assert any(expected in e for e in r.get_json()["error"]["details"]["errors"]), r.get_json()
    assert people(province, admin) == before
    assert audited(province, admin) == []


def test_disabling_and_new_passwords_end_the_sessions(province):
    admin = province.token("qt-tinh", ADMIN_PASSWORD)
    leader = province.token("ld-hcc")
    assert province.call("PATCH", "/people/ld-hcc", admin, {"disabled": True}).status_code == 200
    assert province.call("GET", "/me", leader).status_code == 401
    refused = province.client.post("/api/v1/province/login", json={"username": "ld-hcc", "password": LEADER_PASSWORD})
    assert refused.status_code == 401
    assert province.call("PATCH", "/people/ld-hcc", admin, {"disabled": False}).status_code == 200
    leader = province.token("ld-hcc")
    assert province.call("POST", "/people/ld-hcc/password", admin, {"password": NEW}).status_code == 204
    assert province.call("GET", "/me", leader).status_code == 401
    leader = province.token("ld-hcc", NEW)
    # Their own: the current one first; the answer opens a new session.
    assert province.call("POST", "/password", leader, {"current": LEADER_PASSWORD, "new": "Rieng@2026"}).status_code \
        == 401
    r = province.call("POST", "/password", leader, {"current": NEW, "new": "Rieng@2026"})
    assert r.status_code == 200, r.get_json()
    assert province.call("GET", "/me", leader).status_code == 401
    assert province.call("GET", "/me", r.get_json()["token"]).status_code == 200
    assert [a for a, _ in audited(province, admin)] == [
        "config.import", "province_user.disable", "province_user.enable", "province_user.password_reset",
        "province_user.password_change"]
    # An admin does not lock themselves out.
    r = province.call("PATCH", "/people/qt-tinh", admin, {"disabled": True})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "own_account"


def test_only_province_admins_manage_the_provinces_people(province, api):
    leader = province.token("ld-all")
    assert province.call("GET", "/people", leader).status_code == 403
    assert province.call("POST", "/people", leader, {"username": "x1", "name": "X", "role": "province_admin",
                                                     "password": NEW}).status_code == 403
    assert province.call("POST", "/people/ld-hcc/password", leader, {"password": NEW}).status_code == 403
    site_admin = api.login_admin()
    assert province.call("GET", "/people", site_admin).status_code == 401


def test_every_process_and_a_restart_know_the_new_person(province, another_process):
    admin = province.token("qt-tinh", ADMIN_PASSWORD)
    other = another_process()
    there = other.test_client()
    assert province.call("POST", "/people", admin, {"username": "ld-new", "name": "Mới", "role": "leader",
                                                    "sites": ["hcc"], "password": NEW}).status_code == 201
    login = {"username": "ld-new", "password": NEW}
    assert there.post("/api/v1/province/login", json=login).status_code == 401     # not yet seen there
    assert other.extensions["qms"].people.refresh() == ["_province"]
    assert there.post("/api/v1/province/login", json=login).status_code == 200
    again = another_process()   # a restart
    assert again.test_client().post("/api/v1/province/login", json=login).status_code == 200
