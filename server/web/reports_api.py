"""Reports, exports, charts and the live monitor over HTTP (centre leaders: admins)."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, g, jsonify, request

from ..engine.views import monitor_view
from ..history.archiver import archive_lag
from ..history.dossier_export import dossier_rows, dossiers_csv
from ..history.report_export import to_csv, to_xlsx
from ..security.auth import require_reader, site_and_actor
from .report_views import build_report, chart_svg, requested_period

bp = Blueprint("reports", __name__, url_prefix="/api/v1")


def _leader(site_id: str):
    site, actor = site_and_actor(site_id)
    require_reader(actor)
    return site


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


@bp.get("/sites/<site_id>/reports/charts/<name>.svg")
def report_chart(site_id, name):
    site = _leader(site_id)
    return Response(chart_svg(name, site, build_report(site)), mimetype="image/svg+xml")


@bp.get("/sites/<site_id>/reports/dossiers")
def report_dossiers(site_id):
    """Times and the rating per dossier code attached in the period (the report's period
    parameters); ?format=csv for a file. For the province's one-stop software."""
    site = _leader(site_id)
    period = requested_period(site)
    rows = dossier_rows(current_app.extensions["qms"].archive_sql, site, *period.bounds_ms(site.timezone))
    if request.args.get("format") == "csv":
        name = f"ho-so-{site.id}-{period.first.isoformat()}_{period.last.isoformat()}.csv"
        return Response(dossiers_csv(rows), mimetype="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
    return jsonify({"period": period.to_json(), "dossiers": rows})


@bp.get("/sites/<site_id>/monitor")
def monitor(site_id):
    site = _leader(site_id)
    services = current_app.extensions["qms"]
    view = monitor_view(services.engine.snapshot(site.id))
    view["archive_lag"] = archive_lag(services.redis, services.engine.keys[site.id].events)
    return jsonify(view)
