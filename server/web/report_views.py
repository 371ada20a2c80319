"""The report a leader's request asks for, and its charts: shared by the reports API and the
leader's pages, so neither blueprint imports the other."""
from __future__ import annotations

from datetime import date

from flask import current_app, g, request

from ..errors import BadRequest, NotFound
from ..history.appointments import appointment_figures
from ..history.archiver import archive_lag
from ..history.charts import bar_chart
from ..history.pauses import idle_figures, pause_figures
from ..history.province import province_report
from ..history.reports import GROUPS, Period, ReportBuilder, period_of
from ..i18n import translate

FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)


def _date(name: str) -> date | None:
    raw = request.args.get(name)
    if not raw:  # absent, or left empty in the form (which sends every field)
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise BadRequest(f"{name} must be a date YYYY-MM-DD.", code="bad_date") from None
    if not FIRST_DAY <= day <= LAST_DAY:  # a year 9999 week would overflow the date type
        raise BadRequest(f"{name} must be between {FIRST_DAY} and {LAST_DAY}.", code="bad_period")
    return day


def requested_period(site) -> Period:
    """The period the query string asks for: period=day|week|month|quarter|year|custom,
    date= (a day in the period, default today at ``site``), from=/to= (custom)."""
    today = current_app.extensions["qms"].engine.local_now(site).date()
    return period_of(request.args.get("period", "day"), _date("date") or today, _date("from"), _date("to"))


def build_report(site) -> dict:
    """The report the query string asks for: the period (requested_period) and group=."""
    services = current_app.extensions["qms"]
    group = request.args.get("group", "field")
    if group not in GROUPS:
        raise BadRequest(f"Unknown grouping {group!r}.", code="bad_group", details={"groups": list(GROUPS)})
    period = requested_period(site)
    # The lag first: if nothing waited then, the figures read after it hold every event so far.
    # (Read after them, an event stored meanwhile left the figures short with no lag shown.)
    lag = archive_lag(services.redis, services.engine.keys[site.id].events)
    report = ReportBuilder(services.archive_sql, site, g.lang).build(period, group)
    now_ms = int(services.engine.clock.now().timestamp() * 1000)
    bounds = period.bounds_ms(site.timezone)
    report["pauses"] = pause_figures(services.archive_sql, site, *bounds, now_ms)
    report["idle"] = idle_figures(services.archive_sql, site, *bounds)
    report["appointments"] = appointment_figures(services.archive_sql, site, *bounds, now_ms)
    report["archive_lag"] = lag
    return report


def build_province_report(sites: list) -> dict:
    """The province's report over ``sites`` for the requested period (server/history/province.py),
    with the events each site's archive has still to store."""
    services = current_app.extensions["qms"]
    period = requested_period(sites[0])
    lags = {s.id: archive_lag(services.redis, services.engine.keys[s.id].events) for s in sites}  # lag first
    report = province_report(services.archive_sql, sites, period, g.lang)
    report["archive_lag"] = sum(lags.values())
    return report


def _by_field(site, data: dict) -> dict:
    if data["group"] == "field":
        return data
    p = data["period"]
    period = Period(p["kind"], date.fromisoformat(p["from"]), date.fromisoformat(p["to"]))
    return ReportBuilder(current_app.extensions["qms"].archive_sql, site, g.lang).build(period, "field")


def satisfaction_chart(ranking: list[dict]) -> str:
    """The satisfaction rate of each ranked officer (or site), best first."""
    return bar_chart(translate(g.lang, "chart.satisfaction"), [r["name"] for r in ranking],
                     [None if r["satisfaction_rate"] is None else round(100 * r["satisfaction_rate"], 1)
                      for r in ranking], unit="%", horizontal=True, color="#1b5e20")


def chart_svg(name: str, site, data: dict) -> str:
    def t(key: str, **kw) -> str:
        return translate(g.lang, key, **kw)

    if name == "arrivals":
        busy = [h for h, n in enumerate(data["hourly_arrivals"]) if n]
        hours = list(range(min([6, *busy]), max([18, *busy]) + 1))
        return bar_chart(t("chart.arrivals"), [f"{h}h" for h in hours], [data["hourly_arrivals"][h] for h in hours])
    if name == "waiting":
        rows = _by_field(site, data)["rows"]
        return bar_chart(t("chart.waiting"), [r["name"] for r in rows],
                         [None if r["waiting"]["mean"] is None else round(r["waiting"]["mean"] / 60, 1) for r in rows],
                         unit=t("chart.minutes_unit"), horizontal=True, color="#e65100")
    if name == "satisfaction":
        return satisfaction_chart(data["ranking"])
    raise NotFound(f"No chart {name!r}.", code="not_found")
