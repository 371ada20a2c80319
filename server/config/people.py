"""Live administration of a site's people: officers, site admins and leaders are created,
changed, disabled and given new passwords in the web pages, with no restart.

The SQL archive holds them (table ``people``) and the audit log of every change (``audit_log``:
who, what, when, never a password or its hash). A site has no rows until its first change:
until then its people are config.yaml's, which that change copies in first, so config.yaml
is the bootstrap. Once a site has rows they are the truth; ``qms config import`` replaces them
from a file and ``qms config export`` writes them out.

Each change is one SQL transaction with its audit row. Then the site's people are copied into
Redis with its version key moved, in one step; every server process looks at those keys every
second and reloads a site whose version moved, so a change reaches every process within about
a second. A process swaps the site's ``officers`` mapping whole, so a request sees the old people
or the new, never half of each. At start SQL is the truth (Redis's copy carries the id of the
audit row it reflects, and an older copy is replaced); with SQL out of reach the hall still
starts, on Redis's copy, and SQL is looked at again every second.
"""
from __future__ import annotations

import functools
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import redis
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from ..engine.keys import PROVINCE
from ..errors import BadRequest, Conflict, NotFound, QmsError
from ..history.archive_schema import audit_log, people, province_people, site_clients, site_settings
from . import (
    ClientConfig,
    Config,
    OfficerConfig,
    ProvinceUser,
    SiteConfig,
    _days_off,
    _officers,
    _opening_hours,
    sites,
    structure,
)
from . import clients as devices
from . import province_people as province
from .catalogue import Catalogue
from .opening_hours import DAY_NAMES, OpeningHours
from .reader import Node
from .webhooks import read_webhooks

logger = logging.getLogger(__name__)

MAX_NAME = 120


def _row(site_id: str, o: OfficerConfig, at: int) -> dict[str, Any]:
    return {"site": site_id, "username": o.username, "name": o.name, "role": o.role,
            "counters": json.dumps(list(o.counters)), "password_hash": o.password_hash,
            "disabled": int(o.disabled), "changed_at": at}


def _difference(before: dict[str, Any] | None, after: dict[str, Any] | None) -> tuple[str, dict[str, Any]]:
    """An entry made (create: what it is), removed (delete: what it was) or changed (update: from
    what to what, the keys that changed only)."""
    if after is None:
        return "delete", before or {}
    if before is None:
        return "create", after
    keys = [k for k in {**before, **after} if before.get(k) != after.get(k)]
    return "update", {"before": {k: before.get(k) for k in keys}, "after": {k: after.get(k) for k in keys}}


def _hiding(entry: dict[str, Any] | None, hidden: tuple[str, ...]) -> dict[str, Any] | None:
    """An entry as the audit keeps it: a secret shown as "…" (that it changed, never what to)."""
    if entry is None or not hidden:
        return entry
    return {k: ("…" if k in hidden and v else v) for k, v in entry.items()}


@dataclass(frozen=True)
class _Scope:
    """What a change is of when it is not a site's: the province's people."""

    id: str


PROVINCE_SCOPE = _Scope(PROVINCE)


def _province_row(u: ProvinceUser, at: int) -> dict[str, Any]:
    return {"username": u.username, "name": u.name, "role": u.role, "sites": json.dumps(list(u.sites)),
            "password_hash": u.password_hash, "disabled": int(u.disabled), "changed_at": at}


def _province_user(row: Any) -> ProvinceUser:
    return ProvinceUser(username=row.username, name=row.name, password_hash=row.password_hash, role=row.role,
                        sites=tuple(json.loads(row.sites)), disabled=bool(row.disabled))


def _client_row(site_id: str, c: ClientConfig, at: int) -> dict[str, Any]:
    return {"site": site_id, "kind": c.kind, "id": c.id, "entry": json.dumps(devices.entry(c), ensure_ascii=False),
            "changed_at": at}


def _officer(row: Any) -> OfficerConfig:
    return OfficerConfig(username=row.username, name=row.name, password_hash=row.password_hash,
                         counters=tuple(json.loads(row.counters)), role=row.role, disabled=bool(row.disabled))


def _entry(person: dict[str, Any]) -> dict[str, Any]:
    """A person as config.yaml writes them (an empty counters list left out, as a leader's is)."""
    entry: dict[str, Any] = {k: person[k] for k in ("username", "name", "role", "password_hash") if k in person}
    if person.get("counters") or person.get("role") != "leader":
        entry["counters"] = person.get("counters")
    return entry


def _to_json(o: OfficerConfig) -> dict[str, Any]:
    return {"username": o.username, "name": o.name, "role": o.role, "counters": list(o.counters),
            "password_hash": o.password_hash, "disabled": o.disabled}


def _from_json(o: dict[str, Any]) -> OfficerConfig:
    return OfficerConfig(username=o["username"], name=o["name"], password_hash=o["password_hash"],
                         counters=tuple(o["counters"]), role=o["role"], disabled=bool(o["disabled"]))


def hours_json(hours: OpeningHours) -> dict[str, Any]:
    """A site's opening hours and days off as the pages edit them: every day's sessions, or always."""
    return {"always": hours.always,
            "week": {DAY_NAMES[d]: [f"{a:%H:%M}-{b:%H:%M}" for a, b in hours.week.get(d, ())] for d in range(7)},
            "calendar": hours.calendar or "none",
            "extra": sorted(d.isoformat() for d in hours.holidays),
            "working_days": sorted(d.isoformat() for d in hours.working_days)}


def opening_hours_from(site: SiteConfig, document: Any) -> OpeningHours:
    """hours_json's shape read by config.yaml's own reader (the same rules and messages), or
    BadRequest listing what is wrong."""
    if not isinstance(document, dict):
        raise BadRequest("Send the hours as an object.", code="bad_hours")
    errors: list[str] = []
    holidays = {"calendar": document.get("calendar", "VN"), "extra": document.get("extra") or [],
                "working_days": document.get("working_days") or []}
    week: dict = document["week"] if isinstance(document.get("week"), dict) else {}
    spec: Any = "always" if document.get("always") is True else {d: s for d, s in week.items() if s}
    if spec == {}:
        errors.append("week: the hall opens on no day (tick 'always' for a hall that never closes)")
    days_off = _days_off(Node(holidays, "holidays", errors))
    hours = _opening_hours(Node(spec, "opening_hours", errors), days_off)
    if errors:
        raise BadRequest("; ".join(errors), code="bad_hours", details={"errors": errors})
    return hours


def officer_json(o: OfficerConfig) -> dict[str, Any]:
    """What the pages show of a person: never the hash."""
    return {"username": o.username, "name": o.name, "role": o.role, "counters": list(o.counters),
            "disabled": o.disabled}


def stored_site_documents(sql: Engine, removed: set[str] | None = None) -> list[dict[str, Any]]:
    """The documents of the sites province admins added and did not remove (``removed``: when
    the caller has read them already), oldest first."""
    removed = removed_site_ids(sql) if removed is None else removed
    query = select(site_settings).where(site_settings.c.name == "site").order_by(site_settings.c.changed_at,
                                                                                  site_settings.c.site)
    with sql.connect() as conn:
        return [doc for doc in (json.loads(r.value) for r in conn.execute(query)) if doc.get("id") not in removed]


def removed_site_ids(sql: Engine) -> set[str]:
    with sql.connect() as conn:
        return set(conn.execute(select(site_settings.c.site).where(site_settings.c.name == "removed")).scalars())


class PeopleStore:
    def __init__(self, config: Config, client: redis.Redis | None, version_keys: dict[str, str],
                 sql: Callable[[], Engine], now_ms: Callable[[], int] = lambda: int(time.time() * 1000)):
        self.config = config
        self.client = client
        self.version_keys = version_keys      # site id (and PROVINCE, for its people) -> its version key
        self._sql = sql                       # opened on first use (the archive)
        self.now_ms = now_ms
        self.loaded: dict[str, bytes | None] = {}   # the version each site was loaded at here
        self.unchecked = False                      # SQL was out of reach at start: look again
        self._announced: set[str] = set()           # sites whose live administration the log has named
        self._lock = threading.Lock()
        self.stopped = False   # the server is shutting down: its watcher stops following
        # Told, after a site's devices were swapped here: (site id, the devices whose token no
        # longer opens anything (rotated, revoked, removed), the devices whose settings changed).
        self.on_devices: list[Callable[[str, set[tuple[str, str]], set[tuple[str, str]]], None]] = []
        # Told, after a site was added here (by a province admin, on any process): the site.
        self.on_site: list[Callable[[SiteConfig], None]] = []
        # Told, after a site was removed here (by a province admin, on any process): its id.
        self.on_site_removed: list[Callable[[str], None]] = []
        self.base_dir = config.server.data_dir   # where a new site's relative paths would be read
        # Told, after a site's counters were swapped here: the site id.
        self.on_hall: list[Callable[[str], None]] = []
        # Told, after a site's rating panels, printers or LED boards changed here: (site id, the
        # agents that serve a changed one).
        self.on_agents: list[Callable[[str, set[str]], None]] = []

    @property
    def scopes(self) -> list[str]:
        """What is administered live: each site, and the province's people (when its key is given)."""
        return [*self.config.sites, *([PROVINCE] if PROVINCE in self.version_keys else [])]

    # -- reading ----------------------------------------------------------------------------
    def start(self) -> None:
        """The sites' live people (``_start``); with the store out of reach, config.yaml's for now,
        and another try every second (``refresh``)."""
        try:
            self._start()
        except redis.RedisError as err:
            if not self.unchecked:
                logger.warning("people from config.yaml for now: Redis cannot be read (%s); trying again every "
                               "second", err)
            self.unchecked = True

    def _start(self) -> None:
        known = set(self.scopes)
        self._start_once()
        if set(self.scopes) != known:   # sites a province admin added: now their own live people, hours …
            self._start_once()

    def _start_once(self) -> None:
        """At start: each site's live people, if it has any (whatever config.yaml says). SQL is
        the truth; Redis keeps a copy that every process reads fast. A copy older than SQL (a
        `qms config import` while the server was stopped, a restored Redis) is replaced first.
        With SQL out of reach, the copy in Redis serves, and SQL is looked at again every second."""
        sql_down = False
        try:
            stamps = self._stamps()
        except SQLAlchemyError as err:
            if not self.unchecked:   # said once, not at every try
                logger.warning("the archive cannot be read (%s): people from Redis's copy or config.yaml until it "
                               "can; trying again every second", err)
            sql_down = True
        else:
            known = [s for s in stamps if s in self.scopes]   # (a site added later: on the second pass)
            cached = self._cached(known)
            stale = [s for s in known if (cached.get(s) or {}).get("stamp") != stamps[s]]
            if stale:
                live = self._live(stale)
                for site_id in stale:
                    self._publish(site_id, stamps[site_id], live[site_id])
        self._reload(self.scopes, self._versions())
        self.unchecked = sql_down   # all read (Redis's copy at least): look again only for SQL
        for site_id in self.config.sites:
            if self.loaded.get(site_id) is not None and site_id not in self._announced:
                self._announced.add(site_id)
                logger.info("site %s: changed in the live administration (config.yaml is its bootstrap only; "
                            "qms config export writes what is live)", site_id)

    def refresh(self) -> list[str]:
        """Reload each site whose version key moved since this process loaded it; the sites reloaded."""
        if self.unchecked:
            self.start()
        versions = self._versions()
        moved = [s for s in self.scopes if versions.get(s) != self.loaded.get(s)]
        return self._reload(moved, versions)

    def _reload(self, sites: list[str], versions: dict[str, bytes | None]) -> list[str]:
        cached = self._cached(sites)
        for site_id in sites:
            if site_id == PROVINCE:
                self._apply_province_copy(cached.get(PROVINCE) or {})
            elif site_id in self.config.sites:   # (not removed meanwhile)
                self._apply_site(self.config.sites[site_id], cached.get(site_id) or {})
            self.loaded[site_id] = versions.get(site_id)
        return sites

    def _apply_province_copy(self, copy: dict[str, Any]) -> None:
        """The province's live state: the sites added (first: leaders name sites) and removed,
        and its people."""
        for doc in copy.get("sites") or []:
            self._add_site(doc)
        for removed in copy.get("removed") or []:
            self._remove_site(removed)
        if copy.get("province_people") is not None:
            self._apply_province(copy["province_people"])

    def _apply_site(self, site: SiteConfig, copy: dict[str, Any]) -> None:
        """A site's live settings (None each: config.yaml's), in the order they name each other:
        the fields first (counters, devices, procedures and the remote caps name them), then the
        counters (people and devices name them), the rating levels before the devices (a panel's
        keys name levels), the devices last (they name counters, agents and kiosks)."""
        steps: list[tuple[str, Callable[[SiteConfig, Any], None]]] = [
            ("general", self._apply_general), ("fields", self._apply_fields), ("counters", self._apply_counters),
            ("categories", self._apply_categories), ("procedures", self._apply_procedures),
            ("ratings", self._apply_ratings), ("webhooks", self._apply_webhooks),
            *((b.name, functools.partial(self._apply_block, b)) for b in structure.BLOCKS)]
        for name, apply in steps:
            if copy.get(name) is not None:
                apply(site, copy[name])
        if copy.get("people") is not None:
            self._apply(site, {o["username"]: _from_json(o) for o in copy["people"]})
            logger.info("site %s: people reloaded (%d)", site.id, len(copy["people"]))
        if copy.get("hours") is not None:
            # Swapped whole, like the people: the hours and days off read by every request.
            object.__setattr__(site, "opening_hours", opening_hours_from(site, copy["hours"]))
            logger.info("site %s: opening hours and days off reloaded", site.id)
        if copy.get("clients") is not None:
            self._apply_clients(site, copy["clients"])
        if copy.get("devices") is not None:    # last: they name counters, agents and kiosks
            self._apply_devices(site, copy["devices"])

    def _add_site(self, doc: dict[str, Any]) -> SiteConfig | None:
        """A site added by a province admin, unless this process has it already: read from its
        document, put beside the others (the mapping swapped whole), and made known to those
        who listen (the engine's keys, the relay, sessions). Its own live people, fields … are
        loaded like any site's, from its version key, right after."""
        if doc.get("id") in self.config.sites:
            return None
        try:
            site = sites.read(self.config, doc, self.base_dir, new=False)
        except QmsError as err:
            logger.error("site %s added in the administration cannot be read here: %s", doc.get("id"), err)
            return None
        object.__setattr__(self.config, "sites", {**self.config.sites, site.id: site})
        for listener in self.on_site:
            listener(site)
        logger.info("site %s added (%s)", site.id, site.name)
        return site

    def _remove_site(self, site_id: str) -> None:
        """A site a province admin removed, if this process still has it: taken out of the
        mapping (swapped whole) and made known to those who listen (its keys, the relay's
        stream, the devices' tokens, the sockets still open)."""
        if site_id not in self.config.sites:
            return
        object.__setattr__(self.config, "sites", {k: v for k, v in self.config.sites.items() if k != site_id})
        self.loaded.pop(site_id, None)
        for listener in self.on_site_removed:
            listener(site_id)
        logger.info("site %s removed", site_id)

    def _apply_province(self, entries: list[dict[str, Any]]) -> None:
        """The province's people swapped whole (read by config.yaml's reader)."""
        users, errors = province.read(self.config, entries)
        for error in errors:
            logger.warning("the province's live people: %s", error)
        object.__setattr__(self.config.province, "users", users)
        logger.info("province: people reloaded (%d)", len(users))

    def _apply_general(self, site: SiteConfig, doc: dict[str, Any]) -> None:
        """The site's names, recent calls, no-show restore, kiosk rate, priority ratio and kiosk
        PIN, set; the hall's screens draw it again (its name is on every one)."""
        attrs, errors = structure.read_general(doc)
        for error in errors:
            logger.warning("site %s: a live setting cannot be read: %s", site.id, error)
        changed = {k: v for k, v in attrs.items() if getattr(site, k) != v}
        if changed and not errors:
            for key, value in changed.items():
                object.__setattr__(site, key, value)
            logger.info("site %s: settings reloaded (%s)", site.id, ", ".join(sorted(changed)))
            for listener in self.on_hall:
                listener(site.id)

    def set_general(self, site: SiteConfig, actor: str, changes: dict[str, Any]) -> dict[str, Any]:
        """Some of the site's general settings (structure.GENERAL), checked by config.yaml's rules."""
        old = structure.general_entry(site)
        new = {**old, **changes}
        _, errors = structure.read_general(new)
        if errors:
            raise BadRequest("; ".join(errors), code="bad_setting", details={"errors": errors})
        was = {k: v for k, v in old.items() if new[k] != v}
        if not was:
            return old
        shown = {k: ("…" if k == "kiosk_pin_hash" else v) for k, v in was.items()}   # never a hash in the audit
        self._change(site, actor, "site.update", site.id,
                     {"before": shown, "after": {k: ("…" if k == "kiosk_pin_hash" else new[k]) for k in was}},
                     self._setting(site, "general", new, based_on=old), first=None)
        return structure.general_entry(site)

    def _apply_fields(self, site: SiteConfig, entries: list[dict[str, Any]]) -> None:
        """The site's fields swapped whole; those who listen hear it (their screens draw the hall)."""
        fields, errors = structure.read_fields(entries)
        for error in errors:
            logger.warning("site %s: a live field cannot be read: %s", site.id, error)
        if fields and fields != site.fields:
            object.__setattr__(site, "fields", fields)
            logger.info("site %s: fields reloaded (%d)", site.id, len(fields))
            for listener in self.on_hall:
                listener(site.id)

    def _apply_categories(self, site: SiteConfig, entries: list[dict[str, Any]]) -> None:
        """The site's priority categories swapped whole; its screens draw the hall again (the
        kiosk offers the new list)."""
        categories, errors = structure.read_priorities(entries)
        for error in errors:
            logger.warning("site %s: a live priority category cannot be read: %s", site.id, error)
        if not errors and categories != site.categories:
            object.__setattr__(site, "categories", categories)
            logger.info("site %s: priority categories reloaded (%d)", site.id, len(categories))
            for listener in self.on_hall:
                listener(site.id)

    def _apply_procedures(self, site: SiteConfig, entries: list[dict[str, Any]]) -> None:
        """The site's procedure catalogue swapped whole (a kiosk's next search finds the new one)."""
        procedures, errors = structure.read_procedure_list(site, entries)
        for error in errors:
            logger.warning("site %s: a live procedure cannot be read: %s", site.id, error)
        if not errors and procedures != site.procedures:
            object.__setattr__(site, "catalogue", Catalogue(list(procedures.values())))
            logger.info("site %s: procedure catalogue reloaded (%d)", site.id, len(procedures))

    def _apply_block(self, block: structure.Block, site: SiteConfig, doc: dict[str, Any]) -> None:
        """A block of the site's settings (its remote numbers, its appointments), set: the next
        request reads it."""
        value, errors = block.read(doc, site.fields)
        for error in errors:
            logger.warning("site %s: the live %s cannot be read: %s", site.id, block.words, error)
        if not errors and value != block.of(site):
            object.__setattr__(site, block.name, value)
            logger.info("site %s: %s reloaded (%s)", site.id, block.words, "on" if value.enabled else "off")

    def set_block(self, block: structure.Block, site: SiteConfig, actor: str,
                  changes: dict[str, Any]) -> dict[str, Any]:
        """A block turned on or off, or its terms changed: audited as ``<name>.update`` with what
        changed (numbers taken and bookings made keep theirs)."""
        old = block.entry(block.of(site))
        new = block.entry(block.with_changes(site, changes))
        was = {k: v for k, v in old.items() if new[k] != v}
        if not was:
            return old
        self._change(site, actor, f"{block.name}.update", site.id,
                     {"before": was, "after": {k: new[k] for k in was}},
                     self._setting(site, block.name, new, based_on=old), first=None)
        return block.entry(block.of(site))

    def _apply_webhooks(self, site: SiteConfig, entries: list[dict[str, Any]]) -> None:
        """The site's webhooks swapped whole (the sender reads them from SQL itself)."""
        hooks, errors = read_webhooks(entries)
        for error in errors:
            logger.warning("site %s: a live webhook cannot be read: %s", site.id, error)
        if not errors and hooks != site.webhooks:
            object.__setattr__(site, "webhooks", hooks)
            logger.info("site %s: webhooks reloaded (%d)", site.id, len(hooks))

    def _apply_ratings(self, site: SiteConfig, doc: dict[str, Any]) -> None:
        """The site's rating levels, window and press limit, set (the next press is read by them)."""
        ratings, errors = structure.read_ratings(doc)
        for error in errors:
            logger.warning("site %s: the live rating levels cannot be read: %s", site.id, error)
        if not errors and ratings != site.ratings:
            object.__setattr__(site, "ratings", ratings)
            logger.info("site %s: rating levels reloaded (%d)", site.id, len(ratings.levels))

    def set_ratings(self, site: SiteConfig, actor: str, changes: dict[str, Any],
                    devices: dict[str, Any] | None = None) -> dict[str, Any]:
        """The rating levels, window or press limit changed (structure.ratings_with's checks,
        against ``devices``: by default the site's panels)."""
        old = structure.ratings_entry(site.ratings)
        new = structure.ratings_entry(structure.ratings_with(site, {**old, **changes}, devices))
        was = {k: v for k, v in old.items() if new[k] != v}
        if not was:
            return old
        self._change(site, actor, "ratings.update", site.id, {"before": was, "after": {k: new[k] for k in was}},
                     self._setting(site, "ratings", new, based_on=old), first=None)
        return structure.ratings_entry(site.ratings)

    def _apply_devices(self, site: SiteConfig, entries: list[dict[str, Any]]) -> None:
        """The site's rating panels, printers and LED boards swapped whole; those who listen hear
        which agents serve a changed device (they read their settings again)."""
        read, errors = structure.read_devices(site, entries)
        for error in errors:
            logger.warning("site %s: a live device cannot be read: %s", site.id, error)
        def entry(d):   # compared as config.yaml writes them (options included)
            return structure.device_entry(d) if d is not None else None

        if [entry(d) for d in read.values()] != [entry(d) for d in site.devices.values()]:
            changed = {d.agent for d in [*read.values(), *site.devices.values()]
                       if d.agent and entry(site.devices.get(d.id)) != entry(read.get(d.id))}
            object.__setattr__(site, "devices", read)
            logger.info("site %s: rating panels, printers and LED boards reloaded (%d)", site.id, len(read))
            for listener in self.on_agents:
                listener(site.id, changed)

    def _apply_counters(self, site: SiteConfig, entries: list[dict[str, Any]]) -> None:
        """The site's counters swapped whole; those who listen hear it (their screens draw the hall)."""
        counters, errors = structure.read_counters(site, entries)
        for error in errors:
            logger.warning("site %s: a live counter refers to what config.yaml no longer has: %s", site.id, error)
        if counters != site.counters:
            object.__setattr__(site, "counters", counters)
            logger.info("site %s: counters reloaded (%d)", site.id, len(counters))
            for listener in self.on_hall:
                listener(site.id)

    def _apply_clients(self, site: SiteConfig, entries: list[list[Any]]) -> None:
        """The site's kiosks, displays and agents swapped whole (each kind's mapping), then those
        who listen are told which devices' tokens ended and which devices' settings changed."""
        read, errors = devices.read_entries(site, entries)
        for error in errors:
            logger.warning("site %s: a live device refers to what config.yaml no longer has: %s", site.id, error)
        before = {(c.kind, c.id): c for c in devices.site_clients(site)}
        for attr, mapping in read.items():
            object.__setattr__(site, attr, mapping)
        after = {(c.kind, c.id): c for c in devices.site_clients(site)}
        ended = {k for k, c in before.items() if k not in after or after[k].disabled
                 or after[k].token_sha256 != c.token_sha256}
        # Compared as config.yaml writes them: a token kept as its digest only is no change.
        changed = {k for k, c in after.items() if k in before and k not in ended
                   and devices.entry(before[k]) != devices.entry(c)}
        if ended or changed or before.keys() != after.keys():
            logger.info("site %s: devices reloaded (%d; %d ended, %d changed)", site.id, len(after), len(ended),
                        len(changed))
            for listener in self.on_devices:
                listener(site.id, ended, changed)

    def apply_stored(self) -> None:
        """Each site's live people, hours and devices straight from SQL (the commands, which have no
        copy), the sites province admins added (and removed) first."""
        removed = self.removed_sites()
        for doc in self.stored_sites(removed):
            self._add_site(doc)
        for site_id in removed:
            self._remove_site(site_id)
        live = self._live(self.scopes)
        if live.get(PROVINCE, {}).get("province_people") is not None:
            self._apply_province(live[PROVINCE]["province_people"])
        for site_id, site in self.config.sites.items():
            self._apply_site(site, live[site_id])

    def _versions(self) -> dict[str, bytes | None]:
        if self.client is None:
            return {}
        pipe = self.client.pipeline(transaction=False)   # one round trip; each key is its site's slot
        for scope in self.scopes:
            pipe.get(self.version_keys[scope])
        return dict(zip(self.scopes, pipe.execute(), strict=True))

    def _cached(self, sites: list[str]) -> dict[str, dict[str, Any]]:
        """Redis's copy of each site's people: {"stamp", "people"}."""
        if self.client is None or not sites:
            return {}
        pipe = self.client.pipeline(transaction=False)
        for site_id in sites:
            pipe.get(self.version_keys[site_id] + ":data")
        return {s: json.loads(raw) for s, raw in zip(sites, pipe.execute(), strict=True) if raw}

    def _live(self, sites: list[str]) -> dict[str, dict[str, Any]]:
        """Each site's live people, hours and devices in SQL, as Redis's copy holds them (None for
        what has never been changed: config.yaml's)."""
        if PROVINCE in sites:
            rest = self._live([s for s in sites if s != PROVINCE]) if len(sites) > 1 else {}
            removed = self.removed_sites()
            return {**rest, PROVINCE: {"province_people": self._stored_province(),
                                       "sites": self.stored_sites(removed), "removed": sorted(removed)}}
        stored, clients = self._stored(sites), self._stored_clients(sites)
        settings = {name: self._stored_settings(sites, name) for name in structure.SETTINGS}
        return {s: {"people": [_to_json(o) for o in stored[s].values()] if s in stored else None,
                    **{name: values.get(s) for name, values in settings.items()}, "clients": clients.get(s)}
                for s in sites}

    def _publish(self, site_id: str, stamp: int, live: dict[str, Any]) -> None:
        """The site's live people, hours and devices (None: config.yaml's) into Redis, and its
        version moved, in one step (one slot)."""
        if self.client is None:   # `qms config import` beside an embedded Redis: the server's next start
            return
        data = json.dumps({"stamp": stamp, **live}, ensure_ascii=False)
        pipe = self.client.pipeline(transaction=True)
        pipe.set(self.version_keys[site_id] + ":data", data)
        pipe.incr(self.version_keys[site_id])
        pipe.execute()

    def _stamps(self) -> dict[str, int]:
        """Each site's last change in SQL (the id of its newest audit row); sites never changed have none."""
        query = select(audit_log.c.site, func.max(audit_log.c.id)).group_by(audit_log.c.site)
        with self._sql().connect() as conn:
            return {site: stamp for site, stamp in conn.execute(query)}

    def _stored_settings(self, sites: list[str], name: str) -> dict[str, Any]:
        """A setting changed live (hours, counters) of each site that has one, as JSON."""
        query = select(site_settings).where(site_settings.c.site.in_(sites), site_settings.c.name == name)
        with self._sql().connect() as conn:
            return {row.site: json.loads(row.value) for row in conn.execute(query)}

    def stored_sites(self, removed: set[str] | None = None) -> list[dict[str, Any]]:
        """The documents of the sites province admins added and did not remove, oldest first."""
        return stored_site_documents(self._sql(), removed)

    def removed_sites(self) -> set[str]:
        """The sites province admins removed (config.yaml's or added ones)."""
        return removed_site_ids(self._sql())

    def _stored_province(self) -> list[dict[str, Any]] | None:
        """The province's live people as config.yaml entries; None until its first change."""
        with self._sql().connect() as conn:
            rows = list(conn.execute(select(province_people).order_by(province_people.c.username)))
        if not rows:
            return None
        return [province.entry(_province_user(r)) for r in rows]

    def _stored_clients(self, sites: list[str]) -> dict[str, list[list[Any]]]:
        """Each site's live devices as [kind, config.yaml entry] pairs, in a steady order."""
        query = select(site_clients).where(site_clients.c.site.in_(sites)).order_by(
            site_clients.c.site, site_clients.c.kind, site_clients.c.id)
        out: dict[str, list[list[Any]]] = {}
        with self._sql().connect() as conn:
            for row in conn.execute(query):
                out.setdefault(row.site, []).append([row.kind, json.loads(row.entry)])
        return out

    def _stored(self, sites: list[str] | None = None) -> dict[str, dict[str, OfficerConfig]]:
        query = select(people).order_by(people.c.site, people.c.username)
        if sites is not None:
            query = query.where(people.c.site.in_(sites))
        out: dict[str, dict[str, OfficerConfig]] = {}
        with self._sql().connect() as conn:
            for row in conn.execute(query):
                out.setdefault(row.site, {})[row.username] = _officer(row)
        return out

    def _apply(self, site: SiteConfig, officers: dict[str, OfficerConfig]) -> None:
        # SiteConfig is frozen for everyone else: this is the one place that changes a site,
        # by swapping the whole mapping (one reference), never editing it in place.
        object.__setattr__(site, "officers", dict(officers))

    def audit(self, site_id: str, limit: int = 200, before: int | None = None) -> list[dict[str, Any]]:
        query = select(audit_log).where(audit_log.c.site == site_id)
        if before is not None:
            query = query.where(audit_log.c.id < before)
        query = query.order_by(audit_log.c.id.desc()).limit(limit)
        with self._sql().connect() as conn:
            return [{"id": r.id, "at": r.at, "actor": r.actor, "action": r.action, "target": r.target,
                     "details": json.loads(r.details)} for r in conn.execute(query)]

    # -- changing ---------------------------------------------------------------------------
    def create(self, site: SiteConfig, actor: str, person: dict[str, Any], password_hash: str) -> OfficerConfig:
        """A new person of the site (username, name, role, counters)."""
        if person.get("username") in site.officers:
            raise Conflict(f"{person.get('username')!r} is already a person of this site.", code="username_taken")
        officer = self._checked(site, {**person, "password_hash": password_hash}, new=True)
        self._change(site, actor, "officer.create", officer.username, officer_json(officer),
                     lambda conn, at: conn.execute(insert(people).values(_row(site.id, officer, at))))
        return officer

    def update(self, site: SiteConfig, actor: str, username: str, changes: dict[str, Any]) -> OfficerConfig:
        """Name, role, counters or disabled of a person; the audit row says what was and what is."""
        old = self._existing(site, username)
        merged = {**officer_json(old), **changes, "password_hash": old.password_hash}
        officer = self._checked(site, merged, new=False)
        was = {k: v for k, v in officer_json(old).items() if k in changes and officer_json(officer)[k] != v}
        if not was:
            return old
        action = ("officer.disable" if changes.get("disabled") is True else
                  "officer.enable" if changes.get("disabled") is False and len(changes) == 1 else "officer.update")
        now = {k: officer_json(officer)[k] for k in was}
        self._change(site, actor, action, username, {"before": was, "after": now},
                     lambda conn, at: conn.execute(
                         update(people).where(people.c.site == site.id, people.c.username == username)
                         .values(**{k: v for k, v in _row(site.id, officer, at).items()
                                    if k not in ("site", "username")})))
        return officer

    def set_password(self, site: SiteConfig, actor: str, username: str, password_hash: str, action: str) -> None:
        """A new password (``officer.password_reset`` by an admin, ``officer.password_change`` by the
        officer): the sessions opened with the old one end at their next use."""
        self._existing(site, username)
        self._change(site, actor, action, username, {},
                     lambda conn, at: conn.execute(
                         update(people).where(people.c.site == site.id, people.c.username == username)
                         .values(password_hash=password_hash, changed_at=at)))

    @staticmethod
    def _imported(conn: Connection, site: Any, at: int, details: dict[str, Any]) -> None:
        conn.execute(insert(audit_log).values(site=site.id, at=at, actor="system", action="config.import",
                                              target=site.id, details=json.dumps(details)))

    def _existing(self, site: SiteConfig, username: str) -> OfficerConfig:
        officer = site.officers.get(username)
        if officer is None:
            raise NotFound(f"No person {username!r} at this site.", code="unknown_officer")
        return officer

    def _checked(self, site: SiteConfig, person: dict[str, Any], new: bool) -> OfficerConfig:
        """The person as config.yaml would read them among the site's others (the same rules and
        messages), or BadRequest listing what is wrong."""
        username = person.get("username")
        others = [_entry(officer_json(o) | {"password_hash": o.password_hash})
                  for o in site.officers.values() if o.username != username]
        errors: list[str] = []
        read = _officers(Node([*others, _entry(person)], "officers", errors), site.counters)
        here = f"officers[{len(others)}]"
        mine = [e[len(here):].lstrip(".:").strip() for e in errors if e.startswith(here)]
        elsewhere = self.config.province.users.keys() | {u for s in self.config.sites.values() if s is not site
                                                         for u in s.officers}
        if not str(person.get("name") or "").strip():
            mine.append("name: is required")
        elif len(str(person.get("name"))) > MAX_NAME:
            mine.append(f"name: at most {MAX_NAME} characters")
        if new and username in elsewhere:
            mine.append(f"username: {username!r} is already a person of another site or of the province")
        if mine or not isinstance(username, str) or username not in read:
            raise BadRequest("; ".join(mine) or "The person could not be read.", code="bad_person",
                             details={"errors": mine})
        officer = read[username]
        return OfficerConfig(officer.username, officer.name, officer.password_hash, officer.counters, officer.role,
                             disabled=bool(person.get("disabled")))

    def _change(self, site: Any, actor: str, action: str, target: str, details: dict[str, Any],
                write: Callable[[Connection, int], Any], first: str | None = "people") -> None:
        """One change: SQL with its audit row in one transaction, then Redis's copy. ``site``: a
        SiteConfig, or PROVINCE_SCOPE. ``first``: what the first change of its kind copies from
        config.yaml (people, devices, province)."""
        at = self.now_ms()
        with self._lock, self._sql().begin() as conn:
            if first == "province" and not conn.execute(select(func.count()).select_from(province_people)).scalar():
                users = list(self.config.province.users.values())
                if users:
                    conn.execute(insert(province_people), [_province_row(u, at) for u in users])
                self._imported(conn, site, at, {"from": "config.yaml", "people": len(users)})
            if first == "people" and not conn.execute(
                    select(func.count()).select_from(people).where(people.c.site == site.id)).scalar():
                # The site's first change: its people are config.yaml's until now.
                conn.execute(insert(people), [_row(site.id, o, at) for o in site.officers.values()])
                self._imported(conn, site, at, {"from": "config.yaml", "people": len(site.officers)})
            if first == "devices" and not conn.execute(
                    select(func.count()).select_from(site_clients).where(site_clients.c.site == site.id)).scalar():
                present = devices.site_clients(site)
                if present:
                    conn.execute(insert(site_clients), [_client_row(site.id, c, at) for c in present])
                self._imported(conn, site, at, {"from": "config.yaml", "devices": len(present)})
            write(conn, at)
            inserted = conn.execute(insert(audit_log).values(
                site=site.id, at=at, actor=actor, action=action, target=target,
                details=json.dumps(details, ensure_ascii=False))).inserted_primary_key
            assert inserted is not None
            stamp = inserted[0]
        logger.info("admin change site=%s actor=%s action=%s target=%s", site.id, actor, action, target)
        self._publish(site.id, stamp, self._live([site.id])[site.id])
        if self.client is not None:
            self.refresh()   # this process at once; the others within a second

    # -- the province's people ---------------------------------------------------------------
    def create_province_person(self, actor: str, person: dict[str, Any], password_hash: str) -> ProvinceUser:
        """A new province admin or leader (username, name, role, sites)."""
        if person.get("username") in self.config.province.users:
            raise Conflict(f"{person.get('username')!r} is already a person of the province.", code="username_taken")
        if any(person.get("username") in s.officers for s in self.config.sites.values()):
            raise BadRequest("username: already a person of a site: one name, one person", code="bad_person",
                             details={"errors": ["username: already a person of a site: one name, one person"]})
        user = province.checked(self.config, {**person, "password_hash": password_hash})
        self._change(PROVINCE_SCOPE, actor, "province_user.create", user.username, province.person_json(user),
                     lambda conn, at: conn.execute(insert(province_people).values(_province_row(user, at))),
                     first="province")
        return user

    def update_province_person(self, actor: str, username: str, changes: dict[str, Any]) -> ProvinceUser:
        """Name, role, sites or disabled of a province person; audited from what to what."""
        old = self._province_person(username)
        before = province.person_json(old)
        user = province.checked(self.config, {**before, **changes, "password_hash": old.password_hash})
        what, details = _difference(before, province.person_json(user))
        if what != "update" or not details["before"]:
            return old
        action = ("province_user.disable" if changes.get("disabled") is True else
                  "province_user.enable" if list(details["after"]) == ["disabled"] else "province_user.update")
        self._change(PROVINCE_SCOPE, actor, action, username, details,
                     lambda conn, at: self._write_province(conn, user, at), first="province")
        return user

    def set_province_password(self, actor: str, username: str, password_hash: str, action: str) -> None:
        user = replace(self._province_person(username), password_hash=password_hash)
        self._change(PROVINCE_SCOPE, actor, action, username, {},
                     lambda conn, at: self._write_province(conn, user, at), first="province")

    @staticmethod
    def _write_province(conn: Connection, user: ProvinceUser, at: int) -> None:
        row = _province_row(user, at)
        conn.execute(update(province_people).where(province_people.c.username == user.username)
                     .values(**{k: v for k, v in row.items() if k != "username"}))

    def _province_person(self, username: str) -> ProvinceUser:
        user = self.config.province.users.get(username)
        if user is None:
            raise NotFound(f"No person {username!r} of the province.", code="unknown_officer")
        return user

    def create_site(self, actor: str, doc: dict[str, Any]) -> SiteConfig:
        """A new site from its bootstrap document (sites.bootstrap), checked whole by config.yaml's
        reader; on every process within a second."""
        site = sites.read(self.config, doc, self.base_dir)
        details = {"id": site.id, "name": site.name, "field": next(iter(site.fields)),
                   "admin": next(iter(site.officers))}
        store = self._setting(_Scope(site.id), "site", doc)

        def write(conn: Connection, at: int) -> None:
            conn.execute(delete(site_settings).where(site_settings.c.site == site.id,
                                                     site_settings.c.name == "removed"))
            store(conn, at)

        self._change(PROVINCE_SCOPE, actor, "site.create", site.id, details, write, first=None)
        if self.client is None:
            self._add_site(doc)   # no Redis copy (the commands): straight in
        return self.config.sites[site.id]

    def remove_site(self, actor: str, site: SiteConfig) -> None:
        """A site closed for good (a commune merged into another): gone from every process within
        a second, its devices' tokens and its people's sessions opening nothing. Its live
        administration (people, devices, settings) is dropped, so a site made later with the
        same code starts afresh; its history stays in the archive and its changes in the audit.
        The callers check first that nobody waits or is served there."""
        def write(conn: Connection, at: int) -> None:
            for table in (people, site_clients, site_settings):
                conn.execute(delete(table).where(table.c.site == site.id))
            conn.execute(insert(site_settings).values(site=site.id, name="removed", changed_at=at,
                                                      value=json.dumps({"name": site.name}, ensure_ascii=False)))

        copy = self.version_keys.get(site.id)
        self._change(PROVINCE_SCOPE, actor, "site.remove", site.id, {"id": site.id, "name": site.name}, write,
                     first=None)
        if self.client is None:
            self._remove_site(site.id)
        elif copy is not None:
            # Redis's copy of its people and devices goes too: a site made later with the same
            # code must not be loaded from it.
            self.client.delete(copy + ":data")

    def replace_province(self, actor: str, users: list[ProvinceUser], source: str) -> None:
        """The province's people from a file (``qms config import``), audited as one change."""
        def write(conn: Connection, at: int) -> None:
            conn.execute(delete(province_people))
            if users:
                conn.execute(insert(province_people), [_province_row(u, at) for u in users])

        self._change(PROVINCE_SCOPE, actor, "config.import", PROVINCE, {"from": source, "people": len(users)}, write,
                     first=None)

    def province_audit(self, limit: int = 200) -> list[dict[str, Any]]:
        return self.audit(PROVINCE, limit)

    def set_hours(self, site: SiteConfig, actor: str, document: dict[str, Any]) -> dict[str, Any]:
        """The site's opening hours and days off (hours_json's shape), checked by config.yaml's reader."""
        new = hours_json(opening_hours_from(site, document))
        old = hours_json(site.opening_hours)
        if new == old:
            return old
        changed = [k for k in new if new[k] != old[k]]

        self._change(site, actor, "hours.update", site.id,
                     {"before": {k: old[k] for k in changed}, "after": {k: new[k] for k in changed}},
                     self._setting(site, "hours", new, based_on=old), first=None)
        return new

    @staticmethod
    def _setting(site: Any, name: str, value: Any, based_on: Any = None) -> Callable[[Connection, int], None]:
        """Writes a site's setting whole. ``based_on``: what the change was made from (this
        process's copy, up to a second old); if SQL holds something else, another process
        changed it meanwhile and this change is refused (409), not written over it."""
        def write(conn: Connection, at: int) -> None:
            if based_on is not None:
                stored = conn.execute(select(site_settings.c.value).where(
                    site_settings.c.site == site.id, site_settings.c.name == name).with_for_update()).scalar()
                if stored is not None and json.loads(stored) != based_on:
                    raise Conflict("Someone else changed this a moment ago: look again and repeat the change.",
                                   code="changed_meanwhile")
            conn.execute(delete(site_settings).where(site_settings.c.site == site.id, site_settings.c.name == name))
            conn.execute(insert(site_settings).values(site=site.id, name=name,
                                                      value=json.dumps(value, ensure_ascii=False), changed_at=at))
        return write

    def set_counter(self, site: SiteConfig, actor: str, number: int, document: dict[str, Any] | None) -> None:
        """Counter ``number`` added, changed (name, fields, policy) or removed (None)."""
        self.set_listed(site, actor, structure.COUNTERS, number, document)

    def set_listed(self, site: SiteConfig, actor: str, kind: structure.Listed, key: Any,
                   document: dict[str, Any] | None) -> None:
        """An entry of one of the site's lists (a field, a counter) added, changed or removed
        (None), checked with the whole list by config.yaml's reader; an entry anyone names
        cannot be removed."""
        old = getattr(site, kind.setting).get(key)
        if document is None:
            if old is None:
                raise NotFound(f"No {kind.name} {key} at this site.", code=f"unknown_{kind.name}")
            users = kind.naming(site, key)
            if users:
                raise Conflict(f"{kind.name.capitalize()} {key} is named by "
                               f"{', '.join(u['kind'] + ' ' + u['id'] for u in users)}: change them first.",
                               code=kind.in_use_code, details={"named_by": users})
        merged = None if document is None else {**(kind.entry(old) if old else {}), **document}
        entries = kind.changed(site, key, merged)
        before = kind.entry(old) if old else None
        after = kind.entry(entries[key]) if key in entries else None
        if before == after:
            return
        what, details = _difference(before, after)
        details = ({k: _hiding(v, kind.hidden) for k, v in details.items()} if what == "update"
                   else _hiding(details, kind.hidden) or {})
        based_on = [kind.entry(e) for e in getattr(site, kind.setting).values()]
        self._change(site, actor, f"{kind.name}.{what}", str(key), details,
                     self._setting(site, kind.setting, [kind.entry(e) for e in entries.values()], based_on),
                     first=None)

    def replace(self, site: SiteConfig, actor: str, officers: dict[str, OfficerConfig], source: str) -> None:
        """Every person of the site from a file (``qms config import``), audited as one change."""
        def write(conn: Connection, at: int) -> None:
            conn.execute(delete(people).where(people.c.site == site.id))
            if officers:
                conn.execute(insert(people), [_row(site.id, o, at) for o in officers.values()])

        self._change(site, actor, "config.import", site.id, {"from": source, "people": len(officers)}, write)

    # -- devices ----------------------------------------------------------------------------
    def create_device(self, site: SiteConfig, actor: str, kind: str,
                      document: dict[str, Any]) -> tuple[ClientConfig, str]:
        """A new kiosk, display or agent, and its token (to show once: only its digest is kept)."""
        token = devices.new_token(kind)
        client = devices.checked(site, kind, document, devices.token_digest(token))
        if client.id in getattr(site, devices.KINDS.get(kind, ""), {}):
            raise Conflict(f"There is already a {kind} {client.id!r} at this site.", code="device_taken")
        self._change(site, actor, f"{kind}.create", client.id, devices.client_json(client),
                     lambda conn, at: conn.execute(insert(site_clients).values(_client_row(site.id, client, at))),
                     first="devices")
        return client, token

    def update_device(self, site: SiteConfig, actor: str, kind: str, device_id: str,
                      changes: dict[str, Any]) -> ClientConfig:
        """A device's name and settings, or disabled (revoked: its token opens nothing, its
        screens are closed) or enabled again; the audit row says what was and what is."""
        old = self._device(site, kind, device_id)
        before = devices.client_json(old)
        settings = {k: v for k, v in before.items() if k != "kind" and (v or k != "name")}
        client = devices.checked(site, kind, {**settings, **changes, "id": device_id}, old.token_sha256, new=False)
        after = devices.client_json(client)
        was = {k: before[k] for k in after if before[k] != after[k]}
        if not was:
            return old
        action = (f"{kind}.revoke" if changes.get("disabled") is True else
                  f"{kind}.enable" if changes.get("disabled") is False and list(was) == ["disabled"] else
                  f"{kind}.update")
        self._change(site, actor, action, device_id, {"before": was, "after": {k: after[k] for k in was}},
                     lambda conn, at: self._write_device(conn, site, client, at), first="devices")
        return client

    def rotate_token(self, site: SiteConfig, actor: str, kind: str, device_id: str) -> str:
        """A new token for the device (to show once); the old one opens nothing from now on."""
        old = self._device(site, kind, device_id)
        token = devices.new_token(kind)
        client = replace(old, token="", token_sha256=devices.token_digest(token))
        self._change(site, actor, f"{kind}.token_rotate", device_id, {},
                     lambda conn, at: self._write_device(conn, site, client, at), first="devices")
        return token

    @staticmethod
    def _write_device(conn: Connection, site: SiteConfig, client: ClientConfig, at: int) -> None:
        row = _client_row(site.id, client, at)
        conn.execute(update(site_clients).where(site_clients.c.site == site.id, site_clients.c.kind == client.kind,
                                                site_clients.c.id == client.id)
                     .values(entry=row["entry"], changed_at=at))

    def _device(self, site: SiteConfig, kind: str, device_id: str) -> ClientConfig:
        client = getattr(site, devices.KINDS[kind]).get(device_id) if kind in devices.KINDS else None
        if client is None:
            raise NotFound(f"No {kind} {device_id!r} at this site.", code="unknown_device")
        return client

    def set_field(self, site: SiteConfig, actor: str, code: str, document: dict[str, Any] | None,
                  numbered_today: bool) -> None:
        """Field ``code`` added, changed or removed (None), checked whole by config.yaml's reader.
        A field anyone names cannot be removed; one that has given numbers today keeps its
        numbering (range, prefix, digits) until tomorrow, so no number is given twice."""
        old = site.fields.get(code)
        if old is not None and numbered_today:
            if document is None:
                raise Conflict(f"Field {code} has given numbers today: remove it after the day closes.",
                               code="field_numbered_today")
            now = structure.field_entry(old)
            if any(k in document and document[k] != now.get(k, "" if k == "prefix" else None)
                   for k in structure.NUMBERING):
                raise Conflict(f"Field {code} has given numbers today: change its numbering after the day closes.",
                               code="field_numbered_today")
        self.set_listed(site, actor, structure.FIELDS, code, document)

    def replace_listed(self, site: SiteConfig, actor: str, kind: structure.Listed, entries: dict[Any, Any],
                       source: str) -> None:
        """A whole list of the site (its fields, counters or devices) from a file (``qms config
        import``), audited as one change."""
        self._change(site, actor, "config.import", site.id, {"from": source, kind.setting: len(entries)},
                     self._setting(site, kind.setting, [kind.entry(e) for e in entries.values()]), first=None)

    def replace_devices(self, site: SiteConfig, actor: str, clients: list[ClientConfig], source: str) -> None:
        """Every device of the site from a file (``qms config import``), audited as one change."""
        def write(conn: Connection, at: int) -> None:
            conn.execute(delete(site_clients).where(site_clients.c.site == site.id))
            if clients:
                conn.execute(insert(site_clients), [_client_row(site.id, c, at) for c in clients])

        self._change(site, actor, "config.import", site.id, {"from": source, "devices": len(clients)}, write,
                     first=None)
