"""No visitor is stranded by a transfer: a transfer to a counter nobody staffs is refused until
the officer confirms it, a transferred visitor is counted in their field everywhere until
served, and a counter that closes gives its transferred visitors back to their field, in
their place."""
from __future__ import annotations

from ..hall import DISPLAY_TOKEN, KIOSK_TOKEN
from .test_api_errors import store_fingerprint


def waiting(api, field: str) -> int:
    return api.get("/state", DISPLAY_TOKEN).get_json()["waiting"][field]["waiting"]


def phone(api, ticket: dict) -> dict:
    return api.client.get(api.url(f"/t/{ticket['token']}")).get_json()


def test_a_transfer_to_a_closed_counter_is_refused_until_the_officer_confirms(api, redis_client, prefix):
    ticket = api.issue("TP")
    api.login(1)
    api.act(1, "call-next")
    before = store_fingerprint(redis_client, prefix)
    r = api.act(1, "transfer", {"counter": 3})  # nobody is signed in at counter 3
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "target_counter_closed"
    assert r.get_json()["error"]["details"] == {"counter": 3, "status": "closed"}
    assert store_fingerprint(redis_client, prefix) == before
    r = api.act(1, "transfer", {"counter": 3, "even_if_closed": True})
    assert r.status_code == 200 and r.get_json()["target_counter"] == 3
    # The visitor's phone says what they wait for, not "0 ahead, now".
    view = phone(api, ticket)
    assert view["state"] == "waiting" and view["waiting_for_counter"] == {"number": 3, "status": "closed"}
    assert view["estimated_wait_seconds"] is None


def test_a_transfer_to_a_paused_counter_is_refused_with_its_reason(api):
    api.issue("TP")
    api.login(1)
    api.login(4)
    api.act(4, "pause", {"reason": "Họp giao ban"})
    api.act(1, "call-next")
    r = api.act(1, "transfer", {"counter": 4})
    assert r.status_code == 409 and r.get_json()["error"]["details"]["status"] == "paused"


def test_a_transferred_visitor_is_counted_in_their_field_until_served(api):
    moved, other = api.issue("TP"), api.issue("TP")
    api.login(1)
    api.login(4)  # counter 4 serves XD and TP
    api.act(1, "call-next")
    assert waiting(api, "TP") == 1
    api.act(1, "transfer", {"counter": 4})
    # Before: the transferred visitor vanished from the TV's count (1 -> 1, not 2).
    state = api.get("/state", DISPLAY_TOKEN).get_json()
    assert state["waiting"]["TP"]["waiting"] == 2 and state["waiting"]["TP"]["transferred"] == 1
    assert phone(api, moved)["people_ahead"] == 0 and phone(api, moved)["waiting_for_counter"] is None
    assert api.act(4, "call-next").get_json()["id"] == moved["id"]
    assert waiting(api, "TP") == 1
    assert api.act(1, "call-next").get_json()["id"] == other["id"]
    assert waiting(api, "TP") == 0


def test_closing_a_counter_gives_its_transferred_visitors_back_in_their_place(api):
    first, second, third = api.issue("TP"), api.issue("TP"), api.issue("TP")
    api.login(1)
    api.login(4)
    api.act(1, "call-next")
    api.act(1, "transfer", {"counter": 4})
    assert api.act(4, "close").status_code == 200
    # Back in Tư pháp – Hộ tịch, before those who came after them, counted once.
    view = phone(api, first)
    assert view["target_counter"] is None and view["people_ahead"] == 0 and view["state"] == "waiting"
    assert waiting(api, "TP") == 3
    assert [api.act(1, action).get_json().get("id") for action in ("call-next",)] == [first["id"]]
    api.act(1, "finish")
    assert api.act(1, "call-next").get_json()["id"] == second["id"]
    assert waiting(api, "TP") == 1 and third


def test_a_cancelled_transfer_is_no_longer_counted(api):
    moved = api.issue("TP")
    api.login(1)
    api.login(4)
    api.act(1, "call-next")
    api.act(1, "transfer", {"counter": 4})
    assert waiting(api, "TP") == 1
    assert api.client.post(api.url(f"/t/{moved['token']}/cancel")).status_code == 200
    assert waiting(api, "TP") == 0
    assert api.get("/state", KIOSK_TOKEN).get_json()["waiting"]["TP"]["transferred"] == 0
