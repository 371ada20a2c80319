"""A press on the satisfaction panel belongs to the right ticket and officer; none is lost
or counted twice."""
from __future__ import annotations

from datetime import timedelta

import pytest

from server.engine.actor import Actor

from ..hall import AGENT_TOKEN, KIOSK_TOKEN

AGENT = Actor("agent", "agent-1", "hcc")


def serve(api, counter, field="TP"):
    ticket = api.issue(field)
    api.act(counter, "call-next")
    api.act(counter, "start")
    return ticket


@pytest.fixture
def desk(api):
    api.login(1)
    return api


def rate(engine, level, press_id, pressed_at=None, counter=1):
    return engine.record_rating("hcc", counter, level, press_id=press_id, pressed_at=pressed_at, actor=AGENT)


def test_a_press_after_the_service_rates_that_ticket_and_officer(desk, engine, clock):
    ticket = serve(desk, 1)
    desk.act(1, "finish")
    clock.advance(seconds=20)
    press = rate(engine, 3, "panel-1-aaaa0001")
    assert press["outcome"] == "recorded" and press["ticket"] == ticket["id"] and press["officer"] == "cb1"
    assert press["category"] == "very_satisfied" and press["score"] == 3
    stored = desk.get(f"/tickets/{ticket['id']}", KIOSK_TOKEN).get_json()
    assert stored["rating"]["level"] == 3


def test_a_press_during_the_service_rates_the_visitor_at_the_desk(desk, engine, clock):
    previous = serve(desk, 1)
    desk.act(1, "finish")
    current = serve(desk, 1)
    clock.advance(seconds=30)
    press = rate(engine, 2, "panel-1-aaaa0002")
    assert press["ticket"] == current["id"] != previous["id"]


def test_one_rating_per_ticket_and_a_resent_press_counts_once(desk, engine, clock):
    ticket = serve(desk, 1)
    desk.act(1, "finish")
    first = rate(engine, 1, "panel-1-aaaa0003")
    again = rate(engine, 1, "panel-1-aaaa0003")
    assert again["duplicate"] is True and again["outcome"] == "recorded"
    second = rate(engine, 3, "panel-1-aaaa0004")
    assert second["outcome"] == "repeat_ignored" and second["ticket"] == ticket["id"]
    stored = desk.get(f"/tickets/{ticket['id']}", KIOSK_TOKEN).get_json()
    assert stored["rating"]["level"] == 1 == first["level"]  # the first press counts


def test_a_press_with_no_ticket_is_kept_unattributed(desk, engine, clock, redis_client):
    ticket = serve(desk, 1)
    desk.act(1, "finish")
    clock.advance(minutes=4)  # past the 3-minute window
    press = rate(engine, 2, "panel-1-aaaa0005")
    assert press["outcome"] == "unattributed" and press["counter"] == 1 and "ticket" not in press
    day = engine.local_now(engine.site("hcc")).strftime("%Y%m%d")
    assert redis_client.hexists(engine.keys["hcc"].ratings(day), "panel-1-aaaa0005")
    assert "rating" not in desk.get(f"/tickets/{ticket['id']}", KIOSK_TOKEN).get_json()


def test_a_late_delivered_press_goes_to_the_ticket_of_its_time(desk, engine, clock):
    first = serve(desk, 1)
    clock.advance(minutes=5)
    pressed = engine.local_now(engine.site("hcc"))
    desk.act(1, "finish")
    for _ in range(3):  # the counter goes on while the agent is cut off
        clock.advance(minutes=5)
        serve(desk, 1)
        desk.act(1, "finish")
    clock.advance(minutes=30)
    press = rate(engine, 3, "panel-1-late0001", pressed_at=pressed - timedelta(seconds=10))
    assert press["ticket"] == first["id"] and press["outcome"] == "recorded"


def test_rating_api_for_agents_only_and_bad_presses_refused(desk, engine):
    serve(desk, 1)
    body = {"counter": 1, "level": 3, "press_id": "api-press-0001", "device": "panel-1"}
    assert desk.post("/ratings", body, KIOSK_TOKEN).status_code == 403
    assert desk.post("/ratings", body, desk.tokens[1]).status_code == 403
    r = desk.post("/ratings", body, AGENT_TOKEN)
    assert r.status_code == 201 and r.get_json()["outcome"] == "recorded"
    assert desk.post("/ratings", body, AGENT_TOKEN).status_code == 200
    for bad, code in (({**body, "level": 7, "press_id": "api-press-0002"}, "unknown_level"),
                      ({**body, "press_id": "x"}, "bad_press_id"),
                      ({**body, "press_id": "api-press-0003", "pressed_at": "yesterday"}, "bad_pressed_at"),
                      ({**body, "press_id": "api-press-0004", "pressed_at": "2026-11-23T09:00:00"}, "bad_pressed_at"),
                      ({**body, "press_id": "api-press-0005", "counter": 42}, "wrong_counter")):
        r = desk.post("/ratings", bad, AGENT_TOKEN)
        assert r.status_code in (400, 403) and r.get_json()["error"]["code"] == code, bad
