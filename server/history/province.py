"""A province's report: every site's figures for a period side by side, by agency (the sở/ngành
a field belongs to), with the province's total and rankings of sites and officers.

Each site's figures come from its daily rows for the days rolled up and its raw records for
the rest (server/history/reports.py), so a year for 150 sites reads some 30 rows per site and
month rather than forty million tickets.
"""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.engine import Engine

from ..config import SiteConfig
from .reports import Figures, Period, ReportBuilder, _no_collection, _Row, by_satisfaction, collect

GROUPS = ("site", "agency")
NO_AGENCY = "—"


def province_report(sql: Engine, sites: Iterable[SiteConfig], period: Period, lang: str = "vi") -> dict:
    """Rows per site and per agency, the total, and the sites and officers ranked by satisfaction
    (then by visitors served)."""
    sites = list(sites)
    with _no_collection():
        every = collect(sql, sites, period, {"field", "officer"}, means_only={"officer"})
        return _report(sql, sites, every, period, lang)


def _report(sql: Engine, sites: list[SiteConfig], every: dict[str, Figures], period: Period, lang: str) -> dict:
    english = lang == "en"
    total = _Row("total")
    by_site: list[dict] = []
    agencies: dict[str, _Row] = {}
    officers: list[dict] = []
    for site in sites:
        builder = ReportBuilder(sql, site, lang)
        figures = every[site.id]
        total.merge(figures.total)
        by_site.append(figures.total.to_json((english and site.name_en) or site.name) | {"key": site.id})
        for code, row in figures.rows["field"].items():
            field = site.fields.get(code)
            agency = (field.agency if field else "") or NO_AGENCY
            if agency not in agencies:
                agencies[agency] = _Row(agency)
            agencies[agency].merge(row)
        for entry in builder.ranking(figures.rows["officer"]):
            officers.append(entry | {"site": site.id, "site_name": site.name})
    sites_ranked = sorted(by_site, key=lambda r: by_satisfaction(r["ratings"]["satisfaction_rate"], r["served"],
                                                                 r["key"]))
    officers.sort(key=lambda r: by_satisfaction(r["satisfaction_rate"], r["served"], r["site"], r["officer"]))
    return {
        "period": period.to_json(),
        "sites": by_site,
        "agencies": [agencies[a].to_json(a) for a in sorted(agencies, key=lambda a: (a == NO_AGENCY, a))],
        "total": total.to_json("total"),
        "site_ranking": [{"rank": i + 1, "site": r["key"], "name": r["name"], "served": r["served"],
                          "ratings": r["ratings"]["total"], "satisfaction_rate": r["ratings"]["satisfaction_rate"],
                          "within_target": r["within_target"]} for i, r in enumerate(sites_ranked)],
        "officer_ranking": [r | {"rank": i + 1} for i, r in enumerate(officers)],
    }
