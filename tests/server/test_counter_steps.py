"""What an officer needs at a busy desk: a recall after pressing "start" too early, a pause
that waits for the visitor at the desk, and refusals that say why in plain words."""
from __future__ import annotations

from ..hall import DISPLAY_TOKEN


def counter(api, number: int) -> dict:
    return next(c for c in api.get("/state", DISPLAY_TOKEN).get_json()["counters"] if c["number"] == number)


def test_a_recall_after_start_calls_the_visitor_again(api):
    ticket = api.issue("TP")
    api.login(1)
    api.act(1, "call-next")
    api.act(1, "start")  # pressed before the visitor sat down
    r = api.act(1, "recall")
    assert r.status_code == 200, r.get_json()
    again = r.get_json()
    assert again["id"] == ticket["id"] and again["state"] == "called" and again["recalls"] == 1
    assert again["started_at"] is None  # the service starts when they do sit down
    assert api.act(1, "start").get_json()["state"] == "serving"


def test_pause_after_this_visitor(api):
    first, second = api.issue("TP"), api.issue("TP")
    api.login(1)
    api.act(1, "call-next")
    api.act(1, "start")
    r = api.act(1, "pause", {"reason": "Họp giao ban"})
    assert r.status_code == 200, r.get_json()
    state = counter(api, 1)
    assert state["status"] == "open" and state["pause_pending"] == "Họp giao ban"
    assert state["current"] == first["id"]  # the visitor at the desk is served first
    # The visitor leaves: the counter pauses instead of calling the next one.
    api.act(1, "finish")
    state = counter(api, 1)
    assert state["status"] == "paused" and state["pause_reason"] == "Họp giao ban" and state["pause_pending"] is None
    assert state["paused_at"] is not None
    r = api.act(1, "call-next")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "counter_paused"
    api.act(1, "resume")
    assert api.act(1, "call-next").get_json()["id"] == second["id"]


def test_call_next_with_a_pause_pending_pauses_instead(api):
    api.issue("TP")
    nxt = api.issue("TP")
    api.login(1)
    api.act(1, "call-next")
    api.act(1, "start")
    api.act(1, "pause", {"reason": "Nghỉ trưa"})
    r = api.act(1, "call-next", {"finish_current": True})  # the usual "finish and call next" key
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "counter_paused"
    state = counter(api, 1)
    assert state["status"] == "paused" and state["current"] is None
    assert api.get("/state", DISPLAY_TOKEN).get_json()["waiting"]["TP"]["waiting"] == 1 and nxt


def test_a_pending_pause_can_be_taken_back(api):
    api.issue("TP")
    api.login(1)
    api.act(1, "call-next")
    api.act(1, "pause", {"reason": "Họp"})
    assert api.act(1, "resume").status_code == 200
    api.act(1, "no-show")
    assert counter(api, 1)["status"] == "open"


def test_refusals_say_who_may_do_it(api):
    officer = api.login(1)
    r = api.get("/reports", officer)
    assert r.status_code == 403 and r.get_json()["error"]["message"] == "Only an administrator or a leader may do this."
    r = api.post("/login", {"username": "cb2", "password": "Test@2026"})  # the leader's page sends no counter
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "not_admin"
