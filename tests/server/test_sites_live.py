"""A province admin adds a site (a commune's centre) with no restart: its administrator signs in
at once, adds a kiosk and a lobby display, a visitor takes a number and the display hears the
call; every server process, a restart and the archiver know the site."""
from __future__ import annotations

import time

import pytest
import redis as redis_lib
import requests
from sqlalchemy import func, select

from server import create_app
from server.config import parse_config
from server.engine.keys import Keys
from server.history.archive_schema import tickets
from server.history.archiver import Archiver

from ..hall import ADMIN_PASSWORD
from .test_province import Province, province_document

SITE = {"id": "phuong1", "name": "Bộ phận Một cửa phường 1", "name_en": "Ward 1",
        "field": {"code": "A", "name": "Hộ tịch", "prefix": "A"},
        "admin": {"username": "qt-p1", "name": "Quản trị phường 1", "password": "Phuong@2026"}}


@pytest.fixture
def document(prefix, tmp_path):
    return province_document(prefix, tmp_path)


@pytest.fixture
def config(document):
    return parse_config(document)


@pytest.fixture
def province(live_app):
    return Province(live_app.test_client())


def site_api(client, method, path, token=None, body=None):
    return client.open(f"/api/v1/sites/phuong1{path}", method=method, json=body,
                       headers={"Authorization": f"Bearer {token}"} if token else {})


def test_a_new_site_works_end_to_end_with_no_restart(live_app, province):
    admin = province.token("qt-tinh", ADMIN_PASSWORD)
    client = live_app.test_client()
    assert site_api(client, "GET", "/hall").status_code == 404
    r = province.call("POST", "/sites", admin, SITE)
    assert r.status_code == 201, r.get_json()
    # Its administrator signs in, and adds a kiosk and a lobby display.
    r = site_api(client, "POST", "/login", body={"username": "qt-p1", "password": "Phuong@2026"})
    assert r.status_code == 200, r.get_json()
    site_admin = r.get_json()["token"]
    kiosk = site_api(client, "POST", "/clients", site_admin, {"kind": "kiosk", "id": "k1", "name": "Ki-ốt"})
    display = site_api(client, "POST", "/clients", site_admin, {"kind": "display", "id": "d1", "name": "Màn hình"})
    assert kiosk.status_code == display.status_code == 201, (kiosk.get_json(), display.get_json())
    screen = live_app.extensions["qms"].socketio.test_client(
        live_app, auth={"site": "phuong1", "token": display.get_json()["token"]})
    assert screen.is_connected()
    # A visitor takes a number; the administrator serves at counter 1; the display hears it.
    ticket = site_api(client, "POST", "/tickets", kiosk.get_json()["token"], {"field": "A"}).get_json()
    assert ticket["label"] == "A001"
    r = site_api(client, "POST", "/login", body={"username": "qt-p1", "password": "Phuong@2026", "counter": 1})
    desk = r.get_json()["token"]
    assert site_api(client, "POST", "/counters/1/open", desk).status_code == 200
    assert site_api(client, "POST", "/counters/1/call-next", desk).get_json()["id"] == ticket["id"]
    deadline, heard = time.monotonic() + 10, False
    while not heard and time.monotonic() < deadline:
        heard = any(m["name"] == "update" and m["args"][0].get("type") == "ticket.called"
                    for m in screen.get_received())
        time.sleep(0.05)
    assert heard, "the new site's display did not hear the call"
    # The province sees it, and its audit says who added it.
    assert "phuong1" in [s["id"] for s in province.call("GET", "/sites", admin).get_json()["sites"]]
    entry = province.call("GET", "/audit", admin).get_json()["entries"][0]
    assert (entry["action"], entry["target"], entry["actor"]) == ("site.create", "phuong1", "qt-tinh@province")
    assert "Phuong@2026" not in str(entry) and "hash" not in str(entry)


def test_every_process_a_restart_and_the_archiver_know_the_new_site(live_app, province, config, document,
                                                                     redis_url, clock):
    other = create_app(parse_config(document), redis_url=redis_url, clock=clock, message_queue=False,
                       start_relay=False)
    try:
        there = other.test_client()
        assert province.call("POST", "/sites", province.token("qt-tinh", ADMIN_PASSWORD), SITE).status_code == 201
        login = {"username": "qt-p1", "password": "Phuong@2026", "counter": 1}
        assert site_api(there, "POST", "/login", body=login).status_code == 404      # not yet known there
        other.extensions["qms"].people.refresh()
        r = site_api(there, "POST", "/login", body=login)
        assert r.status_code == 200, r.get_json()
        kiosk = site_api(there, "POST", "/clients", r.get_json()["token"], {"kind": "kiosk", "id": "k1", "name": "K"})
        issued = site_api(there, "POST", "/tickets", kiosk.get_json()["token"], {"field": "A"})
        assert issued.status_code == 201, issued.get_json()
    finally:
        other.extensions["qms"].shutdown()
    again = create_app(parse_config(document), redis_url=redis_url, clock=clock, message_queue=False,
                       start_relay=False)
    try:
        assert site_api(again.test_client(), "POST", "/login", body=login).status_code == 200
    finally:
        again.extensions["qms"].shutdown()
    # An archiver started before the site existed archives its ticket once it has looked.
    started = parse_config(document)
    keys = {sid: Keys(started.redis.key_prefix, site) for sid, site in started.sites.items()}
    sql = live_app.extensions["qms"].archive_sql
    archiver = Archiver(redis_lib.Redis.from_url(redis_url), started, keys, sql, consumer="test")
    while archiver.step(block_ms=10):
        pass
    with sql.connect() as conn:
        count = conn.execute(select(func.count()).select_from(tickets).where(tickets.c.site == "phuong1")).scalar()
    assert count == 1


@pytest.mark.parametrize("change, status, expected", [
    ({"id": "hcc"}, 409, None),
    ({"id": "Phường 1"}, 400, "id"),
    ({"admin": {**SITE["admin"], "username": "cb1"}}, 400, "one name, one person"),
    ({"field": {"code": "Hộ tịch", "name": "X"}}, 400, "fields[0].code"),
    ({"field": {"code": "A", "name": "X", "prefix": "a"}}, 400, "prefix"),
    ({"name": ""}, 400, "name"),
    ({"admin": {**SITE["admin"], "password": "short"}}, 400, None),
])
def test_a_site_config_yaml_would_refuse_is_refused_and_nothing_changes(province, change, status, expected):
    admin = province.token("qt-tinh", ADMIN_PASSWORD)
    before = province.call("GET", "/sites", admin).get_json()
    r = province.call("POST", "/sites", admin, {**SITE, **change})
    assert r.status_code == status, r.get_json()
    if expected:
        assert any(expected in e for e in r.get_json()["error"]["details"]["errors"]), r.get_json()
    assert province.call("GET", "/sites", admin).get_json() == before
    assert province.call("GET", "/audit", admin).get_json()["entries"] == []


def test_only_province_admins_add_sites(province, live_app):
    leader = province.token("ld-all")
    assert province.call("POST", "/sites", leader, SITE).status_code == 403
    r = live_app.test_client().post("/api/v1/sites/hcc/login", json={"username": "admin", "password": ADMIN_PASSWORD})
    assert province.call("POST", "/sites", r.get_json()["token"], SITE).status_code == 401


def test_export_writes_a_site_added_live_and_import_takes_it_back(written_hall, tmp_path):
    import yaml

    from server.config import sites
    from server.security.sign_in import hash_password

    store = written_hall.app.extensions["qms"].people
    store.create_site("test", sites.bootstrap(SITE, hash_password("Phuong@2026")))
    exported = yaml.safe_load(written_hall.config_command("export").stdout)
    added = next(s for s in exported["sites"] if s["id"] == "phuong1")
    assert added["fields"] == [{"code": "A", "name": "Hộ tịch", "prefix": "A"}]
    assert "Phuong@2026" not in str(exported)
    reread = parse_config(exported)    # the export is a config.yaml with the site in it
    assert reread.sites["phuong1"].officers["qt-p1"].is_admin
    edited = tmp_path / "edited.yaml"
    added["fields"][0]["name"] = "Hộ tịch – Chứng thực"
    edited.write_text(yaml.safe_dump(exported, allow_unicode=True), encoding="utf-8")
    done = written_hall.config_command("import", str(edited))
    assert done.returncode == 0, done.stderr
    assert "phuong1: 1 counters, 1 people and 0 devices imported" in done.stdout
    store.refresh()
    hall = written_hall.client.post("/api/v1/sites/phuong1/login", json={"username": "qt-p1",
                                                                        "password": "Phuong@2026"})
    assert hall.status_code == 200
    fields = written_hall.client.get("/api/v1/sites/phuong1/setup/fields",
                                     headers={"Authorization": f"Bearer {hall.get_json()['token']}"}).get_json()
    assert fields["fields"][0]["name"] == "Hộ tịch – Chứng thực"


def test_with_two_workers_both_serve_the_new_site_and_its_screens_hear_it(tmp_path, prefix):
    """`qms serve --workers 2`: the site is added through whichever worker takes the request;
    both list it within seconds, and displays held by either worker hear a call there."""
    from hardware.ordered_client import OrderedClient

    from ..helpers import wait_until
    from ..servers import ServerProcess, write_config
    from .test_workers import whole_log

    path = write_config(tmp_path, province_document(prefix, tmp_path), redis_url=None)
    server = ServerProcess(path, workers=2).wait_ready()
    try:
        wait_until(lambda: all(f"worker {i} serving" in whole_log(server) for i in (0, 1)), timeout=20,
                   what="two workers serving")
        close = {"Connection": "close"}
        admin = requests.post(f"{server.url}/api/v1/province/login", headers=close, timeout=10,
                              json={"username": "qt-tinh", "password": ADMIN_PASSWORD}).json()["token"]
        r = requests.post(f"{server.url}/api/v1/province/sites", json=SITE, timeout=10,
                          headers={**close, "Authorization": f"Bearer {admin}"})
        assert r.status_code == 201, r.text
        knows: set[str] = set()
        deadline = time.monotonic() + 10
        while len(knows) < 2 and time.monotonic() < deadline:
            answer = requests.get(f"{server.url}/api/v1/sites", headers=close, timeout=10)
            if "phuong1" in [s["id"] for s in answer.json()["sites"]]:
                knows.add(answer.headers["X-Qms-Worker"])
            time.sleep(0.01)
        assert len(knows) == 2, knows
        url = f"{server.url}/api/v1/sites/phuong1"
        site_admin = requests.post(f"{url}/login", json={"username": "qt-p1", "password": "Phuong@2026"},
                                   headers=close, timeout=10).json()["token"]
        asking = {**close, "Authorization": f"Bearer {site_admin}"}
        made = {kind: requests.post(f"{url}/clients", json={"kind": kind, "id": f"{kind}-1", "name": kind},
                                    headers=asking, timeout=10).json() for kind in ("kiosk", "display")}
        time.sleep(1.5)   # both workers have taken the new devices (each looks every second)
        screens: list = []
        owners: set[str] = set()
        # The kernel hands each connection to one worker: until both hold one. (CI once gave all
        # of 24 quick connections to the same worker; a moment between them lets the other one
        # be the one waiting in accept.)
        while len(owners) < 2 and len(screens) < 60:
            screen = OrderedClient(reconnection=False)
            heard: list = []
            screen.on("update", heard.append)
            screen.connect(server.url, auth={"site": "phuong1", "token": made["display"]["token"]},
                           transports=["websocket"], wait_timeout=10)
            screens.append((screen, heard))
            owners.add(screen.eio.sid[:2])   # a worker names itself in its session ids
            time.sleep(0.05)
        assert owners == {"00", "01"}, owners
        ticket = requests.post(f"{url}/tickets", json={"field": "A"}, timeout=10,
                               headers={**close, "Authorization": f"Bearer {made['kiosk']['token']}"}).json()
        desk = requests.post(f"{url}/login", json={"username": "qt-p1", "password": "Phuong@2026", "counter": 1},
                             headers=close, timeout=10).json()["token"]
        requests.post(f"{url}/counters/1/open", headers={**close, "Authorization": f"Bearer {desk}"}, timeout=10)
        called = requests.post(f"{url}/counters/1/call-next", timeout=10,
                               headers={**close, "Authorization": f"Bearer {desk}"})
        assert called.json()["id"] == ticket["id"]
        for screen, heard in screens:
            wait_until(lambda h=heard: any(u.get("type") == "ticket.called" for u in h), timeout=10,
                       what="every display of the new site to hear the call")
            screen.disconnect()
    finally:
        server.stop()


def test_a_stored_site_is_served_after_a_restart_whatever_config_yaml_has_become(live_app, province, document,
                                                                               redis_url, clock):
    """Its first administrator's username later written into config.yaml for a province person:
    the site is still served (read as it was made), not dropped at the restart."""
    assert province.call("POST", "/sites", province.token("qt-tinh", ADMIN_PASSWORD), SITE).status_code == 201
    document["province"]["users"].append({**document["province"]["users"][1], "username": "qt-p1"})
    again = create_app(parse_config(document), redis_url=redis_url, clock=clock, message_queue=False,
                       start_relay=False)
    try:
        assert "phuong1" in again.extensions["qms"].config.sites
        r = site_api(again.test_client(), "GET", "/hall")
        assert r.status_code == 401   # there, and asks who is asking (404 if it were gone)
    finally:
        again.extensions["qms"].shutdown()


def archive_all(live_app, document, redis_url) -> None:
    started = parse_config(document)
    keys = {sid: Keys(started.redis.key_prefix, site) for sid, site in started.sites.items()}
    archiver = Archiver(redis_lib.Redis.from_url(redis_url), started, keys, live_app.extensions["qms"].archive_sql,
                        consumer="test")
    archiver.discover()
    while archiver.step(block_ms=10):
        pass


def test_a_site_closed_for_good_is_removed_from_every_process_and_stays_removed(live_app, province, document,
                                                                                another_process, redis_url, clock):
    """A commune's centre merged into another: once its hall is empty and archived, the province
    admin removes it. Its screens are closed, its devices and people open nothing, every process
    forgets it within a second, a restart does not bring it back, its history stays, and a
    site made later with the same code starts afresh."""
    admin = province.token("qt-tinh", ADMIN_PASSWORD)
    client = live_app.test_client()
    assert province.call("POST", "/sites", admin, SITE).status_code == 201
    site_admin = site_api(client, "POST", "/login", body={"username": "qt-p1", "password": "Phuong@2026"})
    made = {kind: site_api(client, "POST", "/clients", site_admin.get_json()["token"],
                           {"kind": kind, "id": f"{kind}-1", "name": kind}).get_json() for kind in ("kiosk", "display")}
    other = another_process()
    other.extensions["qms"].people.refresh()
    assert "phuong1" in other.extensions["qms"].config.sites
    screen = live_app.extensions["qms"].socketio.test_client(
        live_app, auth={"site": "phuong1", "token": made["display"]["token"]})
    assert screen.is_connected()
    # A visitor waits, then is served: the site cannot go meanwhile.
    ticket = site_api(client, "POST", "/tickets", made["kiosk"]["token"], {"field": "A"}).get_json()
    r = province.call("DELETE", "/sites/phuong1", admin)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "site_busy", r.get_json()
    desk = site_api(client, "POST", "/login", body={"username": "qt-p1", "password": "Phuong@2026", "counter": 1})
    desk = desk.get_json()["token"]
    for step in ("open", "call-next", "start", "finish"):
        assert site_api(client, "POST", f"/counters/1/{step}", desk).status_code == 200, step
    r = province.call("DELETE", "/sites/phuong1", admin)
    assert r.status_code == 409 and r.get_json()["error"]["details"]["open_counters"] == [1]
    assert site_api(client, "POST", "/counters/1/close", desk).status_code == 200
    # Its last changes not archived yet: nothing acknowledged may be lost with it.
    r = province.call("DELETE", "/sites/phuong1", admin)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "site_not_archived", r.get_json()
    archive_all(live_app, document, redis_url)
    assert province.call("DELETE", "/sites/phuong1", admin).status_code == 204
    # Gone here at once: its screen closed, its devices and people refused, the lists without it.
    assert not screen.is_connected()
    assert site_api(client, "POST", "/tickets", made["kiosk"]["token"], {"field": "A"}).status_code == 404
    assert site_api(client, "POST", "/login", body={"username": "qt-p1", "password": "Phuong@2026"}).status_code == 404
    assert "phuong1" not in [s["id"] for s in client.get("/api/v1/sites").get_json()["sites"]]
    assert "phuong1" not in [s["id"] for s in province.call("GET", "/sites", admin).get_json()["sites"]]
    # The other process has not looked yet (it does every second): a kiosk's request there is
    # still taken. This process's relay does not read the removed site's stream (it did, and
    # spun on that event for ever).
    assert site_api(other.test_client(), "POST", "/tickets", made["kiosk"]["token"],
                    {"field": "A"}).status_code == 201
    cpu = time.process_time()
    time.sleep(1.0)
    assert time.process_time() - cpu < 0.5, "the relay spins on a removed site's stream"
    # On the other process at its next look.
    other.extensions["qms"].people.refresh()
    assert "phuong1" not in other.extensions["qms"].config.sites
    assert site_api(other.test_client(), "POST", "/tickets", made["kiosk"]["token"],
                    {"field": "A"}).status_code == 404
    entry = province.call("GET", "/audit", admin).get_json()["entries"][0]
    assert (entry["action"], entry["target"], entry["actor"]) == ("site.remove", "phuong1", "qt-tinh@province")
    # Its history stays in the archive.
    with live_app.extensions["qms"].archive_sql.connect() as conn:
        kept = conn.execute(select(tickets.c.id).where(tickets.c.site == "phuong1")).scalars().all()
    assert kept == [ticket["id"]]
    # A restart does not bring it back.
    again = create_app(parse_config(document), redis_url=redis_url, clock=clock, message_queue=False,
                       start_relay=False)
    try:
        assert "phuong1" not in again.extensions["qms"].config.sites
    finally:
        again.extensions["qms"].shutdown()
    # The same code later: a new site, with none of the old one's people or devices.
    again_site = {**SITE, "admin": {"username": "qt-p1b", "name": "Quản trị mới", "password": "Phuong@2027"}}
    assert province.call("POST", "/sites", admin, again_site).status_code == 201
    assert site_api(client, "POST", "/login", body={"username": "qt-p1", "password": "Phuong@2026"}).status_code == 401
    assert site_api(client, "POST", "/tickets", made["kiosk"]["token"], {"field": "A"}).status_code == 401
    assert site_api(client, "POST", "/login", body={"username": "qt-p1b", "password": "Phuong@2027"}).status_code == 200


def test_a_site_of_config_yaml_is_removed_once_no_leader_is_given_it(live_app, province, document, redis_url,
                                                                     clock):
    admin = province.token("qt-tinh", ADMIN_PASSWORD)
    r = province.call("DELETE", "/sites/xa", admin)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "site_in_use"
    assert r.get_json()["error"]["details"]["leaders"] == ["ld-all"]
    assert province.call("DELETE", "/sites/nowhere", admin).status_code == 404
    leader = province.token("ld-all")
    assert province.call("DELETE", "/sites/xa", leader).status_code == 403
    assert province.call("PATCH", "/people/ld-all", admin, {"sites": ["hcc"]}).status_code == 200
    assert province.call("DELETE", "/sites/xa", admin).status_code == 204
    kiosk = {"Authorization": "Bearer test-other-kiosk-0001"}
    assert live_app.test_client().post("/api/v1/sites/xa/tickets", json={"field": "A"},
                                       headers=kiosk).status_code == 404
    # config.yaml still lists it; the removal wins at a restart.
    again = create_app(parse_config(document), redis_url=redis_url, clock=clock, message_queue=False,
                       start_relay=False)
    try:
        assert list(again.extensions["qms"].config.sites) == ["hcc"]
        # The last site cannot go.
        r = Province(again.test_client()).call("DELETE", "/sites/hcc", admin)
        assert r.status_code == 409 and r.get_json()["error"]["code"] == "last_site"
    finally:
        again.extensions["qms"].shutdown()


def test_a_removed_site_is_not_exported_though_config_yaml_still_lists_it(written_hall):
    import yaml

    store = written_hall.app.extensions["qms"].people
    store.remove_site("test", written_hall.app.extensions["qms"].config.sites["xa"])
    exported = yaml.safe_load(written_hall.config_command("export").stdout)
    assert [s["id"] for s in exported["sites"]] == ["hcc"]
    parse_config(exported)   # still a config.yaml that reads
