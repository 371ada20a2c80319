"""Business days: numbers restart every day in the site's time zone; history stays."""
from __future__ import annotations

from datetime import datetime

from ..conftest import HCM
from ..hall import KIOSK_TOKEN


def test_numbers_restart_next_day_and_yesterday_stays_readable(api, clock, engine, redis_client):
    clock.set(datetime(2026, 11, 23, 16, 50, tzinfo=HCM))
    served = api.issue("TP")
    left_waiting = api.issue("TP")
    api.login(1)
    api.act(1, "call-next")
    api.act(1, "finish")
    assert api.issue("DD")["label"] == "2001"

    # Wednesday the 25th: the 24th is Ngày Văn hóa Việt Nam, a public holiday (no tickets).
    clock.set(datetime(2026, 11, 25, 7, 35, tzinfo=HCM))
    first_today = api.issue("TP")
    assert first_today["label"] == "1001" and first_today["id"] != served["id"]
    assert first_today["people_ahead"] == 0

    old = api.get(f"/tickets/{left_waiting['id']}", KIOSK_TOKEN).get_json()
    assert old["state"] == "cancelled" and old["reason"] == "day_closed"
    assert api.get(f"/tickets/{served['id']}", KIOSK_TOKEN).get_json()["state"] == "done"

    s = api.state()
    assert s["day"] == "20261125"
    assert s["waiting"]["TP"]["waiting"] == 1 and s["waiting"]["DD"]["waiting"] == 0
    assert s["calls"] == []
    # Counters start the day closed, and yesterday's session is over (12 hours unused): the
    # officer signs in again.
    assert s["counters"][0]["status"] == "closed"
    assert api.act(1, "call-next").status_code == 401

    types = [e[1][b"type"].decode() for e in redis_client.xrange(engine.keys["hcc"].events)]
    assert types.count("ticket.expired") == 2 and "day.closed" in types


def test_rollover_follows_the_site_time_zone_not_utc(api, clock):
    clock.set(datetime(2026, 11, 23, 16, 0, tzinfo=HCM))
    api.issue("TP")
    # 00:30 on the 24th in Hà Nội is still 17:30 UTC on the 23rd.
    clock.set(datetime(2026, 11, 24, 0, 30, tzinfo=HCM))
    assert api.state()["day"] == "20261124"


def test_several_servers_close_the_day_once(app, config, redis_url, clock, redis_client):
    from server import create_app

    other = create_app(config, redis_url=redis_url, clock=clock, message_queue=False, start_relay=False)
    try:
        a = app.extensions["qms"].engine
        b = other.extensions["qms"].engine
        a.issue("hcc", "TP")
        clock.set(datetime(2026, 11, 24, 8, 0, tzinfo=HCM))
        a.snapshot("hcc")
        b.snapshot("hcc")
        types = [e[1][b"type"].decode() for e in redis_client.xrange(a.keys["hcc"].events)]
        assert types.count("day.closed") == 1
    finally:
        other.extensions["qms"].shutdown()
