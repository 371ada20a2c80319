"""Numbers taken away from the hall (issue 14, part 1), for the public page /remote/<site>, a
Zalo mini-app or a province portal: what each field looks like now, a code by SMS, the number;
and the kiosk's check-in of a visitor who arrives with one. docs/one-stop.md says how to set it up."""
from __future__ import annotations

import logging
import re
from datetime import timedelta

from flask import Blueprint, current_app, jsonify, request

from ..engine.actor import Actor
from ..engine.queue_engine import remote_early
from ..errors import BadRequest, NotFound
from ..security.auth import require, site_and_actor
from .api import handed_out, json_body

logger = logging.getLogger(__name__)

bp = Blueprint("remote_api", __name__, url_prefix="/api/v1")

# The phone page's link, as its QR code holds it: …/t/<site>/<token>
PHONE_LINK = re.compile(r"/t/([A-Za-z0-9_-]{1,32})/([A-Za-z0-9_-]{16,64})/?(?:[?#].*)?$")


def _services():
    return current_app.extensions["qms"]


def _remote_site(site_id):
    site = _services().engine.site(site_id)
    if not site.remote.enabled:
        raise NotFound("This centre gives no numbers away from the hall.", code="remote_disabled")
    return site


@bp.get("/sites/<site_id>/remote")
def remote_info(site_id):
    """Public: whether numbers are taken now, and per field the people waiting, the estimated
    wait and the remote numbers left today."""
    site = _remote_site(site_id)
    svc = _services()
    engine = svc.engine
    local = engine.local_now(site)
    taking = engine.always_open or site.opening_hours.is_open(local) or remote_early(site, local, True)
    nxt = None if taking else site.opening_hours.next_opening(local)
    snapshot = engine.snapshot(site.id)
    day = local.strftime("%Y%m%d")
    given = {k.decode() if isinstance(k, bytes) else k: int(v)
             for k, v in engine.client.hgetall(engine.keys[site.id].remote(day)).items()}
    fields = []
    for f in site.fields.values():
        if f.kind != "service":
            continue
        w = snapshot["waiting"][f.code]
        cap = site.remote.cap(f.code)
        left = None if cap is None else max(0, cap - given.get(f"f:{f.code}", 0))
        if w["remaining"] is not None:
            left = w["remaining"] if left is None else min(left, w["remaining"])
        fields.append({"code": f.code, "name": f.name, "name_en": f.name_en, "waiting": w["waiting"],
                       "estimated_wait_seconds": w["estimated_wait_seconds"], "left": left})
    return jsonify({
        "site": {"id": site.id, "name": site.name, "name_en": site.name_en},
        "taking": bool(taking),
        "opens_at": (nxt - timedelta(minutes=site.remote.opens_before_minutes)).isoformat(timespec="minutes")
        if nxt else None,
        "per_phone": site.remote.per_phone, "arrive_within_minutes": site.remote.arrive_within_minutes,
        "otp_minutes": site.remote.otp_minutes, "fields": fields})


@bp.post("/sites/<site_id>/remote/code")
def remote_code(site_id):
    """Public: send a six-digit code by SMS to the phone number given (for a remote number or a
    booking)."""
    site = _services().engine.site(site_id)
    if not site.appointments.enabled:
        _remote_site(site_id)
    body = json_body({"phone": str}, required=("phone",))
    return jsonify(_services().remote.send_code(site, body["phone"], request.remote_addr or "")), 202


@bp.post("/sites/<site_id>/remote/tickets")
def remote_ticket(site_id):
    """Public: the number, with the phone number and the code sent to it; it ranks exactly like
    a kiosk's, and its answer holds the phone page's link (status_url)."""
    site = _remote_site(site_id)
    body = json_body({"phone": str, "code": str, "field": str, "idempotency_key": str},
                     required=("phone", "code", "field"))
    svc = _services()
    local = svc.engine.local_now(site)
    svc.remote.take(site, "-", body["field"], local)   # a field it can give, before the code is used up
    phone_key = svc.remote.check_code(site, body["phone"], body["code"])
    take = svc.remote.take(site, phone_key, body["field"], local)
    ticket = svc.engine.issue(site.id, body["field"], idempotency_key=body.get("idempotency_key"),
                              actor=Actor("remote", phone_key[:12], site.id), remote=take)
    return handed_out(site, Actor("remote", phone_key[:12], site.id), ticket)


@bp.post("/sites/<site_id>/tickets/checkin")
def check_in(site_id):
    """A kiosk scanned the QR code of a phone page (a number taken away from the hall): the
    visitor is here, and the number no longer lapses."""
    site, actor = site_and_actor(site_id)
    actor = require(actor, "kiosk", "officer")
    body = json_body({"link": str}, required=("link",))
    match = PHONE_LINK.search(body["link"].strip())
    if match is None or match.group(1) != site.id:
        raise BadRequest("This is not the link of a number of this centre.", code="not_a_ticket_link")
    return jsonify(_services().engine.check_in(site.id, match.group(2), actor))
