"""A site's opening hours and days off set live: the kiosks stop or start issuing at once, a
mistake is refused in config.yaml's words and changes nothing, every process follows."""
from __future__ import annotations

import pytest

from server import create_app
from server.config import parse_config

from ..hall import KIOSK_TOKEN
from .test_people import audit, config, document  # noqa: F401 - the same hall, with its own archive

MONDAY = "2026-11-23"   # the clock's day: Monday, 09:00 in Hà Nội


def hours(api, token):
    r = api.get("/hours", token)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def put(api, token, body):
    return api.client.put("/api/v1/sites/hcc/hours", json=body, headers={"Authorization": f"Bearer {token}"})


def test_the_hours_read_as_config_yaml_gives_them(api):
    h = hours(api, api.login_admin())
    assert h == {"always": False, "calendar": "VN", "extra": ["2026-12-31"], "working_days": [],
                 "week": {"mon": ["07:30-11:30", "13:30-17:00"], "tue": ["07:30-11:30", "13:30-17:00"],
                          "wed": ["07:30-11:30", "13:30-17:00"], "thu": ["07:30-11:30", "13:30-17:00"],
                          "fri": ["07:30-11:30", "13:30-17:00"], "sat": ["07:30-11:30"], "sun": []}}


def test_a_day_off_added_today_stops_the_kiosks_at_once_and_taking_it_back_opens_them(api):
    admin = api.login_admin()
    assert api.post("/tickets", {"field": "TP"}, KIOSK_TOKEN).status_code == 201
    h = hours(api, admin)
    r = put(api, admin, {**h, "extra": [*h["extra"], MONDAY]})
    assert r.status_code == 200 and MONDAY in r.get_json()["extra"]
    refused = api.post("/tickets", {"field": "TP"}, KIOSK_TOKEN)
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "outside_opening_hours"
    state = api.state()
    assert state["open"] is False and state["day_off"] == {"name": {"vi": None, "en": None}}
    assert put(api, admin, h).status_code == 200
    assert api.post("/tickets", {"field": "TP"}, KIOSK_TOKEN).status_code == 201
    entries = api.get("/audit", admin).get_json()["entries"]
    assert [e["action"] for e in entries] == ["hours.update", "hours.update"]
    assert entries[1]["details"] == {"before": {"extra": ["2026-12-31"]}, "after": {"extra": [MONDAY, "2026-12-31"]}}


def test_later_hours_today_say_when_the_hall_opens(api):
    admin = api.login_admin()
    h = hours(api, admin)
    assert put(api, admin, {**h, "week": {**h["week"], "mon": ["10:00-11:30", "13:30-17:00"]}}).status_code == 200
    r = api.post("/tickets", {"field": "TP"}, KIOSK_TOKEN)
    assert r.status_code == 409 and r.get_json()["error"]["details"]["next_opening"].startswith(f"{MONDAY}T10:00")


@pytest.mark.parametrize("change, expected", [
    (lambda h: h["week"].update(mon=["25:00-26:00"]), "opening_hours.mon[0]: '25:00-26:00' is not a session"),
    (lambda h: h["week"].update(mon=["07:30-11:30", "11:00-12:00"]), "opening_hours.mon: sessions overlap"),
    (lambda h: h.update(extra=["2026-13-01"]), "holidays.extra[0]: '2026-13-01' is not a date"),
    (lambda h: h.update(calendar="Mars"), "holidays.calendar: 'Mars' is not one of"),
    (lambda h: h.update(week={d: [] for d in h["week"]}), "week: the hall opens on no day"),
    (lambda h: h["week"].update(someday=["07:30-11:30"]), "opening_hours.someday: unknown day"),
])
def test_hours_config_yaml_would_refuse_are_refused_and_nothing_changes(api, change, expected):
    admin = api.login_admin()
    before = hours(api, admin)
    body = {**before, "week": dict(before["week"])}
    change(body)
    r = put(api, admin, body)
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "bad_hours", r.get_json()
    assert any(e.startswith(expected) for e in r.get_json()["error"]["details"]["errors"]), r.get_json()
    assert hours(api, admin) == before
    assert audit(api, admin) == []


def test_only_admins_set_the_hours(api):
    officer = api.login(1)
    assert api.get("/hours", officer).status_code == 403
    assert put(api, officer, {"week": {"mon": ["07:00-08:00"]}}).status_code == 403


def test_every_process_follows_the_hours(api, document, redis_url, clock):  # noqa: F811 - the fixture
    other = create_app(parse_config(document), redis_url=redis_url, clock=clock, message_queue=False,
                       start_relay=False)
    try:
        admin = api.login_admin()
        h = hours(api, admin)
        assert put(api, admin, {**h, "extra": [MONDAY]}).status_code == 200
        kiosk = other.test_client()
        issue = {"json": {"field": "TP"}, "headers": {"Authorization": f"Bearer {KIOSK_TOKEN}"}}
        assert kiosk.post("/api/v1/sites/hcc/tickets", **issue).status_code == 201   # not seen there yet
        assert other.extensions["qms"].people.refresh() == ["hcc"]
        assert kiosk.post("/api/v1/sites/hcc/tickets", **issue).status_code == 409
    finally:
        other.extensions["qms"].shutdown()
    restarted = create_app(parse_config(document), redis_url=redis_url, clock=clock, message_queue=False,
                           start_relay=False)
    try:
        assert restarted.extensions["qms"].config.sites["hcc"].opening_hours.holidays == {clock.now().date()}
        # The people were never changed: still config.yaml's.
        assert set(restarted.extensions["qms"].config.sites["hcc"].officers) >= {"cb1", "admin", "gd"}
    finally:
        restarted.extensions["qms"].shutdown()
