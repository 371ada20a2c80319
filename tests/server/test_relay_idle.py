"""A server process with no screen of a site connected does not decode or emit that site's
events, yet a screen that connects next still gets every update after its snapshot."""
from __future__ import annotations

import redis

from server.engine.actor import Actor
from server.realtime.relay import EventRelay

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
    engine.issue("hcc", "TP", actor=KIOSK)
    engine.issue("hcc", "DD", actor=KIOSK)
    engine.open_counter("hcc", 1, OFFICER)
    engine.call_next("hcc", 1, OFFICER)
    stream = engine.keys["hcc"].events
    feed(idle, stream, redis_url)
    feed(busy, stream, redis_url)

    assert idle.delivered == busy.delivered == 4
    assert idle_sent == [] and idle.shaped == 0          # nothing decoded, nothing emitted
    assert busy.shaped == 4 and len(busy_sent) >= 8

    # A display that joins with the snapshot from before those events gets each of them, the
    # same as a relay with listeners sent, decoded only now.
    rooms = {"site:hcc"}
    with idle.joining("hcc", before, rooms) as missed:
        assert missed == [(name, payload) for name, payload, room in busy_sent if room in rooms]
        assert [p["seq"] for _, p in missed] == list(range(before + 1, before + 5))
    assert idle.shaped == 4
    # A phone's room gets the stripped events, and a later joiner decodes nothing again.
    with idle.joining("hcc", before + 2, {"phones:hcc"}) as missed:
        assert [p["seq"] for _, p in missed] == [before + 3, before + 4]
        assert all("officer" not in p for _, p in missed)
    assert idle.shaped == 4
