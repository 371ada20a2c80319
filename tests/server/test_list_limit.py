"""A counter screen is given the head of each line, not the whole line: at a morning's peak a
field may hold a thousand visitors, and every push to every counter screen paid for all of them
(bench.run: 16-27 calls/s over Socket.IO with 1,000 waiting per field)."""
from __future__ import annotations

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
