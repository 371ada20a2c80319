"""The dossier link (issue 14, part 3): an officer attaches the code of the dossier received
(mã hồ sơ) to the ticket served; times and the rating are exported per dossier code for the
province's one-stop software (Decision 766's satisfaction figures)."""
from __future__ import annotations

from ..hall import AGENT_TOKEN
from ..helpers import archive_now


def serving(api, counter=1, field="TP"):
    ticket = api.issue(field)
    api.login(counter)
    api.act(counter, "open")
    api.act(counter, "call-next")
    api.act(counter, "start")
    return ticket


def test_an_officer_attaches_dossier_codes_to_the_ticket_served(api, clock):
    ticket = serving(api)
    token = api.login(1)
    r = api.post("/counters/1/dossier", {"code": "000.00.12.H56-261123-0001"}, token)
    assert r.status_code == 200 and r.get_json()["dossiers"] == ["000.00.12.H56-261123-0001"], r.get_json()
    assert api.post("/counters/1/dossier", {"code": "000.00.12.H56-261123-0001"}, token).status_code == 200
    clock.advance(minutes=4)
    api.act(1, "finish")
    # Typed once the visitor has gone: the ticket the counter finished last.
    r = api.post("/counters/1/dossier", {"code": "000.00.12.H56-261123-0002"}, token)
    assert r.get_json()["id"] == ticket["id"]
    assert r.get_json()["dossiers"] == ["000.00.12.H56-261123-0001", "000.00.12.H56-261123-0002"]
    assert api.get(f"/tickets/{ticket['id']}", token).get_json()["dossiers"] == r.get_json()["dossiers"]


def test_a_bad_code_or_no_ticket_is_refused_and_changes_nothing(api):
    token = api.login(2)
    api.act(2, "open")
    r = api.post("/counters/2/dossier", {"code": "0001"}, token)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "no_current_ticket", r.get_json()
    ticket = serving(api, counter=1)
    officer = api.login(1)
    for bad in ("a b", "x", "<script>", "9" * 65):
        r = api.post("/counters/1/dossier", {"code": bad}, officer)
        assert r.status_code == 400 and r.get_json()["error"]["code"] == "bad_dossier_code", bad
    # Another officer's counter is not theirs to write on.
    assert api.post("/counters/1/dossier", {"code": "H56-0001"}, token).status_code == 403
    assert "dossiers" not in api.get(f"/tickets/{ticket['id']}", officer).get_json()


def test_times_and_the_rating_are_exported_per_dossier_code(api, app, clock, redis_url):
    """The one-stop software asks, for the day: dossier 000.00.12.H56-261123-0001 - waited 5
    minutes, served in 7, counter 1, rated Rất hài lòng."""
    import csv
    import io

    ticket = api.issue("TP")
    clock.advance(minutes=5)
    officer = api.login(1)
    api.act(1, "open")
    api.act(1, "call-next")
    api.act(1, "start")
    clock.advance(minutes=7)
    api.act(1, "finish")
    assert api.post("/counters/1/dossier", {"code": "000.00.12.H56-261123-0001"}, officer).status_code == 200
    r = api.post("/ratings", {"counter": 1, "level": 3, "press_id": "panel-1-dossier01", "device": "panel-1"},
                 AGENT_TOKEN)
    assert r.get_json()["ticket"] == ticket["id"], r.get_json()
    archive_now(app, redis_url)
    admin = api.login_admin()
    assert api.get("/reports/dossiers?period=day&date=2026-11-23", officer).status_code == 403
    rows = api.get("/reports/dossiers?period=day&date=2026-11-23", admin).get_json()["dossiers"]
    assert [(d["dossier"], d["ticket"], d["counter"], d["wait_seconds"], d["service_seconds"], d["rating_level"],
             d["rating_category"], d["outcome"]) for d in rows] == [
        ("000.00.12.H56-261123-0001", ticket["id"], 1, 300, 420, 3, "very_satisfied", "done")]
    assert rows[0]["officer"] == "cb1" and rows[0]["called_at"].startswith("2026-11-23T09:05")
    r = api.get("/reports/dossiers?period=day&date=2026-11-23&format=csv", admin)
    lines = list(csv.DictReader(io.StringIO(r.get_data().decode("utf-8-sig"))))
    assert r.headers["Content-Disposition"].endswith('.csv"')
    assert [(line["dossier"], line["wait_seconds"], line["rating_category"]) for line in lines] == [
        ("000.00.12.H56-261123-0001", "300", "very_satisfied")]
    assert api.get("/reports/dossiers?period=day&date=2026-11-24", admin).get_json()["dossiers"] == []
