"""Numbers taken away from the hall (issue 14, part 1): a citizen picks a field on a public page
(or a portal calls the same API), confirms a phone number with a code sent by SMS, and gets a
number that ranks exactly like a kiosk's; caps per field and per phone keep touts out; a number
not confirmed at a kiosk by its time lapses when its turn comes."""
from __future__ import annotations

import logging
import re

import pytest

from server.config import parse_config

from ..hall import KIOSK_TOKEN, OTHER_SITE_KIOSK_TOKEN, hall_document

REMOTE = {"enabled": True, "opens_before_minutes": 60, "per_phone": 1, "caps": {"DD": 2, "default": 10},
          "arrive_within_minutes": 60}


@pytest.fixture
def config(prefix, tmp_path):
    doc = hall_document(prefix, remote=REMOTE)
    doc["server"]["data_dir"] = str(tmp_path / "data")
    return parse_config(doc)


class Phone:
    """A citizen's phone: asks for a code, reads it from the SMS (the log adapter's line)."""

    def __init__(self, api, caplog, number: str):
        self.api, self.caplog, self.number = api, caplog, number

    def code(self) -> str:
        self.caplog.clear()
        with self.caplog.at_level(logging.INFO, logger="server.engine.remote_desk"):
            r = self.api.post("/remote/code", {"phone": self.number})
        assert r.status_code == 202, r.get_json()
        sms = [rec.getMessage() for rec in self.caplog.records if rec.getMessage().startswith("sms to=")]
        assert len(sms) == 1 and self.number.replace(" ", "")[-3:] in sms[0], sms
        return re.search(r": (\d{6})\. Hieu luc", sms[0]).group(1)

    def take(self, field: str, code: str | None = None):
        return self.api.post("/remote/tickets", {"phone": self.number, "code": code or self.code(), "field": field})


def test_a_number_taken_by_phone_ranks_like_a_kiosk_ticket(api, client, caplog, clock):
    first = api.issue("TP")
    info = api.get("/remote").get_json()
    assert info["taking"] is True and info["per_phone"] == 1
    fields = {f["code"]: f for f in info["fields"]}
    assert (fields["TP"]["waiting"], fields["TP"]["left"], fields["DD"]["left"]) == (1, 10, 2)
    phone = Phone(api, caplog, "0912 345 678")
    code = phone.code()
    r = phone.take("TP", code="000000" if code != "000000" else "111111")
    assert r.status_code == 401 and r.get_json()["error"]["code"] == "bad_code_given", r.get_json()
    r = phone.take("TP", code=code)
    assert r.status_code == 201, r.get_json()
    ticket = r.get_json()
    assert (ticket["label"], ticket["people_ahead"]) == ("1002", 1)
    assert ticket["remote"] == {"arrive_by": "2026-11-23T10:00:00+07:00", "checked_in_at": None}
    assert f"/t/hcc/{ticket['token']}" in ticket["status_url"]
    assert client.get(f"/t/hcc/{ticket['token']}").status_code == 200   # the phone page follows it
    # The code is used up; a second number for the same phone is refused.
    r = phone.take("TP", code=code)
    assert r.status_code == 401 and r.get_json()["error"]["code"] == "code_expired"
    clock.advance(minutes=2)
    r = phone.take("XD")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "remote_phone_limit", r.get_json()
    # The kiosk's next number ranks after it: one line, one order.
    assert api.issue("TP")["label"] == "1003"
    assert [first["label"], ticket["label"]] == ["1001", "1002"]


def test_a_field_gives_its_remote_share_and_no_more(api, caplog):
    for n, number in enumerate(("0912000001", "0912000002")):
        r = Phone(api, caplog, number).take("DD")
        assert r.status_code == 201 and r.get_json()["label"] == f"200{n + 1}", r.get_json()
    r = Phone(api, caplog, "0912000003").take("DD")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "remote_cap_reached", r.get_json()
    assert {f["code"]: f["left"] for f in api.get("/remote").get_json()["fields"]}["DD"] == 0
    assert api.issue("DD")["label"] == "2003"   # the hall's own numbers are not the remote share


def test_numbers_are_taken_from_an_hour_before_opening(api, caplog, clock):
    clock.advance(days=2, hours=-3)             # Wednesday 06:00 (the 24th is a day off)
    info = api.get("/remote").get_json()
    assert (info["taking"], info["opens_at"]) == (False, "2026-11-25T06:30+07:00")
    r = Phone(api, caplog, "0987654321").take("TP")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "outside_opening_hours"
    clock.advance(minutes=45)                   # 06:45: the window is open, the hall is not
    assert api.get("/remote").get_json()["taking"] is True
    r = Phone(api, caplog, "0987654322").take("TP")
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["remote"]["arrive_by"] == "2026-11-25T08:30:00+07:00"   # an hour after opening
    r = api.post("/tickets", {"field": "TP"}, KIOSK_TOKEN)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "outside_opening_hours"


def test_an_unconfirmed_number_lapses_at_its_turn_and_a_confirmed_one_does_not(api, caplog, clock):
    late = Phone(api, caplog, "0901000001").take("TP").get_json()
    here = Phone(api, caplog, "0901000002").take("TP").get_json()
    walk_in = api.issue("TP")
    r = api.post("/tickets/checkin", {"link": here["status_url"]}, KIOSK_TOKEN)
    assert r.status_code == 200 and r.get_json()["remote"]["checked_in_at"].startswith("2026-11-23T09:00"), r.get_json()
    r = api.post("/tickets/checkin", {"link": walk_in["status_url"]}, KIOSK_TOKEN)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "not_remote"
    r = api.post("/tickets/checkin", {"link": here["status_url"]}, OTHER_SITE_KIOSK_TOKEN)
    assert r.status_code in (400, 403), r.get_json()
    clock.advance(minutes=61)                   # 10:01: the first was to be confirmed by 10:00
    api.login(1)
    api.act(1, "open")
    called = api.act(1, "call-next").get_json()
    assert called["id"] == here["id"], called   # the lapsed one left the line when its turn came
    lapsed = api.get(f"/tickets/{late['id']}", KIOSK_TOKEN).get_json()
    assert (lapsed["state"], lapsed["reason"]) == ("cancelled", "remote_lapsed")
    r = api.post("/tickets/checkin", {"link": late["status_url"]}, KIOSK_TOKEN)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "wrong_state"
    api.act(1, "finish")
    assert api.act(1, "call-next").get_json()["id"] == walk_in["id"]


def test_bad_requests_are_refused_in_words_and_change_nothing(api, caplog):
    for body, status, code in (({"phone": "12345"}, 400, "bad_phone"), ({"phone": "+1 202 555 0100"}, 400, "bad_phone"),
                               ({"phone": 912345678}, 400, "bad_parameter")):
        r = api.post("/remote/code", body)
        assert (r.status_code, r.get_json()["error"]["code"]) == (status, code), (body, r.get_json())
    phone = Phone(api, caplog, "0933 222 111")
    phone.code()
    r = api.post("/remote/code", {"phone": "0933222111"})
    assert r.status_code == 429 and r.get_json()["error"]["code"] == "code_asked_too_often"
    for body, code in (({"phone": "0933222111", "code": "12", "field": "TP"}, "bad_code"),
                       ({"phone": "0933222111", "code": "123456", "field": "NOPE"}, "unknown_field")):
        r = api.post("/remote/tickets", body)
        assert r.status_code == 400 and r.get_json()["error"]["code"] == code, (body, r.get_json())
    r = api.client.get("/api/v1/sites/xa/remote")
    assert r.status_code == 404 and r.get_json()["error"]["code"] == "remote_disabled"
    assert api.state()["waiting"]["TP"]["waiting"] == 0
    # Five wrong codes and the code is void, even the right one.
    code = Phone(api, caplog, "0944111222").code()
    for _ in range(5):
        api.post("/remote/tickets", {"phone": "0944111222", "code": "999999" if code != "999999" else "888888",
                                     "field": "TP"})
    r = api.post("/remote/tickets", {"phone": "0944111222", "code": code, "field": "TP"})
    assert r.status_code == 429 and r.get_json()["error"]["code"] == "code_locked", r.get_json()


def test_an_admin_changes_the_terms_live_and_they_are_audited(api):
    admin = api.login_admin()
    assert api.get("/setup/remote", admin).get_json() == {
        "enabled": True, "opens_before_minutes": 60, "per_phone": 1, "caps": {"DD": 2, "default": 10},
        "arrive_within_minutes": 60, "otp_minutes": 5, "sms": "log"}
    r = api.put("/setup/remote", {"per_phone": 2, "caps": {"DD": 5, "ZZ": 1}}, admin)
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "bad_remote", r.get_json()
    assert "unknown field 'ZZ'" in r.get_json()["error"]["message"]
    assert api.get("/remote").get_json()["per_phone"] == 1   # refused: nothing changed
    r = api.put("/setup/remote", {"per_phone": 2, "caps": {"DD": 5}}, admin)
    assert r.status_code == 200 and r.get_json()["caps"] == {"DD": 5}, r.get_json()
    info = api.get("/remote").get_json()
    assert info["per_phone"] == 2
    # DD: its remote share; the others: the numbers left in their range today.
    assert {f["code"]: f["left"] for f in info["fields"]} == {"TP": 999, "DD": 5, "XD": 999, "KD": 999}
    # A field with a remote share cannot be removed while it has one.
    r = api.delete("/setup/fields/DD", admin)
    assert r.status_code == 409 and {"kind": "remote", "id": "DD"} in r.get_json()["error"]["details"]["named_by"]
    assert api.put("/setup/remote", {"enabled": False}, admin).status_code == 200
    r = api.get("/remote")
    assert r.status_code == 404 and r.get_json()["error"]["code"] == "remote_disabled"
    assert [a for a in api.audited(admin) if a[0] == "remote.update"] == [("remote.update", "hcc")] * 2
    assert api.put("/setup/remote", {"enabled": True}, api.login(1)).status_code == 403   # an officer
    # The SMS adapter names code the server would import: config.yaml's operator sets it, not the page.
    r = api.put("/setup/remote", {"sms": "os:system"}, admin)
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "unknown_parameter", r.get_json()
