"""Screens and phones stop pulling: after events, the server pushes what each of them shows,
read once per process. A kiosk, a counter screen and phones that only apply what is pushed to
them (never asking again) end up showing exactly what a fresh read says, after issuing,
calling, a transfer to another field and to a closed counter, a no-show and its restore, a
pause and a finished service. A lobby display, which shows calls and waiting counts only, is
sent the events and nothing of the figures it does not show."""
from __future__ import annotations

import requests

from hardware.ordered_client import OrderedClient

from ..hall import DISPLAY_TOKEN, KIOSK_TOKEN, PASSWORD, hall_document
from ..helpers import wait_until
from ..servers import ServerProcess, write_config

# Figures that move with the clock alone: a fresh read a moment later differs by design.
CLOCKED = ("longest_wait_seconds",)


class Screen:
    """A socket that keeps what a screen keeps: the snapshot, then only what is pushed."""

    def __init__(self, url: str, auth: dict):
        self.snap: dict | None = None
        self.seq = -1          # the last event or state applied
        self.place: dict = {}
        self.heard: list[str] = []
        self.client = OrderedClient(reconnection=False)
        for name in ("snapshot", "update", "state", "lists", "place", "ticket_update"):
            self.client.on(name, lambda payload, name=name: self._on(name, payload))
        self.client.connect(url, auth=auth, transports=["websocket"], wait_timeout=10)
        wait_until(lambda: self.snap is not None, what="the snapshot")

    def _on(self, name: str, payload: dict) -> None:
        self.heard.append(name)
        if name == "snapshot":
            self.snap, self.seq = payload, payload["seq"]
            if payload.get("ticket"):
                self.place = {k: payload["ticket"].get(k)
                              for k in ("people_ahead", "estimated_wait_seconds", "waiting_for_counter")}
        elif name == "update":
            assert payload["seq"] == self.seq + 1 or payload["seq"] <= self.seq, "a gap in the events"
            self.seq = max(self.seq, payload["seq"])
            for code, w in (payload.get("waiting") or {}).items():
                self.snap["waiting"].setdefault(code, {}).update(w)
        elif name == "state" and payload["seq"] >= self.seq:
            self.seq = payload["seq"]
            for code, w in payload["waiting"].items():
                self.snap["waiting"][code].update(w)
            for c in payload["counters"]:
                self._counter(c)
        elif name == "lists" and payload["seq"] >= self.seq:
            self.seq = payload["seq"]
            for code, w in payload["waiting"].items():
                self.snap["waiting"][code].update(w)
            self._counter(payload["counter"])
            self.snap["counter_queues"][str(payload["counter"]["number"])] = payload["counter_queue"]
            mine = set(payload["waiting"])
            self.snap["no_shows"] = [t for t in self.snap["no_shows"] if t["field"] not in mine] + payload["no_shows"]
        elif name == "place":
            self.place = {k: v for k, v in payload.items() if k != "seq"}

    def _counter(self, c: dict) -> None:
        self.snap["counters"] = [c if x["number"] == c["number"] else x for x in self.snap["counters"]]

    def ask_lists(self) -> None:
        """A counter screen's first snapshot has no lists: it asks once (as counter.js does)."""
        self.snap = None
        self.client.emit("snapshot", {"lists": True})
        wait_until(lambda: self.snap is not None and "no_shows" in self.snap, what="the lists")

    def close(self) -> None:
        self.client.close()


def figures(waiting: dict) -> dict:
    return {code: {k: v for k, v in w.items() if k not in CLOCKED and k not in ("tickets", "more")}
            for code, w in waiting.items()}


def ids(tickets: list[dict]) -> list[str]:
    return [t["id"] for t in tickets]


def test_what_is_pushed_is_what_a_fresh_read_says(tmp_path, prefix, redis_url):
    server = ServerProcess(write_config(tmp_path, hall_document(prefix, opening_hours="always"),
                                        redis_url=redis_url)).wait_ready()
    api = f"{server.url}/api/v1/sites/hcc"
    kiosk_auth = {"Authorization": f"Bearer {KIOSK_TOKEN}"}
    screens: list[Screen] = []

    def login(n: int) -> dict:
        token = requests.post(f"{api}/login", json={"username": f"cb{n}", "password": PASSWORD, "counter": n},
                              timeout=10).json()["token"]
        return {"Authorization": f"Bearer {token}"}

    def issue(field: str, **extra) -> dict:
        r = requests.post(f"{api}/tickets", json={"field": field, **extra}, headers=kiosk_auth, timeout=10)
        assert r.status_code == 201, r.text
        return r.json()

    def act(who: dict, number: int, action: str, **body) -> dict:
        r = requests.post(f"{api}/counters/{number}/{action}", json=body, headers=who, timeout=10)
        assert r.status_code in (200, 204), r.text
        return r.json() if r.status_code == 200 else {}

    try:
        cb1, cb3 = login(1), login(3)
        tickets = [issue("TP"), issue("TP"), issue("TP", priority="elderly"), issue("DD"), issue("TP"), issue("XD")]
        kiosk = Screen(server.url, {"site": "hcc", "token": KIOSK_TOKEN})
        desk = Screen(server.url, {"site": "hcc", "token": cb1["Authorization"].split()[1]})
        desk.ask_lists()
        lobby = Screen(server.url, {"site": "hcc", "token": DISPLAY_TOKEN})
        screens.append(lobby)
        phones = {t["id"]: Screen(server.url, {"site": "hcc", "ticket_token": t["token"]}) for t in tickets}
        screens += [kiosk, desk, *phones.values()]

        act(cb1, 1, "open")
        act(cb3, 3, "open")
        first = act(cb1, 1, "call-next")            # the elderly visitor
        act(cb1, 1, "start")
        act(cb1, 1, "finish")
        act(cb3, 3, "call-next")
        act(cb3, 3, "transfer", field="DD")          # to another field, keeping the place
        moved = act(cb1, 1, "call-next")
        act(cb1, 1, "transfer", counter=5, even_if_closed=True)   # to a counter nobody staffs
        act(cb1, 1, "call-next")
        act(cb1, 1, "no-show")
        late = [t for t in tickets if t["field"] == "TP" and t["id"] not in (first["id"], moved["id"])]
        issue("TP")
        act(cb3, 3, "pause", reason="Họp")
        noshow = requests.get(f"{api}/state?lists=1", headers=cb1, timeout=10).json()["no_shows"]
        assert requests.post(f"{api}/tickets/{noshow[0]['id']}/restore", json={}, headers=cb1,
                             timeout=10).status_code == 200
        assert late

        fresh = requests.get(f"{api}/state?lists=1", headers=cb1, timeout=10).json()
        wait_until(lambda: all(s.seq >= fresh["seq"] for s in (kiosk, desk, lobby)), what="every screen up to date")
        # The kiosk: every field's figures, estimates included, as a fresh read gives them.
        wait_until(lambda: figures(kiosk.snap["waiting"]) == figures(fresh["waiting"]), timeout=5,
                   what="the kiosk's figures")
        # Counter 1's screen: its counter, its fields' lists in call order, its queue, no-shows.
        # Its `lists` follows the hall's `state` (another message, maybe a moment later): wait for it.
        mine = ("TP",)

        def desk_view(snap: dict) -> tuple:
            return (snap["counters"][0], [ids(snap["waiting"][code]["tickets"]) for code in mine],
                    ids(snap["counter_queues"].get("1", [])), ids([t for t in snap["no_shows"] if t["field"] in mine]))

        wait_until(lambda: desk_view(desk.snap) == desk_view(fresh), timeout=5, what="the counter screen's lists")
        # Each phone: people ahead, estimate and the counter it waits for, as its own link says.
        for t in tickets:
            own = requests.get(f"{api}/t/{t['token']}", timeout=10).json()
            if own["state"] != "waiting":
                continue
            want = {k: own.get(k) for k in ("people_ahead", "estimated_wait_seconds", "waiting_for_counter")}
            wait_until(lambda p=phones[t["id"]], w=want: p.place == w, timeout=5, what=f"phone {t['label']}'s place")
        assert any(p.place.get("waiting_for_counter") for p in phones.values())   # the one sent to counter 5
        assert all("place" in p.heard for p in phones.values() if p.place.get("people_ahead") is not None)
        # Nothing above asked again: one snapshot each (the counter screen's second has its lists).
        assert kiosk.heard.count("snapshot") == 1 and desk.heard.count("snapshot") == 2
        assert "lists" in desk.heard and "lists" not in kiosk.heard and "place" not in kiosk.heard
        # The lobby display: its waiting counts, from the events alone, are a fresh read's; it
        # heard every event and not one `state` (a hall's many displays would ignore each).
        counts = {code: w["waiting"] for code, w in fresh["waiting"].items()}
        assert {code: w["waiting"] for code, w in lobby.snap["waiting"].items()} == counts
        assert "update" in lobby.heard and lobby.heard.count("snapshot") == 1
        assert not {"state", "lists", "place"} & set(lobby.heard), lobby.heard
    finally:
        for s in screens:
            s.close()
        server.stop()
