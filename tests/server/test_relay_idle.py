"""A server process with no screen of a site connected does not decode or emit that site's
events, yet a screen that connects next still gets every update after its snapshot."""
from __future__ import annotations

import redis

from server.engine.actor import Actor
from server.realtime.relay import Audience, EventRelay

KIOSK = Actor("kiosk", "kiosk-1", "hcc")
OFFICER = Actor("officer", "cb1", "hcc", 1)


def relay_for(app, redis_url, listeners: int):
    svc = app.extensions["qms"]
    sent: list[tuple[str, dict, str]] = []
    relay = EventRelay(redis.Redis.from_url(redis_url), svc.config, svc.engine.keys,
                       emit=lambda name, payload, room: sent.append((name, payload, room)),
                       sleep=lambda s: None, listeners=lambda site: listeners)
    relay.prime()
    return relay, sent


def feed(relay: EventRelay, stream: str, redis_url: str) -> None:
    """Hand the relay the site's stream entries after its start, as its reader would."""
    client = redis.Redis.from_url(redis_url)
    for entry_id, raw in client.xrange(stream, min=f"({relay.last_ids[stream]}"):
        relay.last_ids[stream] = entry_id.decode()
        relay._deliver("hcc", raw)


def test_no_screen_of_the_site_means_nothing_decoded_and_the_next_screen_misses_nothing(app, engine, redis_url):
    idle, idle_sent = relay_for(app, redis_url, listeners=0)
    busy, busy_sent = relay_for(app, redis_url, listeners=1)
    before = engine.snapshot("hcc")["seq"]
    mine = engine.issue("hcc", "TP", actor=KIOSK)
    engine.issue("hcc", "DD", actor=KIOSK)
    engine.open_counter("hcc", 1, OFFICER)
    engine.call_next("hcc", 1, OFFICER)
    stream = engine.keys["hcc"].events
    feed(idle, stream, redis_url)
    feed(busy, stream, redis_url)

    assert idle.delivered == busy.delivered == 4
    assert idle_sent == [] and idle.shaped == 0          # nothing decoded, nothing emitted
    assert busy.shaped == 4 and len(busy_sent) >= 6

    # A display that joins with the snapshot from before those events gets each of them, the
    # same as a relay with listeners sent, decoded only now.
    rooms = {"site:hcc"}
    with idle.joining("hcc", before, rooms) as missed:
        assert missed == [(name, payload) for name, payload, room in busy_sent if room in rooms]
        assert [p["seq"] for _, p in missed] == list(range(before + 1, before + 5))
    assert idle.shaped == 4
    # A phone's room gets its own ticket's events, and a later joiner decodes nothing again.
    with idle.joining("hcc", before + 2, {f"ticket:hcc:{mine['id']}"}) as missed:
        assert [(name, p["seq"]) for name, p in missed] == [("ticket_update", before + 4)]
        assert "officer" not in missed[0][1]["ticket"]
    assert idle.shaped == 4


def test_a_burst_of_events_costs_one_read_of_the_state(app, engine, redis_url):
    """After the events of one read, the figures they changed are read once for every screen
    and phone of the process, not once per event (and not at all with nobody here)."""
    svc = app.extensions["qms"]
    sent: list[tuple[str, dict, str]] = []
    reads: list[bool] = []

    def read_state(site_id, with_lists, list_fields, places):
        reads.append((with_lists, list_fields))
        return engine.snapshot_view(site_id, with_lists=with_lists, list_fields=list_fields, places=places)

    here = {"listeners": 1, "audience": Audience(figures=1, desks={1}, phones=set())}
    relay = EventRelay(redis.Redis.from_url(redis_url), svc.config, svc.engine.keys,
                       emit=lambda name, payload, room: sent.append((name, payload, room)), sleep=lambda s: None,
                       listeners=lambda site: here["listeners"], read_state=read_state,
                       audience=lambda site: here["audience"])
    relay.prime()
    engine.open_counter("hcc", 1, OFFICER)
    for _ in range(20):
        engine.issue("hcc", "TP", actor=KIOSK)
    engine.issue("hcc", "DD", actor=KIOSK)
    feed(relay, engine.keys["hcc"].events, redis_url)
    relay.push_due()
    assert reads == [(True, {"TP"})]    # one read, with the lists of counter 1's field (its screen is here)
    state = [p for name, p, room in sent if name == "state"]
    assert len(state) == 1 and set(state[0]["waiting"]) == {"TP", "DD"}
    assert state[0]["waiting"]["TP"]["waiting"] == 20 and "tickets" not in state[0]["waiting"]["TP"]
    assert state[0]["waiting"]["TP"]["estimated_wait_seconds"] is not None   # counter 1 is open
    lists = [(p, room) for name, p, room in sent if name == "lists"]
    assert [room for name, p, room in sent if name == "state"] == ["figures:hcc"]   # not the displays' room
    assert [room for _, room in lists] == ["counter:hcc:1"]   # counter 1 serves TP, not DD
    assert len(lists[0][0]["waiting"]["TP"]["tickets"]) == 20 and set(lists[0][0]["waiting"]) == {"TP"}
    relay.push_due()
    assert len(reads) == 1                                  # nothing new: nothing read
    here["listeners"] = 0
    engine.issue("hcc", "TP", actor=KIOSK)
    feed(relay, engine.keys["hcc"].events, redis_url)
    relay._pushed_at.clear()
    relay.push_due()
    assert len(reads) == 1                                  # nobody of the site here: nothing read
    # Screens of the site here, but none that shows figures (displays only): nothing is read
    # or sent after the events, which the displays still get.
    here["listeners"], here["audience"] = 3, Audience(figures=0, desks=set(), phones=set())
    sent.clear()
    engine.issue("hcc", "TP", actor=KIOSK)
    feed(relay, engine.keys["hcc"].events, redis_url)
    relay._pushed_at.clear()
    relay.push_due()
    assert len(reads) == 1 and [name for name, _, _ in sent] == ["update", "ticket_update"]
