"""A new site (a commune's or ward's centre) added by a province admin, with no restart.

The site starts from a small config.yaml document: its names, one field, one counter serving
it, its first administrator and weekday opening hours. It is read by config.yaml's own reader
(``_site``), so the rules and the messages are the same; from then on the site's own pages
manage the rest (its people, fields, counters, devices, hours). The document is kept in SQL
(``site_settings``, name ``site``) and in the province's copy in Redis; every server process and
the archiver take the site from there.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import BadRequest, Conflict
from . import Config, SiteConfig, _site
from .reader import Node

DEFAULT_HOURS = {"mon-fri": ["07:30-11:30", "13:30-17:00"], "sat": ["07:30-11:30"]}
MAX_SITES = 500


def bootstrap(form: dict[str, Any], password_hash: str) -> dict[str, Any]:
    """The new site's config.yaml document from the form: names, its first field and counter,
    its administrator (with the password's hash)."""
    field: dict[str, Any] = form["field"] if isinstance(form.get("field"), dict) else {}
    admin: dict[str, Any] = form["admin"] if isinstance(form.get("admin"), dict) else {}
    doc: dict[str, Any] = {
        "id": form.get("id"), "name": form.get("name"), "name_en": form.get("name_en") or "",
        "timezone": form.get("timezone") or "Asia/Ho_Chi_Minh", "opening_hours": DEFAULT_HOURS,
        "fields": [{k: v for k, v in field.items() if k in ("code", "name", "name_en", "prefix", "agency") and v}],
        "counters": [{"number": 1, "fields": [field.get("code")]}],
        "officers": [{"username": admin.get("username"), "name": admin.get("name"), "role": "admin",
                      "counters": [1], "password_hash": password_hash}]}
    return doc


def read(config: Config, doc: dict[str, Any], base_dir: Path, new: bool = True) -> SiteConfig:
    """The site as config.yaml would read it among the province's others, or BadRequest listing
    what is wrong (config.yaml's words). A stored site (``new=False``) is read as it was made:
    its first administrator may have gone since, and their username been given to another."""
    errors: list[str] = []
    site = _site(Node(doc, "site", errors), base_dir)
    errors = [e.removeprefix("site").lstrip(".:").strip() for e in errors]
    if not str(doc.get("name") or "").strip():
        errors.append("name: is required")
    if new and site is not None and site.id in config.sites:
        raise Conflict(f"There is already a site {site.id!r}.", code="site_taken")
    taken = config.province.users.keys() | {u for s in config.sites.values() for u in s.officers}
    admin = next(iter(site.officers), None) if site is not None else None
    if new and admin in taken:
        errors.append(f"admin: {admin!r} is already a person of another site or of the province: one name, "
                      "one person")
    if new and len(config.sites) >= MAX_SITES:
        errors.append(f"a province has at most {MAX_SITES} sites here")
    if errors or site is None:
        raise BadRequest("; ".join(errors) or "The site could not be read.", code="bad_site",
                         details={"errors": errors})
    return site
