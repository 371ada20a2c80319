"""A visit to several fields (issue 14, part 4): one ticket carries an ordered list of fields;
when one service is done it joins the next field's line keeping its place from the first
number; the phone says where it goes next; each service is rated on its own."""
from __future__ import annotations

from ..hall import AGENT_TOKEN, KIOSK_TOKEN
from ..helpers import archive_now


def press(api, counter, level, press_id):
    r = api.post("/ratings", {"counter": counter, "level": level, "press_id": press_id, "device": f"panel-{counter}"},
                 AGENT_TOKEN)
    assert r.status_code in (200, 201), r.get_json()
    return r.get_json()


def test_a_visit_to_two_fields_keeps_its_place_and_rates_each_service(api, app, clock, redis_url):
    visit = api.issue("TP", then=["DD"])
    assert visit["visit"] == {"done": [], "next": ["DD"], "step": 1}
    later = api.issue("DD")                                    # a walk-in for land, after the visit began
    api.login(1)
    api.act(1, "open")
    api.act(1, "call-next")
    api.act(1, "start")
    clock.advance(minutes=6)
    done = api.act(1, "finish").get_json()
    # Justice done: the ticket is waiting for land now, and says so to the phone.
    assert (done["state"], done["field"], done["visit"]) == ("waiting", "DD", {"done": ["TP"], "next": [], "step": 2})
    assert api.get(f"/t/{visit['token']}").get_json()["field_name"] == "Đất đai"
    assert press(api, 1, 3, "panel-1-visit0001")["outcome"] == "recorded"      # justice rated
    clock.advance(minutes=4)
    api.login(2)
    api.act(2, "open")
    called = api.act(2, "call-next").get_json()
    assert called["id"] == visit["id"] and called["waited_seconds"] == 240, called   # ahead of the later walk-in
    api.act(2, "start")
    clock.advance(minutes=10)
    finished = api.act(2, "finish").get_json()
    assert (finished["state"], finished["visit"]["done"]) == ("done", ["TP", "DD"])
    assert press(api, 2, 2, "panel-2-visit0002")["outcome"] == "recorded"      # land rated on its own
    assert press(api, 2, 1, "panel-2-visit0003")["outcome"] == "repeat_ignored"
    assert api.act(2, "call-next").get_json()["id"] == later["id"]
    archive_now(app, redis_url)
    admin = api.login_admin()
    rows = {r["key"]: r for r in api.get("/reports?period=day&date=2026-11-23", admin).get_json()["rows"]}
    assert (rows["TP"]["served"], rows["DD"]["served"]) == (1, 1), rows
    assert (rows["TP"]["ratings"]["very_satisfied"], rows["DD"]["ratings"]["satisfied"]) == (1, 1)   # each its own
    assert (rows["TP"]["ratings"]["total"], rows["DD"]["ratings"]["total"]) == (1, 1)


def test_the_officer_adds_a_field_to_the_visit(api):
    ticket = api.issue("DD")
    officer = api.login(2)
    api.act(2, "open")
    api.act(2, "call-next")
    for body, code in (({"field": "DD"}, "bad_visit"), ({"field": "NOPE"}, "unknown_field")):
        r = api.post("/counters/2/then", body, officer)
        assert r.status_code == 400 and r.get_json()["error"]["code"] == code, (body, r.get_json())
    r = api.post("/counters/2/then", {"field": "XD"}, officer)
    assert r.status_code == 200 and r.get_json()["visit"]["next"] == ["XD"], r.get_json()
    moved = api.act(2, "finish").get_json()
    assert (moved["field"], moved["state"]) == ("XD", "waiting")
    assert api.state()["waiting"]["XD"]["waiting"] == 1
    # After the visitor has gone: added to the ticket just finished, which moves on at once.
    other = api.issue("DD")
    api.act(2, "call-next")
    api.act(2, "finish")
    r = api.post("/counters/2/then", {"field": "TP"}, officer)
    assert r.status_code == 200 and (r.get_json()["id"], r.get_json()["field"]) == (other["id"], "TP"), r.get_json()
    assert r.get_json()["state"] == "waiting"
    assert ticket["id"] != other["id"]


def test_a_visit_is_checked_when_the_number_is_taken(api):
    for then, code in ((["DD", "DD"], "bad_visit"), (["TP"], "bad_visit"), (["DD", "XD", "KD", "DD"], "bad_visit"),
                       (["NOPE"], "unknown_field"), ("DD", "bad_parameter"), ([1], "bad_parameter")):
        r = api.post("/tickets", {"field": "TP", "then": then}, KIOSK_TOKEN)
        assert r.status_code == 400 and r.get_json()["error"]["code"] == code, (then, r.get_json())
    assert api.state()["waiting"]["TP"]["waiting"] == 0
