"""A stolen agent token cannot forge the hall's satisfaction figures: an agent rates only at
the counters of its own panels, nothing older than its spool keeps, no faster than a hand can
press; admins post no presses; an officer cancels only tickets of the fields their counter
serves. Every refusal changes nothing in the store."""
from __future__ import annotations

from datetime import timedelta

import pytest

from server.engine.ratings import PRESS_MAX_AGE_SECONDS

from ..hall import AGENT_TOKEN, KIOSK_TOKEN, hall_document
from .test_api_errors import store_fingerprint

OTHER_AGENT_TOKEN = "test-agent-token-0002"


@pytest.fixture
def config(prefix):
    from server.config import parse_config

    doc = hall_document(prefix)
    site = doc["sites"][0]
    site["agents"] = [{"id": "agent-1", "token": AGENT_TOKEN}, {"id": "agent-2", "token": OTHER_AGENT_TOKEN}]
    site["devices"] = [
        {"id": "panel-1", "kind": "rating_panel", "url": "/dev/ttyQMS1", "counter": 1, "agent": "agent-1"},
        {"id": "panel-2", "kind": "rating_panel", "url": "/dev/ttyQMS2", "counter": 2, "agent": "agent-2"},
        {"id": "printer-1", "kind": "printer", "url": "tcp://127.0.0.1:9100", "agent": "agent-1",
         "options": {"kiosk": "kiosk-1"}},
    ]
    return parse_config(doc)


def press(api, token=AGENT_TOKEN, **body):
    return api.post("/ratings", {"counter": 1, "level": 3, "device": "panel-1", **body}, token)


def refused(api, redis_client, prefix, response_of, status, code):
    before = store_fingerprint(redis_client, prefix)
    r = response_of()
    assert (r.status_code, r.get_json()["error"]["code"]) == (status, code), r.get_json()
    assert store_fingerprint(redis_client, prefix) == before, f"{code}: the store changed"


def test_an_agent_rates_only_at_the_counters_of_its_own_panels(api, redis_client, prefix):
    cases = [
        # another agent's panel, at that panel's own counter
        (dict(counter=2, device="panel-2", press_id="scope-press-0001"), 403, "not_your_panel"),
        # its own panel, claimed for a counter it is not at
        (dict(counter=2, device="panel-1", press_id="scope-press-0002"), 403, "wrong_counter"),
        # no panel named: the press cannot be checked against one
        (dict(device=None, press_id="scope-press-0003"), 400, "device_required"),
        # a device that is not a rating panel
        (dict(device="printer-1", press_id="scope-press-0004"), 400, "unknown_device"),
    ]
    for body, status, code in cases:
        body = {k: v for k, v in body.items() if v is not None}
        if "device" not in body:
            def post(body=body):
                return api.post("/ratings", {"counter": 1, "level": 3, **body}, AGENT_TOKEN)
            refused(api, redis_client, prefix, post, status, code)
        else:
            refused(api, redis_client, prefix, lambda body=body: press(api, **body), status, code)
    r = press(api, press_id="scope-press-0005")
    assert r.status_code == 201 and r.get_json()["counter"] == 1
    r = press(api, OTHER_AGENT_TOKEN, counter=2, device="panel-2", press_id="scope-press-0006")
    assert r.status_code == 201 and r.get_json()["counter"] == 2


def test_a_press_older_than_an_agent_keeps_one_is_refused(api, engine, redis_client, prefix):
    now = engine.local_now(engine.site("hcc"))
    too_old = (now - timedelta(seconds=PRESS_MAX_AGE_SECONDS + 60)).isoformat()
    refused(api, redis_client, prefix, lambda: press(api, press_id="scope-old-0001", pressed_at=too_old),
            400, "press_too_old")
    just_kept = (now - timedelta(seconds=PRESS_MAX_AGE_SECONDS - 3600)).isoformat()
    assert press(api, press_id="scope-old-0002", pressed_at=just_kept).status_code == 201


def test_presses_are_limited_per_panel_and_a_resend_is_still_answered(api, engine, redis_client, prefix):
    site = engine.site("hcc")
    limit = site.ratings.presses_per_minute
    minute = engine.local_now(site).replace(second=5, microsecond=0)
    first = None
    for n in range(limit):
        r = press(api, press_id=f"scope-flood-{n:04d}", pressed_at=(minute + timedelta(seconds=n)).isoformat())
        assert r.status_code == 201, (n, r.get_json())
        first = first or r.get_json()
    r = press(api, press_id="scope-flood-9999", pressed_at=(minute + timedelta(seconds=50)).isoformat())
    assert r.status_code == 429 and r.get_json()["error"]["code"] == "press_rate_limited"
    # A resend of a stored press (its answer was lost) still gets its receipt, not a refusal.
    again = press(api, press_id="scope-flood-0000", pressed_at=minute.isoformat())
    assert again.status_code == 200 and again.get_json()["duplicate"] is True
    # Another panel, and the next minute of this one, are not held back.
    assert press(api, OTHER_AGENT_TOKEN, counter=2, device="panel-2", press_id="scope-flood-other",
                 pressed_at=(minute + timedelta(seconds=50)).isoformat()).status_code == 201
    assert press(api, press_id="scope-flood-next",
                 pressed_at=(minute + timedelta(seconds=61)).isoformat()).status_code == 201


def test_admins_post_no_presses(api, redis_client, prefix):
    admin = api.login_admin()
    refused(api, redis_client, prefix, lambda: press(api, admin, press_id="scope-admin-0001"), 403, "forbidden")


def test_an_officer_cancels_only_tickets_of_fields_their_counter_serves(api, redis_client, prefix):
    land = api.issue("DD")
    justice = api.issue("TP")
    api.login(2)  # counter 2 serves Đất đai only
    refused(api, redis_client, prefix, lambda: api.post(f"/tickets/{justice['id']}/cancel", {}, api.tokens[2]),
            403, "not_your_field")
    assert api.post(f"/tickets/{land['id']}/cancel", {}, api.tokens[2]).status_code == 200
    admin = api.login_admin()
    assert api.post(f"/tickets/{justice['id']}/cancel", {}, admin).status_code == 200
    assert api.get(f"/tickets/{justice['id']}", KIOSK_TOKEN).get_json()["state"] == "cancelled"
