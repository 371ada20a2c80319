"""Appointments (issue 14, part 2) and the kiosk's offer of one when a field is full (part 6): a
citizen books a slot (a phone confirmed by a code by SMS), the slot takes its capacity and no
more, the booking is checked in at a kiosk by its QR code or its six digits, and its visitor is
called at the slot's time ahead of walk-ins; early, late, cancelled and missed bookings are
handled and counted."""
from __future__ import annotations

import json

import pytest

from server.config import parse_config

from ..hall import KIOSK_TOKEN, hall_document
from .test_remote_tickets import Phone

APPOINTMENTS = {"enabled": True, "slot_minutes": 30, "capacity": {"TP": 2, "DD": 1, "default": 0},
                "per_phone": 1, "checkin_before_minutes": 30, "late_minutes": 15}


def hall_config(prefix, tmp_path, **appointments):
    doc = hall_document(prefix, appointments={**APPOINTMENTS, **appointments})
    doc["server"]["data_dir"] = str(tmp_path / "data")
    return parse_config(doc)


def serve_and_call_next(api, counter: int = 1) -> str:
    """The officer serves the visitor called, then finishes and calls the next: its number."""
    assert api.act(counter, "start").status_code == 200
    r = api.act(counter, "call-next", {"finish_current": True})
    assert r.status_code == 200, r.get_json()
    return r.get_json()["label"]


@pytest.fixture
def config(prefix, tmp_path, request):
    """The hall with appointments; a test parametrized indirectly changes some of their rules."""
    return hall_config(prefix, tmp_path, **getattr(request, "param", {}))


def book(api, caplog, clock, phone: str, field: str, day: str, at: str):
    """A booking from a phone, its code read from the SMS (a minute later: a code a minute)."""
    code = Phone(api, caplog, phone).code()
    clock.advance(minutes=1)
    return api.post("/appointments", {"phone": phone, "code": code, "field": field, "date": day, "time": at})


def test_a_slot_takes_its_capacity_and_a_phone_its_share(api, caplog, client, clock):
    info = api.get("/appointments").get_json()
    assert [f["code"] for f in info["fields"]] == ["TP", "DD"]   # capacity 0: XD and KD take none
    # Today (Monday), then Wednesday on: Tuesday 24 is a day off, Sunday is closed.
    assert info["days"][:4] == ["2026-11-23", "2026-11-25", "2026-11-26", "2026-11-27"]
    slots = api.get("/appointments/slots?field=TP&date=2026-11-25").get_json()["slots"]
    assert (slots[0], slots[7]["time"], slots[8]["time"], len(slots)) == (
        {"time": "07:30", "end": "08:00", "capacity": 2, "left": 2}, "11:00", "13:30", 8 + 7)
    today = api.get("/appointments/slots?field=TP&date=2026-11-23").get_json()["slots"]
    assert today[0]["time"] == "09:30"   # 09:00 now: slots begun are not offered

    first = book(api, caplog, clock, "0912000001", "TP", "2026-11-25", "08:00")
    assert first.status_code == 201, first.get_json()
    b = first.get_json()
    assert (b["status"], b["date"], b["time"], b["end"], b["checkin_from"], b["checkin_until"]) == (
        "booked", "2026-11-25", "08:00", "08:30", "2026-11-25T07:30+07:00", "2026-11-25T08:15+07:00")
    assert len(b["code"]) == 6 and b["link"].startswith("/a/hcc/")
    token = b["link"].rsplit("/", 1)[1]
    assert client.get(b["link"]).status_code == 200            # the booking's own page
    assert client.get(f"/api/v1/sites/hcc/appointments/{token}/qr.svg").mimetype == "image/svg+xml"

    r = book(api, caplog, clock, "0912000001", "TP", "2026-11-25", "09:00")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "booking_phone_limit", r.get_json()
    assert book(api, caplog, clock, "0912000002", "TP", "2026-11-25", "08:00").status_code == 201
    r = book(api, caplog, clock, "0912000003", "TP", "2026-11-25", "08:00")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "slot_full", r.get_json()
    slots = api.get("/appointments/slots?field=TP&date=2026-11-25").get_json()["slots"]
    assert slots[1] == {"time": "08:00", "end": "08:30", "capacity": 2, "left": 0}

    # Cancelled by its own link: the place is free again, and the phone may book again.
    r = api.post(f"/appointments/{token}/cancel", {})
    assert r.status_code == 200 and r.get_json()["status"] == "cancelled", r.get_json()
    assert api.get("/appointments/slots?field=TP&date=2026-11-25").get_json()["slots"][1]["left"] == 1
    assert book(api, caplog, clock, "0912000003", "TP", "2026-11-25", "08:00").status_code == 201
    assert book(api, caplog, clock, "0912000001", "TP", "2026-11-25", "10:00").status_code == 201


def test_bad_bookings_change_nothing(api, caplog, clock):
    phone = Phone(api, caplog, "0912000009")
    code = phone.code()
    for body, refusal in (({"field": "XD", "date": "2026-11-25", "time": "08:00"}, "unknown_field"),
                       ({"field": "TP", "date": "2026-11-24", "time": "08:00"}, "no_such_slot"),   # a day off
                       ({"field": "TP", "date": "2026-11-25", "time": "08:10"}, "no_such_slot"),
                       ({"field": "TP", "date": "2026-11-23", "time": "08:30"}, "no_such_slot"),   # past
                       ({"field": "TP", "date": "2027-01-25", "time": "08:00"}, "no_such_slot"),   # too far
                       ({"field": "TP", "date": "25/11/2026", "time": "08:00"}, "bad_slot")):
        r = api.post("/appointments", {"phone": phone.number, "code": code, **body})
        assert r.status_code in (400, 409) and r.get_json()["error"]["code"] == refusal, (body, r.get_json())
    # The code was not used up by the refusals: it books the slot.
    r = api.post("/appointments", {"phone": phone.number, "code": code, "field": "TP", "date": "2026-11-25",
                                   "time": "08:00"})
    assert r.status_code == 201, r.get_json()
    r = api.post("/appointments", {"field": "TP", "date": "2026-11-25", "time": "08:00"})
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "missing_parameter"
    r = api.post("/appointments", {"phone": "0912000008", "code": "123456", "field": "TP", "date": "2026-11-25",
                                   "time": "08:00"})
    assert r.status_code == 401, r.get_json()
    assert api.get("/appointments/slots?field=TP&date=2026-11-25").get_json()["slots"][1]["left"] == 1


def test_a_checked_in_visitor_is_called_at_the_slot_time_before_walk_ins(api, caplog, clock, client):
    b = book(api, caplog, clock, "0912000001", "TP", "2026-11-23", "10:00").get_json()
    walk_ins = [api.issue("TP") for _ in range(3)]
    clock.advance(minutes=20)                                     # 09:20: check-in opens at 09:30
    r = api.post("/appointments/checkin", {"code": b["code"]}, KIOSK_TOKEN)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "appointment_early", r.get_json()
    assert r.get_json()["error"]["details"]["checkin_from"] == "2026-11-23T09:30+07:00"
    clock.advance(minutes=15)                                     # 09:35: checked in by its six digits
    r = api.post("/appointments/checkin", {"code": b["code"]}, KIOSK_TOKEN)
    assert r.status_code == 201, r.get_json()
    ticket = r.get_json()
    assert ticket["appointment"] == {"code": b["code"], "due_at": "2026-11-23T10:00:00+07:00", "late": False}
    assert ticket["label"] == "1004" and ticket["booking"]["status"] == "booked"
    again = api.post("/appointments/checkin", {"code": b["code"]}, KIOSK_TOKEN)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "booking_used"
    assert again.get_json()["error"]["details"]["label"] == "1004"
    assert api.get(f"/appointments/{b['link'].rsplit('/', 1)[1]}").get_json()["status"] == "checked_in"

    api.login(1)
    api.act(1, "open")
    assert api.act(1, "call-next").get_json()["label"] == walk_ins[0]["label"]   # 09:35: not its time yet
    clock.advance(minutes=26)                                     # 10:01: its slot has begun
    assert serve_and_call_next(api) == "1004"                     # before the walk-ins who came earlier
    assert serve_and_call_next(api) == walk_ins[1]["label"]


@pytest.mark.parametrize("config", [{"order": "priority", "weight": 2}], indirect=True)
def test_the_priority_order_lets_walk_ins_through_by_the_ratio(api, caplog, clock):
    bookings = [book(api, caplog, clock, f"091200000{n}", "TP", "2026-11-23", "09:30").get_json() for n in (1, 2)]
    elderly = api.issue("TP", priority="elderly")
    walk_in = api.issue("TP")
    clock.advance(minutes=31)
    for b in bookings:
        assert api.post("/appointments/checkin", {"code": b["code"]}, KIOSK_TOKEN).status_code == 201
    api.login(1)
    api.act(1, "open")
    called = [api.act(1, "call-next").get_json()["label"]] + [serve_and_call_next(api) for _ in range(3)]
    # Weight 2 goes before the elderly visitor's 1; after two priority calls (ratio 2:1) a walk-in.
    assert called == ["1003", "1004", walk_in["label"], elderly["label"]], called


def test_late_and_cancelled_bookings(api, caplog, clock):
    late = book(api, caplog, clock, "0912000001", "TP", "2026-11-23", "09:30").get_json()
    gone = book(api, caplog, clock, "0912000002", "TP", "2026-11-23", "09:30").get_json()
    api.post(f"/appointments/{gone['link'].rsplit('/', 1)[1]}/cancel", {})
    clock.advance(minutes=50)                                     # 09:50: 09:30 + 15 minutes has passed
    r = api.post("/appointments/checkin", {"code": gone["code"]}, KIOSK_TOKEN)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "booking_cancelled"
    walk_in = api.issue("TP")
    r = api.post("/appointments/checkin", {"code": late["code"]}, KIOSK_TOKEN)
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["appointment"]["late"] is True and r.get_json()["people_ahead"] == 1   # an ordinary number
    r = api.post("/appointments/checkin", {"code": "000000" if late["code"] != "000000" else "111111"}, KIOSK_TOKEN)
    assert r.status_code == 404 and r.get_json()["error"]["code"] == "booking_not_found"
    assert walk_in["label"] == "1001"



@pytest.mark.parametrize("config", [{"late": "refuse"}], indirect=True)
def test_a_late_booking_may_be_refused(api, caplog, clock):
    b = book(api, caplog, clock, "0912000003", "TP", "2026-11-23", "09:30").get_json()
    clock.advance(minutes=46)                                     # 09:46
    r = api.post("/appointments/checkin", {"code": b["code"]}, KIOSK_TOKEN)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "appointment_late", r.get_json()
    assert api.get(f"/appointments/{b['link'].rsplit('/', 1)[1]}").get_json()["status"] == "missed"


def test_the_qr_code_checks_in_on_its_day_only(api, caplog, clock):
    b = book(api, caplog, clock, "0912000001", "TP", "2026-11-25", "08:00").get_json()
    link = "https://hcc.example.gov.vn" + b["link"]
    r = api.post("/appointments/checkin", {"code": link}, KIOSK_TOKEN)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "booking_other_day"
    clock.advance(days=2, hours=-1, minutes=-25)                  # Wednesday 07:35
    r = api.post("/appointments/checkin", {"code": link}, KIOSK_TOKEN)
    assert r.status_code == 201 and r.get_json()["appointment"]["code"] == b["code"], r.get_json()
    r = api.post("/appointments/checkin", {"code": "hello"}, KIOSK_TOKEN)
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "bad_booking_code"
    assert api.post("/appointments/checkin", {"code": b["code"]}).status_code == 401   # kiosks and officers only


def test_a_full_field_offers_a_booking_for_the_next_day_at_the_kiosk(api):
    for _ in range(5):
        api.issue("DD")                                           # DD gives five numbers a day
    r = api.post("/tickets", {"field": "DD"}, KIOSK_TOKEN)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "daily_cap_reached"
    offer = api.get("/appointments/next?field=DD").get_json()["offer"]
    assert offer["date"] == "2026-11-25" and offer["slots"][0] == {"time": "07:30", "end": "08:00", "capacity": 1,
                                                                   "left": 1}
    r = api.post("/appointments", {"field": "DD", "date": "2026-11-25", "time": "07:30"}, KIOSK_TOKEN)
    assert r.status_code == 201, r.get_json()
    slip = r.get_json()
    assert slip["status"] == "booked" and slip["print"] == {"status": "no_printer"}
    offer = api.get("/appointments/next?field=DD").get_json()["offer"]
    assert offer["slots"][0]["time"] == "08:00"                   # that place is taken now


def test_the_report_counts_kept_late_cancelled_and_missed_bookings(api, app, caplog, clock, redis_url):
    from ..helpers import archive_now

    kept, late, gone, missed = (book(api, caplog, clock, f"091200001{n}", "TP", "2026-11-23", "09:30").get_json()
                                if n < 2 else
                                book(api, caplog, clock, f"091200001{n}", "TP", "2026-11-23", "10:00").get_json()
                                for n in range(4))
    upcoming = book(api, caplog, clock, "0912000020", "DD", "2026-11-23", "16:00").get_json()
    api.post(f"/appointments/{gone['link'].rsplit('/', 1)[1]}/cancel", {})
    clock.advance(minutes=26)                                     # 09:30
    assert api.post("/appointments/checkin", {"code": kept["code"]}, KIOSK_TOKEN).status_code == 201
    clock.advance(minutes=20)                                     # 09:50: past 09:30's grace
    assert api.post("/appointments/checkin", {"code": late["code"]}, KIOSK_TOKEN).status_code == 201
    clock.advance(minutes=30)                                     # 10:20: 10:00's grace is over, nobody came
    archive_now(app, redis_url)
    admin = api.login_admin()
    figures = api.get("/reports?period=day&date=2026-11-23", admin).get_json()["appointments"]
    assert figures["total"] == {"booked": 5, "kept": 1, "late": 1, "cancelled": 1, "missed": 1, "upcoming": 1,
                                "no_show_rate": round(1 / 3, 4)}, figures
    assert [(r["field"], r["booked"], r["missed"]) for r in figures["by_field"]] == [("TP", 4, 1), ("DD", 1, 0)]
    assert upcoming["status"] == "booked" and missed["status"] == "booked"
    html = api.client.get("/admin/hcc?period=day&date=2026-11-23").get_data(as_text=True)
    table = html[html.index('id="appointments"'):]
    assert "Vắng mặt" in table and "<td>33.3%</td>" in table, table[:3000]


def test_screens_are_not_told_booking_codes(api, caplog, clock, engine):
    from server.engine.views import public_event

    b = book(api, caplog, clock, "0912000001", "TP", "2026-11-23", "09:30").get_json()
    entries = engine.client.xrange(engine.keys["hcc"].events)
    booked = [public_event(engine.site("hcc"), {k.decode(): v.decode() for k, v in fields.items()})
              for _, fields in entries if fields[b"type"] == b"appointment.booked"]
    assert booked and booked[-1]["booking"] == {"field": "TP", "slot": "0930", "status": "booked"}
    assert b["code"] not in json.dumps(booked[-1])


def test_an_admin_sets_the_places_per_slot_live_and_it_is_audited(api, caplog, clock):
    admin = api.login_admin()
    settings = api.get("/setup/appointments", admin).get_json()
    assert (settings["enabled"], settings["capacity"], settings["late"], settings["order"]) == (
        True, {"TP": 2, "DD": 1, "default": 0}, "walk_in", "first")
    r = api.put("/setup/appointments", {"capacity": {"TP": 3, "ZZ": 1}}, admin)
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "bad_appointments", r.get_json()
    r = api.put("/setup/appointments", {"late": "never"}, admin)
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "bad_appointments", r.get_json()
    assert api.get("/appointments/slots?field=TP&date=2026-11-25").get_json()["slots"][0]["capacity"] == 2
    r = api.put("/setup/appointments", {"capacity": {"TP": 3, "XD": 1, "default": 0}}, admin)
    assert r.status_code == 200 and r.get_json()["capacity"] == {"TP": 3, "XD": 1, "default": 0}, r.get_json()
    assert api.get("/appointments/slots?field=TP&date=2026-11-25").get_json()["slots"][0]["capacity"] == 3
    assert [f["code"] for f in api.get("/appointments").get_json()["fields"]] == ["TP", "XD"]   # DD: none now
    # A field taking bookings cannot be removed while its places are set.
    r = api.delete("/setup/fields/XD", admin)
    assert r.status_code == 409 and {"kind": "appointments", "id": "XD"} in r.get_json()["error"]["details"]["named_by"]
    assert api.put("/setup/appointments", {"enabled": False}, admin).status_code == 200
    r = api.get("/appointments")
    assert r.status_code == 404 and r.get_json()["error"]["code"] == "appointments_disabled"
    assert [a for a in api.audited(admin) if a[0] == "appointments.update"] == [("appointments.update", "hcc")] * 2
    assert api.put("/setup/appointments", {"enabled": True}, api.login(1)).status_code == 403   # an officer


def test_an_idle_counter_serves_a_visitor_checked_in_early(api, caplog, clock):
    """Called at its time when others wait; but nobody is left sitting before an idle counter."""
    b = book(api, caplog, clock, "0912000001", "TP", "2026-11-23", "10:00").get_json()
    clock.advance(minutes=35)                                     # 09:36: checked in for 10:00
    ticket = api.post("/appointments/checkin", {"code": b["code"]}, KIOSK_TOKEN).get_json()
    api.login(1)
    api.act(1, "open")
    r = api.act(1, "call-next")
    assert r.status_code == 200 and r.get_json()["label"] == ticket["label"], r.get_json()


def test_the_slip_of_a_booking_made_at_the_kiosk_prints(api, engine):
    """The words of the slip, laid out as a ticket, sent as ESC/POS raster and decoded back."""
    from pathlib import Path

    from hardware import escpos, raster_decode
    from hardware.ticket_image import TicketText, render
    from server.engine.views import booking_text

    r = api.post("/appointments", {"field": "DD", "date": "2026-11-25", "time": "07:30"}, KIOSK_TOKEN)
    booking = r.get_json()
    text = booking_text(engine.site("hcc"), booking, "http://192.168.1.10:8080" + booking["link"], "vi")
    assert (text["number_caption"], text["label"], text["field"]) == ("MÃ LỊCH HẸN", booking["code"], "Đất đai")
    assert text["lines"] == ["Thứ Tư, 25/11/2026, 07:30–08:00", "Quét mã này tại ki-ốt từ 07:00 đến 07:45."]
    image = render(TicketText.from_json(text), 80)
    printout = raster_decode.decode(escpos.ticket_job(image))
    assert printout.cuts == 1 and printout.image(image.width).tobytes() == image.tobytes()
    out = Path(__file__).resolve().parents[2] / "test-artifacts"
    out.mkdir(exist_ok=True)
    image.save(out / "booking-slip.png")


def test_a_kiosk_cannot_take_a_days_places_in_a_flood(api, caplog, clock):
    """Bookings at a kiosk count against its slips a minute (``kiosk_tickets_per_minute``,
    numbers and bookings together), as a stuck button or a script there would give: the rest
    are refused with 429 and take no place; a phone, and the next minute, are unaffected."""
    import logging

    for _ in range(27):
        api.issue("TP")                                   # a busy minute at the kiosk: 27 numbers
    slots = [("2026-11-25", f"{h:02d}:{m:02d}") for h in (7, 8, 9, 10) for m in (0, 30)][1:]
    booked = []
    with caplog.at_level(logging.WARNING):
        for day, at in slots[:5]:
            r = api.post("/appointments", {"field": "DD", "date": day, "time": at}, KIOSK_TOKEN)
            booked.append(r.status_code)
    assert booked == [201, 201, 201, 429, 429]            # 27 numbers + 3 bookings: the kiosk's 30
    refused = r.get_json()["error"]
    assert refused["code"] == "kiosk_rate_limited" and r.headers["Retry-After"]
    assert sum("kiosk-flood" in m for m in caplog.messages) == 1
    offer = api.get("/appointments/next?field=DD").get_json()["offer"]
    assert [s["time"] for s in offer["slots"][:2]] == ["09:00", "09:30"]   # a refused booking took no place
    assert api.post("/tickets", {"field": "TP"}, KIOSK_TOKEN).status_code == 429
    assert book(api, caplog, clock, "0912345678", "DD", *slots[3]).status_code == 201   # a phone books
    r = api.post("/appointments", {"field": "DD", "date": slots[4][0], "time": slots[4][1]}, KIOSK_TOKEN)
    assert r.status_code == 201                            # the next minute (book() moved the clock)
