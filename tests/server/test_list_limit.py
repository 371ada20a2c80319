"""A counter screen is given the head of each line, not the whole line: at a morning's peak a
field may hold a thousand visitors, and every push to every counter screen paid for all of them
(bench.run: 16-27 calls/s over Socket.IO with 1,000 waiting per field)."""
from __future__ import annotations

import pytest

from server.engine.views import LIST_LIMIT


def test_the_lists_hold_the_head_of_the_line_and_count_the_rest(api, engine):
    issued = [engine.issue("hcc", "TP")["id"] for _ in range(LIST_LIMIT + 5)]   # many kiosks' worth
    engine.issue("hcc", "DD")
    officer = api.login(1)
    state = api.state(officer, lists=True)
    tp = state["waiting"]["TP"]
    assert tp["waiting"] == LIST_LIMIT + 5 and tp["more"] == 5
    assert [t["id"] for t in tp["tickets"]] == issued[:LIST_LIMIT]    # in call order
    assert state["waiting"]["DD"]["more"] == 0 and len(state["waiting"]["DD"]["tickets"]) == 1
    called = api.act(1, "call-next").get_json()
    assert called["id"] == issued[0]
    tp = api.state(officer, lists=True)["waiting"]["TP"]
    assert [t["id"] for t in tp["tickets"]] == issued[1:LIST_LIMIT + 1] and tp["more"] == 4


def test_a_counter_screens_push_reads_only_the_head_of_its_own_lines(engine):
    """What the relay reads for a counter screen after an event does not grow with the lines:
    with a thousand waiting, every call made Redis decode, and the server parse, every waiting
    ticket of every field (bench.run 2b: 4 calls/s with 4,000 waiting per field)."""
    normal = [engine.issue("hcc", "TP")["id"] for _ in range(LIST_LIMIT + 5)]
    elderly = [engine.issue("hcc", "TP", priority="elderly")["id"] for _ in range(3)]
    for _ in range(LIST_LIMIT + 5):
        engine.issue("hcc", "XD")
    snap, view = engine.snapshot_view("hcc", with_lists=True, list_fields={"TP"})
    tp = snap["waiting"]["TP"]
    # The priority lane first, then the normal lane: the head a counter of TP calls from.
    assert [t["id"] for t in tp["tickets"]] == elderly + normal[:LIST_LIMIT - 3]
    assert tp["waiting"] == LIST_LIMIT + 8 and tp["more"] == 8
    assert "tickets" not in snap["waiting"]["XD"] and snap["waiting"]["XD"]["waiting"] == LIST_LIMIT + 5
    # Read from Redis: TP's head and the first ticket of each other line (for its longest wait).
    assert len(view.tickets) == LIST_LIMIT + 1
    assert snap["waiting"]["XD"]["oldest"]["label"] == "3001"


def test_lists_of_no_field_read_no_line(engine):
    """A counter screen of a counter event that touched none of its fields: its counter and
    queue are pushed, no waiting line is read."""
    for _ in range(10):
        engine.issue("hcc", "TP")
    snap, view = engine.snapshot_view("hcc", with_lists=True, list_fields=set())
    assert snap["waiting"]["TP"]["waiting"] == 10 and "tickets" not in snap["waiting"]["TP"]
    assert len(view.tickets) == 1     # TP's first ticket, for its longest wait


def test_the_places_of_phones_count_every_ticket_before_them(engine):
    """Phones far down a line are told their place as their own ticket view counts it, without
    the line being read (test_bulk_submitters: with the dossiers of those before counted)."""
    ids = [engine.issue("hcc", "TP")["id"] for _ in range(LIST_LIMIT + 7)]
    last = ids.pop()
    engine.issue("hcc", "TP", priority="elderly")
    asked = {ids[0], ids[-1], last}
    snap, view = engine.snapshot_view("hcc", with_lists=True, list_fields={"TP"}, places=asked)
    places = view.places()
    assert set(places) == asked
    assert places[ids[0]]["people_ahead"] == 1 and places[ids[-1]]["people_ahead"] == LIST_LIMIT + 6
    assert places[last]["people_ahead"] == LIST_LIMIT + 7
    for ticket_id in asked:
        own = engine.ticket("hcc", ticket_id)
        assert (places[ticket_id]["people_ahead"], places[ticket_id]["estimated_wait_seconds"]) == \
               (own["people_ahead"], own["estimated_wait_seconds"]), ticket_id
    assert len(view.tickets) <= LIST_LIMIT + 4       # TP's head and the other lines' first: not the line
    assert len(snap["waiting"]["TP"]["tickets"]) == LIST_LIMIT
    with pytest.raises(ValueError):
        engine.snapshot_view("hcc", with_lists=True)[1].places()
