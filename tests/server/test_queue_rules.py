"""The queue rules as visitors and officers meet them."""
from __future__ import annotations

from datetime import datetime

from ..conftest import HCM
from ..hall import KIOSK_B_TOKEN, KIOSK_TOKEN


def labels(tickets):
    return [t["label"] for t in tickets]


def call_all(api, counter, limit=50):
    """Call and finish visitors at ``counter`` until nobody waits; returns the labels in call order."""
    called = []
    for _ in range(limit):
        r = api.act(counter, "call-next")
        if r.status_code == 204:
            return called
        assert r.status_code == 200, r.get_json()
        called.append(r.get_json()["label"])
        assert api.act(counter, "finish").status_code == 200
    raise AssertionError("the queue never emptied")


def test_numbers_follow_each_field_range_and_prefix(api):
    assert labels([api.issue("TP"), api.issue("TP"), api.issue("DD"), api.issue("TP")]) == \
        ["1001", "1002", "2001", "1003"]
    kd = api.issue("KD")
    assert kd["label"] == "K001" and kd["number"] == 1
    assert kd["field_name"] == "Đăng ký kinh doanh"


def test_issue_tells_people_ahead_and_an_estimated_wait(api):
    # No counter for the field is staffed yet: no figure (before: one as if they were).
    early = api.issue("TP")
    assert early["estimated_wait_seconds"] is None and early["people_ahead"] == 0
    api.login(4)  # counter 4 serves XD and TP
    first = api.issue("TP")
    second = api.issue("TP")
    third = api.issue("TP")
    assert [first["people_ahead"], second["people_ahead"], third["people_ahead"]] == [1, 2, 3]
    assert first["estimated_wait_seconds"] < second["estimated_wait_seconds"] < third["estimated_wait_seconds"]
    assert third["state"] == "waiting" and third["issued_at"].startswith("2026-11-23T09:00")
    # More counters open for the field: a shorter wait for the same place in line.
    api.login(1)
    before = api.get(f"/tickets/{third['id']}", token=KIOSK_B_TOKEN).get_json()["estimated_wait_seconds"]
    api.login(3)
    after = api.get(f"/tickets/{third['id']}", token=KIOSK_B_TOKEN).get_json()["estimated_wait_seconds"]
    assert after < before


def test_same_idempotency_key_gives_the_same_ticket(api, engine):
    a = api.issue("TP", idempotency_key="tap-123")
    again = api.post("/tickets", {"field": "TP", "idempotency_key": "tap-123"},
                     token=KIOSK_TOKEN)
    assert again.status_code == 200
    b = again.get_json()
    assert b["id"] == a["id"] and b["replayed"] is True and b["token"] == a["token"]
    # The header form works too, and another kiosk's identical key is its own.
    other = api.client.post(api.url("/tickets"), json={"field": "TP"},
                            headers={**api.bearer(KIOSK_B_TOKEN), "Idempotency-Key": "tap-123"})
    assert other.status_code == 201 and other.get_json()["id"] != a["id"]
    assert api.state()["waiting"]["TP"]["waiting"] == 2


def test_daily_cap_refuses_without_using_a_number(api):
    for _ in range(5):
        api.issue("DD")
    r = api.post("/tickets", {"field": "DD"}, KIOSK_TOKEN)
    assert r.status_code == 409
    assert r.get_json()["error"]["code"] == "daily_cap_reached"
    assert api.state()["waiting"]["DD"]["waiting"] == 5


def test_outside_opening_hours_no_ticket_and_the_next_opening_is_told(api, clock):
    clock.set(datetime(2026, 11, 23, 12, 0, tzinfo=HCM))  # lunch break
    r = api.post("/tickets", {"field": "TP"}, KIOSK_TOKEN)
    assert r.status_code == 409
    err = r.get_json()["error"]
    assert err["code"] == "outside_opening_hours"
    assert err["details"]["next_opening"] == "2026-11-23T13:30+07:00"
    clock.set(datetime(2026, 12, 31, 9, 0, tzinfo=HCM))  # the centre's own day off
    r = api.post("/tickets", {"field": "TP"}, KIOSK_TOKEN)
    # Not on 1 January, Tết Dương lịch (the official calendar): Saturday morning.
    assert r.get_json()["error"]["details"]["next_opening"] == "2027-01-02T07:30+07:00"
    clock.set(datetime(2026, 11, 28, 9, 0, tzinfo=HCM))  # Saturday morning is open
    assert api.issue("TP")["label"] == "1001"


def test_priority_goes_first_but_never_starves_the_others(api):
    normal = [api.issue("TP")["label"] for _ in range(4)]
    priority = [api.issue("TP", priority="elderly")["label"] for _ in range(4)]
    api.login(1)
    order = call_all(api, 1)
    # Ratio 2:1 — two priority calls, then one normal while normal visitors wait.
    assert order == [priority[0], priority[1], normal[0], priority[2], priority[3], normal[1], normal[2], normal[3]]


def test_higher_priority_weight_is_served_first_among_priority(api):
    elderly = api.issue("TP", priority="elderly")
    merit = api.issue("TP", priority="merit")
    api.login(1)
    assert call_all(api, 1) == [merit["label"], elderly["label"]]


def test_oldest_first_across_fields_or_fields_in_order(api, clock):
    xd = api.issue("XD")
    clock.advance(seconds=10)
    tp = api.issue("TP")
    api.login(3)  # TP, DD, XD — oldest first
    assert api.act(3, "call-next").get_json()["label"] == xd["label"]
    api.act(3, "finish")
    tp2 = api.issue("TP")
    xd2 = api.issue("XD")
    api.login(4)  # XD before TP — fields in order
    assert api.act(4, "call-next").get_json()["label"] == xd2["label"]
    api.act(4, "finish")
    assert api.act(4, "call-next").get_json()["label"] == tp["label"]
    api.act(4, "finish")
    assert api.act(4, "call-next").get_json()["label"] == tp2["label"]


def test_transfer_to_another_field_keeps_the_original_place(api):
    first_tp = api.issue("TP")
    dd = [api.issue("DD") for _ in range(3)]
    api.login(1)
    api.login(2)
    assert api.act(1, "call-next").get_json()["id"] == first_tp["id"]
    api.act(1, "start")
    moved = api.act(1, "transfer", {"field": "DD"}).get_json()
    assert moved["state"] == "waiting" and moved["field"] == "DD" and moved["label"] == first_tp["label"]
    assert moved["people_ahead"] == 0 and moved["transfers"] == 1
    # Counter 1 is free again; the DD counter meets the transferred visitor first.
    assert api.state()["counters"][0]["current"] is None
    assert call_all(api, 2) == [first_tp["label"], *labels(dd)]


def test_transfer_to_a_named_counter_is_called_there_first(api):
    tp = api.issue("TP")
    others = [api.issue("XD"), api.issue("XD")]
    api.login(1)
    api.login(4)
    api.act(1, "call-next")
    r = api.act(1, "transfer", {"counter": 4})
    assert r.status_code == 200 and r.get_json()["target_counter"] == 4
    assert api.state()["counter_queues"]["4"][0]["id"] == tp["id"]
    assert call_all(api, 4) == [tp["label"], *labels(others)]


def test_no_show_then_restore_puts_the_visitor_at_the_front(api, clock):
    a, b, c = api.issue("TP"), api.issue("TP"), api.issue("TP")
    api.login(1)
    api.act(1, "call-next")
    noshow = api.act(1, "no-show").get_json()
    assert noshow["state"] == "no_show" and noshow["id"] == a["id"]
    officer_view = api.state(token=api.tokens[1], lists=True)
    assert [t["id"] for t in officer_view["no_shows"]] == [a["id"]]
    clock.advance(minutes=10)
    restored = api.post(f"/tickets/{a['id']}/restore", token=api.tokens[1])
    assert restored.status_code == 200 and restored.get_json()["people_ahead"] == 0
    assert call_all(api, 1) == [a["label"], b["label"], c["label"]]


def test_restore_refused_after_the_window(api, clock):
    a = api.issue("TP")
    api.login(1)
    api.act(1, "call-next")
    api.act(1, "no-show")
    clock.advance(minutes=31)
    r = api.post(f"/tickets/{a['id']}/restore", token=api.tokens[1])
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "restore_window_passed"
    assert api.act(1, "call-next").status_code == 204


def test_recall_is_counted_and_announced_again(api):
    a = api.issue("TP")
    api.login(1)
    api.act(1, "call-next")
    api.act(1, "recall")
    again = api.act(1, "recall").get_json()
    assert again["recalls"] == 2 and again["state"] == "called"
    calls = api.state()["calls"]
    assert [c["label"] for c in calls[:3]] == [a["label"]] * 3
    assert calls[0]["recall"] == 2 and calls[0]["counter"] == "1"


def test_a_counter_with_a_visitor_cannot_call_the_next(api):
    api.issue("TP")
    second = api.issue("TP")
    api.login(1)
    api.act(1, "call-next")
    r = api.act(1, "call-next")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "counter_busy"
    api.act(1, "start")
    # 'Finish and call next' in one step.
    r = api.act(1, "call-next", {"finish_current": True})
    assert r.status_code == 200 and r.get_json()["id"] == second["id"]


def test_pause_needs_a_reason_blocks_calls_and_resumes(api):
    api.issue("TP")
    api.login(1)
    assert api.act(1, "pause", {"reason": ""}).status_code == 400
    paused = api.act(1, "pause", {"reason": "Họp giao ban"}).get_json()
    assert paused["status"] == "paused" and paused["pause_reason"] == "Họp giao ban"
    r = api.act(1, "call-next")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "counter_paused"
    assert api.act(1, "resume").get_json()["status"] == "open"
    assert api.act(1, "call-next").status_code == 200
    # With a visitor at the desk the pause waits for them (test_counter_steps.py).
    r = api.act(1, "pause", {"reason": "Nghỉ trưa"})
    assert r.status_code == 200 and r.get_json()["status"] == "open" and r.get_json()["pause_pending"] == "Nghỉ trưa"


def test_call_a_chosen_ticket(api):
    tickets = [api.issue("TP") for _ in range(3)]
    xd = api.issue("XD")
    api.login(1)
    chosen = api.act(1, "call", {"ticket_id": tickets[2]["id"]})
    assert chosen.status_code == 200 and chosen.get_json()["label"] == tickets[2]["label"]
    api.act(1, "finish")
    r = api.act(1, "call", {"ticket_id": xd["id"]})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "not_served_here"
    r = api.act(1, "call", {"ticket_id": tickets[2]["id"]})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "wrong_state"
    assert call_all(api, 1) == labels(tickets[:2])


def test_cancel_takes_the_ticket_out_of_line(api):
    a, b = api.issue("TP"), api.issue("TP")
    api.login(1)
    r = api.post(f"/tickets/{a['id']}/cancel", {"reason": "Công dân về"}, api.tokens[1])
    assert r.status_code == 200 and r.get_json()["state"] == "cancelled"
    assert api.state()["waiting"]["TP"]["waiting"] == 1
    assert call_all(api, 1) == [b["label"]]
    # The visitor can give up from the phone too.
    c = api.issue("TP")
    r = api.client.post(api.url(f"/t/{c['token']}/cancel"))
    assert r.status_code == 200 and r.get_json()["state"] == "cancelled"


def test_times_of_each_step_are_recorded(api, clock):
    a = api.issue("TP")
    api.login(1)
    clock.advance(minutes=12)
    api.act(1, "call-next")
    clock.advance(seconds=45)
    api.act(1, "start")
    clock.advance(minutes=7)
    done = api.act(1, "finish").get_json()
    assert done["state"] == "done"
    assert done["waited_seconds"] == 12 * 60
    assert done["service_seconds"] == 7 * 60
    assert done["called_at"] == "2026-11-23T09:12:00+07:00"
    assert done["started_at"] == "2026-11-23T09:12:45+07:00"
    assert done["officer"] == "cb1" and done["counter"] == 1
    assert api.get(f"/tickets/{a['id']}", KIOSK_TOKEN).get_json()["state"] == "done"


def test_every_change_is_in_the_site_event_stream(api, engine, redis_client):
    a = api.issue("TP")
    api.login(1)
    api.act(1, "call-next")
    api.act(1, "recall")
    api.act(1, "start")
    api.act(1, "finish")
    stream = engine.keys["hcc"].events
    entries = redis_client.xrange(stream)
    types = [e[1][b"type"].decode() for e in entries]
    assert types == ["ticket.issued", "counter.opened", "ticket.called", "ticket.recalled",
                     "ticket.started", "ticket.finished"]
    seqs = [int(e[1][b"seq"]) for e in entries]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
    assert a["id"].encode() in entries[-1][1][b"data"]


def test_the_state_shows_counters_waiting_and_latest_calls(api):
    for _ in range(3):
        api.issue("TP")
    api.issue("DD", priority="elderly")
    api.login(1)
    called = api.act(1, "call-next").get_json()
    s = api.state()
    assert s["waiting"]["TP"]["waiting"] == 2 and s["waiting"]["DD"]["waiting"] == 1
    assert s["waiting"]["DD"]["priority"] == 1
    counter1 = s["counters"][0]
    assert counter1["status"] == "open" and counter1["ticket"]["label"] == called["label"]
    assert counter1["officer_name"] == "Cán bộ 1"
    assert s["calls"][0]["label"] == called["label"]
    assert [c["status"] for c in s["counters"][1:]] == ["closed"] * 4


def test_a_number_that_may_not_be_served_today_is_flagged(api, clock):
    from datetime import datetime

    from ..conftest import HCM

    clock.set(datetime(2026, 11, 23, 16, 40, tzinfo=HCM))  # 20 minutes before closing
    state = api.state()
    assert state["closes_at"] == "2026-11-23T17:00+07:00"
    assert state["waiting"]["TP"]["served_today"] is None  # nobody staffs TP: nobody can tell
    api.login(1)
    assert api.state()["waiting"]["TP"]["served_today"] is True
    for _ in range(4):  # 8 minutes each at one counter: 32 minutes, past 17:00
        api.issue("TP")
    tp = api.state()["waiting"]["TP"]
    assert tp["estimated_wait_seconds"] > 20 * 60 and tp["served_today"] is False
