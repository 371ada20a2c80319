"""Reports, exports, charts and the live monitor over HTTP (centre leaders: admins)."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, g, jsonify

from ..engine.views import monitor_view
from ..history.archiver import archive_lag
from ..history.report_export import to_csv, to_xlsx
from ..security.auth import require_reader, site_and_actor
from .report_views import build_report, chart_svg

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


@bp.get("/sites/<site_id>/monitor")
def monitor(site_id):
    site = _leader(site_id)
    services = current_app.extensions["qms"]
    view = monitor_view(services.engine.snapshot(site.id))
    view["archive_lag"] = archive_lag(services.redis, services.engine.keys[site.id].events)
    return jsonify(view)
