"""Reports, exports, charts and the live monitor over HTTP (centre leaders: admins)."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, current_app, g, jsonify, request

from .archiver import archive_lag
from .auth import require
from .charts import bar_chart
from .errors import BadRequest, NotFound
from .i18n import translate
from .monitor import monitor_view
from .report_export import to_csv, to_xlsx
from .reports import GROUPS, Period, ReportBuilder, period_of

bp = Blueprint("reports", __name__, url_prefix="/api/v1")


def _leader(site_id: str):
    from .api import site_and_actor  # noqa: PLC0415 - one authentication path for the whole API

    site, actor = site_and_actor(site_id)
    require(actor, "admin")
    return site


FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)


def _date(name: str, default: date | None) -> date | None:
    raw = request.args.get(name)
    if not raw:  # absent, or left empty in the form (which sends every field)
        return default
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise BadRequest(f"{name} must be a date YYYY-MM-DD.", code="bad_date") from None
    if not FIRST_DAY <= day <= LAST_DAY:  # a year 9999 week would overflow the date type
        raise BadRequest(f"{name} must be between {FIRST_DAY} and {LAST_DAY}.", code="bad_period")
    return day


def build_report(site) -> dict:
    """The report the query string asks for: period=day|week|month|quarter|year|custom,
    date= (a day in the period, default today), from=/to= (custom), group=."""
    services = current_app.extensions["qms"]
    today = services.engine.local_now(site).date()
    group = request.args.get("group", "field")
    if group not in GROUPS:
        raise BadRequest(f"Unknown grouping {group!r}.", code="bad_group", details={"groups": list(GROUPS)})
    period = period_of(request.args.get("period", "day"), _date("date", today), _date("from", None), _date("to", None))
    report = ReportBuilder(services.archive_sql, site, g.lang).build(period, group)
    report["archive_lag"] = archive_lag(services.redis, services.engine.keys[site.id].events)
    return report


@bp.get("/sites/<site_id>/reports")
def report(site_id):
    return jsonify(build_report(_leader(site_id)))


def _file(body: bytes, mimetype: str, site, report: dict, ext: str) -> Response:
    p = report["period"]
    name = f"bao-cao-{site.id}-{report['group']}-{p['from']}_{p['to']}.{ext}"
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/sites/<site_id>/reports.csv")
def report_csv(site_id):
    site = _leader(site_id)
    data = build_report(site)
    return _file(to_csv(data, g.lang), "text/csv; charset=utf-8", site, data, "csv")


@bp.get("/sites/<site_id>/reports.xlsx")
def report_xlsx(site_id):
    site = _leader(site_id)
    data = build_report(site)
    return _file(to_xlsx(data, g.lang), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", site,
                 data, "xlsx")


def _by_field(site, data: dict) -> dict:
    if data["group"] == "field":
        return data
    p = data["period"]
    period = Period(p["kind"], date.fromisoformat(p["from"]), date.fromisoformat(p["to"]))
    return ReportBuilder(current_app.extensions["qms"].archive_sql, site, g.lang).build(period, "field")


def chart_svg(name: str, site, data: dict) -> str:
    t = lambda key, **kw: translate(g.lang, key, **kw)  # noqa: E731
    if name == "arrivals":
        busy = [h for h, n in enumerate(data["hourly_arrivals"]) if n]
        hours = list(range(min([6] + busy), max([18] + busy) + 1))
        return bar_chart(t("chart.arrivals"), [f"{h}h" for h in hours], [data["hourly_arrivals"][h] for h in hours])
    if name == "waiting":
        rows = _by_field(site, data)["rows"]
        return bar_chart(t("chart.waiting"), [r["name"] for r in rows],
                         [None if r["waiting"]["mean"] is None else round(r["waiting"]["mean"] / 60, 1) for r in rows],
                         unit=t("chart.minutes_unit"), horizontal=True, color="#e65100")
    if name == "satisfaction":
        ranking = data["ranking"]
        return bar_chart(t("chart.satisfaction"), [r["name"] for r in ranking],
                         [None if r["satisfaction_rate"] is None else round(100 * r["satisfaction_rate"], 1)
                          for r in ranking], unit="%", horizontal=True, color="#1b5e20")
    raise NotFound(f"No chart {name!r}.", code="not_found")


@bp.get("/sites/<site_id>/reports/charts/<name>.svg")
def report_chart(site_id, name):
    site = _leader(site_id)
    return Response(chart_svg(name, site, build_report(site)), mimetype="image/svg+xml")


@bp.get("/sites/<site_id>/monitor")
def monitor(site_id):
    site = _leader(site_id)
    services = current_app.extensions["qms"]
    view = monitor_view(services.engine.snapshot(site.id))
    view["archive_lag"] = archive_lag(services.redis, services.engine.keys[site.id].events)
    return jsonify(view)
