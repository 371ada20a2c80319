"""Bulk and authorised submitters (issue 14, part 5): a ticket declares how many dossiers it
brings, the wait estimates count them, and a field sends agents, businesses and postal workers
with many dossiers to a lane of their own with a cap per ticket."""
from __future__ import annotations

import json

import pytest

from server.config import ConfigError, parse_config
from server.engine.views import ticket_text

from ..hall import KIOSK_TOKEN, PASSWORD, hall_document, password_hash


def bulk_hall(prefix: str) -> dict:
    doc = hall_document(prefix)
    site = doc["sites"][0]
    for f in site["fields"]:
        if f["code"] == "DD":
            f.update(bulk="DDN", dossiers_per_ticket=2)
    site["fields"].append({"code": "DDN", "name": "Đất đai – Doanh nghiệp, bưu chính, người được ủy quyền",
                           "name_en": "Land – businesses, postal service, agents", "kind": "bulk", "prefix": "N",
                           "dossiers_per_ticket": 30, "service_minutes": 15})
    site["counters"].append({"number": 6, "name": "Quầy 6 – Doanh nghiệp", "fields": ["DDN"]})
    site["officers"].append({"username": "cb6", "name": "Cán bộ 6", "counters": [6],
                             "password_hash": password_hash(PASSWORD)})
    return doc


@pytest.fixture
def config(prefix, tmp_path):
    doc = bulk_hall(prefix)
    doc["server"]["data_dir"] = str(tmp_path / "data")
    return parse_config(doc)


def test_a_phones_pushed_place_counts_the_dossiers_of_those_ahead(api, engine):
    """The relay's one read for the phones connected gives each the wait its own ticket view
    gives: the extra dossiers of the agents before it count, those after it do not."""
    api.login(6)
    api.act(6, "open")
    line = [api.issue("DDN", dossiers=n)["id"] for n in (10, 1, 5, 1, 30, 1)]
    _, view = engine.snapshot_view("hcc", places=set(line))
    places = view.places()
    for ahead, ticket_id in enumerate(line):
        own = engine.ticket("hcc", ticket_id)
        assert places[ticket_id]["people_ahead"] == own["people_ahead"] == ahead
        assert places[ticket_id]["estimated_wait_seconds"] == own["estimated_wait_seconds"], ticket_id
    assert [places[t]["estimated_wait_seconds"] for t in line] == [0, 9000, 9900, 14400, 15300, 42300]


def test_the_wait_counts_the_dossiers_of_those_ahead(api, engine):
    api.login(6)
    api.act(6, "open")                                       # one counter, nobody at it
    agent = api.issue("DDN", dossiers=10)
    assert (agent["dossiers_declared"], agent["label"], agent["estimated_wait_seconds"]) == (10, "N001", 0)
    # 15 minutes a dossier: the citizen after the agent waits for ten dossiers, not one visitor.
    citizen = api.issue("DDN")
    assert (citizen["people_ahead"], citizen["estimated_wait_seconds"]) == (1, 10 * 900), citizen
    assert "dossiers_declared" not in citizen
    assert api.get(f"/tickets/{citizen['id']}", KIOSK_TOKEN).get_json()["estimated_wait_seconds"] == 10 * 900
    field = api.state()["waiting"]["DDN"]
    assert (field["waiting"], field["extra_dossiers"], field["estimated_wait_seconds"]) == (2, 9, 11 * 900)
    # The paper ticket says how many, so the officer is not surprised.
    printed = ticket_text(engine.site("hcc"), agent, "vi")
    assert "Số hồ sơ nộp: 10" in printed["lines"]
    # Called: its dossiers are being handled; the citizen is next, half a service away on average.
    called = api.act(6, "call-next").get_json()
    assert called["id"] == agent["id"] and called["dossiers_declared"] == 10
    assert api.get(f"/tickets/{citizen['id']}", KIOSK_TOKEN).get_json()["estimated_wait_seconds"] == 450
    assert api.state()["waiting"]["DDN"]["extra_dossiers"] == 0


def test_service_times_are_kept_per_dossier(api, engine, clock, redis_client):
    """Ten dossiers served in 100 minutes is 10 minutes each: the next single visitor's estimate
    is not made ten times longer by them."""
    api.login(6)
    api.act(6, "open")
    api.issue("DDN", dossiers=10)
    api.act(6, "call-next")
    api.act(6, "start")
    clock.advance(minutes=100)
    api.act(6, "finish")
    assert json.loads(redis_client.hget(engine.keys["hcc"].service_times, "DDN")) == [600]


def test_caps_per_ticket_are_refused_in_words_and_change_nothing(api):
    admin = api.login_admin()
    for body, code in (({"field": "DD", "dossiers": 3}, "too_many_dossiers_for_field"),
                       ({"field": "DDN", "dossiers": 31}, "too_many_dossiers_for_field"),
                       ({"field": "DDN", "dossiers": 0}, "bad_parameter"),
                       ({"field": "DDN", "dossiers": True}, "bad_parameter"),
                       ({"field": "DDN", "dossiers": "5"}, "bad_parameter")):
        r = api.post("/tickets", body, KIOSK_TOKEN)
        assert r.status_code == 400 and r.get_json()["error"]["code"] == code, (body, r.get_json())
    r = api.post("/tickets", {"field": "DD", "dossiers": 3}, KIOSK_TOKEN)
    assert r.get_json()["error"]["details"] == {"max": 2, "bulk": "DDN"}   # the kiosk offers the agents' lane
    assert api.state()["waiting"]["DD"]["waiting"] == 0 and api.state()["waiting"]["DDN"]["waiting"] == 0
    # Two dossiers are a citizen's right in the land field; a cancelled agent's dossiers leave the count.
    assert api.issue("DD", dossiers=2)["dossiers_declared"] == 2
    agent = api.issue("DDN", dossiers=25)
    assert api.state()["waiting"]["DDN"]["extra_dossiers"] == 24
    assert api.post(f"/tickets/{agent['id']}/cancel", {}, admin).status_code == 200
    assert api.state()["waiting"]["DDN"]["extra_dossiers"] == 0


def test_config_refuses_a_bulk_lane_that_is_not_one(prefix):
    for change, words in (({"bulk": "XD"}, "not a bulk lane"), ({"bulk": "NOPE"}, "unknown field"),
                          ({"dossiers_per_ticket": 0}, "dossiers_per_ticket"),
                          ({"dossiers_per_ticket": 500}, "dossiers_per_ticket")):
        doc = bulk_hall(prefix)
        doc["sites"][0]["fields"][0].update(change)
        with pytest.raises(ConfigError) as err:
            parse_config(doc)
        assert words in str(err.value), (change, str(err.value))
