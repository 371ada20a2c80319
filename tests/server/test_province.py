"""The province's people: a province admin (every site), leaders of some sites, and a site's own
leader; the province's report, its exports and the live overview of the sites, through the API."""
from __future__ import annotations

import csv
import io

import pytest
import redis as redis_lib
from openpyxl import load_workbook

from server.config import ConfigError, parse_config
from server.history.archiver import Archiver

from ..hall import ADMIN_PASSWORD, AGENT_TOKEN, KIOSK_TOKEN, OTHER_SITE_KIOSK_TOKEN, hall_document, password_hash
from .test_reports import Day

LEADER_PASSWORD = "Lanh@2026"
DAY = "?period=day&date=2026-11-23"


def province_document(prefix: str, tmp_path) -> dict:
    doc = hall_document(prefix)
    doc["server"]["data_dir"] = str(tmp_path)
    doc["sites"][0]["fields"][1].pop("daily_cap")
    doc["sites"][0]["fields"][0]["agency"] = "Sở Tư pháp"
    doc["sites"][0]["fields"][1]["agency"] = "Sở Nông nghiệp và Môi trường"
    doc["sites"][1]["fields"][0]["agency"] = "Sở Tư pháp"
    doc["sites"][0]["officers"].append({"username": "gd", "name": "Giám đốc Trung tâm", "role": "leader",
                                        "password_hash": password_hash(LEADER_PASSWORD)})
    doc["province"] = {"name": "Tỉnh Thử nghiệm", "name_en": "Test Province", "users": [
        {"username": "qt-tinh", "name": "Quản trị tỉnh", "role": "province_admin",
         "password_hash": password_hash(ADMIN_PASSWORD)},
        {"username": "ld-hcc", "name": "Lãnh đạo A", "role": "leader", "sites": ["hcc"],
         "password_hash": password_hash(LEADER_PASSWORD)},
        {"username": "ld-all", "name": "Lãnh đạo B", "role": "leader", "sites": ["xa", "hcc"],
         "password_hash": password_hash(LEADER_PASSWORD)},
    ]}
    return doc


@pytest.fixture
def config(prefix, tmp_path):
    return parse_config(province_document(prefix, tmp_path))


class Province:
    """The province API, by its own paths."""

    def __init__(self, client):
        self.client = client

    def login(self, username: str, password: str = LEADER_PASSWORD, **kw):
        return self.client.post("/api/v1/province/login", json={"username": username, "password": password}, **kw)

    def token(self, username: str, password: str = LEADER_PASSWORD) -> str:
        r = self.login(username, password)
        assert r.status_code == 200, r.get_json()
        return r.get_json()["token"]

    def get(self, path: str, token: str | None):
        return self.call("GET", path, token)

    def call(self, method: str, path: str, token: str | None, body=None):
        return self.client.open("/api/v1/province" + path, method=method, json=body,
                                headers={"Authorization": f"Bearer {token}"} if token else {})


@pytest.fixture
def province(client):
    return Province(client)


def issue_at_xa(api) -> None:
    r = api.client.post("/api/v1/sites/xa/tickets", json={"field": "A"},
                        headers={"Authorization": f"Bearer {OTHER_SITE_KIOSK_TOKEN}"})
    assert r.status_code == 201, r.get_json()


@pytest.fixture
def archived(api, clock, app, redis_url, config):
    """150 visitors at hcc through the day, 4 at the commune (xa), all archived."""
    day = Day(api, clock, seed=3)
    day.run(tickets=150)
    for _ in range(4):
        issue_at_xa(api)
    services = app.extensions["qms"]
    archiver = Archiver(redis_lib.Redis.from_url(redis_url), config, services.engine.keys, services.archive_sql,
                        consumer="test")
    while archiver.step(block_ms=10):
        pass
    return day


def test_a_leader_reads_the_sites_given_to_them_and_nothing_else(archived, api, province):
    login = province.login("ld-hcc")
    assert login.status_code == 200
    assert [s["id"] for s in login.get_json()["sites"]] == ["hcc"] and login.get_json()["role"] == "leader"
    token = login.get_json()["token"]

    report = province.get("/report" + DAY, token).get_json()
    assert [s["key"] for s in report["sites"]] == ["hcc"]
    site_report = api.get("/reports" + DAY, token).get_json()   # the same session opens the site's own report
    assert report["total"]["issued"] == site_report["total"]["issued"] == 150
    assert report["total"]["served"] == site_report["total"]["served"] > 0
    assert {a["name"] for a in report["agencies"]} == {"Sở Tư pháp", "Sở Nông nghiệp và Môi trường", "—"}

    # Another site, a counter, the hall's devices: not a leader's.
    other = api.client.get("/api/v1/sites/xa/reports" + DAY, headers={"Authorization": f"Bearer {token}"})
    assert other.status_code == 403 and other.get_json()["error"]["code"] == "not_your_site"
    assert api.post("/counters/1/call-next", {}, token).status_code == 403
    assert api.get("/devices", token).status_code == 200                 # the monitor's device panel
    # A province person is not an officer of the site, and signs in only at /province.
    assert api.post("/login", {"username": "ld-hcc", "password": LEADER_PASSWORD}).status_code == 401


def test_the_province_admin_and_a_leader_of_both_sites_see_the_province(archived, api, province):
    for who, password in (("qt-tinh", ADMIN_PASSWORD), ("ld-all", LEADER_PASSWORD)):
        token = province.token(who, password)
        report = province.get("/report" + DAY, token).get_json()
        assert [s["key"] for s in report["sites"]] == ["hcc", "xa"], who   # config order, not the leader's list
        by_site = {s["key"]: s for s in report["sites"]}
        assert by_site["xa"]["issued"] == 4 and by_site["hcc"]["issued"] == 150
        assert report["total"]["issued"] == 154
        justice = next(a for a in report["agencies"] if a["name"] == "Sở Tư pháp")
        hcc_tp = next(r for r in api.get("/reports" + DAY, token).get_json()["rows"] if r["key"] == "TP")
        assert justice["issued"] == hcc_tp["issued"] + 4       # an agency's row adds its fields at every site
        assert [r["site"] for r in report["site_ranking"]] and report["officer_ranking"]
    # The province admin is an admin at every site; a leader is not.
    admin = province.token("qt-tinh", ADMIN_PASSWORD)
    assert api.client.get("/api/v1/sites/xa/devices", headers={"Authorization": f"Bearer {admin}"}).status_code == 200
    closed = api.post("/counters/1/pause", {"reason": "họp"}, admin)
    assert closed.status_code != 403, closed.get_json()


def test_the_sites_own_people_get_nothing_of_the_province(archived, api, province):
    admin = api.login_admin()
    officer = api.login(1)
    for token in (admin, officer, KIOSK_TOKEN, AGENT_TOKEN, None):
        r = province.get("/report" + DAY, token)
        assert r.status_code == 401, (token, r.get_json())
    # The site's own leader: reads the site's report without a counter, serves at none.
    r = api.post("/login", {"username": "gd", "password": LEADER_PASSWORD})
    assert r.status_code == 200 and r.get_json()["role"] == "leader"
    leader = r.get_json()["token"]
    assert api.get("/reports" + DAY, leader).get_json()["total"]["issued"] == 150
    assert api.post("/counters/1/call-next", {}, leader).status_code == 403
    r = api.post("/login", {"username": "gd", "password": LEADER_PASSWORD, "counter": 1})
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "not_an_officer"
    assert province.get("/report" + DAY, leader).status_code == 401
    # An officer (no admin, no leader) reads no report.
    assert api.get("/reports" + DAY, officer).status_code == 403


def test_exports_carry_the_report_figures_in_the_evaluation_table(archived, province):
    token = province.token("ld-all")
    report = province.get("/report" + DAY, token).get_json()
    r = province.get("/report.xlsx" + DAY, token)
    assert r.status_code == 200 and r.headers["Content-Disposition"].endswith('.xlsx"')
    book = load_workbook(io.BytesIO(r.get_data()))
    titles = [ws.title for ws in book.worksheets]
    assert titles == ["Đánh giá mức độ hài lòng", "Đánh giá theo cơ quan", "Số liệu theo đơn vị",
                      "Số liệu theo cơ quan", "Xếp hạng đơn vị", "Xếp hạng cán bộ"]
    evaluation = book.worksheets[0]
    assert evaluation["A1"].value == "Tỉnh Thử nghiệm"
    assert [c.value for c in evaluation[4]][:4] == ["STT", "Đơn vị", "Tổng số lượt đánh giá", "Rất hài lòng"]
    rows = {row[1].value: [c.value for c in row] for row in evaluation.iter_rows(min_row=5)}
    for site in report["sites"]:
        g = site["ratings"]
        assert rows[site["name"]][2:4] == [g["total"], g["very_satisfied"]]
        assert rows[site["name"]][5] == g["satisfied"] and rows[site["name"]][7] == g["dissatisfied"]
    total = rows["Tổng cộng"]
    assert total[2] == report["total"]["ratings"]["total"] > 0
    assert total[9] == pytest.approx(report["total"]["ratings"]["satisfaction_rate"])
    officers = [[c.value for c in row] for row in book.worksheets[5].iter_rows(min_row=5)]
    assert [o[1] for o in officers] == [o["name"] for o in report["officer_ranking"]]

    r = province.get("/report.csv" + DAY, token)
    lines = list(csv.reader(io.StringIO(r.get_data().decode("utf-8-sig"))))
    assert lines[0][0] == "Tỉnh Thử nghiệm"
    by_name = {line[1]: line for line in lines if len(line) > 3}
    assert int(by_name["Tổng cộng"][2]) == report["total"]["ratings"]["total"]
    figures = {line[0]: line for line in lines if len(line) > 3}
    assert int(figures[report["sites"][0]["name"]][1]) == report["sites"][0]["issued"]


def test_the_overview_shows_each_sites_hall_now(api, province, engine):
    for field in ("TP", "TP", "DD"):
        api.issue(field)
    issue_at_xa(api)
    api.login(1)
    api.act(1, "call-next")
    overview = province.get("/monitor", province.token("ld-all")).get_json()
    rows = {r["site"]: r for r in overview["sites"]}
    assert rows["hcc"]["waiting"] == sum(w["waiting"] for w in engine.snapshot("hcc")["waiting"].values()) == 2
    assert rows["hcc"]["counters"] == {"open": 1, "paused": 0, "closed": 4, "serving": 1}
    assert rows["xa"]["waiting"] == 1 and rows["xa"]["counters"]["open"] == 0
    assert overview["total"]["waiting"] == 3
    only = province.get("/monitor", province.token("ld-hcc")).get_json()
    assert [r["site"] for r in only["sites"]] == ["hcc"]
    stranger = province.client.application.test_client()   # no cookie of the sign-ins above
    assert stranger.get("/api/v1/province/monitor").status_code == 401


def test_sign_in_is_guarded_and_sessions_end(app, province, config, redis_url, clock):
    for _ in range(6):   # as at a site: a few typos are free, then a guesser waits
        assert province.login("ld-hcc", "wrong").status_code == 401
    r = province.login("ld-hcc")
    assert r.status_code == 429 and r.get_json()["error"]["code"] == "login_locked"
    token = province.token("ld-all")
    assert province.get("/me", token).get_json()["sites"] == [{"id": "hcc", "name": config.sites["hcc"].name,
                                                               "name_en": config.sites["hcc"].name_en},
                                                              {"id": "xa", "name": config.sites["xa"].name,
                                                               "name_en": ""}]
    # A new password in config.yaml ends the sessions opened with the old one, on any server.
    from server import create_app

    doc = province_document(config.redis.key_prefix, config.server.data_dir)
    doc["province"]["users"][2]["password_hash"] = password_hash("Moi@2027")
    other = create_app(parse_config(doc), redis_url=redis_url, clock=clock, message_queue=False, start_relay=False)
    try:
        r = other.test_client().get("/api/v1/province/me", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401
    finally:
        other.extensions["qms"].shutdown()
    assert province.get("/me", token).status_code == 401   # ended for every process
    again = province.token("qt-tinh", ADMIN_PASSWORD)
    r = province.client.post("/api/v1/province/logout", json={}, headers={"Authorization": f"Bearer {again}"})
    assert r.status_code == 204
    assert province.get("/me", again).status_code == 401


@pytest.mark.parametrize("change, message", [
    (lambda p: p["users"][1].pop("sites"), "province.users[1].sites: a leader needs the sites they read"),
    (lambda p: p["users"][1].update(sites=["hcc", "nowhere"]), "province.users[1].sites[1]: unknown site 'nowhere'"),
    (lambda p: p["users"][0].update(sites=["hcc"]), "province.users[0].sites: a province admin has every site"),
    (lambda p: p["users"][1].update(username="cb1"), "province.users[1].username: 'cb1' is already an officer"),
    (lambda p: p["users"][1].update(role="mayor"), "province.users[1].role: 'mayor' is not one of"),
    (lambda p: p["users"][2].update(username="ld-hcc"), "province.users[2]: duplicate username 'ld-hcc'"),
])
def test_config_refuses_a_province_that_cannot_work(tmp_path, change, message):
    doc = province_document("x", tmp_path)
    change(doc["province"])
    with pytest.raises(ConfigError) as err:
        parse_config(doc)
    assert any(line.startswith(message) for line in err.value.errors), err.value.errors


def test_config_refuses_a_site_leader_at_a_counter(tmp_path):
    doc = province_document("x", tmp_path)
    doc["sites"][0]["officers"][-1]["counters"] = [1]
    with pytest.raises(ConfigError) as err:
        parse_config(doc)
    assert any("a leader reads reports and serves at no counter" in line for line in err.value.errors)
