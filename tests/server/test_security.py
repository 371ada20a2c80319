"""Hostile input: floods, guessing, forged requests, and secrets kept out of the logs."""
from __future__ import annotations

import logging
from collections import Counter

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


def attacker(n: int) -> dict:
    return {"environ_base": {"REMOTE_ADDR": f"10.66.0.{n}"}}


DESK = {"environ_base": {"REMOTE_ADDR": "10.1.0.7"}}


def test_guessing_from_a_few_addresses_locks_out_no_officer(api):
    """130 wrong sign-ins from four addresses, for every officer and the admin: each of them
    still signs in at once from their own desk with the right password."""
    names = [f"cb{n}" for n in range(1, 6)] + ["admin"]
    answers = Counter()
    for i in range(130):
        r = api.post("/login", {"username": names[i % len(names)], "password": f"guess-{i}", "counter": 1},
                     **attacker(i % 4))
        answers[r.status_code] += 1
    # Each address meets three of the names: six tries of each were checked, the rest waited.
    assert answers == {401: 4 * 3 * 6, 429: 130 - 4 * 3 * 6}, answers
    for n in range(1, 6):
        r = api.post("/login", {"username": f"cb{n}", "password": PASSWORD, "counter": n}, **DESK)
        assert r.status_code == 200, r.get_json()
    assert api.post("/login", {"username": "admin", "password": ADMIN_PASSWORD}, **DESK).status_code == 200


def test_a_guesser_waits_longer_after_each_try_and_only_the_guesser(api, clock):
    for i in range(5):  # a few typos are free
        assert api.post("/login", {"username": "cb1", "password": f"typo-{i}", "counter": 1},
                        **attacker(1)).status_code == 401
    assert api.post("/login", {"username": "cb1", "password": "typo-6", "counter": 1},
                    **attacker(1)).status_code == 401
    waits = []
    for i in range(4):
        r = api.post("/login", {"username": "cb1", "password": PASSWORD, "counter": 1}, **attacker(1))
        assert r.status_code == 429 and r.get_json()["error"]["code"] == "login_locked"
        waits.append(int(r.headers["Retry-After"]))
        clock.advance(seconds=waits[-1])
        assert api.post("/login", {"username": "cb1", "password": f"again-{i}", "counter": 1},
                        **attacker(1)).status_code == 401
    assert waits == [1, 2, 4, 8]
    # The right password from that desk, once its wait is over, works and forgets the tries.
    clock.advance(seconds=16)
    assert api.post("/login", {"username": "cb1", "password": PASSWORD, "counter": 1}, **attacker(1)).status_code == 200
    for i in range(5):
        assert api.post("/login", {"username": "cb1", "password": f"typo-{i}", "counter": 1},
                        **attacker(1)).status_code == 401


def test_a_few_typos_then_the_right_password(api):
    for _ in range(3):
        assert api.post("/login", {"username": "cb2", "password": "Test@2025", "counter": 2},
                        **DESK).status_code == 401
    assert api.post("/login", {"username": "cb2", "password": PASSWORD, "counter": 2}, **DESK).status_code == 200


def test_kiosk_pin_guessing_is_slowed(api):
    for i in range(5):
        assert api.post("/kiosk/unlock", {"pin": f"00{i}"}, KIOSK_TOKEN).status_code == 401
    assert api.post("/kiosk/unlock", {"pin": "999"}, KIOSK_TOKEN).status_code == 401
    r = api.post("/kiosk/unlock", {"pin": "998"}, KIOSK_TOKEN)
    assert r.status_code == 429 and r.get_json()["error"]["code"] == "pin_locked"


def test_no_secret_reaches_the_logs(api, caplog):
    caplog.set_level(logging.DEBUG)
    officer = api.login(1)
    admin = api.login_admin()
    ticket = api.issue("TP")
    api.act(1, "call-next")
    api.post("/login", {"username": "cb3", "password": "Sai-mat-khau-99", "counter": 3})
    api.get("/state", DISPLAY_TOKEN)
    api.post("/ratings", {"counter": 1, "level": 3, "press_id": "log-press-0001", "device": "panel-1"}, AGENT_TOKEN)
    api.client.get(api.url(f"/t/{ticket['token']}"))
    text = caplog.text
    assert "login site=hcc officer=cb1" in text and "issue site=hcc" in text  # the logs do say what happened
    for secret in (PASSWORD, ADMIN_PASSWORD, "Sai-mat-khau-99", officer, admin, KIOSK_TOKEN, DISPLAY_TOKEN,
                   AGENT_TOKEN, ticket["token"]):
        assert secret not in text, f"a secret was logged: {secret[:6]}…"
