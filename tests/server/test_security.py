"""Hostile input: floods, guessing, forged requests, and secrets kept out of the logs."""
from __future__ import annotations

import logging

from ..hall import ADMIN_PASSWORD, AGENT_TOKEN, DISPLAY_TOKEN, KIOSK_TOKEN, PASSWORD


def test_a_stuck_kiosk_button_cannot_flood_the_queue(api, clock):
    made = [api.post("/tickets", {"field": "TP"}, KIOSK_TOKEN) for _ in range(40)]
    assert [r.status_code for r in made].count(201) == 30
    refused = made[-1]
    assert refused.status_code == 429 and refused.get_json()["error"]["code"] == "kiosk_rate_limited"
    assert api.state()["waiting"]["TP"]["waiting"] == 30
    # Another kiosk is not affected, and the next minute this one works again.
    assert api.post("/tickets", {"field": "TP"}, "test-kiosk-token-0002").status_code == 201
    clock.advance(minutes=1)
    assert api.post("/tickets", {"field": "TP"}, KIOSK_TOKEN).status_code == 201


def test_password_guessing_is_stopped(api):
    for _ in range(10):
        r = api.post("/login", {"username": "cb1", "password": "guess", "counter": 1})
        assert r.status_code == 401
    r = api.post("/login", {"username": "cb1", "password": PASSWORD, "counter": 1})
    assert r.status_code == 429 and r.get_json()["error"]["code"] == "login_locked"
    # Other officers can still sign in.
    assert api.post("/login", {"username": "cb2", "password": PASSWORD, "counter": 2}).status_code == 200


def test_no_secret_reaches_the_logs(api, caplog):
    caplog.set_level(logging.DEBUG)
    officer = api.login(1)
    admin = api.login_admin()
    ticket = api.issue("TP")
    api.act(1, "call-next")
    api.post("/login", {"username": "cb3", "password": "Sai-mat-khau-99", "counter": 3})
    api.get("/state", DISPLAY_TOKEN)
    api.post("/ratings", {"counter": 1, "level": 3, "press_id": "log-press-0001"}, AGENT_TOKEN)
    api.client.get(api.url(f"/t/{ticket['token']}"))
    text = caplog.text
    assert "login site=hcc officer=cb1" in text and "issue site=hcc" in text  # the logs do say what happened
    for secret in (PASSWORD, ADMIN_PASSWORD, "Sai-mat-khau-99", officer, admin, KIOSK_TOKEN, DISPLAY_TOKEN,
                   AGENT_TOKEN, ticket["token"]):
        assert secret not in text, f"a secret was logged: {secret[:6]}…"
