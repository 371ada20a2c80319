"""Screens get a snapshot on connect, then every change pushed in order with a sequence number."""
from __future__ import annotations

import time

import pytest

from ..hall import DISPLAY_TOKEN, KIOSK_TOKEN


@pytest.fixture
def live_api(live_app):
    from ..helpers import Api

    return Api(live_app.test_client())


def connect(app, **auth):
    sio = app.extensions["qms"].socketio
    return sio.test_client(app, auth={"site": "hcc", **auth})


def wait_for(client, event, predicate=lambda data: True, timeout=5.0):
    """The first ``event`` received whose data satisfies ``predicate`` (events before it are kept)."""
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        for message in client.get_received():
            seen.append(message)
        for message in seen:
            if message["name"] == event and predicate(message["args"][0]):
                return message["args"][0], seen
        time.sleep(0.02)
    raise AssertionError(f"no {event} within {timeout} s; got {[m['name'] for m in seen]}")


def test_display_gets_a_snapshot_then_each_change_in_order(live_app, live_api):
    display = connect(live_app, token=DISPLAY_TOKEN)
    assert display.is_connected()
    snap, _ = wait_for(display, "snapshot")
    assert snap["waiting"]["TP"]["waiting"] == 0 and len(snap["counters"]) == 5
    start = snap["seq"]

    ticket = live_api.issue("TP")
    issued, seen_before = wait_for(display, "update", lambda e: e["type"] == "ticket.issued")
    assert issued["seq"] == start + 1
    assert issued["ticket"]["label"] == ticket["label"] and issued["waiting"]["TP"]["waiting"] == 1
    assert "token" not in issued["ticket"] and "actor" not in issued

    live_api.login(1)
    live_api.act(1, "call-next")
    called, seen = wait_for(display, "update", lambda e: e["type"] == "ticket.called")
    assert called["ticket"]["label"] == ticket["label"] and called["counter"] == 1
    assert called["counter_state"]["status"] == "open" and called["counter_state"]["officer_name"] == "Cán bộ 1"
    assert called["waiting"]["TP"]["waiting"] == 0
    seqs = [m["args"][0]["seq"] for m in seen_before + seen if m["name"] == "update"]
    assert seqs == list(range(start + 1, start + 1 + len(seqs)))  # no gap, no repeat


def test_phone_page_hears_its_own_call(live_app, live_api):
    ticket = live_api.issue("TP")
    phone = connect(live_app, ticket_token=ticket["token"])
    snap, _ = wait_for(phone, "snapshot")
    assert snap["ticket"]["id"] == ticket["id"] and snap["ticket"]["people_ahead"] == 0
    live_api.login(1)
    live_api.act(1, "call-next")
    mine, _ = wait_for(phone, "ticket_update", lambda e: e["type"] == "ticket.called")
    assert mine["ticket"]["id"] == ticket["id"] and mine["ticket"]["counter"] == 1
    assert mine["ticket"]["state"] == "called"


def test_strangers_cannot_connect(live_app):
    assert not connect(live_app).is_connected()
    assert not connect(live_app, token="not-a-real-token-xx").is_connected()
    assert not connect(live_app, ticket_token="AAAAAAAAAAAAAAAAAAAAAA").is_connected()
    sio = live_app.extensions["qms"].socketio
    assert not sio.test_client(live_app, auth={"site": "nowhere", "token": DISPLAY_TOKEN}).is_connected()


def test_a_client_that_missed_events_asks_for_a_snapshot(live_app, live_api):
    display = connect(live_app, token=DISPLAY_TOKEN)
    wait_for(display, "snapshot")
    display.disconnect()
    for _ in range(3):
        live_api.issue("DD")  # missed while away
    display.connect(auth={"site": "hcc", "token": DISPLAY_TOKEN})
    first, _ = wait_for(display, "snapshot")
    assert first["waiting"]["DD"]["waiting"] == 3
    ack = display.emit("snapshot", {}, callback=True)
    assert ack["ok"] is True and ack["seq"] == first["seq"]


def test_officer_runs_the_counter_over_the_socket(live_app, live_api):
    ticket = live_api.issue("TP")
    token = live_api.login(1)
    officer = connect(live_app, token=token)
    assert officer.is_connected()
    ack = officer.emit("counter", {"action": "call-next", "counter": 1}, callback=True)
    assert ack["ok"] is True and ack["result"]["id"] == ticket["id"]
    update, _ = wait_for(officer, "counter_update", lambda e: e["type"] == "ticket.called")
    assert update["ticket"]["label"] == ticket["label"]
    refused = officer.emit("counter", {"action": "call-next", "counter": 2}, callback=True)
    assert refused["error"]["code"] == "not_your_counter"
    refused = officer.emit("counter", {"action": "pause", "counter": 1}, callback=True)
    assert refused["error"]["code"] == "missing_parameter"
    # Kiosks may take a ticket over the socket too.
    kiosk = connect(live_app, token=KIOSK_TOKEN)
    ack = kiosk.emit("issue", {"field": "DD", "idempotency_key": "k-1"}, callback=True)
    assert ack["ok"] is True and ack["ticket"]["label"] == "2001"
    assert kiosk.emit("counter", {"action": "call-next", "counter": 1}, callback=True)["error"]["code"] == "forbidden"
