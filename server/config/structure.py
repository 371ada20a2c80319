"""A site's fields and counters as the live administration changes them: a field's names,
numbers, cap, target and agency; which fields each counter serves, in what order (its policy),
its name; fields and counters added and removed.

A change is checked by config.yaml's own reader on the site's whole list (``_fields``,
``_counters``), then against everything that names it: a field named by a counter, a kiosk, a
display or the procedure catalogue cannot go, nor a counter named by an officer, a display, a
rating panel or a printer. Each list is kept whole in SQL (``site_settings``, names ``fields``
and ``counters``) and in Redis's copy, and swapped whole in every process, like the people.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from ..errors import BadRequest, Conflict
from . import (
    PASSWORD_HASH,
    CounterConfig,
    DeviceConfig,
    FieldConfig,
    PriorityCategory,
    SiteConfig,
    _counters,
    _fields,
    _priority,
    default_dossiers,
    read_timezone,
)
from .appointments import AppointmentsConfig, parse_appointments
from .catalogue import Procedure, read_procedures
from .devices import RatingConfig, parse_devices, parse_ratings
from .reader import Node
from .remote import RemoteConfig, parse_remote
from .webhooks import Webhook, read_webhooks, webhook_entry

MAX_NAME = 60
T = TypeVar("T")


def _minutes(seconds: int) -> int | float:
    return seconds // 60 if seconds % 60 == 0 else seconds / 60


def field_entry(f: FieldConfig) -> dict[str, Any]:
    """A field as config.yaml writes it (and as the pages edit it)."""
    out: dict[str, Any] = {"code": f.code, "name": f.name, "name_en": f.name_en, "numbers": f"{f.first}-{f.last}",
                           "prefix": f.prefix, "digits": f.digits, "daily_cap": f.daily_cap,
                           "target_wait_minutes": _minutes(f.target_wait_seconds),
                           "service_minutes": _minutes(f.service_seconds), "agency": f.agency,
                           "kind": f.kind if f.kind != "service" else "", "pickup": f.pickup, "bulk": f.bulk,
                           "dossiers_per_ticket": None if f.dossiers_per_ticket == default_dossiers(f.kind)
                           else f.dossiers_per_ticket}
    return {k: v for k, v in out.items() if v not in ("", None)}


NUMBERING = ("numbers", "prefix", "digits")   # what a field that has issued today keeps until tomorrow
# What the pages have words for (fields.<key>).
FIELD_WORDS = ("name_en", "numbers", "prefix", "digits", "daily_cap", "target_wait_minutes", "service_minutes",
               "agency", "kind", "pickup", "bulk", "dossiers_per_ticket")


def read_fields(entries: list[dict[str, Any]]) -> tuple[dict[str, FieldConfig], list[str]]:
    errors: list[str] = []
    return _fields(Node(entries, "fields", errors)), errors


def fields_with(site: SiteConfig, code: str, document: dict[str, Any] | None) -> dict[str, FieldConfig]:
    """The site's fields with field ``code`` added or changed to ``document`` (None: removed),
    checked whole; BadRequest listing what is wrong, in config.yaml's words."""
    entries, at = _spliced(site.fields, code, field_entry, document, "code")
    if not entries:
        raise Conflict("A site keeps at least one field.", code="last_field")
    return _whole(read_fields(entries), f"fields[{at}]", "bad_field")


def _spliced(current: dict, key: Any, entry: Callable[[Any], dict[str, Any]], document: dict[str, Any] | None,
             key_name: str) -> tuple[list[dict[str, Any]], int]:
    """A site's list as config.yaml entries with entry ``key`` changed to ``document`` in its
    place (added last; None: removed), an empty box read as a setting left out (its default);
    and where that entry is."""
    entries = [entry(v) for k, v in current.items() if k != key]
    at = next((i for i, k in enumerate(current) if k == key), len(entries))
    if document is not None:
        entries.insert(at, {**{k: v for k, v in document.items() if v not in ("", None)}, key_name: key})
    return entries, at


def _whole(read: tuple[T, list[str]], here: str, code: str) -> T:
    """The list as read, or BadRequest with what is wrong (the changed entry's errors, named
    from inside it, or the list's own: an overlap, a number used twice)."""
    result, errors = read
    if errors:
        mine = [e[len(here):].lstrip(".:").strip() for e in errors if e.startswith(here)] or errors
        raise BadRequest("; ".join(mine), code=code, details={"errors": mine})
    return result


def field_naming(site: SiteConfig, code: str) -> list[dict[str, str]]:
    """Who names field ``code``: counters, kiosks, displays and the catalogue's procedures."""
    procedures = site.catalogue.procedures if site.catalogue is not None else []
    return ([{"kind": "field", "id": f.code} for f in site.fields.values() if code in (f.pickup, f.bulk)]
            + [{"kind": "counter", "id": str(c.number)} for c in site.counters.values() if code in c.fields]
            + [{"kind": "kiosk", "id": k.id} for k in site.kiosks.values() if code in k.fields]
            + [{"kind": "display", "id": d.id} for d in site.displays.values() if code in d.fields]
            + [{"kind": "procedure", "id": p.code} for p in procedures if p.field == code]
            + [{"kind": "remote", "id": code} for c in site.remote.caps if c == code]
            + [{"kind": "appointments", "id": code} for c in site.appointments.capacities if c == code])


def counter_entry(c: CounterConfig) -> dict[str, Any]:
    """A counter as config.yaml writes it (and as the pages edit it)."""
    return {"number": c.number, "name": c.name, "fields": list(c.fields), "policy": c.policy}


def read_counters(site: SiteConfig, entries: list[dict[str, Any]]) -> tuple[dict[int, CounterConfig], list[str]]:
    """Entries read by config.yaml's reader against the site's fields: the counters, and what is wrong."""
    errors: list[str] = []
    counters = _counters(Node(entries, "counters", errors), site.fields)
    return counters, errors


def counters_with(site: SiteConfig, number: int, document: dict[str, Any] | None) -> dict[int, CounterConfig]:
    """The site's counters with counter ``number`` added or changed to ``document`` (None:
    removed), checked whole; BadRequest listing what is wrong, in config.yaml's words."""
    entries = [counter_entry(c) for n, c in site.counters.items() if n != number]
    at = next((i for i, n in enumerate(site.counters) if n == number), len(entries))
    if document is not None:
        name = document.get("name")
        if not isinstance(name, str) or not name.strip():
            raise BadRequest("name: is required", code="bad_counter", details={"errors": ["name: is required"]})
        if len(name) > MAX_NAME:
            raise BadRequest(f"name: at most {MAX_NAME} characters", code="bad_counter",
                             details={"errors": [f"name: at most {MAX_NAME} characters"]})
        entries.insert(at, {"number": number, **{k: v for k, v in document.items() if k != "number"}})
    if not entries:
        raise Conflict("A site keeps at least one counter.", code="last_counter")
    return _whole(read_counters(site, entries), f"counters[{at}]", "bad_counter")


def naming(site: SiteConfig, number: int) -> list[dict[str, str]]:
    """Who names counter ``number``: officers, displays, rating panels and printers, each as
    {"kind", "id"} (kind: officer, display, or a device's kind)."""
    return ([{"kind": "officer", "id": o.username} for o in site.officers.values() if number in o.counters]
            + [{"kind": "display", "id": d.id} for d in site.displays.values() if number in d.counters]
            + [{"kind": d.kind, "id": d.id} for d in site.devices.values() if d.counter == number])


def device_entry(d: DeviceConfig) -> dict[str, Any]:
    """A rating panel, printer or LED board as config.yaml writes it."""
    out: dict[str, Any] = {"id": d.id, "kind": d.kind, "url": d.url, "counter": d.counter, "agent": d.agent,
                           "options": {k: v for k, v in d.options.items() if v is not None}}
    return {k: v for k, v in out.items() if v not in (None, {})}


def read_devices(site: SiteConfig, entries: list[dict[str, Any]]) -> tuple[dict[str, DeviceConfig], list[str]]:
    """Entries read by config.yaml's reader against the site's counters, agents and kiosks."""
    errors: list[str] = []
    devices = parse_devices(Node(entries, "devices", errors), site.counters, set(site.agents), set(site.kiosks),
                            site.ratings)
    return devices, errors


def devices_with(site: SiteConfig, device_id: str, document: dict[str, Any] | None) -> dict[str, DeviceConfig]:
    """The site's devices with ``device_id`` added or changed to ``document`` (None: removed),
    checked whole (a bus shared by two panels, say); BadRequest in config.yaml's words."""
    entries, at = _spliced(site.devices, device_id, device_entry, document, "id")
    return _whole(read_devices(site, entries), f"devices[{at}]", "bad_device")


def priority_entry(c: PriorityCategory) -> dict[str, Any]:
    """A priority category (người có công, người cao tuổi …) as config.yaml writes it."""
    out: dict[str, Any] = {"code": c.code, "name": c.name, "name_en": c.name_en, "weight": c.weight}
    return {k: v for k, v in out.items() if v not in ("", None)}


def read_priorities(entries: list[dict[str, Any]]) -> tuple[dict[str, PriorityCategory], list[str]]:
    """Entries read by config.yaml's reader (``priority.categories``)."""
    errors: list[str] = []
    _, categories = _priority(Node({"ratio": "1:1", "categories": entries}, "priority", errors))
    return categories, [e.removeprefix("priority.") for e in errors]


def priorities_with(site: SiteConfig, code: str, document: dict[str, Any] | None) -> dict[str, PriorityCategory]:
    """The site's priority categories with ``code`` added or changed to ``document`` (None:
    removed), checked whole; BadRequest in config.yaml's words. A site may have none (the
    kiosk then offers no priority)."""
    entries, at = _spliced(site.categories, code, priority_entry, document, "code")
    return _whole(read_priorities(entries), f"categories[{at}]", "bad_priority")


def procedure_entry(p: Procedure) -> dict[str, Any]:
    """A procedure of the catalogue as config.yaml (or a catalogue file) writes it."""
    return {k: v for k, v in p.to_json().items() if v not in ("", None, [])}


def read_procedure_list(site: SiteConfig, entries: list[dict[str, Any]]) -> tuple[dict[str, Procedure], list[str]]:
    """Entries read by the catalogue's reader against the site's fields."""
    errors: list[str] = []
    procedures = read_procedures(Node(entries, "procedures", errors), set(site.fields))
    return {p.code: p for p in procedures}, errors


def procedures_with(site: SiteConfig, code: str, document: dict[str, Any] | None) -> dict[str, Procedure]:
    """The catalogue with procedure ``code`` added or changed to ``document`` (None: removed),
    checked whole; BadRequest in config.yaml's words. A site may have none."""
    entries, at = _spliced(site.procedures, code, procedure_entry, document, "code")
    return _whole(read_procedure_list(site, entries), f"procedures[{at}]", "bad_procedure")


def ratings_entry(r: RatingConfig) -> dict[str, Any]:
    """The rating levels (what each button of a panel means), the window in which a press rates
    the visitor just served, and the presses a panel may send in a minute, as config.yaml
    writes them."""
    return {"window_minutes": _minutes(r.window_seconds), "presses_per_minute": r.presses_per_minute,
            "levels": [{k: v for k, v in {"level": lv.level, "name": lv.name, "name_en": lv.name_en,
                                          "category": lv.category, "score": lv.score}.items() if v != ""}
                       for lv in r.levels]}


def read_ratings(doc: Any) -> tuple[RatingConfig, list[str]]:
    errors: list[str] = []
    ratings = parse_ratings(Node(doc, "ratings", errors))
    return ratings, [e.removeprefix("ratings.") for e in errors]


def ratings_with(site: SiteConfig, doc: dict[str, Any], devices: dict[str, DeviceConfig] | None = None
                 ) -> RatingConfig:
    """The rating levels of ``doc``, checked by config.yaml's rules (2 to 5 levels, each in one
    of the official categories), and against the panels (``devices``, by default the site's): a
    level a panel's key stands for cannot go (Conflict naming the panels)."""
    devices = site.devices if devices is None else devices
    if not isinstance(doc.get("levels"), list) or not 2 <= len(doc["levels"]) <= 5:
        count = len(doc["levels"]) if isinstance(doc.get("levels"), list) else 0
        raise BadRequest(f"levels: a panel has 2 to 5 buttons, not {count}", code="bad_ratings",
                         details={"errors": [f"levels: a panel has 2 to 5 buttons, not {count}"]})
    ratings = _whole(read_ratings(doc), "", "bad_ratings")
    ratings = replace(ratings, levels=tuple(sorted(ratings.levels, key=lambda lv: -lv.level)))   # best first
    _, errors = read_devices(replace(site, ratings=ratings), [device_entry(d) for d in devices.values()])
    if errors:   # each said of the panel by its id ("panel-1.options.keys.3: no rating level 1")
        ids = list(devices)
        said = [(ids[int(e[len("devices["):e.index("]")])], e[e.index("]") + 1:]) if e.startswith("devices[")
                else ("", e) for e in errors]
        errors = [f"{panel}{rest}" for panel, rest in said]
        raise Conflict(f"A rating panel's keys stand for a level no longer there: {'; '.join(errors)}. "
                       "Change the panels' keys first.", code="rating_level_in_use",
                       details={"errors": errors, "named_by": [{"kind": "rating_panel", "id": panel}
                                                              for panel in dict.fromkeys(p for p, _ in said if p)]})
    return ratings


def webhooks_with(site: SiteConfig, hook_id: str, document: dict[str, Any] | None) -> dict[str, Webhook]:
    """The site's webhooks with ``hook_id`` added or changed to ``document`` (None: removed),
    checked whole by config.yaml's reader; BadRequest in its words."""
    entries, at = _spliced(site.webhooks, hook_id, webhook_entry, document, "id")
    return _whole(read_webhooks(entries), f"webhooks[{at}]", "bad_webhook")


# A site's own settings the administration changes (the rest is config.yaml's): as config.yaml
# names them, and the SiteConfig attribute each sets.
GENERAL = ("name", "name_en", "timezone", "recent_calls", "no_show_restore_minutes", "kiosk_tickets_per_minute",
           "priority_ratio", "kiosk_pin_hash")


def general_entry(site: SiteConfig) -> dict[str, Any]:
    """The site's general settings as they are now (the PIN as its hash)."""
    return {"name": site.name, "name_en": site.name_en, "timezone": str(site.timezone),
            "recent_calls": site.recent_calls,
            "no_show_restore_minutes": site.no_show_restore_seconds // 60,
            "kiosk_tickets_per_minute": site.kiosk_tickets_per_minute,
            "priority_ratio": f"{site.priority_ratio[0]}:{site.priority_ratio[1]}",
            "kiosk_pin_hash": site.kiosk_pin_hash}


def read_general(doc: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The settings as SiteConfig attributes, read by config.yaml's rules; and what is wrong."""
    errors: list[str] = []
    doc = {k: v for k, v in doc.items() if not (k == "kiosk_pin_hash" and not v)}   # no PIN set: none
    m = Node(doc, "site", errors).mapping(list(GENERAL))
    if m is None:
        return {}, errors
    ratio, _ = _priority(Node({"ratio": doc.get("priority_ratio")}, "priority", errors))
    attrs = {"name": m.text("name", required=True) or "", "name_en": m.text("name_en", "") or "",
             "timezone": read_timezone(m),
             "recent_calls": m.whole("recent_calls", 10, minimum=1, maximum=50),
             "no_show_restore_seconds": 60 * m.whole("no_show_restore_minutes", 30, minimum=0, maximum=24 * 60),
             "kiosk_tickets_per_minute": m.whole("kiosk_tickets_per_minute", 30, minimum=1, maximum=100_000),
             "priority_ratio": ratio,
             "kiosk_pin_hash": m.text("kiosk_pin_hash", "", pattern=PASSWORD_HASH, hint="a PIN's hash") or ""}
    if "timezone" not in doc:   # kept before the time zone was a live setting: config.yaml's stands
        del attrs["timezone"]
    if not str(attrs["name"]).strip():
        errors.append("site.name: is required")
    return attrs, [e.removeprefix("site.").removeprefix("priority.") for e in errors]


@dataclass(frozen=True)
class Listed:
    """One of a site's lists the administration changes an entry of: its name (audit actions,
    error codes), its setting (SiteConfig attribute, site_settings name) and how an entry is
    written, changed within the whole list, and named by others."""

    name: str
    setting: str
    entry: Callable[[Any], dict[str, Any]]
    changed: Callable[[SiteConfig, Any, dict[str, Any] | None], dict]
    naming: Callable[[SiteConfig, Any], list[dict[str, str]]]
    in_use: str = ""   # the refusal's code when an entry named by others is removed (default <name>_in_use)
    hidden: tuple[str, ...] = ()   # settings the audit says changed, never what to (a secret)

    @property
    def in_use_code(self) -> str:
        return self.in_use or f"{self.name}_in_use"


FIELDS = Listed("field", "fields", field_entry, fields_with, field_naming)
# (counter_in_use is the engine's: another officer is signed in at the counter.)
COUNTERS = Listed("counter", "counters", counter_entry, counters_with, naming, in_use="counter_assigned")
DEVICES = Listed("device", "devices", device_entry, devices_with, lambda site, key: [])
# Nothing names a category: a waiting ticket keeps the weight it was issued with.
PRIORITIES = Listed("priority", "categories", priority_entry, priorities_with, lambda site, key: [])
PROCEDURES = Listed("procedure", "procedures", procedure_entry, procedures_with, lambda site, key: [])
WEBHOOKS = Listed("webhook", "webhooks", webhook_entry, webhooks_with, lambda site, key: [], hidden=("secret",))


# -- settings that are one block of config.yaml per site (not a list) --------------------------
@dataclass(frozen=True)
class Block:
    """A site's block of config.yaml edited whole (the remote numbers, the appointments): its
    name (in config.yaml, ``site_settings``, the audit and the refusal's code ``bad_<name>``),
    how it is written back, and how it is read against the site's fields."""

    name: str
    entry: Callable[[Any], dict[str, Any]]
    parse: Callable[[Node, Any], Any]
    words: str   # what the log calls it

    def read(self, doc: Any, fields) -> tuple[Any, list[str]]:
        errors: list[str] = []
        value = self.parse(Node(doc, self.name, errors), fields)
        return value, [e.removeprefix(self.name + ".") for e in errors]

    def of(self, site: SiteConfig) -> Any:
        return getattr(site, self.name)

    def with_changes(self, site: SiteConfig, changes: dict[str, Any]) -> Any:
        """The site's block with ``changes``, read by config.yaml's rules; BadRequest saying what
        is wrong."""
        return _whole(self.read({**self.entry(self.of(site)), **changes}, site.fields), "", f"bad_{self.name}")


def remote_entry(r: RemoteConfig) -> dict[str, Any]:
    """The site's remote numbers as config.yaml writes them (and the settings page edits them)."""
    caps: dict[str, int] = dict(r.caps)
    if r.default_cap is not None:
        caps["default"] = r.default_cap
    return {"enabled": r.enabled, "opens_before_minutes": r.opens_before_minutes, "per_phone": r.per_phone,
            "caps": caps, "arrive_within_minutes": r.arrive_within_minutes, "otp_minutes": r.otp_minutes,
            "sms": r.sms}


def appointments_entry(a: AppointmentsConfig) -> dict[str, Any]:
    """The site's appointments as config.yaml writes them (and the settings page edits them)."""
    return {"enabled": a.enabled, "slot_minutes": a.slot_minutes,
            "capacity": {**a.capacities, "default": a.default_capacity}, "days_ahead": a.days_ahead,
            "per_phone": a.per_phone, "checkin_before_minutes": a.checkin_before_minutes,
            "late_minutes": a.late_minutes, "late": a.late, "order": a.order, "weight": a.weight,
            "offer_when_full": a.offer_when_full}


REMOTE = Block("remote", remote_entry, parse_remote, "remote numbers")   # numbers taken away from the hall
APPOINTMENTS = Block("appointments", appointments_entry, parse_appointments, "appointments")   # slots booked ahead
BLOCKS = (REMOTE, APPOINTMENTS)

# Every setting a site's administration changes live, by its name in ``site_settings`` (the
# processes load them, ``qms config export`` writes them into config.yaml).
SETTINGS = ("hours", "general", "fields", "counters", "categories", "procedures", "ratings", "webhooks", "devices",
            *(b.name for b in BLOCKS))
