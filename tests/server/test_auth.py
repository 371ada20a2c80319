"""Who may do what: kiosks issue, officers run their own counter, admins any, strangers nothing."""
from __future__ import annotations

from server.security.sessions import digest

from ..hall import (
    AGENT_TOKEN,
    DISPLAY_TOKEN,
    KIOSK_TOKEN,
    OTHER_SITE_KIOSK_TOKEN,
    PASSWORD,
)


def test_anonymous_reads_nothing_private_and_changes_nothing(app, api):
    ticket = api.issue("TP")
    stranger = app.test_client()
    for path in ("/state", f"/tickets/{ticket['id']}", "/hall", "/counters/1", "/me"):
        r = stranger.get(api.url(path))
        assert r.status_code == 401, path
    for path, body in (("/tickets", {"field": "TP"}), ("/counters/1/call-next", None),
                       (f"/tickets/{ticket['id']}/cancel", None), ("/logout", None)):
        assert stranger.post(api.url(path), json=body).status_code == 401, path
    # What is public: the list of sites, and a ticket through its phone link.
    assert stranger.get("/api/v1/sites").status_code == 200
    phone = stranger.get(api.url(f"/t/{ticket['token']}"))
    assert phone.status_code == 200 and phone.get_json()["label"] == ticket["label"]
    assert "token" not in phone.get_json()


def test_phone_token_is_not_derived_from_the_ticket(api):
    tokens = {api.issue("TP")["token"] for _ in range(20)}
    assert len(tokens) == 20
    assert all(len(t) >= 22 for t in tokens)
    assert not any("1001" in t or "20261123" in t for t in tokens)


def test_devices_do_only_their_job(api):
    ticket = api.issue("TP")
    assert api.post("/tickets", {"field": "TP"}, DISPLAY_TOKEN).status_code == 403
    assert api.post("/tickets", {"field": "TP"}, AGENT_TOKEN).status_code == 403
    for token in (KIOSK_TOKEN, DISPLAY_TOKEN, AGENT_TOKEN):
        assert api.get("/state", token).status_code == 200
        assert api.post("/counters/1/open", None, token).status_code == 403
        assert api.post(f"/tickets/{ticket['id']}/cancel", None, token).status_code == 403


def test_a_token_of_another_site_is_refused(api):
    r = api.post("/tickets", {"field": "TP"}, OTHER_SITE_KIOSK_TOKEN)
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "wrong_site"
    api.login(1)
    # An officer session of site hcc means nothing at site xa.
    r = api.client.post("/api/v1/sites/xa/counters/1/call-next", headers=api.bearer(api.tokens[1]))
    assert r.status_code == 401


def test_officer_operates_only_the_counter_signed_in_at(api):
    api.issue("TP")
    api.issue("DD")
    api.login(1)
    api.login(2)
    r = api.act(2, "call-next", token=api.tokens[1])
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "not_your_counter"
    assert api.act(1, "call-next").status_code == 200


def test_admin_may_operate_any_open_counter(api):
    api.issue("DD")
    api.login(2)
    admin = api.login_admin()
    r = api.act(2, "call-next", token=admin)
    assert r.status_code == 200
    # The service is recorded for the officer at the counter, not the admin who pressed for them.
    assert r.get_json()["officer"] == "cb2"


def test_a_second_officer_cannot_silently_take_a_counter(api):
    api.login(1)
    r = api.post("/login", {"username": "admin", "password": "Admin@2026", "counter": 1})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "counter_in_use"
    r = api.post("/login", {"username": "admin", "password": "Admin@2026", "counter": 1, "take_over": True})
    assert r.status_code == 200
    # The first officer's session has ended with the take-over: it can no longer run the counter.
    r = api.act(1, "call-next")
    assert r.status_code == 401 and r.get_json()["error"]["code"] == "bad_token"


def test_logout_closes_the_counter_and_ends_the_session(api):
    api.login(1)
    token = api.tokens[1]
    assert api.post("/logout", None, token).status_code == 204
    assert api.state()["counters"][0]["status"] == "closed"
    r = api.act(1, "call-next", token=token)
    assert r.status_code == 401


def test_logout_refused_while_a_visitor_is_at_the_counter(api):
    api.issue("TP")
    api.login(1)
    api.act(1, "call-next")
    r = api.post("/logout", None, api.tokens[1])
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "counter_busy"


def test_sessions_expire(api, app, redis_client):
    api.login(1)
    key = app.extensions["qms"].engine.keys["hcc"].session(digest(api.tokens[1]))
    ttl = redis_client.ttl(key)
    assert 0 < ttl <= 12 * 3600
    redis_client.delete(key)  # what expiry does
    assert api.act(1, "call-next").status_code == 401


def test_cookie_session_needs_json_requests(app, api):
    browser = app.test_client()
    r = browser.post(api.url("/login"), json={"username": "cb1", "password": PASSWORD, "counter": 1})
    assert r.status_code == 200
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    # A form posted from another site carries the cookie but cannot be JSON without a preflight.
    forged = browser.post(api.url("/counters/1/pause"), data={"reason": "x"})
    assert forged.status_code == 403 and forged.get_json()["error"]["code"] == "csrf"
    assert browser.post(api.url("/counters/1/pause"), json={"reason": "Họp"}).status_code == 200


def test_kiosk_restricted_to_some_fields(prefix, redis_url, clock):
    from server import create_app
    from server.config import parse_config

    from ..hall import hall_document

    doc = hall_document(prefix)
    doc["sites"][0]["kiosks"][0]["fields"] = ["TP"]
    app = create_app(parse_config(doc), redis_url=redis_url, clock=clock, message_queue=False, start_relay=False)
    try:
        c = app.test_client()
        headers = {"Authorization": f"Bearer {KIOSK_TOKEN}"}
        assert c.post("/api/v1/sites/hcc/tickets", json={"field": "TP"}, headers=headers).status_code == 201
        r = c.post("/api/v1/sites/hcc/tickets", json={"field": "DD"}, headers=headers)
        assert r.status_code == 403 and r.get_json()["error"]["code"] == "field_not_at_kiosk"
    finally:
        app.extensions["qms"].shutdown()


def test_passwords_are_stored_hashed(config):
    for site in config.sites.values():
        for officer in site.officers.values():
            assert officer.password_hash.startswith(("scrypt:", "pbkdf2:"))
            assert PASSWORD not in officer.password_hash
