"""Every bad request gets a clear 4xx JSON error and changes nothing."""
from __future__ import annotations

import pytest

from ..hall import AGENT_TOKEN, DISPLAY_TOKEN, KIOSK_TOKEN

# Counters of refused attempts are meant to change on a refusal; sessions are touched on use.
BOOKKEEPING = (b":rate:", b":signin:", b":sess:", b":sessof:", b":sesssock:")


def store_fingerprint(redis_client, prefix):
    """Every key of this test with its serialized value: equal before and after means nothing changed."""
    return {key: redis_client.dump(key) for key in sorted(redis_client.scan_iter(match=f"{prefix}:*"))
            if not any(part in key for part in BOOKKEEPING)}


@pytest.fixture
def busy_hall(api):
    """Tickets waiting, counter 1 serving one, counter 2 open and idle."""
    for field in ("TP", "TP", "DD", "XD"):
        api.issue(field)
    api.login(1)
    api.login(2)
    api.act(1, "call-next")
    api.act(1, "start")
    api.login_admin()
    return api


def raw_post(api, path, data, content_type="application/json", token=KIOSK_TOKEN):
    return api.client.post(api.url(path), data=data, content_type=content_type, headers=api.bearer(token))


CASES = [
    # (name, request, status, code)
    ("unknown site", lambda a: a.client.post("/api/v1/sites/nowhere/tickets", json={"field": "TP"},
                                             headers=a.bearer(KIOSK_TOKEN)), 404, "unknown_site"),
    ("unknown field", lambda a: a.post("/tickets", {"field": "ZZ"}, KIOSK_TOKEN), 400, "unknown_field"),
    ("field of wrong type", lambda a: a.post("/tickets", {"field": 12}, KIOSK_TOKEN), 400, "bad_parameter"),
    ("missing field", lambda a: a.post("/tickets", {}, KIOSK_TOKEN), 400, "missing_parameter"),
    ("unknown priority", lambda a: a.post("/tickets", {"field": "TP", "priority": "vip"}, KIOSK_TOKEN),
     400, "unknown_priority"),
    ("misspelt parameter", lambda a: a.post("/tickets", {"feild": "TP"}, KIOSK_TOKEN), 400, "unknown_parameter"),
    ("bad idempotency key", lambda a: a.post("/tickets", {"field": "TP", "idempotency_key": "x" * 65},
                                             KIOSK_TOKEN), 400, "bad_idempotency_key"),
    ("malformed JSON", lambda a: raw_post(a, "/tickets", b'{"field": "TP"'), 400, "malformed_json"),
    ("JSON that is not an object", lambda a: raw_post(a, "/tickets", b'["TP"]'), 400, "malformed_json"),
    ("not JSON at all", lambda a: raw_post(a, "/tickets", b"field=TP", "application/x-www-form-urlencoded"),
     400, "not_json"),
    ("oversized body", lambda a: raw_post(a, "/tickets", b'{"field": "' + b"T" * 70000 + b'"}'),
     413, "payload_too_large"),
    ("deeply nested JSON", lambda a: raw_post(a, "/tickets", b'{"field": ' + b"[" * 5000 + b"]" * 5000 + b"}"),
     400, "malformed_json"),
    ("a lone surrogate in a pause reason", lambda a: raw_post(a, "/counters/2/pause", b'{"reason": "Ngh\\udc80"}',
                                                              token=a.tokens[2]), 400, "bad_text"),
    ("a lone surrogate in a cancel reason", lambda a: raw_post(a, "/tickets/20261123-2/cancel",
                                                               b'{"reason": "\\ud800x"}', token=a.tokens[1]),
     400, "bad_text"),
    ("a lone surrogate in a username", lambda a: raw_post(a, "/login", b'{"username": "cb\\udfff", "password": "x"}',
                                                          token=None), 400, "bad_text"),
    ("a press in year 1", lambda a: a.post("/ratings", {"counter": 1, "level": 3, "press_id": "panel-1-aaaaaaaa", "device": "panel-1",
                                                        "pressed_at": "0001-01-01T00:00:00+07:00"}, AGENT_TOKEN),
     400, "bad_pressed_at"),
    ("a press in year 9999", lambda a: a.post("/ratings", {"counter": 1, "level": 3, "press_id": "panel-1-bbbbbbbb", "device": "panel-1",
                                                           "pressed_at": "9999-12-31T23:59:59-07:00"}, AGENT_TOKEN),
     400, "bad_pressed_at"),
    ("a report for 9999-12-31", lambda a: a.get("/reports?period=day&date=9999-12-31", a.tokens["admin"]),
     400, "bad_period"),
    ("a report for year 1", lambda a: a.get("/reports?period=week&date=0001-01-01", a.tokens["admin"]),
     400, "bad_period"),
    ("a custom report to 9999", lambda a: a.get("/reports?period=custom&from=2026-01-01&to=9999-12-31",
                                                a.tokens["admin"]), 400, "bad_period"),
    ("no credentials", lambda a: a.client.application.test_client().post(a.url("/tickets"), json={"field": "TP"}),
     401, "unauthorized"),
    ("unknown token", lambda a: a.post("/tickets", {"field": "TP"}, "no-such-token-at-all"), 401, "bad_token"),
    ("display may not issue", lambda a: a.post("/tickets", {"field": "TP"}, DISPLAY_TOKEN), 403, "forbidden"),
    ("kiosk may not call", lambda a: a.post("/counters/2/call-next", None, KIOSK_TOKEN), 403, "forbidden"),
    ("officer at another counter", lambda a: a.act(2, "call-next", token=a.tokens[1]), 403, "not_your_counter"),
    ("unknown counter", lambda a: a.act(99, "call-next", token=a.tokens[1]), 404, "unknown_counter"),
    ("unknown counter action", lambda a: a.act(1, "explode"), 404, "unknown_action"),
    ("call next while serving", lambda a: a.act(1, "call-next"), 409, "counter_busy"),
    ("start while serving", lambda a: a.act(1, "start"), 409, "wrong_state"),
    ("no-show while serving", lambda a: a.act(1, "no-show"), 409, "wrong_state"),
    ("finish with nobody", lambda a: a.act(2, "finish"), 409, "no_current_ticket"),
    ("recall with nobody", lambda a: a.act(2, "recall"), 409, "no_current_ticket"),
    ("transfer to nowhere", lambda a: a.act(1, "transfer", {"field": "ZZ"}), 400, "unknown_field"),
    ("transfer to same field", lambda a: a.act(1, "transfer", {"field": "TP"}), 400, "same_field"),
    ("transfer to both", lambda a: a.act(1, "transfer", {"field": "DD", "counter": 2}), 400, "bad_transfer"),
    ("transfer to own counter", lambda a: a.act(1, "transfer", {"counter": 1}), 400, "same_counter"),
    ("transfer to unknown counter", lambda a: a.act(1, "transfer", {"counter": 77}), 400, "unknown_counter"),
    ("pause without reason", lambda a: a.act(2, "pause", {}), 400, "missing_parameter"),
    ("close while serving", lambda a: a.act(1, "close"), 409, "counter_busy"),
    ("resume when not paused", lambda a: a.act(2, "resume"), 409, "counter_not_paused"),
    ("call a ticket that does not exist", lambda a: a.act(2, "call", {"ticket_id": "20261123-999"}),
     404, "ticket_not_found"),
    ("call a ticket of another day", lambda a: a.act(2, "call", {"ticket_id": "20261120-1"}), 409, "wrong_state"),
    ("call with a bad ticket id", lambda a: a.act(2, "call", {"ticket_id": "../../etc"}), 404, "ticket_not_found"),
    ("get a ticket that does not exist", lambda a: a.get("/tickets/20261123-999", KIOSK_TOKEN),
     404, "ticket_not_found"),
    ("phone link that does not exist", lambda a: a.get("/t/AAAAAAAAAAAAAAAAAAAAAA"), 404, "ticket_not_found"),
    ("cancel a served ticket", lambda a: a.post("/tickets/20261123-1/cancel", None, a.tokens[1]), 409, "wrong_state"),
    ("restore a waiting ticket", lambda a: a.post("/tickets/20261123-2/restore", None, a.tokens[1]),
     409, "wrong_state"),
    ("lists for a kiosk", lambda a: a.get("/state?lists=1", KIOSK_TOKEN), 403, "forbidden"),
    ("wrong method", lambda a: a.client.delete(a.url("/tickets"), headers=a.bearer(KIOSK_TOKEN)),
     405, "method_not_allowed"),
    ("unknown route", lambda a: a.client.get("/api/v1/nothing-here"), 404, "not_found"),
    ("wrong password", lambda a: a.post("/login", {"username": "cb3", "password": "nope", "counter": 3}),
     401, "bad_credentials"),
    ("login at a counter not assigned", lambda a: a.post("/login", {"username": "cb3", "password": "Test@2026",
                                                                    "counter": 4}), 403, "not_your_counter"),
    ("login at a taken counter", lambda a: a.post("/login", {"username": "admin", "password": "Admin@2026",
                                                             "counter": 1}), 409, "counter_in_use"),
]


@pytest.mark.parametrize("name,request_,status,code", CASES, ids=[c[0] for c in CASES])
def test_bad_request_is_refused_and_changes_nothing(busy_hall, redis_client, prefix, name, request_, status, code):
    before = store_fingerprint(redis_client, prefix)
    response = request_(busy_hall)
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    assert store_fingerprint(redis_client, prefix) == before


def test_call_next_with_nobody_waiting_is_204(api):
    api.login(5)
    r = api.act(5, "call-next")
    assert r.status_code == 204 and r.get_data() == b""
