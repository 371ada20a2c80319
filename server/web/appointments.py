"""Appointments (issue 14, parts 2 and 6), for the public page /book/<site> (or a Zalo mini-app or
the province's portal) and the kiosk: the fields and days that take bookings, a slot's places
left, a booking (a phone confirmed by a code by SMS, or a kiosk's), the booking's own page and
its cancellation, and its check-in at a kiosk. docs/one-stop.md says how to set it up."""
from __future__ import annotations

import logging
from datetime import date

from flask import Blueprint, current_app, g, jsonify, request

from ..engine.actor import Actor
from ..engine.views import booking_text
from ..errors import BadRequest
from ..security.auth import require, site_and_actor
from .api import handed_out, json_body, qr_svg

logger = logging.getLogger(__name__)

bp = Blueprint("appointments_api", __name__, url_prefix="/api/v1")


def _services():
    return current_app.extensions["qms"]


@bp.get("/sites/<site_id>/appointments")
def appointments_info(site_id):
    """Public: the fields that take bookings, the days open for booking and the rules."""
    desk = _services().appointments
    site = desk.site(site_id)
    a = site.appointments
    return jsonify({
        "site": {"id": site.id, "name": site.name, "name_en": site.name_en},
        "fields": [{"code": f.code, "name": f.name, "name_en": f.name_en, "capacity": a.capacity(f.code)}
                   for f in desk.fields(site)],
        "days": [d.isoformat() for d in desk.days(site)],
        "slot_minutes": a.slot_minutes, "per_phone": a.per_phone, "checkin_before_minutes": a.checkin_before_minutes,
        "late_minutes": a.late_minutes, "late": a.late, "otp_minutes": site.remote.otp_minutes})


@bp.get("/sites/<site_id>/appointments/slots")
def appointment_slots(site_id):
    """Public: a day's slots of a field not yet begun, with the places left in each."""
    desk = _services().appointments
    site = desk.site(site_id)
    try:
        day = date.fromisoformat(request.args.get("date", ""))
    except ValueError:
        raise BadRequest("Give the date as YYYY-MM-DD.", code="bad_slot") from None
    field = request.args.get("field")
    return jsonify({"date": day.isoformat(), "field": field, "slots": desk.slots(site, field, day)})


@bp.get("/sites/<site_id>/appointments/next")
def appointment_next(site_id):
    """The first later day with a free place in the field, and its free slots: what a kiosk offers
    when the field's numbers ran out today or the day is over."""
    desk = _services().appointments
    site = desk.site(site_id)
    today = _services().engine.local_now(site).date()
    return jsonify({"field": request.args.get("field"),
                    "offer": desk.next_free(site, request.args.get("field"), today)})


@bp.post("/sites/<site_id>/appointments")
def book(site_id):
    """A place in a slot. From a phone: with the phone number and the code sent to it by SMS
    (public). From a kiosk (its token): no phone; the slip is printed."""
    svc = _services()
    desk = svc.appointments
    site = desk.site(site_id)
    _, actor = site_and_actor(site.id)
    body = json_body({"field": str, "date": str, "time": str, "phone": str, "code": str},
                     required=("field", "date", "time"))
    if actor is not None and actor.kind == "kiosk":
        booking = desk.book(site, desk.slot(site, body["field"], body["date"], body["time"]), phone_key="",
                            actor=actor)
        url = svc.public_url(booking["link"])
        booking["print"] = svc.devices.print_text(site, actor.id, lambda: booking_text(site, booking, url, g.lang),
                                                  f"booking={booking['code']}")
        return jsonify(booking), 201
    if "phone" not in body or "code" not in body:
        raise BadRequest("Give the phone number and the code sent to it by SMS.", code="missing_parameter",
                         details={"missing": [k for k in ("phone", "code") if k not in body]})
    slot = desk.slot(site, body["field"], body["date"], body["time"])   # checked before the code is used up
    phone_key = svc.remote.check_code(site, body["phone"], body["code"])
    booking = desk.book(site, slot, phone_key=phone_key, actor=Actor("remote", phone_key[:12], site.id))
    return jsonify(booking), 201


@bp.get("/sites/<site_id>/appointments/<token>")
def booking_view(site_id, token):
    """Public (the link is the secret): the booking, its state and when to check in."""
    desk = _services().appointments
    return jsonify(desk.view(desk.site(site_id), token))


@bp.get("/sites/<site_id>/appointments/<token>/qr.svg")
def booking_qr(site_id, token):
    """The QR code of the booking's page: scanned at a kiosk on the day, it checks the booking in."""
    desk = _services().appointments
    site = desk.site(site_id)
    desk.view(site, token)   # 404 for a token that is not a booking's
    return qr_svg(_services().public_url(f"/a/{site.id}/{token}"))


@bp.post("/sites/<site_id>/appointments/<token>/cancel")
def booking_cancel(site_id, token):
    """Public (the link is the secret): give the place back, before checking in."""
    desk = _services().appointments
    site = desk.site(site_id)
    json_body({})
    return jsonify(desk.cancel(site, token, Actor("visitor", "phone", site.id)))


@bp.post("/sites/<site_id>/appointments/checkin")
def booking_check_in(site_id):
    """A kiosk scanned a booking's QR code (``code``: its link) or the visitor typed its six digits:
    the visitor's number, printed (it joins its line at the slot's time)."""
    svc = _services()
    _, actor = site_and_actor(site_id)
    actor = require(actor, "kiosk", "officer")
    site = svc.appointments.site(site_id)
    body = json_body({"code": str, "idempotency_key": str}, required=("code",))
    key = body.get("idempotency_key") or request.headers.get("Idempotency-Key")
    ticket = svc.appointments.check_in(site, body["code"], actor, key)
    return handed_out(site, actor, ticket)
