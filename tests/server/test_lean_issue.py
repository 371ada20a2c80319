"""A kiosk's ticket is answered without Flask's request machinery (server/web/lean_issue.py),
and reads exactly as the route's answer: the same ticket, the same headers, the same refusals.

The other requests here go to Flask: a ``?lang=`` (Flask remembers it in a cookie), or a JSON
type other than plain ``application/json``. Each pair is compared field by field.
"""
from __future__ import annotations

import json
import logging

import pytest

from ..hall import DISPLAY_TOKEN, KIOSK_TOKEN, OTHER_SITE_KIOSK_TOKEN

TICKETS = "/api/v1/sites/hcc/tickets"


@pytest.fixture
def flask_requests(app):
    """The requests that reached Flask's own request handling."""
    seen: list[str] = []
    app.before_request_funcs.setdefault(None, []).insert(0, lambda: seen.append(_path()))
    return seen


def _path() -> str:
    from flask import request

    return request.full_path


def post(client, body, token=KIOSK_TOKEN, query="", content_type="application/json", **headers):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return client.post(TICKETS + query, data=data, content_type=content_type, headers=headers)


def test_a_kiosks_ticket_skips_flask_and_reads_as_the_routes_answer(client, flask_requests):
    lean = post(client, {"field": "TP"})
    assert flask_requests == []
    routed = post(client, {"field": "TP"}, query="?lang=vi")
    assert flask_requests == [TICKETS + "?lang=vi"]

    assert (lean.status_code, routed.status_code) == (201, 201)
    a, b = lean.get_json(), routed.get_json()
    assert set(a) == set(b)
    assert (a["number"], b["number"]) == (1001, 1002)
    assert a["people_ahead"] == 0 and b["people_ahead"] == 1
    for same in ("field", "state", "print", "label"):
        assert (a[same] == b[same]) is (same != "label"), same
    # The phone's link: the same base, each with its own token.
    assert a["status_url"].rsplit("/", 1)[0] == b["status_url"].rsplit("/", 1)[0]
    assert a["status_url"].endswith(a["token"])
    for name in ("Content-Type", "Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options",
                 "Referrer-Policy"):
        assert lean.headers.get(name) == routed.headers.get(name), name
    assert int(lean.headers["Content-Length"]) == len(lean.data)
    # Vietnamese as it is, not \\u escapes, as Flask's JSON writes it.
    assert a["field_name"] == "Tư pháp – Hộ tịch" and "Tư pháp".encode() in lean.data


def test_the_same_key_twice_is_one_ticket_on_the_lean_path(client, flask_requests):
    first = post(client, {"field": "TP"}, **{"Idempotency-Key": "k-1"})
    again = post(client, {"field": "TP", "idempotency_key": "k-1"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json()["id"] == first.get_json()["id"]
    assert again.get_json()["print"] == {"status": "printed_before"} and flask_requests == []


@pytest.mark.parametrize("body, token, status, code", [
    ({"field": "ZZ"}, KIOSK_TOKEN, 400, "unknown_field"),
    ({"field": "TP", "dossiers": "two"}, KIOSK_TOKEN, 400, None),
    ({"field": "TP", "colour": "red"}, KIOSK_TOKEN, 400, None),
    ({}, KIOSK_TOKEN, 400, None),
    ({"field": "TP"}, "no-such-token-000000", 401, "bad_token"),
    ({"field": "TP"}, DISPLAY_TOKEN, 403, "forbidden"),
    ({"field": "TP"}, OTHER_SITE_KIOSK_TOKEN, 403, "wrong_site"),
    ('{"field": "TP"', KIOSK_TOKEN, 400, "malformed_json"),
    ('["TP"]', KIOSK_TOKEN, 400, None),
])
def test_a_refusal_reads_as_the_routes_and_changes_nothing(client, api, flask_requests, body, token, status, code):
    lean = post(client, body, token)
    routed = post(client, body, token, content_type="application/merge-patch+json")
    assert lean.status_code == routed.status_code == status
    assert lean.get_json() == routed.get_json()
    if code:
        assert lean.get_json()["error"]["code"] == code
    assert lean.headers["Content-Type"] == routed.headers["Content-Type"] == "application/json"
    assert api.state()["waiting"]["TP"]["waiting"] == 0


def test_an_unknown_site_is_refused_on_the_lean_path(client):
    r = client.post("/api/v1/sites/nowhere/tickets", json={"field": "TP"},
                    headers={"Authorization": f"Bearer {KIOSK_TOKEN}"})
    assert r.status_code == 404 and r.get_json()["error"]["code"] == "unknown_site"


def test_a_kiosk_over_its_rate_is_told_when_to_retry(client, flask_requests):
    answers = [post(client, {"field": "TP"}) for _ in range(31)]   # the hall allows 30 a minute
    assert [a.status_code for a in answers] == [201] * 30 + [429]
    assert answers[-1].get_json()["error"]["code"] == "kiosk_rate_limited"
    assert 0 < int(answers[-1].headers["Retry-After"]) <= 60
    assert flask_requests == []


def test_a_fault_on_the_lean_path_is_logged_and_answered_as_flask_would(app, client, caplog, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(app.extensions["qms"].engine, "issue", broken)
    with caplog.at_level(logging.ERROR, logger="server.web.app"):
        r = post(client, {"field": "TP"})
    assert r.status_code == 500 and r.get_json() == {"error": {"code": "internal_error", "message": "Internal error."}}
    assert any("unexpected error during POST " + TICKETS in rec.getMessage() and rec.exc_info
               for rec in caplog.records)
    assert r.headers["X-Frame-Options"] == "DENY"
