"""The province's admins and leaders as the live administration keeps them.

Each change is checked by config.yaml's own reader (``_province``) on the province's whole list
of people, so the rules and the messages are the same: a leader reads the sites given to them
(at least one), a province admin has every site, one name is one person across the province.
"""
from __future__ import annotations

from typing import Any

from ..errors import BadRequest
from . import Config, ProvinceUser, _province
from .reader import Node

MAX_NAME = 120


def entry(u: ProvinceUser) -> dict[str, Any]:
    """The person as config.yaml writes them (a province admin's empty sites left out)."""
    out: dict[str, Any] = {"username": u.username, "name": u.name, "role": u.role, "password_hash": u.password_hash}
    if u.sites:
        out["sites"] = list(u.sites)
    if u.disabled:
        out["disabled"] = True
    return out


def person_json(u: ProvinceUser) -> dict[str, Any]:
    """What the pages show of a person: never the hash."""
    return {"username": u.username, "name": u.name, "role": u.role, "sites": list(u.sites), "disabled": u.disabled}


def read(config: Config, entries: list[dict[str, Any]]) -> tuple[dict[str, ProvinceUser], list[str]]:
    errors: list[str] = []
    province = _province(Node({"users": entries}, "province", errors), list(config.sites.values()))
    return province.users, errors


def checked(config: Config, person: dict[str, Any]) -> ProvinceUser:
    """The person as config.yaml would read them among the province's others, or BadRequest
    listing what is wrong (in config.yaml's words)."""
    username = person.get("username")
    others = [entry(u) for u in config.province.users.values() if u.username != username]
    mine_doc = {k: v for k, v in person.items() if v not in (None, []) and not (k == "disabled" and v is False)}
    users, errors = read(config, [*others, mine_doc])
    here = f"province.users[{len(others)}]"
    mine = [e[len(here):].lstrip(".:").strip() for e in errors if e.startswith(here)]
    if not str(person.get("name") or "").strip():
        mine.append("name: is required")
    elif len(str(person.get("name"))) > MAX_NAME:
        mine.append(f"name: at most {MAX_NAME} characters")
    if mine or not isinstance(username, str) or username not in users:
        raise BadRequest("; ".join(mine) or "The person could not be read.", code="bad_person",
                         details={"errors": mine})
    return users[username]
