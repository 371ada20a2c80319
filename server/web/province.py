"""The province's people: sign-in at /province, the province's report over the sites a person
has (rows per site and per agency, the total, rankings of sites and officers; CSV and the
XLSX with the evaluation table), and the live overview of those sites.

A province admin has every site; a leader the sites config.yaml gives them. The same session
opens each of those sites' own report and monitor pages (server/security/auth.py).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import Blueprint, Response, current_app, g, jsonify, make_response, render_template, request
from markupsafe import Markup

from ..config import ProvinceUser, SiteConfig, province_people, sites
from ..engine.keys import PROVINCE
from ..engine.views import monitor_view
from ..errors import BadRequest, Conflict, Forbidden, QmsError, Unauthorized
from ..history.archiver import archive_lag
from ..history.report_export import province_csv, province_xlsx
from ..history.reports import PERIODS
from ..i18n import translate
from ..security.auth import SESSION_COOKIE
from ..security.sessions import fingerprint
from .api import json_body, signed_in
from .people import audit_rows, in_service, new_password
from .report_views import build_province_report, satisfaction_chart

logger = logging.getLogger(__name__)

api_bp = Blueprint("province_api", __name__, url_prefix="/api/v1/province")
pages_bp = Blueprint("province", __name__, url_prefix="/province")


def _svc():
    return current_app.extensions["qms"]


@dataclass(frozen=True)
class Person:
    user: ProvinceUser
    digest: str
    sites: list[SiteConfig]


def _person(required: bool = True) -> Person | None:
    """The province's person signed in with this request's token or cookie."""
    svc = _svc()
    header = request.headers.get("Authorization", "")
    bearer = header[7:].strip() if header.lower().startswith("bearer ") else None
    cookie = request.cookies.get(SESSION_COOKIE)
    user, digest = svc.auth.province_person(bearer, cookie)
    if user is None:
        if required:
            raise Unauthorized("Sign in at /province first.", code="unauthorized")
        return None
    if (bearer is None and request.method not in ("GET", "HEAD", "OPTIONS")
            and request.mimetype != "application/json"):
        raise Forbidden("Send requests as application/json.", code="csrf")
    sites = [svc.config.sites[s] for s in user.site_ids(svc.config.sites)]
    return Person(user, digest, sites)


def _sites_json(sites: list[SiteConfig]) -> list[dict]:
    return [{"id": s.id, "name": s.name, "name_en": s.name_en} for s in sites]


# -- the API -----------------------------------------------------------------------------
@api_bp.post("/login")
def login():
    body = json_body({"username": str, "password": str}, required=("username", "password"))
    svc = _svc()
    address = request.remote_addr or ""
    svc.guard.attempt(PROVINCE, body["username"], address)  # counted before the check, in one step
    user = svc.auth.check_password(None, body["username"], body["password"])
    if user is None:
        raise Unauthorized("Wrong username or password.", code="bad_credentials")
    svc.guard.passed(PROVINCE, body["username"], address)
    session_id = svc.sessions.create(PROVINCE, user.username, None, fingerprint(user.password_hash))
    sites = user.site_ids(svc.config.sites)
    logger.info("login province user=%s role=%s sites=%s", user.username, user.role, ",".join(sites))
    return signed_in(session_id, {"user": user.username, "name": user.name, "role": user.role,
                                   "sites": _sites_json([svc.config.sites[s] for s in sites])})


@api_bp.post("/logout")
def logout():
    person = _person()
    assert person is not None
    json_body({})
    svc = _svc()
    svc.auth.end_sessions(svc.sessions.end(PROVINCE, person.digest), "signed out")
    logger.info("logout province user=%s", person.user.username)
    response = make_response("", 204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@api_bp.get("/me")
def me():
    person = _person()
    assert person is not None
    province = _svc().config.province
    return jsonify({"user": person.user.username, "name": person.user.name, "role": person.user.role,
                    "province": {"name": province.name, "name_en": province.name_en},
                    "sites": _sites_json(person.sites)})


@api_bp.get("/report")
def report():
    person = _person()
    assert person is not None
    return jsonify(build_province_report(person.sites))


def _file(body: bytes, mimetype: str, data: dict, ext: str) -> Response:
    p = data["period"]
    name = f"bao-cao-tinh-{p['kind']}-{p['from']}_{p['to']}.{ext}"
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _title(lang: str) -> str:
    province = _svc().config.province
    return (lang == "en" and province.name_en) or province.name or translate(lang, "province.title")


@api_bp.get("/report.csv")
def report_csv():
    person = _person()
    assert person is not None
    data = build_province_report(person.sites)
    return _file(province_csv(data, g.lang, _title(g.lang)), "text/csv; charset=utf-8", data, "csv")


@api_bp.get("/report.xlsx")
def report_xlsx():
    person = _person()
    assert person is not None
    data = build_province_report(person.sites)
    return _file(province_xlsx(data, g.lang, _title(g.lang)),
                 "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", data, "xlsx")


def site_overview(site: SiteConfig) -> dict:
    """One site at this moment: open or not, people waiting, the longest wait, the fields over
    their target, and its counters open, paused and closed."""
    snap = _svc().engine.snapshot(site.id)
    view = monitor_view(snap)
    statuses = [c["status"] for c in view["counters"]]
    return {"site": site.id, "name": site.name, "name_en": site.name_en, "open": snap["open"], "seq": snap["seq"],
            "waiting": sum(f["waiting"] for f in view["fields"]),
            "priority": sum(f["priority"] for f in view["fields"]),
            "longest_wait_seconds": max((f["longest_wait_seconds"] for f in view["fields"]), default=0),
            "over_target": [{"field": f["field"], "name": f["name"], "name_en": f["name_en"]}
                            for f in view["fields"] if f["over_target"]],
            "counters": {"open": statuses.count("open"), "paused": statuses.count("paused"),
                         "closed": len(statuses) - statuses.count("open") - statuses.count("paused"),
                         "serving": sum(1 for c in view["counters"] if c["ticket"])}}


@api_bp.get("/monitor")
def monitor():
    """Every site of the person at this moment, and the totals. The page asks every 10 s: one
    read per site, whatever happens in the halls (each site's own monitor is pushed)."""
    person = _person()
    assert person is not None
    rows = [site_overview(s) for s in person.sites]
    total = {"waiting": sum(r["waiting"] for r in rows), "priority": sum(r["priority"] for r in rows),
             "longest_wait_seconds": max((r["longest_wait_seconds"] for r in rows), default=0),
             "over_target": sum(len(r["over_target"]) for r in rows),
             "counters": {k: sum(r["counters"][k] for r in rows) for k in ("open", "paused", "closed", "serving")}}
    return jsonify({"sites": rows, "total": total})


# -- the province's people (its admins) ----------------------------------------------------
NEW_PERSON: dict[str, type | tuple[type, ...]] = {"username": str, "name": str, "role": str, "sites": list,
                                                   "password": str}
CHANGES: dict[str, type | tuple[type, ...]] = {"name": str, "role": str, "sites": list, "disabled": bool}


def _admin() -> Person:
    person = _person()
    assert person is not None
    if not person.user.is_admin:
        raise Forbidden("Only a province administrator may do this.", code="forbidden")
    return person


def _end(username: str, why: str) -> None:
    svc = _svc()
    svc.auth.end_sessions(svc.sessions.end_officer(PROVINCE, username), why)


@api_bp.get("/people")
def people():
    _admin()
    svc = _svc()
    return jsonify({"people": [province_people.person_json(u) for u in svc.config.province.users.values()],
                    "sites": _sites_json(list(svc.config.sites.values()))})


@api_bp.post("/people")
def add_person():
    person = _admin()
    body = json_body(NEW_PERSON, required=("username", "name", "password"))
    password_hash = new_password(body.pop("password"))
    user = _svc().people.create_province_person(f"{person.user.username}@province", body, password_hash)
    return jsonify(province_people.person_json(user)), 201


@api_bp.patch("/people/<username>")
def change_person(username):
    person = _admin()
    body = json_body(CHANGES)
    if username == person.user.username and (body.get("disabled") or body.get("role", "province_admin") !=
                                             "province_admin"):
        raise Conflict("You cannot disable your own account or take away your own administration.",
                       code="own_account")
    user = _svc().people.update_province_person(f"{person.user.username}@province", username, body)
    if user.disabled:
        _end(username, "disabled")
    return jsonify(province_people.person_json(user))


@api_bp.post("/people/<username>/password")
def reset_person_password(username):
    person = _admin()
    body = json_body({"password": str}, required=("password",))
    _svc().people.set_province_password(f"{person.user.username}@province", username,
                                         new_password(body["password"]), "province_user.password_reset")
    _end(username, "password reset")
    return "", 204


@api_bp.post("/password")
def change_own_password():
    """A province person's own password: the current one first; every session of theirs ends
    and this answer opens a new one."""
    person = _person()
    assert person is not None
    body = json_body({"current": str, "new": str}, required=("current", "new"))
    svc = _svc()
    address = request.remote_addr or ""
    username = person.user.username
    svc.guard.attempt(PROVINCE, username, address, scope="password")
    if svc.auth.check_password(None, username, body["current"]) is None:
        raise Unauthorized("The current password is wrong.", code="bad_credentials")
    svc.guard.passed(PROVINCE, username, address, scope="password")
    if body["new"] == body["current"]:
        raise BadRequest("Choose a password other than the current one.", code="same_password")
    password_hash = new_password(body["new"])
    svc.people.set_province_password(f"{username}@province", username, password_hash, "province_user.password_change")
    _end(username, "password changed")
    return signed_in(svc.sessions.create(PROVINCE, username, None, fingerprint(password_hash)), {})


@api_bp.get("/sites")
def list_sites():
    """Every site with its size: fields, counters, people, devices (province admins)."""
    _admin()
    return jsonify({"sites": [{"id": s.id, "name": s.name, "name_en": s.name_en, "fields": len(s.fields),
                               "counters": len(s.counters), "people": len(s.officers),
                               "devices": len(s.kiosks) + len(s.displays) + len(s.agents)}
                              for s in _svc().config.sites.values()]})


@api_bp.post("/sites")
def add_site():
    """A new site (a commune's centre) with its first field, counter and administrator, on every
    server within 2 s; its administrator then sets up the rest in the site's own pages."""
    person = _admin()
    body = json_body({"id": str, "name": str, "name_en": str, "timezone": str, "field": dict, "admin": dict},
                     required=("id", "name", "field", "admin"))
    admin = body["admin"]
    password = admin.get("password") if isinstance(admin.get("password"), str) else ""
    doc = sites.bootstrap(body, new_password(password))
    site = _svc().people.create_site(f"{person.user.username}@province", doc)
    logger.info("site added id=%s by=%s", site.id, person.user.username)
    return jsonify({"id": site.id, "name": site.name, "admin_url": f"/admin/{site.id}/people"}), 201


@api_bp.delete("/sites/<site_id>")
def remove_site(site_id):
    """A site closed for good (merged into another): refused while anyone waits or is served
    there, while a leader is given it, or while its last events are not archived yet."""
    person = _admin()
    svc = _svc()
    site = svc.engine.site(site_id)
    if len(svc.config.sites) == 1:
        raise Conflict("This is the province's only site.", code="last_site")
    leaders = sorted(u.username for u in svc.config.province.users.values() if site.id in u.sites)
    if leaders:
        raise Conflict(f"Leaders are given this site: {', '.join(leaders)}. Change them first.", code="site_in_use",
                       details={"leaders": leaders})
    snap = svc.engine.snapshot(site.id)
    waiting = sum(f.get("waiting", 0) for f in snap["waiting"].values())
    open_counters = [c["number"] for c in snap["counters"] if in_service(c)]
    if waiting or open_counters or any(snap.get("counter_queues", {}).values()):
        raise Conflict("Visitors wait or are served at this site: close its counters when the hall is empty, "
                       "then remove it.", code="site_busy",
                       details={"waiting": waiting, "open_counters": open_counters})
    behind = archive_lag(svc.redis, svc.engine.keys[site.id].events)
    if behind:
        raise Conflict(f"{behind} of this site's last changes are not archived yet: try again in a minute.",
                       code="site_not_archived", details={"events": behind})
    svc.people.remove_site(f"{person.user.username}@province", site)
    logger.info("site removed id=%s by=%s", site.id, person.user.username)
    return "", 204


@api_bp.get("/audit")
def audit():
    _admin()
    return jsonify({"entries": _svc().people.province_audit(500)})


# -- the pages ---------------------------------------------------------------------------
def _page_person() -> Person | None:
    try:
        return _person(required=False)
    except QmsError:
        return None


@pages_bp.get("")
def reports():
    person = _page_person()
    if person is None:
        return render_template("province/login.html", province=_svc().config.province)
    data, error = None, None
    try:
        data = build_province_report(person.sites)
    except QmsError as err:
        error = err.code
    chart = Markup(satisfaction_chart(data["site_ranking"])) if data is not None else None
    return render_template("province/reports.html", province=_svc().config.province, person=person,
                           report=data, error=error, chart=chart, periods=PERIODS, args=request.args,
                           query=request.query_string.decode())


@pages_bp.get("/people")
def people_page():
    person = _page_person()
    if person is None:
        return render_template("province/login.html", province=_svc().config.province)
    if not person.user.is_admin:
        raise Forbidden("Only a province administrator may do this.", code="forbidden")
    sites = list(_svc().config.sites.values())
    entries = audit_rows(_svc().people.province_audit(200), sites[0].timezone)
    return render_template("province/people.html", province=_svc().config.province, person=person, sites=sites,
                           entries=entries)


@pages_bp.get("/sites")
def sites_page():
    person = _page_person()
    if person is None:
        return render_template("province/login.html", province=_svc().config.province)
    if not person.user.is_admin:
        raise Forbidden("Only a province administrator may do this.", code="forbidden")
    return render_template("province/sites.html", province=_svc().config.province, person=person)


@pages_bp.get("/monitor")
def monitor_page():
    person = _page_person()
    if person is None:
        return render_template("province/login.html", province=_svc().config.province)
    return render_template("province/monitor.html", province=_svc().config.province, person=person)
