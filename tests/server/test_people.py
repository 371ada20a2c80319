"""Live administration of a site's people: added, changed, disabled and given new passwords
through the API with no restart, checked by config.yaml's own rules, audited, kept in SQL, and
seen by every server process."""
from __future__ import annotations

import time

import pytest
import requests
import yaml

from server import create_app
from server.config import parse_config

from ..hall import ADMIN_PASSWORD, PASSWORD, hall_document, password_hash
from .test_workers import two_workers  # noqa: F401 - the fixture: `qms serve --workers 2`

NEW_PASSWORD = "Moi@20261"


@pytest.fixture
def document(prefix, tmp_path):
    doc = hall_document(prefix)
    doc["server"]["data_dir"] = str(tmp_path)   # the archive (SQLite) of this test alone
    doc["sites"][0]["officers"].append({"username": "gd", "name": "Giám đốc", "role": "leader",
                                        "password_hash": password_hash(PASSWORD)})
    return doc


@pytest.fixture
def config(document):
    return parse_config(document)


def people(api, token):
    r = api.get("/officers", token)
    assert r.status_code == 200, r.get_json()
    return {o["username"]: o for o in r.get_json()["officers"]}


def audit(api, token):
    return [(e["actor"], e["action"], e["target"]) for e in reversed(api.get("/audit", token).get_json()["entries"])]


def test_an_admin_adds_an_officer_who_signs_in_at_once(api):
    admin = api.login_admin()
    r = api.post("/officers", {"username": "cb9", "name": "Nguyễn Văn Chín", "role": "officer", "counters": [2, 3],
                               "password": NEW_PASSWORD}, admin)
    assert r.status_code == 201, r.get_json()
    assert r.get_json() == {"username": "cb9", "name": "Nguyễn Văn Chín", "role": "officer", "counters": [2, 3],
                            "disabled": False}
    assert "password_hash" not in r.get_json()
    token = api.login(2, "cb9", NEW_PASSWORD)
    assert api.get("/me", token).get_json()["name"] == "Nguyễn Văn Chín"
    assert api.post("/login", {"username": "cb9", "password": NEW_PASSWORD, "counter": 1}).status_code == 403
    assert audit(api, admin) == [("system", "config.import", "hcc"), ("admin", "officer.create", "cb9")]
    entry = api.get("/audit", admin).get_json()["entries"][0]
    assert entry["details"] == {"username": "cb9", "name": "Nguyễn Văn Chín", "role": "officer", "counters": [2, 3],
                                "disabled": False}


@pytest.mark.parametrize("person, status, expected", [
    ({"username": "Cb 9", "name": "X"}, 400, "username"),
    ({"username": "cb9", "name": "X", "counters": [42]}, 400, "counters[0]: unknown counter 42"),
    ({"username": "cb9", "name": "X", "counters": []}, 400, "counters: an officer needs at least one counter"),
    ({"username": "cb9", "name": "X", "role": "leader", "counters": [1]}, 400, "a leader reads reports"),
    ({"username": "cb9", "name": "X", "role": "mayor", "counters": [1]}, 400, "role: 'mayor' is not one of"),
    ({"username": "cb9", "name": "", "counters": [1]}, 400, "name"),
    ({"username": "cb9", "name": "X" * 121, "counters": [1]}, 400, "name: at most 120 characters"),
    ({"username": "cbxa", "name": "X", "counters": [1]}, 400, "already a person of another site"),
    ({"username": "cb1", "name": "X", "counters": [1]}, 409, None),
    ({"username": "cb9", "name": "X", "counters": [1], "password": "short"}, 400, None),
    ({"username": "cb9", "name": "X", "counters": [1], "password_hash": "x"}, 400, None),
])
def test_a_person_config_yaml_would_refuse_is_refused_and_nothing_changes(api, person, status, expected):
    admin = api.login_admin()
    before = people(api, admin)
    r = api.post("/officers", {"password": NEW_PASSWORD, **person}, admin)
    assert r.status_code == status, r.get_json()
    if expected:
        assert any(expected in e for e in r.get_json()["error"]["details"]["errors"]), r.get_json()
    assert people(api, admin) == before
    assert audit(api, admin) == []


def test_disabling_ends_the_officers_sessions_and_enabling_lets_them_back(api):
    admin = api.login_admin()
    officer = api.login(1)
    r = api.client.patch("/api/v1/sites/hcc/officers/cb1", json={"disabled": True},
                         headers={"Authorization": f"Bearer {admin}"})
    assert r.status_code == 200 and r.get_json()["disabled"] is True
    assert api.get("/me", officer).status_code == 401
    r = api.post("/login", {"username": "cb1", "password": PASSWORD, "counter": 1})
    assert r.status_code == 401 and r.get_json()["error"]["code"] == "bad_credentials"
    api.client.patch("/api/v1/sites/hcc/officers/cb1", json={"disabled": False},
                     headers={"Authorization": f"Bearer {admin}"})
    api.login(1)
    assert [a for _, a, _ in audit(api, admin)] == ["config.import", "officer.disable", "officer.enable"]


def test_changes_of_name_role_and_counters_are_audited_from_what_to_what(api):
    admin = api.login_admin()
    r = api.client.patch("/api/v1/sites/hcc/officers/cb3", json={"name": "Lê Thị Ba", "counters": [3, 4]},
                         headers={"Authorization": f"Bearer {admin}"})
    assert r.status_code == 200, r.get_json()
    entry = api.get("/audit", admin).get_json()["entries"][0]
    assert entry["action"] == "officer.update" and entry["target"] == "cb3"
    assert entry["details"] == {"before": {"name": "Cán bộ 3", "counters": [3]},
                                "after": {"name": "Lê Thị Ba", "counters": [3, 4]}}
    api.login(4, "cb3")
    # Made a leader: reads the reports, serves at no counter.
    r = api.client.patch("/api/v1/sites/hcc/officers/cb3", json={"role": "leader", "counters": []},
                         headers={"Authorization": f"Bearer {admin}"})
    assert r.status_code == 200, r.get_json()
    leader = api.post("/login", {"username": "cb3", "password": PASSWORD}).get_json()["token"]
    assert api.get("/reports", leader).status_code == 200
    # An admin cannot lock themselves out.
    r = api.client.patch("/api/v1/sites/hcc/officers/admin", json={"disabled": True},
                         headers={"Authorization": f"Bearer {admin}"})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "own_account"


def test_passwords_reset_by_an_admin_and_changed_by_their_owner(api):
    admin = api.login_admin()
    old = api.login(2)
    assert api.post("/officers/cb2/password", {"password": NEW_PASSWORD}, admin).status_code == 204
    assert api.get("/me", old).status_code == 401                       # the old sessions are over
    assert api.post("/login", {"username": "cb2", "password": PASSWORD, "counter": 2}).status_code == 401
    token = api.login(2, "cb2", NEW_PASSWORD)
    # The officer chooses their own: the current one first.
    wrong = api.post("/password", {"current": PASSWORD, "new": "Rieng@2026"}, token)
    assert wrong.status_code == 401
    r = api.post("/password", {"current": NEW_PASSWORD, "new": "Rieng@2026"}, token)
    assert r.status_code == 200, r.get_json()
    fresh = r.get_json()["token"]
    assert api.get("/me", token).status_code == 401 and api.get("/me", fresh).get_json()["counter"] == 2
    assert api.post("/password", {"current": "Rieng@2026", "new": "Rieng@2026"}, fresh).status_code == 400
    assert [(a, t) for _, a, t in audit(api, admin)] == [
        ("config.import", "hcc"), ("officer.password_reset", "cb2"), ("officer.password_change", "cb2")]
    assert "hash" not in str(api.get("/audit", admin).get_json())


def test_who_may_do_what(api):
    officer = api.login(1)
    leader = api.post("/login", {"username": "gd", "password": PASSWORD}).get_json()["token"]
    for token in (officer, leader):
        assert api.get("/officers", token).status_code == 403
        assert api.post("/officers", {"username": "cb9", "name": "X", "counters": [1], "password": NEW_PASSWORD},
                        token).status_code == 403
        assert api.post("/officers/cb1/password", {"password": NEW_PASSWORD}, token).status_code == 403
    assert api.get("/audit", leader).status_code == 200
    assert api.get("/audit", officer).status_code == 403


def test_every_process_sees_a_change_and_a_restart_keeps_it(api, app, document, redis_url, clock):
    other = create_app(parse_config(document), redis_url=redis_url, clock=clock, message_queue=False,
                       start_relay=False)
    try:
        admin = api.login_admin()
        assert api.post("/officers", {"username": "cb9", "name": "Chín", "counters": [5],
                                      "password": NEW_PASSWORD}, admin).status_code == 201
        client = other.test_client()
        login = {"username": "cb9", "password": NEW_PASSWORD, "counter": 5}
        assert client.post("/api/v1/sites/hcc/login", json=login).status_code == 401   # not yet seen there
        assert other.extensions["qms"].people.refresh() == ["hcc"]     # what its watcher does every second
        assert client.post("/api/v1/sites/hcc/login", json=login).status_code == 200
        assert other.extensions["qms"].people.refresh() == []
    finally:
        other.extensions["qms"].shutdown()
    # A restart (a new process) starts from the live people, not config.yaml's.
    again = create_app(parse_config(document), redis_url=redis_url, clock=clock, message_queue=False,
                       start_relay=False)
    try:
        r = again.test_client().post("/api/v1/sites/hcc/login", json={"username": "cb9", "password": NEW_PASSWORD,
                                                                      "counter": 5})
        assert r.status_code == 200
        assert again.test_client().post("/api/v1/sites/hcc/login", json={
            "username": "admin", "password": ADMIN_PASSWORD}).status_code == 200
    finally:
        again.extensions["qms"].shutdown()


def test_a_person_added_on_one_worker_signs_in_on_every_worker(two_workers):  # noqa: F811 - the fixture
    """`qms serve --workers 2`: the change is made by whichever worker takes the request; both
    know the new officer soon after (each looks at the version every second). Asked with a new
    connection each time, so either worker may answer; a sign-in (a scrypt check) would be too
    slow to ask often enough to reach both."""
    url = two_workers.url + "/api/v1/sites/hcc"
    close = {"Connection": "close"}
    admin = requests.post(url + "/login", json={"username": "admin", "password": ADMIN_PASSWORD}, headers=close,
                          timeout=10).json()["token"]
    asking = {**close, "Authorization": f"Bearer {admin}"}
    r = requests.post(url + "/officers", json={"username": "cb9", "name": "Chín", "counters": [5],
                                               "password": NEW_PASSWORD}, headers=asking, timeout=10)
    assert r.status_code == 201, r.text
    made = time.monotonic()
    knows: dict[str, float] = {}
    while len(knows) < 2 and time.monotonic() - made < 10:
        r = requests.get(url + "/officers", headers=asking, timeout=10)
        if any(o["username"] == "cb9" for o in r.json()["officers"]):
            knows.setdefault(r.headers["X-Qms-Worker"], time.monotonic() - made)
        time.sleep(0.01)
    assert len(knows) == 2, knows
    r = requests.post(url + "/login", json={"username": "cb9", "password": NEW_PASSWORD, "counter": 5},
                      headers=close, timeout=10)
    assert r.status_code == 200, r.text


def test_config_export_and_import_carry_the_live_people(written_hall, tmp_path, prefix):
    """config.yaml is the bootstrap and the exchange format: `qms config export` writes the
    people as they are now, `qms config import` makes a file's people the live ones."""
    hall, client, headers = written_hall, written_hall.client, written_hall.headers
    assert client.post("/api/v1/sites/hcc/officers", headers=headers, json={
        "username": "cb9", "name": "Chín", "counters": [5], "password": NEW_PASSWORD}).status_code == 201
    client.patch("/api/v1/sites/hcc/officers/cb4", headers=headers, json={"disabled": True})
    hours = client.get("/api/v1/sites/hcc/hours", headers=headers).get_json()
    assert client.put("/api/v1/sites/hcc/hours", headers=headers,
                      json={**hours, "extra": ["2027-01-04"]}).status_code == 200

    exported = yaml.safe_load(hall.config_command("export").stdout)
    hcc = {o["username"]: o for o in exported["sites"][0]["officers"]}
    assert hcc["cb9"]["name"] == "Chín" and hcc["cb9"]["counters"] == [5] and hcc["cb4"]["disabled"] is True
    assert exported["sites"][1]["officers"] == hall_document(prefix)["sites"][1]["officers"]
    assert exported["sites"][0]["holidays"]["extra"] == ["2027-01-04"]
    assert exported["sites"][0]["opening_hours"]["sat"] == ["07:30-11:30"]

    # Edited and imported: cb9 renamed, cb5 gone.
    hcc["cb9"]["name"] = "Nguyễn Văn Chín"
    del hcc["cb5"]
    exported["sites"][0]["holidays"]["extra"] = ["2027-02-10"]
    exported["sites"][0]["officers"] = list(hcc.values())
    edited = tmp_path / "edited.yaml"
    edited.write_text(yaml.safe_dump(exported, allow_unicode=True), encoding="utf-8")
    done = hall.config_command("import", str(edited))
    assert done.returncode == 0, done.stderr
    assert "hcc: 5 counters, 6 people and 4 devices imported, and the hours" in done.stdout
    hall.app.extensions["qms"].people.refresh()
    officers = {o["username"]: o for o in client.get("/api/v1/sites/hcc/officers", headers=headers)
                .get_json()["officers"]}
    assert "cb5" not in officers and officers["cb9"]["name"] == "Nguyễn Văn Chín"
    assert client.get("/api/v1/sites/hcc/hours", headers=headers).get_json()["extra"] == ["2027-02-10"]
    assert client.post("/api/v1/sites/hcc/login", json={"username": "cb5", "password": PASSWORD,
                                                        "counter": 5}).status_code == 401
    entries = client.get("/api/v1/sites/hcc/audit", headers=headers).get_json()["entries"]
    # Newest first: the rating panels, the kiosks, displays and agents, the hours, the people, the
    # counters, the fields; each one audited change by the command's user.
    assert [e["action"] for e in entries[:6]] == ["config.import", "config.import", "hours.update"] + [
        "config.import"] * 3
    assert [e["details"] for e in entries[:6] if e["action"] == "config.import"] == [
        {"from": "edited.yaml", "devices": 5}, {"from": "edited.yaml", "devices": 4},
        {"from": "edited.yaml", "people": 6}, {"from": "edited.yaml", "counters": 5},
        {"from": "edited.yaml", "fields": 4}]
    assert all(e["actor"].startswith("cli:") for e in entries[:6])

    # A file config.yaml would refuse is refused whole, and nothing changes.
    exported["sites"][0]["officers"].append({"username": "cb10", "name": "Mười", "counters": [42],
                                             "password_hash": password_hash(PASSWORD)})
    edited.write_text(yaml.safe_dump(exported, allow_unicode=True), encoding="utf-8")
    bad = hall.config_command("import", str(edited))
    assert bad.returncode == 2 and "unknown counter 42" in bad.stderr
    assert hall.app.extensions["qms"].people.refresh() == []


def test_the_hall_starts_when_the_archive_cannot_be_read_and_keeps_the_live_people(api, document, redis_url,
                                                                                   clock, caplog):
    """SQL is the truth, Redis keeps a copy: with the archive out of reach the hall still starts,
    and a person disabled live stays disabled."""
    admin = api.login_admin()
    api.client.patch("/api/v1/sites/hcc/officers/cb1", json={"disabled": True},
                     headers={"Authorization": f"Bearer {admin}"})
    document = {**document, "archive": {"url": "postgresql+psycopg://nobody@127.0.0.1:1/none"}}
    down = create_app(parse_config(document), redis_url=redis_url, clock=clock, message_queue=False,
                      start_relay=False)
    try:
        assert "the archive cannot be read" in caplog.text
        client = down.test_client()
        r = client.post("/api/v1/sites/hcc/login", json={"username": "cb1", "password": PASSWORD, "counter": 1})
        assert r.status_code == 401
        assert client.post("/api/v1/sites/hcc/login", json={"username": "cb2", "password": PASSWORD,
                                                            "counter": 2}).status_code == 200
    finally:
        down.extensions["qms"].shutdown()


def test_a_change_made_while_the_servers_were_stopped_wins_over_redis_copy(api, app, document, redis_url, clock):
    """`qms config import` beside a stopped server with its embedded Redis writes SQL only: the
    next start sees SQL is newer than Redis's copy and takes SQL's."""
    from server.config.people import PeopleStore

    admin = api.login_admin()
    assert api.post("/officers", {"username": "cb9", "name": "Chín", "counters": [5], "password": NEW_PASSWORD},
                    admin).status_code == 201
    services = app.extensions["qms"]
    offline = PeopleStore(services.config, None, {}, lambda: services.archive_sql)
    site = services.config.sites["hcc"]
    offline.replace(site, "cli:test", {u: o for u, o in site.officers.items() if u != "cb9"}, "file.yaml")
    restarted = create_app(parse_config(document), redis_url=redis_url, clock=clock, message_queue=False,
                           start_relay=False)
    try:
        r = restarted.test_client().post("/api/v1/sites/hcc/login", json={
            "username": "cb9", "password": NEW_PASSWORD, "counter": 5})
        assert r.status_code == 401     # gone in SQL, though Redis's copy still had cb9
        assert "cb9" not in restarted.extensions["qms"].config.sites["hcc"].officers
    finally:
        restarted.extensions["qms"].shutdown()
