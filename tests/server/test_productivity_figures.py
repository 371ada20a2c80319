"""Officer productivity (issue 14, part 7): the time counters were paused, by reason, officer
and counter, in the report (API and page); a pause over the period's edge counts inside it.
And part 6: visitors still waiting at closing are counted, in the report and its exports."""
from __future__ import annotations

from ..helpers import archive_now


def pause(api, counter, reason, minutes, clock):
    assert api.act(counter, "pause", {"reason": reason}).status_code == 200
    clock.advance(minutes=minutes)
    assert api.act(counter, "resume").status_code == 200


def test_paused_time_by_reason_officer_and_counter(api, app, clock, redis_url):
    for counter in (1, 2):
        api.login(counter)
        api.act(counter, "open")
    pause(api, 1, "Họp", 10, clock)
    pause(api, 2, "Họp", 20, clock)
    pause(api, 1, "Nghỉ giữa giờ", 5, clock)
    assert api.act(2, "pause", {"reason": "Hỗ trợ quầy khác"}).status_code == 200   # still paused: until now
    clock.advance(minutes=3)
    archive_now(app, redis_url)
    admin = api.login_admin()
    pz = api.get("/reports?period=day&date=2026-11-23", admin).get_json()["pauses"]
    assert (pz["count"], pz["seconds"]) == (4, 38 * 60)
    assert [(r["reason"], r["count"], r["seconds"]) for r in pz["by_reason"]] == [
        ("Họp", 2, 1800), ("Nghỉ giữa giờ", 1, 300), ("Hỗ trợ quầy khác", 1, 180)]
    assert [(r["officer"], r["count"], r["seconds"]) for r in pz["by_officer"]] == [("cb2", 2, 1380), ("cb1", 2, 900)]
    assert [(r["counter"], r["seconds"]) for r in pz["by_counter"]] == [(2, 1380), (1, 900)]
    # The next day has none of it; the page says so, and says today's in words.
    assert api.get("/reports?period=day&date=2026-11-24", admin).get_json()["pauses"]["count"] == 0
    page = api.client.get("/admin/hcc?period=day&date=2026-11-23")   # (the admin signed in above: its cookie)
    html = page.get_data(as_text=True)
    assert "Thời gian tạm nghỉ của các quầy" in html and "4 lần tạm nghỉ, tổng 38.0 phút." in html
    assert "<td>Họp</td><td>2</td><td>30.0</td>" in html


def test_visitors_still_waiting_at_closing_are_in_the_report_and_its_exports(api, app, clock, redis_url):
    """Never silently dropped: the day's close marks them, and the report, its CSV and its page
    count them for the day they waited."""
    import csv
    import io

    for _ in range(3):
        api.issue("TP")
    api.login(1)
    api.act(1, "open")
    api.act(1, "call-next")
    api.act(1, "finish")
    clock.advance(days=2)   # (the 24th is a day off)
    api.issue("TP")         # the first request of the new day closes the 23rd
    archive_now(app, redis_url)
    admin = api.login_admin()
    report = api.get("/reports?period=day&date=2026-11-23", admin).get_json()
    assert (report["total"]["unserved_at_close"], report["total"]["served"]) == (2, 1)
    text = api.get("/reports.csv?period=day&date=2026-11-23", admin).get_data().decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    column = lines[1].index("Còn chờ khi hết ngày")
    assert lines[-1][column] == "2"
    html = api.client.get("/admin/hcc?period=day&date=2026-11-23").get_data(as_text=True)
    assert '<strong id="stat-unserved">2</strong>' in html


def test_the_live_monitor_says_how_long_an_open_counter_has_been_idle_while_visitors_wait(api, clock):
    api.login(2)
    api.act(2, "open")
    clock.advance(minutes=1)
    api.issue("DD")             # counter 2 serves land (DD)
    clock.advance(minutes=4)
    admin = api.login_admin()
    two = next(c for c in api.get("/monitor", admin).get_json()["counters"] if c["number"] == 2)
    assert (two["idle_seconds"], two["waiting_for_it"]) == (300, 1)   # free since it opened
    api.act(2, "call-next")
    clock.advance(minutes=2)
    api.act(2, "finish")
    clock.advance(minutes=3)
    two = next(c for c in api.get("/monitor", admin).get_json()["counters"] if c["number"] == 2)
    assert two["idle_seconds"] is None and two["waiting_for_it"] == 0   # nobody waits: not idle time
    api.issue("DD")
    clock.advance(seconds=30)
    two = next(c for c in api.get("/monitor", admin).get_json()["counters"] if c["number"] == 2)
    assert two["idle_seconds"] == 210   # free since the finish, 3.5 minutes ago


def test_idle_time_while_visitors_waited_by_officer_and_counter(api, app, clock, redis_url):
    """Counter 1 (justice) is open from 09:00. Idle while someone waited: 09:10-09:15 (called
    late), 09:30-09:32 (paused instead), 09:40-09:41 (resumed, called a minute later): 8
    minutes. Counter 3 opens at 16:00; a construction visitor waits from 16:30 and the officer
    leaves the counter open overnight: 30 minutes, to the hall's closing at 17:00, not the night."""
    api.login(1)
    api.act(1, "open")
    clock.advance(minutes=10)
    api.issue("TP")
    clock.advance(minutes=5)
    api.act(1, "call-next")
    clock.advance(minutes=5)
    api.act(1, "finish")                  # 09:20: nobody waits, not idle time
    clock.advance(minutes=10)
    api.issue("TP")                       # 09:30
    clock.advance(minutes=2)
    pause(api, 1, "Họp", 8, clock)        # 09:32-09:40
    clock.advance(minutes=1)
    api.act(1, "call-next")               # 09:41
    api.act(1, "finish")
    clock.advance(hours=6, minutes=19)    # 16:00
    api.login(3)
    api.act(3, "open")
    clock.advance(minutes=30)
    api.issue("XD")
    clock.advance(days=2, hours=-8)       # Wednesday 08:30 (the 24th is a day off)
    api.issue("TP")                       # the first request of the new day closes the 23rd
    archive_now(app, redis_url)
    admin = api.login_admin()
    idle = api.get("/reports?period=day&date=2026-11-23", admin).get_json()["idle"]
    assert (idle["count"], idle["seconds"]) == (4, 38 * 60), idle
    assert [(r["officer"], r["count"], r["seconds"]) for r in idle["by_officer"]] == [("cb3", 1, 1800),
                                                                                      ("cb1", 3, 480)]
    assert [(r["counter"], r["seconds"]) for r in idle["by_counter"]] == [(3, 1800), (1, 480)]
    html = api.client.get("/admin/hcc?period=day&date=2026-11-23").get_data(as_text=True)
    assert "Quầy rảnh trong khi có người chờ" in html and "Tổng 38.0 phút." in html
    assert "<td>Cán bộ 3</td><td>1</td><td>30.0</td>" in html


def test_a_counters_free_span_goes_to_the_archive_not_to_the_screens(api, engine, redis_client, clock):
    """The call's event keeps how long the counter was free (with the officer) for the reports;
    what every screen of the hall receives of it does not carry that."""
    import json

    from server.engine.views import public_event

    api.login(1)
    api.act(1, "open")
    clock.advance(minutes=2)
    api.issue("TP")
    api.act(1, "call-next")
    _, fields = redis_client.xrevrange(engine.keys["hcc"].events, count=1)[0]
    fields = {k.decode(): v.decode() for k, v in fields.items()}
    assert fields["type"] == "ticket.called"
    assert json.loads(fields["data"])["free"]["officer"] == "cb1"
    assert "free" not in public_event(engine.site("hcc"), fields)
