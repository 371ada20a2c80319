"""Live administration over HTTP: a site's admins (and the province's admins) manage its people
with no restart; every signed-in person changes their own password; admins and leaders read
the audit log. The rules and the store are server/config/people.py's."""
from __future__ import annotations

import logging
from datetime import datetime
from functools import partial
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from flask import Blueprint, current_app, g, jsonify, render_template, request

from ..config import ROLES, structure
from ..config import clients as devices
from ..config.opening_hours import DAY_NAMES
from ..config.people import PeopleStore, hours_json, officer_json
from ..config.site_init import InitError, check_pin
from ..errors import BadRequest, Conflict, Forbidden, NotFound, Unauthorized
from ..i18n import translate
from ..security.auth import require, require_reader, site_and_actor
from ..security.sessions import fingerprint
from ..security.sign_in import hash_password
from .admin import leader_of
from .api import json_body, signed_in

logger = logging.getLogger(__name__)

api_bp = Blueprint("people_api", __name__, url_prefix="/api/v1/sites/<site_id>")
pages_bp = Blueprint("people", __name__, url_prefix="/admin/<site_id>")

PERSON: dict[str, type | tuple[type, ...]] = {"username": str, "name": str, "role": str, "counters": list,
                                               "password": str}
CHANGES: dict[str, type | tuple[type, ...]] = {"name": str, "role": str, "counters": list, "disabled": bool}
MIN_PASSWORD = 8


def _svc():
    return current_app.extensions["qms"]


def _store() -> PeopleStore:
    store = _svc().people
    assert store is not None   # made by create_app
    return store


def new_password(value: str) -> str:
    """A new password's hash (at the policy's cost), or BadRequest for one too short."""
    if len(value) < MIN_PASSWORD:
        raise BadRequest(f"A password has at least {MIN_PASSWORD} characters.", code="weak_password")
    return hash_password(value)


def _end_sessions(site, username: str, why: str) -> None:
    svc = _svc()
    svc.auth.end_sessions(svc.sessions.end_officer(site.id, username), why)


@api_bp.get("/officers")
def officers(site_id):
    site, actor = site_and_actor(site_id)
    require(actor, "admin")
    return jsonify({"officers": [officer_json(o) for o in site.officers.values()],
                    "counters": [{"number": c.number, "name": c.name} for c in site.counters.values()]})


@api_bp.post("/officers")
def create_officer(site_id):
    site, actor = site_and_actor(site_id)
    actor = require(actor, "admin")
    body = json_body(PERSON, required=("username", "name", "password"))
    password = new_password(body.pop("password"))
    officer = _store().create(site, actor.label, body, password)
    return jsonify(officer_json(officer)), 201


@api_bp.patch("/officers/<username>")
def change_officer(site_id, username):
    site, actor = site_and_actor(site_id)
    actor = require(actor, "admin")
    body = json_body(CHANGES)
    own = username == actor.id and actor.scope == site.id
    if own and (body.get("disabled") or body.get("role", "admin") != "admin"):
        raise Conflict("You cannot disable your own account or take away your own administration.",
                       code="own_account")
    officer = _store().update(site, actor.label, username, body)
    if officer.disabled:
        _end_sessions(site, username, "disabled")
    return jsonify(officer_json(officer))


@api_bp.post("/officers/<username>/password")
def reset_password(site_id, username):
    """An admin gives a person a new password (forgotten, or handed over): their sessions end."""
    site, actor = site_and_actor(site_id)
    actor = require(actor, "admin")
    body = json_body({"password": str}, required=("password",))
    if username not in site.officers:
        raise NotFound(f"No person {username!r} at this site.", code="unknown_officer")
    _store().set_password(site, actor.label, username, new_password(body["password"]), "officer.password_reset")
    _end_sessions(site, username, "password reset")
    return "", 204


@api_bp.post("/password")
def change_own_password(site_id):
    """The signed-in person's own password: the current one first. Every session of theirs ends
    and this answer opens a new one, at the same counter."""
    site, actor = site_and_actor(site_id)
    actor = require(actor, "officer", "leader")
    if actor.scope != site.id or actor.session is None:
        raise Forbidden("Change the province's passwords in its administration.", code="not_a_site_account")
    body = json_body({"current": str, "new": str}, required=("current", "new"))
    svc = _svc()
    address = request.remote_addr or ""
    svc.guard.attempt(site.id, actor.id, address, scope="password")
    if svc.auth.check_password(site, actor.id, body["current"]) is None:
        raise Unauthorized("The current password is wrong.", code="bad_credentials")
    svc.guard.passed(site.id, actor.id, address, scope="password")
    if body["new"] == body["current"]:
        raise BadRequest("Choose a password other than the current one.", code="same_password")
    password_hash = new_password(body["new"])
    _store().set_password(site, actor.label, actor.id, password_hash, "officer.password_change")
    _end_sessions(site, actor.id, "password changed")
    return signed_in(svc.sessions.create(site.id, actor.id, actor.counter, fingerprint(password_hash)), {})


@api_bp.get("/hours")
def hours(site_id):
    site, actor = site_and_actor(site_id)
    require_reader(actor)
    return jsonify(hours_json(site.opening_hours))


@api_bp.put("/hours")
def set_hours(site_id):
    """Opening hours and days off, live: what the kiosks, the phones' estimates and the alerts
    go by from the next second on every server."""
    site, actor = site_and_actor(site_id)
    actor = require(actor, "admin")
    body = json_body({"always": bool, "week": dict, "calendar": str, "extra": list, "working_days": list},
                     required=("week",))
    return jsonify(_store().set_hours(site, actor.label, body))


@api_bp.get("/audit")
def audit(site_id):
    site, actor = site_and_actor(site_id)
    require_reader(actor)
    try:
        limit = min(max(int(request.args.get("limit", 200)), 1), 1000)
        before = int(request.args["before"]) if request.args.get("before") else None
    except ValueError:
        raise BadRequest("limit and before are whole numbers.", code="bad_request") from None
    return jsonify({"entries": _store().audit(site.id, limit, before)})


# -- devices -----------------------------------------------------------------------------
DEVICE: dict[str, type | tuple[type, ...]] = {
    "kind": str, "id": str, "name": str, "fields": list, "counters": list, "notice": str, "voice": str,
    "voice_repeat": int, "voice_speed": (int, float), "read_digits": bool, "recent_calls": int, "layout": str,
    "disabled": bool}


def _setup(site, client, token: str) -> dict:
    out = devices.client_json(client) | {"token": token}
    if client.kind in ("kiosk", "display"):   # opened once on the device: the token stays in its browser
        out["setup_url"] = _svc().public_url(f"/{client.kind}/{site.id}#token={token}")
    else:   # run on the counter PC that reads the panels (hardware/agent.py)
        out["setup_command"] = f"QMS_AGENT_TOKEN={token} qms agent --server {_svc().public_url('')}"
    return out


@api_bp.get("/clients")
def list_devices(site_id):
    """The site's kiosks, displays and agents, with what may be chosen for them."""
    site, actor = site_and_actor(site_id)
    require(actor, "admin")
    screens = {(s["kind"], s["id"]): s for s in _svc().devices.screen_states(site)}
    out = []
    for client in devices.site_clients(site):
        item = devices.client_json(client)
        if client.kind == "agent":
            item["connected"] = _svc().devices.agent_online(site.id, client.id)
        else:
            item["connected"] = screens.get((client.kind, client.id), {}).get("connected", False)
        out.append(item)
    return jsonify({"devices": out,
                    "fields": [{"code": f.code, "name": f.name} for f in site.fields.values()],
                    "counters": [{"number": c.number, "name": c.name} for c in site.counters.values()]})


@api_bp.post("/clients")
def create_device(site_id):
    """A new device: its token is in this answer only."""
    site, actor = site_and_actor(site_id)
    actor = require(actor, "admin")
    body = json_body(DEVICE, required=("kind", "id", "name"))
    kind = body.pop("kind")
    client, token = _store().create_device(site, actor.label, kind, body)
    return jsonify(_setup(site, client, token)), 201


@api_bp.patch("/clients/<kind>/<device_id>")
def change_device(site_id, kind, device_id):
    """Name and settings, or ``disabled``: a revoked device's screens close on every server and
    its token opens nothing until it is enabled again."""
    site, actor = site_and_actor(site_id)
    actor = require(actor, "admin")
    body = json_body({k: v for k, v in DEVICE.items() if k not in ("kind", "id")})
    return jsonify(devices.client_json(_store().update_device(site, actor.label, kind, device_id, body)))


@api_bp.post("/clients/<kind>/<device_id>/token")
def rotate_token(site_id, kind, device_id):
    """A new token for a device (lost, stolen, or handed over): the old one ends at once, on
    every server; the new one is in this answer only."""
    site, actor = site_and_actor(site_id)
    actor = require(actor, "admin")
    token = _store().rotate_token(site, actor.label, kind, device_id)
    return jsonify(_setup(site, getattr(site, devices.KINDS[kind])[device_id], token))


# -- the site's own settings ---------------------------------------------------------------
GENERAL: dict[str, type | tuple[type, ...]] = {"name": str, "name_en": str, "timezone": str, "recent_calls": int,
                                               "no_show_restore_minutes": int, "kiosk_tickets_per_minute": int,
                                               "priority_ratio": str, "kiosk_pin": str}


def _general(site) -> dict:
    entry = structure.general_entry(site)
    return {k: v for k, v in entry.items() if k != "kiosk_pin_hash"} | {"kiosk_pin_set": bool(site.kiosk_pin_hash)}


@api_bp.get("/setup/site")
def general_settings(site_id):
    """The site's names, how many recent calls the screens show, how long a no-show may come
    back, a kiosk's ticket rate, the priority ratio and whether a kiosk PIN is set (admins)."""
    site, actor = site_and_actor(site_id)
    require(actor, "admin")
    return jsonify(_general(site))


@api_bp.put("/setup/site")
def set_general_settings(site_id):
    """Some of those settings; a new kiosk PIN (4 to 8 digits) is kept as its hash only."""
    site, actor = site_and_actor(site_id)
    actor = require(actor, "admin")
    body = json_body(GENERAL)
    pin = body.pop("kiosk_pin", None)
    if pin is not None:
        try:
            check_pin(pin)
        except InitError as err:
            raise BadRequest(str(err), code="bad_setting", details={"errors": [f"kiosk_pin: {err}"]}) from None
        body["kiosk_pin_hash"] = hash_password(pin)
    if body.get("timezone", str(site.timezone)) != str(site.timezone):
        _same_day(site, body["timezone"])
    _store().set_general(site, actor.label, body)
    return jsonify(_general(site))


def _same_day(site, name: str) -> None:
    """A time zone in which it is another date now is refused: the day's numbers would start
    again (a later date) or a day already closed would open again (an earlier one)."""
    try:
        zone = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return   # config.yaml's reader says what is wrong
    engine = _svc().engine
    if engine.clock.now().astimezone(zone).date() != engine.local_now(site).date():
        raise Conflict(f"It is another day in {name} now: change the time zone after closing, when it is the "
                       "same date in both.", code="timezone_changes_day")


# -- fields ------------------------------------------------------------------------------
FIELD: dict[str, type | tuple[type, ...]] = {
    "name": str, "name_en": str, "numbers": str, "prefix": str, "digits": (int, type(None)),
    "daily_cap": (int, type(None)), "target_wait_minutes": (int, float, type(None)),
    "service_minutes": (int, float, type(None)), "agency": str, "kind": (str, type(None)),
    "pickup": (str, type(None)), "bulk": (str, type(None)),
    "dossiers_per_ticket": (int, type(None))}   # null: the setting's default


def _numbered_today(site, code: str) -> bool:
    """Whether field ``code`` has given a number today (its numbering then stays until tomorrow)."""
    engine = _svc().engine
    day = engine.local_now(site).strftime("%Y%m%d")
    return bool(engine.client.hexists(engine.keys[site.id].numbers(day), code))


@api_bp.get("/setup/fields")
def list_fields(site_id):
    """The site's fields as the administration edits them, with who names each."""
    site, actor = site_and_actor(site_id)
    require(actor, "admin")
    return jsonify({"fields": [structure.field_entry(f) | {"named_by": structure.field_naming(site, c),
                                                           "numbered_today": _numbered_today(site, c)}
                               for c, f in site.fields.items()]})


@api_bp.put("/setup/fields/<code>")
def put_field(site_id, code):
    """A field added, or its names, numbers, cap, target wait, service time or agency changed:
    the kiosks offer it and the estimates use it on every server within 2 s."""
    site, actor = site_and_actor(site_id)
    actor = require(actor, "admin")
    body = json_body(FIELD)
    new = code not in site.fields
    _store().set_field(site, actor.label, code, body, numbered_today=not new and _numbered_today(site, code))
    return jsonify(structure.field_entry(site.fields[code])), 201 if new else 200


@api_bp.delete("/setup/fields/<code>")
def delete_field(site_id, code):
    """A field removed: refused while a counter, kiosk, display or procedure names it, or once it
    has given numbers today."""
    site, actor = site_and_actor(site_id)
    actor = require(actor, "admin")
    _store().set_field(site, actor.label, code, None, numbered_today=code in site.fields
                       and _numbered_today(site, code))
    return "", 204


# -- priority categories --------------------------------------------------------------------
PRIORITY: dict[str, type | tuple[type, ...]] = {"name": str, "name_en": (str, type(None)), "weight": int}


@api_bp.get("/setup/priorities")
def list_priorities(site_id):
    """The site's priority categories (người có công, người cao tuổi …) as the administration edits them."""
    site, actor = site_and_actor(site_id)
    require(actor, "admin")
    return jsonify({"categories": [structure.priority_entry(c) for c in site.categories.values()]})


@api_bp.put("/setup/priorities/<code>")
def put_priority(site_id, code):
    """A priority category added, or its names or weight changed: the kiosks offer it on every
    server within 2 s; tickets already waiting keep the weight they were issued with."""
    site, actor = site_and_actor(site_id)
    actor = require(actor, "admin")
    body = json_body(PRIORITY, required=("name",))
    new = code not in site.categories
    _store().set_listed(site, actor.label, structure.PRIORITIES, code, body)
    return jsonify(structure.priority_entry(site.categories[code])), 201 if new else 200


@api_bp.delete("/setup/priorities/<code>")
def delete_priority(site_id, code):
    """A priority category removed: the kiosks no longer offer it; tickets issued with it keep
    their place and show its code."""
    site, actor = site_and_actor(site_id)
    actor = require(actor, "admin")
    _store().set_listed(site, actor.label, structure.PRIORITIES, code, None)
    return "", 204


# -- the procedure catalogue ----------------------------------------------------------------
PROCEDURE: dict[str, type | tuple[type, ...]] = {"field": str, "name": str, "name_en": (str, type(None)),
                                                 "documents": (list, type(None)), "fee": (str, type(None)),
                                                 "processing_time": (str, type(None))}


@api_bp.get("/setup/procedures")
def list_procedures(site_id):
    """The procedure catalogue (thủ tục hành chính) the kiosk lets visitors look up, as the
    administration edits it."""
    site, actor = site_and_actor(site_id)
    require(actor, "admin")
    return jsonify({"procedures": [structure.procedure_entry(p) for p in site.procedures.values()]})


@api_bp.put("/setup/procedures/<code>")
def put_procedure(site_id, code):
    """A procedure added, or its field, names, documents to bring, fee or processing time
    changed: the kiosks' next search finds it, on every server within 2 s."""
    site, actor = site_and_actor(site_id)
    actor = require(actor, "admin")
    new = code not in site.procedures
    body = json_body(PROCEDURE, required=("field", "name") if new else ())
    _store().set_listed(site, actor.label, structure.PROCEDURES, code, body)
    return jsonify(structure.procedure_entry(site.procedures[code])), 201 if new else 200


@api_bp.delete("/setup/procedures/<code>")
def delete_procedure(site_id, code):
    """A procedure taken out of the catalogue."""
    site, actor = site_and_actor(site_id)
    actor = require(actor, "admin")
    _store().set_listed(site, actor.label, structure.PROCEDURES, code, None)
    return "", 204


# -- rating levels ---------------------------------------------------------------------------
RATINGS: dict[str, type | tuple[type, ...]] = {"levels": list, "window_minutes": (int, float),
                                               "presses_per_minute": int}


@api_bp.get("/setup/ratings")
def rating_levels(site_id):
    """What each button of the site's rating panels means (level, names, official category,
    score), how long after a visitor is served a press rates them, and the presses a panel may
    send in a minute."""
    site, actor = site_and_actor(site_id)
    require(actor, "admin")
    return jsonify(structure.ratings_entry(site.ratings))


@api_bp.put("/setup/ratings")
def set_rating_levels(site_id):
    """The levels (2 to 5), window or press limit changed: the next press is read by them on
    every server within 2 s. A level a panel's key stands for cannot go (409
    rating_level_in_use); presses already kept keep the category they were given."""
    site, actor = site_and_actor(site_id)
    actor = require(actor, "admin")
    return jsonify(_store().set_ratings(site, actor.label, json_body(RATINGS)))


# -- numbers taken away from the hall ---------------------------------------------------------
# (not the SMS adapter: it names code the server imports, so only config.yaml's operator sets it)
REMOTE: dict[str, type | tuple[type, ...]] = {
    "enabled": bool, "opens_before_minutes": int, "per_phone": int, "caps": dict, "arrive_within_minutes": int,
    "otp_minutes": int}


@api_bp.get("/setup/remote")
def remote_settings(site_id):
    """Whether citizens take numbers before coming, and on what terms (docs/one-stop.md)."""
    return _block(site_id, structure.REMOTE)


@api_bp.put("/setup/remote")
def set_remote_settings(site_id):
    """Turned on or off, or its terms changed: the public page and the API follow on every
    server within 2 s; numbers already taken keep theirs."""
    return _set_block(site_id, structure.REMOTE, REMOTE)


# -- appointments ----------------------------------------------------------------------------
APPOINTMENTS: dict[str, type | tuple[type, ...]] = {
    "enabled": bool, "slot_minutes": int, "capacity": dict, "days_ahead": int, "per_phone": int,
    "checkin_before_minutes": int, "late_minutes": int, "late": str, "order": str, "weight": int,
    "offer_when_full": bool}


@api_bp.get("/setup/appointments")
def appointments_settings(site_id):
    """Whether citizens book times, the places per slot and field, and the check-in rules."""
    return _block(site_id, structure.APPOINTMENTS)


@api_bp.put("/setup/appointments")
def set_appointments_settings(site_id):
    """Turned on or off, or its terms changed: the booking page, the kiosk and the API follow on
    every server within 2 s; bookings made keep their slot."""
    return _set_block(site_id, structure.APPOINTMENTS, APPOINTMENTS)


def _block(site_id: str, block: structure.Block):
    site, actor = site_and_actor(site_id)
    require(actor, "admin")
    return jsonify(block.entry(block.of(site)))


def _set_block(site_id: str, block: structure.Block, schema: dict[str, type | tuple[type, ...]]):
    site, actor = site_and_actor(site_id)
    actor = require(actor, "admin")
    return jsonify(_store().set_block(block, site, actor.label, json_body(schema)))


# -- rating panels, printers, LED boards -----------------------------------------------------
PERIPHERAL: dict[str, type | tuple[type, ...]] = {"kind": str, "url": str, "counter": (int, type(None)),
                                                  "agent": (str, type(None)), "options": (dict, type(None))}


@api_bp.get("/setup/devices")
def list_peripherals(site_id):
    """The site's rating panels, printers and LED boards as the administration edits them, with
    the counters, agents and kiosks they may name."""
    site, actor = site_and_actor(site_id)
    require(actor, "admin")
    return jsonify({"devices": [structure.device_entry(d) for d in site.devices.values()],
                    "counters": [{"number": c.number, "name": c.name} for c in site.counters.values()],
                    "agents": [{"id": a.id, "name": a.name} for a in site.agents.values()],
                    "kiosks": [{"id": k.id, "name": k.name} for k in site.kiosks.values()]})


@api_bp.put("/setup/devices/<device_id>")
def put_peripheral(site_id, device_id):
    """A rating panel, printer or LED board added or changed: its agent reads its settings again
    at once and serves it from then on."""
    site, actor = site_and_actor(site_id)
    actor = require(actor, "admin")
    body = json_body(PERIPHERAL)
    new = device_id not in site.devices
    _store().set_listed(site, actor.label, structure.DEVICES, device_id, body)
    return jsonify(structure.device_entry(site.devices[device_id])), 201 if new else 200


@api_bp.delete("/setup/devices/<device_id>")
def delete_peripheral(site_id, device_id):
    site, actor = site_and_actor(site_id)
    actor = require(actor, "admin")
    _store().set_listed(site, actor.label, structure.DEVICES, device_id, None)
    return "", 204


# -- counters ----------------------------------------------------------------------------
COUNTER: dict[str, type | tuple[type, ...]] = {"name": str, "fields": list, "policy": str}


@api_bp.get("/setup/counters")
def list_counters(site_id):
    """The site's counters as the administration edits them, with who names each and its state now."""
    site, actor = site_and_actor(site_id)
    require(actor, "admin")
    now = {c["number"]: c for c in _svc().engine.snapshot(site.id)["counters"]}
    return jsonify({"counters": [structure.counter_entry(c) | {"named_by": structure.naming(site, n),
                                                               "status": now.get(n, {}).get("status", "closed")}
                                 for n, c in site.counters.items()],
                    "fields": [{"code": f.code, "name": f.name} for f in site.fields.values()]})


@api_bp.put("/setup/counters/<int:number>")
def put_counter(site_id, number):
    """A counter added, or its name, fields (in the order served) or policy changed: the officer
    at it calls from the new fields at their next call, on every server within 2 s."""
    site, actor = site_and_actor(site_id)
    actor = require(actor, "admin")
    body = json_body(COUNTER)
    new = number not in site.counters
    if new and "name" not in body:
        body["name"] = f"Quầy {number}"
    _store().set_counter(site, actor.label, number, body)
    return jsonify(structure.counter_entry(site.counters[number])), 201 if new else 200


def in_service(counter: dict) -> bool:
    """Whether a counter of a snapshot is open or still serving someone."""
    return counter.get("status", "closed") != "closed" or bool(counter.get("ticket"))


@api_bp.delete("/setup/counters/<int:number>")
def delete_counter(site_id, number):
    """A counter removed: refused while it is open or serving, or while anyone names it."""
    site, actor = site_and_actor(site_id)
    actor = require(actor, "admin")
    if number in site.counters:
        snap = _svc().engine.snapshot(site.id, with_lists=True)
        now: dict = next((c for c in snap["counters"] if c["number"] == number), {})
        if in_service(now):
            raise Conflict(f"Counter {number} is open: close it first.", code="counter_open")
        if snap.get("counter_queues", {}).get(number):
            raise Conflict(f"Visitors were sent to counter {number} and wait for it: send them elsewhere first.",
                           code="counter_has_visitors")
    _store().set_counter(site, actor.label, number, None)
    return "", 204


# -- the pages ---------------------------------------------------------------------------
def _admin_page(site_id: str, template: str, **context):
    """A page of the site's administration: its sign-in when nobody is, 403 for a leader."""
    site = _svc().engine.site(site_id)
    actor = leader_of(site)
    if actor is None:
        return render_template("admin/login.html", site=site)
    if not actor.is_admin:
        raise Forbidden("Only an administrator may do this.", code="forbidden")
    return render_template(template, site=site, actor=actor, **context)


# The administration's lists, each a page drawn by its script from the API: /admin/<site>/people …
for _page in ("people", "devices", "fields", "counters", "peripherals"):
    pages_bp.add_url_rule(f"/{_page}", f"{_page}_page", partial(_admin_page, template=f"admin/{_page}.html"))


@pages_bp.get("/settings")
def settings_page(site_id):
    """The site's own settings, its priority categories, rating levels and procedures; the time
    zones offered are the machine's (Vietnam's first)."""
    zones = sorted(available_timezones() - {"Asia/Ho_Chi_Minh"})
    return _admin_page(site_id, "admin/settings.html", zones=["Asia/Ho_Chi_Minh", *zones])


@pages_bp.get("/hours")
def hours_page(site_id):
    return _admin_page(site_id, "admin/hours.html", days=DAY_NAMES)


@pages_bp.get("/audit")
def audit_page(site_id):
    site = _svc().engine.site(site_id)
    actor = leader_of(site)
    if actor is None:
        return render_template("admin/login.html", site=site)
    return render_template("admin/audit.html", site=site, actor=actor,
                           entries=audit_rows(_store().audit(site.id, 500), site.timezone))


def audit_rows(entries: list[dict], tz) -> list[dict]:
    """Audit entries as the pages list them: when (in ``tz``), and what changed in words."""
    for e in entries:
        e["when"] = datetime.fromtimestamp(e["at"] / 1000, tz).strftime("%d/%m/%Y %H:%M:%S")
        e["summary"] = _summary(e["details"], e["action"])
    return entries


PERIPHERAL_WORDS = {"url": "peripherals.url", "counter": "counters.number", "agent": "devices.kind_agent",
                    "options": "peripherals.options", "recent_calls": "settings.recent_calls_label",
                    "no_show_restore_minutes": "settings.no_show_restore_minutes",
                    "kiosk_tickets_per_minute": "settings.kiosk_tickets_per_minute",
                    "priority_ratio": "settings.priority_ratio", "kiosk_pin_hash": "settings.kiosk_pin_label",
                    "timezone": "settings.timezone_label"}


# The words for a setting's name in the audit (beside PERIPHERAL_WORDS and the fields').
AUDIT_WORDS = {**{k: "people." + k for k in ("role", "counters", "disabled")},
               **{k: "hours." + k for k in ("week", "calendar", "extra", "working_days", "always")},
               "policy": "counters.policy", "sites": "province.sites", "weight": "priorities.weight",
               **{k: "procedures." + k for k in ("field", "documents", "fee", "processing_time")},
               **{k: "ratings." + k for k in ("levels", "window_minutes", "presses_per_minute")},
               **{k: "remote_settings." + k for k in ("enabled", "opens_before_minutes", "per_phone", "caps",
                                                       "arrive_within_minutes", "otp_minutes", "sms")},
               "secret": "webhooks.secret"}


def _label(key: str, action: str = "") -> str:
    if action.startswith("appointments.") and key in APPOINTMENTS:
        return translate(g.lang, "appointments_settings." + key)
    if key == "name":   # a person's name, or a site's, field's, counter's or device's
        person = action.startswith(("officer.", "province_user."))
        return translate(g.lang, "people.name" if person else "devices.name")
    if key in ("url", "events") and action.startswith("webhook."):
        return translate(g.lang, f"webhooks.{key}_label")
    if key in AUDIT_WORDS:
        return translate(g.lang, AUDIT_WORDS[key])
    if key in PERIPHERAL_WORDS:
        return translate(g.lang, PERIPHERAL_WORDS[key])
    if key in structure.FIELD_WORDS:
        return translate(g.lang, "fields." + key)
    return translate(g.lang, "devices." + key) if key in devices.DEVICE_WORDS else key


def _value(key: str, value) -> str:
    if key == "levels" and isinstance(value, list):   # rating levels: "3 Rất hài lòng, 2 Hài lòng …"
        return ", ".join(f"{lv.get('level')} {lv.get('name')}" for lv in value if isinstance(lv, dict)) or "—"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "—"
    if isinstance(value, dict):   # remote numbers per field: "DD 40, default 100"
        return ", ".join(f"{k} {v}" for k, v in value.items()) or "—"
    if key == "role":   # a site's roles, or the province's (province_admin)
        return translate(g.lang, f"people.role_{value}" if value in ROLES else f"province.role_{value}")
    if key == "policy":
        return translate(g.lang, f"counters.policy_{value}")
    if key == "calendar":
        return translate(g.lang, "hours.calendar_vn" if value == "VN" else "hours.calendar_none")
    if isinstance(value, bool):
        return translate(g.lang, "audit.yes" if value else "audit.no")
    return str(value)


def _summary(details: dict, action: str = "") -> str:
    """An audit row's details in words: what changed from what to what, what was imported, or
    what was made."""
    if "after" in details:
        return _changed(details, action)
    for listed in ("people", "devices", "counters", "fields", "categories", "procedures", "webhooks"):   # whole
        if listed in details and "from" in details:
            key = "audit.imported" if listed == "people" else f"audit.imported_{listed}"
            return translate(g.lang, key, n=details[listed], source=details["from"])
    return _made(details)


def _changed(details: dict, action: str) -> str:
    parts = []
    for k, v in details["after"].items():
        was = details["before"].get(k)
        if k == "week":   # only the days that changed
            parts += [f"{translate(g.lang, 'day.' + d)}: {_value(k, was.get(d))} → {_value(k, v.get(d))}"
                      for d in v if v.get(d) != was.get(d)]
        else:
            parts.append(f"{_label(k, action)}: {_value(k, was)} → {_value(k, v)}")
    return "; ".join(parts)


def _made(details: dict) -> str:
    """What was made or removed, told by what it is: a field, a counter, a rating panel (or
    printer, LED board), a kiosk (display, agent), a person."""
    t = partial(translate, g.lang)
    if "admin" in details and "field" in details:   # a site made
        return " · ".join([details.get("name", ""), details["field"], details["admin"]])
    if "code" in details and "field" in details:   # a procedure of the catalogue
        return " · ".join([details["code"], details.get("name", ""), details["field"]])
    if "weight" in details:   # a priority category
        return " · ".join([details.get("code", ""), details.get("name", ""),
                           f"{t('priorities.weight')} {details['weight']}"])
    if "numbers" in details:
        return " · ".join([details.get("code", ""), details.get("name", ""), details["numbers"]])
    if "policy" in details:
        return " · ".join([details.get("name", ""), _value("fields", details.get("fields", [])),
                           _value("policy", details["policy"])])
    if "events" in details and "url" in details:   # a webhook
        return " · ".join([details.get("id", ""), details["url"],
                           ", ".join(t("webhooks.event_" + e) for e in details["events"])])
    if "url" in details:
        return " · ".join([t("monitor.kind_" + details["kind"]), details["url"],
                           *([t("counters.number") + f" {details['counter']}"] if details.get("counter") else [])])
    if "kind" in details:
        return " · ".join([details.get("name", ""), t("devices.kind_" + details["kind"]),
                           _value("fields", details.get("fields", []))])
    if "role" in details:
        return " · ".join([details.get("name", ""), _value("role", details["role"]),
                           _value("counters", details.get("counters", details.get("sites", [])))])
    return ""
