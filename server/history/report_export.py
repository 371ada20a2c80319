"""Reports as files leaders pass on: CSV and XLSX with Vietnamese headings, and the
satisfaction sheet in the shape of the official evaluation table (% Rất hài lòng /
Hài lòng / Không hài lòng)."""
from __future__ import annotations

import csv
import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from ..i18n import translate

COLUMNS = [
    ("report.col.name", lambda r: r["name"]),
    ("report.col.issued", lambda r: r["issued"]),
    ("report.col.served", lambda r: r["served"]),
    ("report.col.no_show", lambda r: r["no_show"]),
    ("report.col.cancelled", lambda r: r["cancelled"]),
    ("report.col.transferred", lambda r: r["transferred"]),
    ("report.col.unserved_at_close", lambda r: r["unserved_at_close"]),
    ("report.col.wait_mean", lambda r: _minutes(r["waiting"]["mean"])),
    ("report.col.wait_median", lambda r: _minutes(r["waiting"]["median"])),
    ("report.col.wait_p90", lambda r: _minutes(r["waiting"]["p90"])),
    ("report.col.walk_mean", lambda r: _minutes(r["walking"]["mean"])),
    ("report.col.service_mean", lambda r: _minutes(r["service"]["mean"])),
    ("report.col.service_median", lambda r: _minutes(r["service"]["median"])),
    ("report.col.service_p90", lambda r: _minutes(r["service"]["p90"])),
    ("report.col.within_target", lambda r: _percent(r["within_target"])),
    ("report.col.ratings", lambda r: r["ratings"]["total"]),
    ("report.col.satisfaction", lambda r: _percent(r["ratings"]["satisfaction_rate"])),
    ("report.col.unattributed", lambda r: r["ratings"]["unattributed"]),
]


def _minutes(seconds):
    return None if seconds is None else round(seconds / 60, 1)


class Share(float):
    """A share (0.253): 25.3 in CSV, a cell formatted as 25.3% in XLSX (not the number 25.3)."""


def _percent(share):
    return None if share is None else Share(share)


def table(report: dict, lang: str) -> tuple[list[str], list[list]]:
    """Headings and rows (the groups, then the total) of the main table."""
    headings = [translate(lang, key) for key, _ in COLUMNS]
    headings[0] = translate(lang, f"report.group.{report['group']}")
    rows = [[get(r) for _, get in COLUMNS] for r in report["rows"]]
    total = [get(report["total"]) for _, get in COLUMNS]
    total[0] = translate(lang, "report.total")
    return headings, [*rows, total]


def evaluation_table(report: dict, lang: str) -> tuple[list[str], list[list]]:
    """STT, name, number of ratings, then count and % for each official category, and the rate."""
    def t(key: str) -> str:
        return translate(lang, key)

    headings = [t("report.eval.no"), t(f"report.group.{report['group']}"), t("report.eval.total"),
                t("report.eval.very_satisfied"), "%", t("report.eval.satisfied"), "%",
                t("report.eval.dissatisfied"), "%", t("report.col.satisfaction")]
    rows = []
    for i, r in enumerate([*report["rows"], report["total"]], 1):
        g = r["ratings"]
        n = g["total"]
        def share(count: int, n: int = n) -> Share | None:
            return Share(count / n) if n else None

        is_total = r is report["total"]
        rows.append(["" if is_total else i, t("report.total") if is_total else r["name"],
                     n, g["very_satisfied"], share(g["very_satisfied"]), g["satisfied"], share(g["satisfied"]),
                     g["dissatisfied"], share(g["dissatisfied"]), _percent(g["satisfaction_rate"])])
    return headings, rows


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value):
    """A cell as text a spreadsheet will not run: a leading ' before = + - @ (OWASP's advice)."""
    if value is None:
        return ""
    if isinstance(value, Share):
        return round(100 * value, 1)
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def to_csv(report: dict, lang: str) -> bytes:
    """UTF-8 with a byte-order mark, so spreadsheet programs show Vietnamese letters."""
    return _csv(report["site"]["name"], _period_text(report, lang), [table(report, lang)])


def _csv(title: str, period: str, tables: list[tuple[list[str], list[list]]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_csv_cell(title), period])
    for i, (headings, rows) in enumerate(tables):
        if i:
            writer.writerow([])
        writer.writerow([_csv_cell(h) for h in headings])
        writer.writerows([_csv_cell(v) for v in row] for row in rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _by(report: dict, group: str, rows: list[dict]) -> dict:
    """A province report's rows (sites or agencies) in the shape of a site's report's."""
    return {"group": group, "rows": rows, "total": report["total"]}


def province_tables(report: dict, lang: str) -> list[tuple[str, list[str], list[list]]]:
    """The province report's tables: (sheet title, headings, rows)."""
    def t(key: str) -> str:
        return translate(lang, key)

    sites = _by(report, "site", report["sites"])
    agencies = _by(report, "agency", report["agencies"])
    ranked = [[r["rank"], r["name"], r["served"], r["ratings"], _percent(r["satisfaction_rate"]),
               _percent(r["within_target"])] for r in report["site_ranking"]]
    officers = [[r["rank"], r["name"], r["site_name"], r["served"], r["ratings"], _percent(r["satisfaction_rate"]),
                 _minutes(r["service_mean"])] for r in report["officer_ranking"]]
    return [
        (t("report.sheet.evaluation"), *evaluation_table(sites, lang)),
        (t("report.sheet.agency_evaluation"), *evaluation_table(agencies, lang)),
        (t("report.sheet.by_site"), *table(sites, lang)),
        (t("report.sheet.by_agency"), *table(agencies, lang)),
        (t("report.sheet.site_ranking"), [t("report.eval.no"), t("report.group.site"), t("report.col.served"),
                                          t("report.col.ratings"), t("report.col.satisfaction"),
                                          t("report.col.within_target")], ranked),
        (t("report.sheet.officer_ranking"), [t("report.eval.no"), t("report.group.officer"), t("report.group.site"),
                                             t("report.col.served"), t("report.col.ratings"),
                                             t("report.col.satisfaction"), t("report.col.service_mean")], officers),
    ]


def province_csv(report: dict, lang: str, title: str) -> bytes:
    """Every table of the province report, one after the other, the evaluation table first."""
    return _csv(title, _period_text(report, lang), [(h, rows) for _, h, rows in province_tables(report, lang)])


def province_xlsx(report: dict, lang: str, title: str) -> bytes:
    """The evaluation table per site (the official form's categories: count and % of Rất hài lòng,
    Hài lòng, Không hài lòng, and the satisfaction rate), per agency, the figures, the rankings."""
    book = Workbook()
    for i, (sheet, headings, rows) in enumerate(province_tables(report, lang)):
        ws = book.active if i == 0 else book.create_sheet()
        _sheet(ws, sheet, title, _period_text(report, lang), headings, rows, total_row=i < 4)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def to_xlsx(report: dict, lang: str) -> bytes:
    book = Workbook()
    name, period = report["site"]["name"], _period_text(report, lang)
    _sheet(book.active, translate(lang, "report.sheet.figures"), name, period, *table(report, lang))
    _sheet(book.create_sheet(), translate(lang, "report.sheet.evaluation"), name, period,
           *evaluation_table(report, lang))
    hours = book.create_sheet(translate(lang, "report.sheet.arrivals"))
    hours.append([translate(lang, "report.group.hour"), translate(lang, "report.col.issued")])
    for hour, count in enumerate(report["hourly_arrivals"]):
        hours.append([f"{hour:02d}:00", count])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _as_text(ws) -> None:
    """openpyxl stores a string that starts with "=" as a formula: mark every string as text."""
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.data_type == "f":
                cell.data_type = "s"


def _sheet(ws, title: str, name: str, period: str, headings: list[str], rows: list[list],
           total_row: bool = True) -> None:
    ws.title = title[:31]
    ws.append([name])
    ws.append([f"{title} — {period}"])
    ws.append([])
    ws.append(headings)
    for cell in ws[4]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE4F0")
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
    for row in rows:
        ws.append([float(v) if isinstance(v, Share) else v for v in row])
        for column, value in enumerate(row, 1):
            if isinstance(value, Share):
                ws.cell(row=ws.max_row, column=column).number_format = "0.0%"
    if total_row:
        for cell in ws[ws.max_row]:
            cell.font = Font(bold=True)
    ws["A1"].font = Font(bold=True, size=14)
    for i, _ in enumerate(headings, 1):
        ws.column_dimensions[get_column_letter(i)].width = 28 if i <= 2 else 14
    _as_text(ws)


def _period_text(report: dict, lang: str) -> str:
    p = report["period"]
    return translate(lang, "report.period_range", kind=translate(lang, f"report.period.{p['kind']}"),
                     start=_date(p["from"]), end=_date(p["to"]))


def _date(iso: str) -> str:
    year, month, day = iso.split("-")
    return f"{day}/{month}/{year}"
