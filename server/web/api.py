"""REST API under /api/v1: parse and check input, ask the queue engine, answer JSON.

Every refusal is ``{"error": {"code", "message"}}`` with a 4xx status and changes nothing.
The rules of the queue are not here: see queue_engine.py and server/lua.
"""
from __future__ import annotations

import io
import logging
from collections.abc import Callable
from importlib import resources
from typing import Any

import qrcode
import qrcode.constants
import yaml
from flask import Blueprint, Response, current_app, g, jsonify, make_response, request
from qrcode.image.svg import SvgPathImage
from sqlalchemy.exc import SQLAlchemyError

from hardware.ticket_image import TicketText
from hardware.ticket_image import render as render_ticket

from ..engine.actor import Actor
from ..engine.counter_actions import check_target, ending_sessions_of_the_replaced, run_action
from ..engine.keys import PROVINCE
from ..engine.queue_engine import PRESS_MAX_AGE_SECONDS
from ..engine.ratings import record_press
from ..engine.receipts import dossier_code
from ..engine.views import hall_json, ticket_text
from ..errors import (
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    Unauthorized,
)
from ..history.dossier_export import received_field
from ..params import check_params
from ..security.auth import SESSION_COOKIE, require, require_counter, require_reader, site_and_actor
from ..security.sessions import fingerprint

logger = logging.getLogger(__name__)

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def services():
    return current_app.extensions["qms"]


def request_json() -> Any:
    """The request body parsed as JSON; an empty body is an empty object."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}
    if not request.is_json:
        raise BadRequest("Send the body as JSON (Content-Type: application/json).", code="not_json")
    try:
        data = request.get_json(silent=True)
    except RecursionError:  # nested thousands deep: no request of ours is
        raise BadRequest("The body is nested too deeply.", code="malformed_json") from None
    if data is None:
        raise BadRequest("The body is not valid JSON.", code="malformed_json")
    return data


def json_body(schema: dict[str, type | tuple[type, ...]], required: tuple[str, ...] = ()) -> dict[str, Any]:
    """The request's JSON object, checked against ``schema`` (name -> type); unknown keys refused."""
    return check_params(request_json(), schema, required)


# -- the server --------------------------------------------------------------------------
@bp.get("/health")
def health():
    """200 when the hall can work; otherwise 503 saying what is wrong ("redis: disk full, writes refused")."""
    svc = services()
    store = svc.store_status()
    if store["status"] != "ok":
        return jsonify({"error": {"code": "store_unavailable", "message": store["message"],
                                  "details": {"redis": store}}}), 503
    return jsonify({"status": "ok", "sites": list(svc.config.sites), "redis": store})


@bp.get("/openapi.yaml")
def openapi_yaml():
    text = (resources.files("server") / "openapi.yaml").read_text(encoding="utf-8")
    return Response(text, mimetype="application/yaml")


@bp.get("/openapi.json")
def openapi_json():
    text = (resources.files("server") / "openapi.yaml").read_text(encoding="utf-8")
    return jsonify(yaml.safe_load(text))


@bp.get("/sites")
def list_sites():
    return jsonify({"sites": [{"id": s.id, "name": s.name, "name_en": s.name_en}
                              for s in services().config.sites.values()]})


@bp.get("/sites/<site_id>/hall")
def hall(site_id):
    """What screens need to draw the hall: fields, counters, priority categories, hours."""
    site, actor = site_and_actor(site_id)
    require(actor, "officer", "kiosk", "display", "agent")
    return jsonify(hall_json(site))


# -- signing in --------------------------------------------------------------------------
@bp.post("/sites/<site_id>/login")
def login(site_id):
    site, _ = site_and_actor(site_id)
    body = json_body({"username": str, "password": str, "counter": int, "take_over": bool},
                     required=("username", "password"))
    svc = services()
    address = request.remote_addr or ""
    svc.guard.attempt(site.id, body["username"], address)  # counted before the check, in one step
    officer = svc.auth.check_password(site, body["username"], body["password"])
    if officer is None:
        raise Unauthorized("Wrong username or password.", code="bad_credentials")
    svc.guard.passed(site.id, body["username"], address)
    counter = body.get("counter")
    if counter is None and officer.role == "officer":
        # Only the leader's pages sign in without a counter.
        raise Forbidden("This account is not an administrator: officers sign in at their counter's screen.",
                        code="not_admin")
    if counter is not None and officer.role == "leader":
        raise Forbidden("A leader reads reports and serves at no counter.", code="not_an_officer")
    if counter is not None:
        if counter not in site.counters:
            raise BadRequest(f"Unknown counter {counter!r}.", code="unknown_counter")
        if not officer.is_admin and counter not in officer.counters:
            raise Forbidden(f"You are not assigned to counter {counter}.", code="not_your_counter")
    actor = Actor("leader" if officer.role == "leader" else "officer", officer.username, site.id, counter,
                  officer.is_admin)
    counter_state = None
    if counter is not None:
        counter_state = svc.engine.open_counter(site.id, counter, actor, take_over=bool(body.get("take_over")),
                                                on_take_over=ending_sessions_of_the_replaced(svc.auth, site, counter))
    session_id = svc.sessions.create(site.id, officer.username, counter, fingerprint(officer.password_hash))
    logger.info("login site=%s officer=%s counter=%s", site.id, officer.username, counter)
    return signed_in(session_id, {"officer": officer.username, "name": officer.name, "role": officer.role,
                                   "counter": counter_state})


def signed_in(session_id: str, answer: dict) -> Response:
    """The answer that opens a session: its token, and the same in the HttpOnly cookie the
    pages carry (SameSite=Strict; Secure behind HTTPS)."""
    seconds = services().config.server.session_seconds
    response = make_response(jsonify({"token": session_id, **answer, "expires_in": seconds}))
    response.set_cookie(SESSION_COOKIE, session_id, max_age=seconds, httponly=True, samesite="Strict",
                        secure=request.is_secure, path="/")
    return response


@bp.post("/sites/<site_id>/logout")
def logout(site_id):
    site, actor = site_and_actor(site_id)
    actor = require(actor, "officer")
    json_body({})
    svc = services()
    if actor.counter is not None:
        try:
            svc.engine.close_counter(site.id, actor.counter, actor)
        except Conflict as err:
            if err.code != "counter_closed":
                raise
    if actor.session:
        svc.auth.end_sessions(svc.sessions.end(actor.scope or site.id, actor.session), "signed out")
    logger.info("logout site=%s officer=%s counter=%s", site.id, actor.id, actor.counter)
    response = make_response("", 204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@bp.get("/sites/<site_id>/me")
def me(site_id):
    site, actor = site_and_actor(site_id)
    actor = require(actor, "officer", "leader", "kiosk", "display", "agent")
    out = {"kind": actor.kind, "id": actor.id, "site": site.id, "counter": actor.counter, "admin": actor.is_admin}
    if actor.kind in ("officer", "leader"):
        person = site.officers.get(actor.id) or services().config.province.users[actor.id]
        out.update(name=person.name, province=actor.scope == PROVINCE,
                   counters=list(site.counters) if person.is_admin else list(getattr(person, "counters", ())))
    else:
        client = {"kiosk": site.kiosks, "display": site.displays, "agent": site.agents}[actor.kind][actor.id]
        out.update(name=client.name, fields=list(client.fields), counters=list(client.counters))
        if actor.kind == "display":
            out.update(notice=client.notice, voice=client.voice, voice_repeat=client.voice_repeat,
                       voice_speed=client.voice_speed,
                       read_digits=client.read_digits, recent_calls=client.recent_calls, layout=client.layout)
    return jsonify(out)


@bp.post("/sites/<site_id>/kiosk/unlock")
def kiosk_unlock(site_id):
    """The maintenance PIN of a kiosk; a few wrong tries lock it for five minutes."""
    site, actor = site_and_actor(site_id)
    actor = require(actor, "kiosk")
    body = json_body({"pin": str}, required=("pin",))
    svc = services()
    address = request.remote_addr or ""
    svc.guard.attempt(site.id, actor.id, address, scope="pin")
    if not site.kiosk_pin_hash or not svc.auth.passwords.check(site.kiosk_pin_hash, body["pin"]):
        logger.warning("kiosk-unlock-failed site=%s kiosk=%s", site.id, actor.id)
        raise Unauthorized("Wrong PIN.", code="bad_pin")
    svc.guard.passed(site.id, actor.id, address, scope="pin")
    logger.info("kiosk-unlock site=%s kiosk=%s", site.id, actor.id)
    return jsonify(svc.qr_check())  # the maintenance menu shows where the tickets' QR codes lead


@bp.get("/sites/<site_id>/procedures")
def procedures(site_id):
    """Search the procedure catalogue (public: the same list is posted in the hall)."""
    site = services().engine.site(site_id)
    query = request.args.get("q", "")[:100]
    field = request.args.get("field") or None
    if field is not None and field not in site.fields:
        raise BadRequest(f"Unknown field {field!r}.", code="unknown_field")
    found = site.catalogue.search(query, field) if site.catalogue else []
    return jsonify({"procedures": [p.to_json() for p in found]})


# -- tickets -------------------------------------------------------------------------------
ISSUE_BODY: dict[str, type | tuple[type, ...]] = {"field": str, "priority": str, "idempotency_key": str,
                                                  "dossiers": int, "then": list}


@bp.post("/sites/<site_id>/tickets")
def issue_ticket(site_id):
    site, actor = site_and_actor(site_id)
    answer, status = issue_from(services(), site, actor, request_json, request.headers.get("Idempotency-Key"),
                                g.lang, request.environ)
    return jsonify(answer), status


def issue_from(svc, site, actor: Actor | None, body_json: Callable[[], Any], header_key: str | None, lang: str,
               environ: dict) -> tuple[dict, int]:
    """A kiosk's or an officer's ticket from the request's JSON body (read once the asker is
    known to be allowed), and its status: the work of the route above, which the lean path
    (lean_issue.py) does too."""
    actor = require(actor, "kiosk", "officer")
    body = check_params(body_json(), ISSUE_BODY, ("field",))
    key = body.get("idempotency_key") or header_key
    ticket = svc.engine.issue(site.id, body["field"], priority=body.get("priority"), idempotency_key=key,
                              actor=actor, dossiers=body.get("dossiers", 1), then=body.get("then"))
    return ticket_answer(svc, site, actor, ticket, lang, environ)


def handed_out(site, actor, ticket: dict):
    """A ticket just issued, with its link, printed at the kiosk that asked."""
    answer, status = ticket_answer(services(), site, actor, ticket, g.lang, request.environ)
    return jsonify(answer), status


def ticket_answer(svc, site, actor: Actor, ticket: dict, lang: str, environ: dict) -> tuple[dict, int]:
    ticket["status_url"] = svc.public_url(f"/t/{site.id}/{ticket['token']}", environ)
    if actor.kind == "kiosk":
        # A retried request must not print a second paper ticket.
        ticket["print"] = ({"status": "printed_before"} if ticket.get("replayed")
                           else svc.devices.request_print(site, actor.id, ticket, lang))
    return ticket, 200 if ticket.get("replayed") else 201


@bp.post("/sites/<site_id>/tickets/pickup")
def issue_pickup(site_id):
    """A ticket to collect a dossier's result ("trả kết quả"), from the receipt's QR code as the
    kiosk's scanner read it (or the code typed). It joins the pickup lane of the field that
    received the dossier here; a dossier this site does not know is asked its field (404
    ``dossier_not_found`` lists the choices), then sent again with ``field``."""
    site, actor = site_and_actor(site_id)
    actor = require(actor, "kiosk", "officer")
    body = json_body({"receipt": str, "field": str, "idempotency_key": str}, required=("receipt",))
    code = dossier_code(body["receipt"])
    if code is None:
        raise BadRequest("This is not a receipt's code: scan the QR code on the receipt (giấy hẹn trả kết quả) "
                         "or type the dossier code printed on it.", code="bad_receipt")
    svc = services()
    field = _received_in(site, code) or body.get("field")
    choices = _pickup_choices(site, actor)
    if field is None:
        raise NotFound(f"Dossier {code} was not received here: choose its field.", code="dossier_not_found",
                       details={"dossier": code, "fields": choices})
    if field not in site.fields or field not in {c["code"] for c in choices}:
        raise BadRequest(f"Results of field {field!r} are not collected at this kiosk.", code="unknown_field",
                         details={"fields": choices})
    key = body.get("idempotency_key") or request.headers.get("Idempotency-Key")
    ticket = svc.engine.issue(site.id, site.fields[field].pickup_lane(), idempotency_key=key, actor=actor,
                              pickup=code)
    ticket["received_in"] = field
    return handed_out(site, actor, ticket)


def _received_in(site, code: str) -> str | None:
    """The field this site received dossier ``code`` in, from the archive (None: unknown here,
    or the archive cannot answer now: the visitor then chooses, and the ticket is still given)."""
    try:
        field = received_field(services().archive_sql, site.id, code)
    except SQLAlchemyError as err:
        logger.warning("pickup-lookup-failed site=%s dossier=%s: %s", site.id, code, err)
        return None
    return field if field in site.fields else None


def _pickup_choices(site, actor) -> list[dict[str, str]]:
    """The fields whose results this kiosk (or officer) can give a number to collect."""
    kiosk = site.kiosks.get(actor.id) if actor.kind == "kiosk" else None
    return [{"code": f.code, "name": f.name, "name_en": f.name_en, "lane": f.pickup_lane()}
            for f in site.fields.values()
            if f.kind == "service" and (kiosk is None or not kiosk.fields or f.pickup_lane() in kiosk.fields)]


@bp.get("/sites/<site_id>/tickets/<ticket_id>")
def get_ticket(site_id, ticket_id):
    site, actor = site_and_actor(site_id)
    require(actor, "officer", "kiosk", "display", "agent")
    return jsonify(services().engine.ticket(site.id, ticket_id))


@bp.get("/sites/<site_id>/tickets/<ticket_id>/ticket.png")
def ticket_preview(site_id, ticket_id):
    """The paper ticket as the printer would print it (officers and admins check the layout)."""
    site, actor = site_and_actor(site_id)
    require(actor, "officer")
    paper = request.args.get("paper", "80")
    if paper not in ("80", "58"):
        raise BadRequest("paper is 80 or 58.", code="bad_parameter")
    ticket = services().engine.ticket(site.id, ticket_id)
    ticket["status_url"] = services().public_url(f"/t/{site.id}/preview")  # the real link is the visitor's secret
    image = render_ticket(TicketText.from_json(ticket_text(site, ticket, g.lang)), int(paper))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return Response(buffer.getvalue(), mimetype="image/png")


@bp.post("/sites/<site_id>/tickets/<ticket_id>/cancel")
def cancel_ticket(site_id, ticket_id):
    site, actor = site_and_actor(site_id)
    actor = require(actor, "officer")
    body = json_body({"reason": str})
    reason = (body.get("reason") or "cancelled").strip()[:200] or "cancelled"
    require_field(site, actor, ticket_id)
    return jsonify(services().engine.cancel(site.id, ticket_id, actor, reason=reason))


@bp.post("/sites/<site_id>/tickets/<ticket_id>/restore")
def restore_ticket(site_id, ticket_id):
    site, actor = site_and_actor(site_id)
    actor = require(actor, "officer")
    json_body({})
    require_field(site, actor, ticket_id)
    return jsonify(services().engine.restore(site.id, ticket_id, actor))


def require_field(site, actor: Actor, ticket_id: str) -> None:
    """An officer touches only tickets of the fields their counter serves; an admin any.
    (An unknown ticket is left for the engine to answer 404.)"""
    if actor.is_admin:
        return
    record = services().engine.stored_ticket(site.id, ticket_id)
    counter = site.counters.get(actor.counter or 0)
    if record is not None and (counter is None or record["field"] not in counter.fields):
        raise Forbidden("Your counter does not serve this ticket's field.", code="not_your_field")


@bp.post("/sites/<site_id>/ratings")
def rating_press(site_id):
    """A rating panel's press, sent by the device agent that reads the panel."""
    site, actor = site_and_actor(site_id)
    actor = require(actor, "agent")
    press = record_press(services().engine, site.id, actor, request_json())
    return jsonify(press), 200 if press["duplicate"] else 201


@bp.get("/agent/settings")
def agent_settings():
    """A device agent's own settings, found by its token alone (it knows nothing else)."""
    header = request.headers.get("Authorization", "")
    bearer = header[7:].strip() if header.lower().startswith("bearer ") else ""
    found = services().auth.device(bearer) if bearer else None
    if found is None or found[1].kind != "agent":
        raise Unauthorized("Send a device agent's token.", code="bad_token")
    site, agent = found
    logger.info("agent-settings site=%s agent=%s", site.id, agent.id)
    return jsonify(services().devices.agent_settings(site, agent.id, PRESS_MAX_AGE_SECONDS))


@bp.get("/sites/<site_id>/devices")
def device_states(site_id):
    """Every device of the site with what its agent last reported (admins and leaders)."""
    site, actor = site_and_actor(site_id)
    require_reader(actor)
    devices = services().devices
    return jsonify({"devices": devices.states(site), "screens": devices.screen_states(site)})


# The visitor's phone: the QR code carries an unguessable token, not the ticket id.
@bp.get("/sites/<site_id>/t/<token>")
def ticket_by_token(site_id, token):
    site = services().engine.site(site_id)
    return jsonify(services().engine.ticket_by_token(site.id, token))


@bp.get("/sites/<site_id>/t/<token>/qr.svg")
def ticket_qr(site_id, token):
    """The QR code of the phone page, as SVG (drawn by the kiosk screen and the ticket)."""
    site = services().engine.site(site_id)
    services().engine.ticket_by_token(site.id, token)  # 404 for a token that is not a ticket's
    return qr_svg(services().public_url(f"/t/{site.id}/{token}"))


def qr_svg(url: str) -> Response:
    """A QR code of ``url`` as an SVG answer (a phone page's, a booking's)."""
    image = qrcode.make(url, image_factory=SvgPathImage, error_correction=qrcode.constants.ERROR_CORRECT_M,
                        box_size=10, border=2)
    response = Response(image.to_string(encoding="unicode"), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@bp.post("/sites/<site_id>/t/<token>/cancel")
def cancel_by_token(site_id, token):
    site = services().engine.site(site_id)
    json_body({})
    engine = services().engine
    ticket = engine.ticket_by_token(site.id, token)
    return jsonify(engine.cancel(site.id, ticket["id"], Actor("visitor", "phone", site.id),
                                 reason="left (phone)"))


# -- the hall --------------------------------------------------------------------------------
@bp.get("/sites/<site_id>/state")
def state(site_id):
    site, actor = site_and_actor(site_id)
    actor = require(actor, "officer", "kiosk", "display", "agent")
    lists = request.args.get("lists") in ("1", "true")
    if lists:
        require(actor, "officer")
    return jsonify(services().engine.snapshot(site.id, with_lists=lists))


@bp.get("/sites/<site_id>/counters/<int:number>")
def get_counter(site_id, number):
    site, actor = site_and_actor(site_id)
    require(actor, "officer", "kiosk", "display", "agent")
    if number not in site.counters:
        raise NotFound(f"Unknown counter {number}.", code="unknown_counter")
    snap = services().engine.snapshot(site.id)
    return jsonify(next(c for c in snap["counters"] if c["number"] == number))


@bp.post("/sites/<site_id>/counters/<int:number>/<action>")
def counter_action(site_id, number, action):
    site, actor = site_and_actor(site_id)
    check_target(site, number, action)
    actor = require_counter(actor, number)
    svc = services()
    result = run_action(svc.engine, site, number, actor, action, request_json(),
                        on_take_over=ending_sessions_of_the_replaced(svc.auth, site, number))
    if result is None:
        return "", 204
    return jsonify(result)
