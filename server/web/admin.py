"""The centre leader's pages: reports with charts and exports, and the live monitor."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from markupsafe import Markup

from ..errors import QmsError
from ..history.reports import GROUPS, PERIODS
from ..security.auth import SESSION_COOKIE
from .report_views import build_report, chart_svg

bp = Blueprint("admin", __name__, url_prefix="/admin")


def leader_of(site):
    """Who reads this site's pages (its admins and leaders, the province's who have it); None: sign in."""
    svc = current_app.extensions["qms"]
    actor = svc.auth.actor(site, None, request.cookies.get(SESSION_COOKIE))
    return actor if actor is not None and actor.reads_reports else None


@bp.app_template_filter("dmy")
def day_month_year(iso: str) -> str:
    year, month, day = iso.split("-")
    return f"{day}/{month}/{year}"


@bp.get("/<site_id>")
def reports(site_id):
    site = current_app.extensions["qms"].engine.site(site_id)
    actor = leader_of(site)
    if actor is None:
        return render_template("admin/login.html", site=site)
    report, error = None, None
    try:
        report = build_report(site)
    except QmsError as err:
        error = err.code
    charts = {}
    if report is not None:
        charts = {name: Markup(chart_svg(name, site, report)) for name in ("arrivals", "waiting", "satisfaction")}
    return render_template("admin/reports.html", site=site, actor=actor, report=report, error=error, charts=charts,
                           groups=GROUPS, periods=PERIODS, args=request.args, query=request.query_string.decode())


@bp.get("/<site_id>/monitor")
def monitor(site_id):
    site = current_app.extensions["qms"].engine.site(site_id)
    actor = leader_of(site)
    if actor is None:
        return render_template("admin/login.html", site=site)
    return render_template("admin/monitor.html", site=site, actor=actor)
