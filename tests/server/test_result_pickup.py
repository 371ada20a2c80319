"""Result pickup (issue 14, part 3): a visitor back for a dossier's result scans the receipt's
QR code at the kiosk and gets a number in the "trả kết quả" lane of the field that received the
dossier; the officer there sees which dossier; times and the rating of both steps go out per
dossier code."""
from __future__ import annotations

import pytest

from server.config import parse_config
from server.engine.receipts import dossier_code
from server.engine.views import ticket_text

from ..hall import AGENT_TOKEN, KIOSK_TOKEN, PASSWORD, hall_document, password_hash
from ..helpers import archive_now

CODE = "000.00.12.H56-261123-0007"
RECEIPT = f"https://dichvucong.quangninh.gov.vn/tra-cuu-ho-so?maHoSo={CODE}&lang=vi"


def pickup_hall(prefix: str) -> dict:
    doc = hall_document(prefix)
    site = doc["sites"][0]
    for f in site["fields"]:
        if f["code"] == "DD":
            f["pickup"] = "TKQ"
    site["fields"].append({"code": "TKQ", "name": "Trả kết quả", "name_en": "Result pickup", "kind": "pickup",
                           "prefix": "T"})
    site["counters"].append({"number": 6, "name": "Quầy 6 – Trả kết quả", "fields": ["TKQ"]})
    site["officers"].append({"username": "cb6", "name": "Cán bộ 6", "counters": [6],
                             "password_hash": password_hash(PASSWORD)})
    site["devices"].append({"id": "panel-6", "kind": "rating_panel", "url": "/dev/ttyQMS6", "counter": 6,
                            "agent": "agent-1"})
    return doc


@pytest.fixture
def config(prefix, tmp_path):
    doc = pickup_hall(prefix)
    doc["server"]["data_dir"] = str(tmp_path / "data")
    return parse_config(doc)


def received(api, clock, code=CODE):
    """A land dossier received at counter 2: the officer attaches its code."""
    api.issue("DD")
    officer = api.login(2)
    api.act(2, "open")
    api.act(2, "call-next")
    api.act(2, "start")
    clock.advance(minutes=12)
    api.act(2, "finish")
    assert api.post("/counters/2/dossier", {"code": code}, officer).status_code == 200


def test_a_scanned_receipt_joins_the_pickup_lane_and_both_steps_are_exported(api, app, clock, redis_url):
    received(api, clock)
    archive_now(app, redis_url)
    clock.advance(days=2, hours=-1)   # Wednesday 08:48: the result is ready
    r = api.post("/tickets/pickup", {"receipt": RECEIPT, "idempotency_key": "scan-1"})
    assert r.status_code == 401   # only a kiosk or an officer gives numbers
    r = api.post("/tickets/pickup", {"receipt": RECEIPT, "idempotency_key": "scan-1"}, KIOSK_TOKEN)
    assert r.status_code == 201, r.get_json()
    ticket = r.get_json()
    assert (ticket["field"], ticket["label"], ticket["pickup"], ticket["received_in"]) == ("TKQ", "T001", CODE, "DD")
    assert ticket["field_name"] == "Trả kết quả" and ticket["people_ahead"] == 0
    # The paper ticket names the dossier, so the visitor and the officer both know what for.
    printed = ticket_text(app.extensions["qms"].engine.site("hcc"), ticket, "vi")
    assert f"Nhận kết quả hồ sơ: {CODE}" in printed["lines"] and printed["label"] == "T001"
    # The same scan retried: the same ticket. The receipt scanned again: the number already in line.
    again = api.post("/tickets/pickup", {"receipt": RECEIPT, "idempotency_key": "scan-1"}, KIOSK_TOKEN)
    assert again.status_code == 200 and again.get_json()["id"] == ticket["id"]
    r = api.post("/tickets/pickup", {"receipt": CODE}, KIOSK_TOKEN)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "pickup_already_queued", r.get_json()
    assert r.get_json()["error"]["details"]["label"] == "T001"
    # Counter 6 returns results: its officer sees which dossier to fetch.
    api.login(6)
    api.act(6, "open")
    called = api.act(6, "call-next").get_json()
    assert called["id"] == ticket["id"] and called["pickup"] == CODE, called
    api.act(6, "start")
    clock.advance(minutes=3)
    api.act(6, "finish")
    r = api.post("/ratings", {"counter": 6, "level": 2, "press_id": "panel-6-pickup01", "device": "panel-6"},
                 AGENT_TOKEN)
    assert r.get_json()["ticket"] == ticket["id"], r.get_json()
    archive_now(app, redis_url)
    admin = api.login_admin()
    rows = api.get("/reports/dossiers?period=month&date=2026-11-01", admin).get_json()["dossiers"]
    assert [(d["dossier"], d["stage"], d["field"], d["counter"], d["officer"], d["service_seconds"],
             d["rating_category"]) for d in rows] == [
        (CODE, "receipt", "DD", 2, "cb2", 720, None),
        (CODE, "pickup", "TKQ", 6, "cb6", 180, "satisfied")]
    # Collected: a later scan (the visitor came back) is a new number, not a refusal.
    r = api.post("/tickets/pickup", {"receipt": RECEIPT}, KIOSK_TOKEN)
    assert r.status_code == 201 and r.get_json()["label"] == "T002", r.get_json()


def test_a_receipt_not_received_here_asks_its_field(api):
    before = api.state()["waiting"]
    r = api.post("/tickets/pickup", {"receipt": "Mã hồ sơ: H56.22-261120-0042"}, KIOSK_TOKEN)
    assert r.status_code == 404 and r.get_json()["error"]["code"] == "dossier_not_found", r.get_json()
    details = r.get_json()["error"]["details"]
    assert details["dossier"] == "H56.22-261120-0042"
    assert [(f["code"], f["lane"]) for f in details["fields"]] == [("TP", "TP"), ("DD", "TKQ"), ("XD", "XD"),
                                                                    ("KD", "KD")]
    for bad, code in (({"receipt": "xin chào"}, "bad_receipt"), ({"receipt": ""}, "bad_receipt"),
                      ({"receipt": "H56-0042", "field": "TKQ"}, "unknown_field"),
                      ({"receipt": "H56-0042", "field": "ZZ"}, "unknown_field"),
                      ({"receipt": 42}, "bad_parameter")):
        r = api.post("/tickets/pickup", bad, KIOSK_TOKEN)
        assert r.status_code == 400 and r.get_json()["error"]["code"] == code, (bad, r.get_json())
    assert api.state()["waiting"] == before   # nothing was issued
    # The visitor says "land": the land results' lane. "Justice" has no lane of its own: its counters.
    land = api.post("/tickets/pickup", {"receipt": "H56.22-261120-0042", "field": "DD"}, KIOSK_TOKEN).get_json()
    assert (land["field"], land["pickup"]) == ("TKQ", "H56.22-261120-0042")
    justice = api.post("/tickets/pickup", {"receipt": "H56.22-261120-0043", "field": "TP"}, KIOSK_TOKEN)
    assert justice.status_code == 201 and justice.get_json()["field"] == "TP", justice.get_json()
    assert justice.get_json()["pickup"] == "H56.22-261120-0043"


def test_the_kiosk_offers_no_button_for_the_pickup_lane_itself(api):
    hall = api.get("/hall", KIOSK_TOKEN).get_json()
    kinds = {f["code"]: (f["kind"], f["pickup"]) for f in hall["fields"]}
    assert kinds["TKQ"] == ("pickup", "TKQ") and kinds["DD"] == ("service", "TKQ") and kinds["TP"] == ("service", "TP")


@pytest.mark.parametrize("receipt, code", [
    (CODE, CODE),
    (f"  {CODE}\n", CODE),
    (RECEIPT, CODE),
    (f"https://dvc.example.vn/ho-so/{CODE}", CODE),
    (f"https://dvc.example.vn/hs?MA-HO-SO={CODE}", CODE),
    (f"Mã hồ sơ: {CODE} - Ngày hẹn trả: 27/11/2026", CODE),
    ("https://dvc.example.vn/", None),
    ("xin chào", None),
    ("https://dvc.example.vn/tra-cuu?q=abc", None),
    ("x" * 3000, None),
])
def test_the_dossier_code_is_read_from_what_a_receipt_holds(receipt, code):
    assert dossier_code(receipt) == code


def test_config_refuses_a_pickup_lane_that_is_not_one(prefix):
    from server.config import ConfigError

    for change, words in (({"pickup": "XD"}, "not a pickup lane"), ({"pickup": "NOPE"}, "unknown field"),
                          ({"kind": "pickup", "pickup": "TKQ"}, "is a pickup lane itself"),
                          ({"kind": "tra"}, "is not one of")):
        doc = pickup_hall(prefix)
        doc["sites"][0]["fields"][0].update(change)
        with pytest.raises(ConfigError) as err:
            parse_config(doc)
        assert words in str(err.value), (change, str(err.value))


def test_an_admin_sets_up_pickup_lanes_live(api):
    admin = api.login_admin()
    # The lane cannot go while fields return their results there.
    entries = {f["code"]: f for f in api.get("/setup/fields", admin).get_json()["fields"]}
    assert {"kind": "field", "id": "DD"} in entries["TKQ"]["named_by"] and entries["TKQ"]["kind"] == "pickup"
    r = api.delete("/setup/fields/TKQ", admin)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "field_in_use", r.get_json()
    # Construction's results now go to the pickup counter too; the kiosk's next scan follows.
    r = api.put("/setup/fields/XD", {"name": "Xây dựng", "numbers": "3001-3999", "pickup": "TKQ"}, admin)
    assert r.status_code == 200, r.get_json()
    r = api.post("/tickets/pickup", {"receipt": "H56-261120-0050", "field": "XD"}, KIOSK_TOKEN)
    assert r.status_code == 201 and r.get_json()["field"] == "TKQ", r.get_json()
    # A lane that is not one is refused in words, and changes nothing.
    r = api.put("/setup/fields/TP", {"name": "Tư pháp – Hộ tịch", "numbers": "1001-1999", "pickup": "KD"}, admin)
    assert r.status_code == 400 and "not a pickup lane" in r.get_json()["error"]["message"], r.get_json()
    entries = {f["code"]: f for f in api.get("/setup/fields", admin).get_json()["fields"]}
    assert "pickup" not in entries["TP"] and entries["XD"]["pickup"] == "TKQ"
