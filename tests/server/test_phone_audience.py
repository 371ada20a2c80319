"""A visitor's phone link receives its own ticket's events and its place in line, and nothing of
anyone else's business: no officer, rating, other ticket or priority category."""
from __future__ import annotations

import json

import requests

from hardware.ordered_client import OrderedClient

from ..hall import AGENT_TOKEN, KIOSK_TOKEN, PASSWORD, hall_document
from ..helpers import wait_until
from ..servers import ServerProcess, write_config


def test_a_phone_hears_only_what_is_its_own_business(tmp_path, prefix, redis_url):
    server = ServerProcess(write_config(tmp_path, hall_document(prefix, opening_hours="always"),
                                        redis_url=redis_url)).wait_ready()
    api = f"{server.url}/api/v1/sites/hcc"
    kiosk = {"Authorization": f"Bearer {KIOSK_TOKEN}"}
    received: list[tuple[str, dict]] = []
    phone = OrderedClient(reconnection=False)
    for name in ("snapshot", "update", "ticket_update", "counter_update", "alert", "place", "state", "lists"):
        phone.on(name, lambda payload, name=name: received.append((name, payload)))
    try:
        first = requests.post(f"{api}/tickets", json={"field": "TP", "priority": "disabled"}, headers=kiosk,
                              timeout=10).json()
        mine = requests.post(f"{api}/tickets", json={"field": "TP"}, headers=kiosk, timeout=10).json()
        phone.connect(server.url, auth={"site": "hcc", "ticket_token": mine["token"]}, transports=["websocket"],
                      wait_timeout=10)
        wait_until(lambda: any(n == "snapshot" for n, _ in received), what="the phone's snapshot")
        officer = {"Authorization": "Bearer " + requests.post(
            f"{api}/login", json={"username": "cb1", "password": PASSWORD, "counter": 1}, timeout=10).json()["token"]}
        requests.post(f"{api}/tickets", json={"field": "TP", "priority": "elderly"}, headers=kiosk, timeout=10)
        assert requests.post(f"{api}/counters/1/call-next", json={}, headers=officer, timeout=10).json()["id"] == \
            first["id"]  # the priority visitor first
        requests.post(f"{api}/counters/1/start", json={}, headers=officer, timeout=10)
        press = {"counter": 1, "level": 1, "press_id": "phone-audience-01", "device": "panel-1"}
        assert requests.post(f"{api}/ratings", json=press,
                             headers={"Authorization": f"Bearer {AGENT_TOKEN}"}, timeout=10).status_code in (200, 201)
        requests.post(f"{api}/counters/1/finish", json={}, headers=officer, timeout=10)
        requests.post(f"{api}/counters/1/pause", json={"reason": "Họp giao ban"}, headers=officer, timeout=10)
        requests.post(f"{api}/counters/1/resume", json={}, headers=officer, timeout=10)
        called = requests.post(f"{api}/counters/1/call-next", json={}, headers=officer, timeout=10).json()
        assert called["id"] != mine["id"]  # the elderly visitor goes before mine
        requests.post(f"{api}/counters/1/no-show", json={}, headers=officer, timeout=10)
        assert requests.post(f"{api}/counters/1/call-next", json={}, headers=officer, timeout=10).json()["id"] == \
            mine["id"]

        def my_call_heard():
            return any(n == "ticket_update" and p["type"] == "ticket.called" for n, p in received)

        wait_until(my_call_heard, what="my call on my phone")
        # Nothing of the site's other business: no site update at all, only its own ticket's.
        assert not [n for n, _ in received if n == "update"]
        mine_events = [p for n, p in received if n == "ticket_update"]
        assert [p["type"] for p in mine_events] == ["ticket.called"]
        assert set(mine_events[0]) == {"seq", "type", "site", "at", "ticket"}
        # Its place as it moved (what it is worth is checked in test_pushed_state.py; pushes a
        # tenth of a second apart at most, so a quick succession of changes gives one).
        places = [p for n, p in received if n == "place"]
        assert places and {p["people_ahead"] for p in places} <= {0, 1, 2}
        everything = json.dumps([p for _, p in received], ensure_ascii=False)
        for secret in ("cb1", "Cán bộ 1", "disabled", "elderly", "phone-audience-01", "officer", "Họp giao ban",
                       first["id"], called["id"]):  # (numbers called are on the lobby board anyway)
            assert secret not in everything, f"a phone received {secret!r}"
        assert not [n for n, _ in received if n in ("counter_update", "alert", "state", "lists")]
        assert all(set(p) == {"seq", "people_ahead", "estimated_wait_seconds", "waiting_for_counter"} for p in places)
        # Its own ticket, in full: the state and counter it must go to.
        mine_now = [p for n, p in received if n == "ticket_update"][-1]["ticket"]
        assert mine_now["id"] == mine["id"] and mine_now["state"] == "called" and mine_now["counter"] == 1
    finally:
        phone.close()
        server.stop()
