"""Live administration of a site's kiosks, lobby displays and device agents: added with a token
shown once, changed, revoked and given new tokens through the API with no restart; a token that
ended opens nothing, on any server process, and the screens holding it are closed."""
from __future__ import annotations

import hashlib
import json

import pytest
import yaml
from sqlalchemy import select

from server import create_app
from server.config import ConfigError, parse_config
from server.history.archive_schema import site_clients

from ..hall import DISPLAY_TOKEN, KIOSK_B_TOKEN, KIOSK_TOKEN, PASSWORD, hall_document


def admin_of(api):
    return api.login_admin()


def listed(api, token):
    r = api.get("/clients", token)
    assert r.status_code == 200, r.get_json()
    return {(d["kind"], d["id"]): d for d in r.get_json()["devices"]}


def connect(app, token):
    return app.extensions["qms"].socketio.test_client(app, auth={"site": "hcc", "token": token})


def stored_rows(app):
    with app.extensions["qms"].archive_sql.connect() as conn:
        return {(r.kind, r.id): json.loads(r.entry) for r in conn.execute(select(site_clients))}


def test_a_new_kiosk_works_at_once_with_a_token_shown_once_and_never_kept(api, app, redis_client, prefix):
    admin = admin_of(api)
    r = api.post("/clients", {"kind": "kiosk", "id": "kiosk-3", "name": "Ki-ốt tầng 2", "fields": ["DD"]}, admin)
    assert r.status_code == 201, r.get_json()
    made = r.get_json()
    token, setup = made.pop("token"), made.pop("setup_url")
    assert made == {"kind": "kiosk", "id": "kiosk-3", "name": "Ki-ốt tầng 2", "fields": ["DD"], "disabled": False}
    # Opened on the kiosk, so never this computer's loopback name (as the ticket's QR code).
    assert setup.startswith("http://") and setup.endswith(f"/kiosk/hcc#token={token}") and "localhost" not in setup
    assert token.startswith("kiosk-") and len(token) >= 30
    me = api.get("/me", token).get_json()
    assert (me["kind"], me["id"], me["fields"]) == ("kiosk", "kiosk-3", ["DD"])
    assert api.issue("DD", token)["number"]
    refused = api.post("/tickets", {"field": "TP"}, token)   # a kiosk issues only for its fields
    assert refused.status_code in (400, 403), refused.get_json()
    # The token is nowhere: not in the list, the audit, the archive, nor Redis's copy.
    assert token not in json.dumps(list(listed(api, admin).values()))
    assert token not in json.dumps(api.get("/audit", admin).get_json())
    rows = stored_rows(app)
    assert rows[("kiosk", "kiosk-3")]["token_sha256"] == hashlib.sha256(token.encode()).hexdigest()
    assert token not in json.dumps(list(rows.values())) and KIOSK_TOKEN not in json.dumps(list(rows.values()))
    assert set(rows) == {("kiosk", "kiosk-1"), ("kiosk", "kiosk-2"), ("kiosk", "kiosk-3"), ("display", "display-1"),
                         ("agent", "agent-1")}
    for key in redis_client.scan_iter(match=f"{prefix}:{{hcc}}:*"):
        if redis_client.type(key) == b"string":
            assert token.encode() not in redis_client.get(key)
    assert api.audited(admin) == [("config.import", "hcc"), ("kiosk.create", "kiosk-3")]
    # The devices of config.yaml go on working.
    assert api.get("/me", KIOSK_TOKEN).status_code == 200


def test_a_new_token_ends_the_old_one_at_once_and_closes_its_screen(api, app):
    admin = admin_of(api)
    screen = connect(app, KIOSK_TOKEN)
    assert screen.is_connected()
    r = api.post("/clients/kiosk/kiosk-1/token", None, admin)
    assert r.status_code == 200, r.get_json()
    token = r.get_json()["token"]
    assert r.get_json()["setup_url"].endswith(f"/kiosk/hcc#token={token}")
    assert not screen.is_connected()                                       # closed by the server
    old = api.get("/me", KIOSK_TOKEN)
    assert old.status_code == 401 and old.get_json()["error"]["code"] == "bad_token"
    assert not connect(app, KIOSK_TOKEN).is_connected()
    assert api.get("/me", token).get_json()["id"] == "kiosk-1"
    assert connect(app, token).is_connected()
    assert api.get("/me", KIOSK_B_TOKEN).status_code == 200                # the other kiosk is untouched
    assert api.audited(admin)[-1] == ("kiosk.token_rotate", "kiosk-1")


def test_a_revoked_device_is_refused_in_words_until_it_is_enabled_again(api, app):
    admin = admin_of(api)
    display = connect(app, DISPLAY_TOKEN)
    assert display.is_connected()
    r = api.patch("/clients/display/display-1", {"disabled": True}, admin)
    assert r.status_code == 200 and r.get_json()["disabled"] is True
    assert not display.is_connected()
    refused = api.get("/me", DISPLAY_TOKEN)
    assert refused.status_code == 401 and refused.get_json()["error"]["code"] == "device_revoked"
    assert not connect(app, DISPLAY_TOKEN).is_connected()
    assert listed(api, admin)[("display", "display-1")]["disabled"] is True, listed(api, admin)
    assert api.patch("/clients/display/display-1", {"disabled": False}, admin).status_code == 200
    assert api.get("/me", DISPLAY_TOKEN).status_code == 200    # the same token again: revoking is not rotating
    assert [a for a, _ in api.audited(admin)] == ["config.import", "display.revoke", "display.enable"]


def test_a_display_whose_settings_change_is_told_to_read_them_again(api, app):
    admin = admin_of(api)
    display = connect(app, DISPLAY_TOKEN)
    display.get_received()
    r = api.patch("/clients/display/display-1", {"notice": "Nghỉ trưa 11:30-13:00", "counters": [1, 2],
                                                  "layout": "counters"}, admin)
    assert r.status_code == 200, r.get_json()
    assert [m["args"][0] for m in display.get_received() if m["name"] == "settings"] == [
        {"kind": "display", "id": "display-1"}]
    assert display.is_connected()
    me = api.get("/me", DISPLAY_TOKEN).get_json()
    assert (me["notice"], me["counters"], me["layout"]) == ("Nghỉ trưa 11:30-13:00", [1, 2], "counters")
    entry = api.get("/audit", admin).get_json()["entries"][0]
    assert entry["action"] == "display.update"
    assert entry["details"] == {"before": {"notice": "", "counters": [], "layout": "standard"},
                                "after": {"notice": "Nghỉ trưa 11:30-13:00", "counters": [1, 2], "layout": "counters"}}


@pytest.mark.parametrize("device, status, expected", [
    ({"kind": "kiosk", "id": "k3", "name": "X", "fields": ["HT"]}, 400, "fields[0]: unknown field 'HT'"),
    ({"kind": "display", "id": "d2", "name": "X", "counters": [42]}, 400, "counters[0]: unknown counter 42"),
    ({"kind": "agent", "id": "a2", "name": "X", "fields": ["TP"]}, 400, "fields: not a setting of a agent"),
    ({"kind": "kiosk", "id": "Ki ốt", "name": "X"}, 400, "id"),
    ({"kind": "kiosk", "id": "k3", "name": " "}, 400, "name: is required"),
    ({"kind": "display", "id": "d2", "name": "X", "layout": "giant"}, 400, "layout"),
    ({"kind": "display", "id": "d2", "name": "X", "voice_repeat": 9}, 400, "voice_repeat"),
    ({"kind": "printer", "id": "p1", "name": "X"}, 400, None),
    ({"kind": "kiosk", "id": "kiosk-1", "name": "X"}, 409, None),
    ({"kind": "kiosk", "id": "k3", "name": "X", "token": "chosen-by-the-admin-1234"}, 400, None),
])
def test_a_device_config_yaml_would_refuse_is_refused_and_nothing_changes(api, device, status, expected):
    admin = admin_of(api)
    before = listed(api, admin)
    r = api.post("/clients", device, admin)
    assert r.status_code == status, r.get_json()
    assert "token" not in r.get_json()
    if expected:
        assert any(expected in e for e in r.get_json()["error"]["details"]["errors"]), r.get_json()
    assert listed(api, admin) == before
    assert api.audited(admin) == []


def test_a_new_agent_is_given_the_command_to_run_with_its_token(api):
    r = api.post("/clients", {"kind": "agent", "id": "agent-2", "name": "Máy quầy 2"}, api.login_admin())
    assert r.status_code == 201, r.get_json()
    token = r.get_json()["token"]
    assert r.get_json()["setup_command"].startswith(f"QMS_AGENT_TOKEN={token} qms agent --server http")
    settings = api.client.get("/api/v1/agent/settings", headers=api.bearer(token))
    assert settings.status_code == 200 and settings.get_json()["agent"] == "agent-2"


def test_only_admins_manage_devices(api, app):
    officer = api.login(1)
    for token in (officer, KIOSK_TOKEN, DISPLAY_TOKEN):
        assert api.get("/clients", token).status_code == 403
        assert api.post("/clients", {"kind": "kiosk", "id": "k9", "name": "X"}, token).status_code == 403
        assert api.post("/clients/kiosk/kiosk-2/token", None, token).status_code == 403
    assert app.test_client().get(api.url("/clients")).status_code == 401   # no cookie either
    assert api.get("/me", KIOSK_B_TOKEN).status_code == 200


def test_every_process_stops_honouring_a_rotated_token_within_its_next_look(api, app, another_process):
    other = another_process()
    there = other.test_client()
    screen = connect(other, KIOSK_TOKEN)
    assert screen.is_connected()
    token = api.post("/clients/kiosk/kiosk-1/token", None, admin_of(api)).get_json()["token"]
    me = "/api/v1/sites/hcc/me"
    assert there.get(me, headers={"Authorization": f"Bearer {KIOSK_TOKEN}"}).status_code == 200   # not yet
    assert other.extensions["qms"].people.refresh() == ["hcc"]        # what its watcher does every second
    assert not screen.is_connected()
    assert there.get(me, headers={"Authorization": f"Bearer {KIOSK_TOKEN}"}).status_code == 401
    assert there.get(me, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    # A restart starts from the live devices: the old token stays ended.
    again = another_process()
    assert again.test_client().get("/api/v1/sites/hcc/me", headers={
        "Authorization": f"Bearer {KIOSK_TOKEN}"}).status_code == 401


def test_export_writes_digests_and_the_counters_and_import_replaces_the_devices(written_hall, tmp_path):
    hall, client, headers = written_hall, written_hall.client, written_hall.headers
    token = client.post("/api/v1/sites/hcc/clients/kiosk/kiosk-2/token", headers=headers).get_json()["token"]
    assert client.put("/api/v1/sites/hcc/setup/counters/6", headers=headers,
                      json={"name": "Quầy 6", "fields": ["KD", "TP"], "policy": "in_order"}).status_code == 201
    out = hall.config_command("export").stdout
    assert token not in out and KIOSK_TOKEN not in out
    exported = yaml.safe_load(out)
    kiosks = {k["id"]: k for k in exported["sites"][0]["kiosks"]}
    assert kiosks["kiosk-2"] == {"id": "kiosk-2", "name": "",
                                 "token_sha256": hashlib.sha256(token.encode()).hexdigest()}
    assert exported["sites"][0]["counters"][-1] == {"number": 6, "name": "Quầy 6", "fields": ["KD", "TP"],
                                                    "policy": "in_order"}
    # The export is a config.yaml: it loads, and the new token is the one it knows.
    reread = parse_config(exported)
    assert reread.sites["hcc"].kiosks["kiosk-2"].token_sha256 == kiosks["kiosk-2"]["token_sha256"]
    assert reread.sites["hcc"].counters[6].fields == ("KD", "TP")
    # Imported without kiosk-1: its token ends on the running server.
    exported["sites"][0]["kiosks"] = [kiosks["kiosk-2"]]
    edited = tmp_path / "edited.yaml"
    edited.write_text(yaml.safe_dump(exported, allow_unicode=True), encoding="utf-8")
    done = hall.config_command("import", str(edited))
    assert done.returncode == 0, done.stderr
    assert "hcc: 6 counters, 6 people and 3 devices imported" in done.stdout, done.stdout
    hall.app.extensions["qms"].people.refresh()
    assert client.get("/api/v1/sites/hcc/me", headers={"Authorization": f"Bearer {KIOSK_TOKEN}"}).status_code == 401
    assert client.get("/api/v1/sites/hcc/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert client.post("/api/v1/sites/hcc/login", json={"username": "cb1", "password": PASSWORD,
                                                        "counter": 1}).status_code == 200


@pytest.mark.parametrize("kiosk, expected", [
    ({"id": "k", "token": "test-kiosk-token-0001", "token_sha256": "a" * 64}, "not both"),
    ({"id": "k"}, "token: is required"),
    ({"id": "k", "token_sha256": "ABC"}, "64 lower-case hexadecimal digits"),
])
def test_config_yaml_gives_a_token_or_its_digest(prefix, kiosk, expected):
    doc = hall_document(prefix)
    doc["sites"][0]["kiosks"] = [kiosk]
    with pytest.raises(ConfigError) as err:
        parse_config(doc)
    assert any(expected in e for e in err.value.errors), err.value.errors


def test_a_device_given_by_its_digest_in_config_yaml_signs_in_with_the_token(prefix, redis_url, clock, tmp_path):
    doc = hall_document(prefix)
    doc["server"]["data_dir"] = str(tmp_path)
    doc["sites"][0]["kiosks"][0] = {"id": "kiosk-1", "token_sha256": hashlib.sha256(KIOSK_TOKEN.encode()).hexdigest()}
    app = create_app(parse_config(doc), redis_url=redis_url, clock=clock, message_queue=False, start_relay=False)
    try:
        r = app.test_client().get("/api/v1/sites/hcc/me", headers={"Authorization": f"Bearer {KIOSK_TOKEN}"})
        assert r.status_code == 200 and r.get_json()["id"] == "kiosk-1"
    finally:
        app.extensions["qms"].shutdown()
