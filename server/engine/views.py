"""Every JSON a client reads, shaped in one place from the stored records and the config:
tickets, counters, the snapshot screens draw, the events the relay pushes (and the phone's
stripped share of them), the leader's monitor, the printed ticket's words and the hall.
Nothing here reads or writes Redis."""
from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from ..config import SiteConfig
from ..config.opening_hours import DAY_NAMES
from ..i18n import translate
from .clock import from_ms
from .estimate import estimated_wait_seconds, service_samples, staffed_counters

# The visitor's own ticket, minus who served it (ratings are anonymous to the officer and
# the officer's name is not the visitor's business in a stored event).
PHONE_OWN_HIDDEN = ("officer", "last_officer", "actor")


def as_list(value: Any) -> list:
    """Lua's cjson writes an empty table as {}; the lists it stands for are empty lists."""
    return value if isinstance(value, list) else []


def seconds_between(start_ms: float | None, end_ms: float | None) -> int | None:
    if start_ms is None or end_ms is None:
        return None
    return round((end_ms - start_ms) / 1000)


def ticket_json(t: dict[str, Any], site: SiteConfig, **extra: Any) -> dict[str, Any]:
    """A stored ticket record as JSON for clients (times in the site's zone)."""
    tz = site.timezone
    field = site.fields.get(t["field"])
    out = {
        "id": t["id"],
        "number": t["number"],
        "label": t["label"],
        "field": t["field"],
        "field_name": field.name if field else t["field"],
        "field_name_en": field.name_en if field else "",
        "priority": t.get("category"),
        "state": t["state"],
        "counter": t.get("counter"),
        "target_counter": t.get("target_counter"),
        "officer": t.get("officer"),
        "recalls": t.get("recalls", 0),
        "transfers": t.get("transfers", 0),
        "issued_at": from_ms(t.get("issued_at"), tz),
        "called_at": from_ms(t.get("called_at"), tz),
        "started_at": from_ms(t.get("started_at"), tz),
        "finished_at": from_ms(t.get("finished_at"), tz),
        "waited_seconds": seconds_between(max(t.get("moved_at") or 0, t.get("transferred_at") or 0)
                                          or t.get("issued_at"), t.get("called_at")),
        "service_seconds": seconds_between(t.get("started_at"), t.get("finished_at")),
    }
    if t.get("reason"):
        out["reason"] = t["reason"]
    if t.get("next_fields") or t.get("visited"):   # a visit to several fields: done, now, next
        out["visit"] = {"done": as_list(t.get("visited")) + ([t["field"]] if t["state"] == "done" else []),
                        "next": as_list(t.get("next_fields")),
                        "step": int(t.get("step") or 1)}
    if t.get("remote"):   # taken away from the hall: confirmed at a kiosk by when, and whether it was
        out["remote"] = {"arrive_by": from_ms(t.get("arrive_by"), tz),
                         "checked_in_at": from_ms(t.get("checked_in_at"), tz)}
    if t.get("appointment"):   # a booking checked in: it joins its line at its slot time (due_at)
        out["appointment"] = {"code": t["appointment"], "due_at": from_ms(t.get("due_at"), tz),
                              "late": bool(t.get("appointment_late"))}
    if int(t.get("dossiers_declared") or 1) > 1:
        out["dossiers_declared"] = int(t["dossiers_declared"])   # a bulk submitter's dossiers
    if isinstance(t.get("pickup"), str) and t["pickup"]:
        out["pickup"] = t["pickup"]   # the dossier whose result this visitor collects
    if isinstance(t.get("dossiers"), list) and t["dossiers"]:
        out["dossiers"] = [d["code"] for d in t["dossiers"] if isinstance(d, dict)]
    if isinstance(t.get("rating"), dict):
        r = t["rating"]
        out["rating"] = {"level": r.get("level"), "category": r.get("category"), "score": r.get("score"),
                         "at": from_ms(r.get("at"), tz)}
    out.update(extra)
    return out


def counter_json(site: SiteConfig, record: dict, ticket: dict | None = None) -> dict:
    """A counter as screens show it; a counter never opened is closed."""
    number = int(record["id"])
    cfg = site.counters[number]
    officer = site.officers.get(record.get("officer") or "")
    out = {
        "number": number,
        "name": cfg.name,
        "fields": list(cfg.fields),
        "status": record.get("status", "closed"),
        "officer": record.get("officer"),
        "officer_name": officer.name if officer else None,
        "pause_reason": record.get("pause_reason"),
        "pause_pending": record.get("pause_pending"),
        "paused_at": from_ms(record.get("paused_at"), site.timezone),
        "current": record.get("current"),
        # Since when it has had no visitor (opened, finished, no-show, transfer, resumed).
        "free_since": from_ms(record.get("free_since"), site.timezone),
    }
    if ticket is not None:
        out["ticket"] = ticket
    return out


def remaining_numbers(field, last_number: int | None) -> int:
    """How many more tickets the field can issue today (its daily cap, or its number range)."""
    last = field.first - 1 if last_number is None else last_number
    left = field.last - last
    if field.daily_cap is not None:
        left = min(left, field.daily_cap - (last - field.first + 1))
    return max(0, left)


LIST_LIMIT = 100   # waiting tickets listed per field for the counter screens (the rest are counted)


class SnapshotView:
    """Shapes a snapshot script reply into the JSON screens read."""

    def __init__(self, site: SiteConfig, day: str, now_ms: int, reply: dict, with_lists: bool,
                 list_fields: set[str] | None = None, places_asked: bool = False):
        self.site, self.day, self.now, self.r, self.with_lists = site, day, now_ms, reply, with_lists
        # With lists: the fields whose waiting tickets are shaped (None: all).
        self.list_fields = list_fields
        self.places_asked = places_asked
        self.tickets = reply["tickets"] if isinstance(reply["tickets"], dict) else {}
        self.records: dict[str, dict] = {}          # counter records by id (set by build)
        self.samples: dict[str, list[int]] = {}     # recent service times by field (set by build)

    def build(self) -> dict:
        site, r = self.site, self.r
        self.records = records = {str(c["id"]): c for c in as_list(r["counters"])}
        self.samples = samples = {}
        flat = as_list(r["service_times"])
        for i in range(0, len(flat), 2):
            samples[flat[i]] = service_samples(flat[i + 1])
        counters = []
        for number in site.counters:
            rec = records.get(str(number), {"id": str(number), "status": "closed"})
            ticket = ticket_json(rec["ticket"], site) if isinstance(rec.get("ticket"), dict) else None
            counters.append(counter_json(site, rec, ticket))
        flat_numbers = as_list(r.get("numbers"))
        last_numbers = {flat_numbers[i]: int(flat_numbers[i + 1]) for i in range(0, len(flat_numbers), 2)}
        waiting = {}
        raw_waiting = r["waiting"] if isinstance(r["waiting"], dict) else {}
        for code in site.fields:
            w = raw_waiting.get(code, {})
            transferred = w.get("x", 0)  # this field's visitors waiting at a named counter
            total = w.get("p", 0) + w.get("n", 0) + transferred
            heads = [self.tickets[i] for i in as_list(w.get("heads")) if i in self.tickets]
            first = min(heads, key=lambda h: h.get("transferred_at") or h["issued_at"], default=None)
            oldest = (first.get("transferred_at") or first["issued_at"]) if first else None
            entry = {
                "field": code, "name": site.fields[code].name, "name_en": site.fields[code].name_en,
                "waiting": total, "priority": w.get("p", 0), "transferred": transferred,
                # Dossiers declared beyond one each: a newcomer waits for them too.
                "extra_dossiers": w.get("e", 0),
                "longest_wait_seconds": int((self.now - oldest) / 1000) if oldest else 0,
                "estimated_wait_seconds": self.eta(code, total + w.get("e", 0)),
                "counters_staffed": len(staffed_counters(site, code, records.values())),
                "target_wait_seconds": site.fields[code].target_wait_seconds,
                "remaining": remaining_numbers(site.fields[code], last_numbers.get(code)),
                "oldest": {"id": first["id"], "label": first["label"]} if first else None,
            }
            if self.with_lists:
                head = [i for lane in ("p_ids", "n_ids") for i in as_list(w.get(lane)) if i in self.tickets]
                if self.list_fields is None or code in self.list_fields:
                    # The head of the line, in call order: what a counter screen shows and calls
                    # from. The whole line would cost every push its length (a morning's 1,000).
                    entry["tickets"] = [ticket_json(self.tickets[i], site) for i in head[:LIST_LIMIT]]
                    entry["more"] = max(0, w.get("p", 0) + w.get("n", 0) - len(entry["tickets"]))
            waiting[code] = entry
        direct = r["direct"] if isinstance(r["direct"], dict) else {}
        out = {
            "site": site.id, "day": self.day, "seq": r["seq"],
            "now": from_ms(self.now, site.timezone),
            "counters": counters,
            "waiting": waiting,
            "counter_queues": {int(cid): [ticket_json(self.tickets[i], site) for i in ids if i in self.tickets]
                               for cid, ids in direct.items()},
            "calls": [{**call, "at": from_ms(call["at"], site.timezone)} for call in as_list(r["calls"])],
        }
        if self.with_lists:
            flat_ns = as_list(r.get("noshow"))
            out["no_shows"] = [ticket_json(self.tickets[flat_ns[i]], site)
                               for i in range(0, len(flat_ns), 2) if flat_ns[i] in self.tickets]
        return out


    def eta(self, code: str, ahead: int) -> int | None:
        """The estimated wait of someone with ``ahead`` people before them in the field (after build)."""
        return estimated_wait_seconds(self.site, code, ahead, self.records.values(), self.samples.get(code, []))

    def places(self) -> dict[str, dict]:
        """The place of each waiting ticket asked for (after build): people ahead, estimated
        wait, and the named counter it waits for when that counter is not open. The same figures
        as the ticket's own view (QueueEngine.ticket): a field's line is its priority lane, then
        its normal lane, each in call order, and the extra dossiers of those before count in the
        wait; a counter's queue is its own line."""
        if not self.places_asked:
            raise ValueError("no places were asked for: read the snapshot with places=[ticket ids]")
        raw = self.r.get("places")
        out: dict[str, dict] = {}
        for ticket_id, p in (raw.items() if isinstance(raw, dict) else ()):
            if p.get("counter"):
                number = int(p["counter"])
                status = self.records.get(str(number), {}).get("status", "closed")
                held = {"number": number, "status": status} if status != "open" else None
                out[ticket_id] = {"people_ahead": p["ahead"], "waiting_for_counter": held,
                                  "estimated_wait_seconds": None if held else self.eta(p["field"], p["ahead"])}
            else:
                out[ticket_id] = {"people_ahead": p["ahead"], "waiting_for_counter": None,
                                  "estimated_wait_seconds": self.eta(p["field"], p["ahead"] + p["extra"])}
        return out


def phone_waiting(waiting: dict[str, Any]) -> dict[str, Any]:
    """Each field's waiting count, without how many of them are priority visitors."""
    return {code: {"waiting": w.get("waiting", 0)} for code, w in waiting.items()}


def phone_event(event: dict[str, Any]) -> dict[str, Any]:
    """What a phone hears of an event of its own ticket besides the ticket: when, and its seq."""
    return {k: event[k] for k in ("seq", "type", "site", "at") if k in event}


def phone_own_ticket(ticket: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in ticket.items() if k not in PHONE_OWN_HIDDEN}


def public_event(site: SiteConfig, fields: dict[str, str]) -> dict[str, Any]:
    """A stream entry as clients receive it: ticket and counter shaped like the API's, no actor."""
    data = json.loads(fields["data"])
    data.pop("actor", None)
    data.pop("free", None)   # a counter's free span: for the archive's idle time, not for screens
    event: dict[str, Any] = {"seq": int(fields["seq"]), "type": fields["type"], "site": site.id,
                             "at": from_ms(int(fields["ts"]), site.timezone)}
    for key, value in data.items():
        if key == "ticket" and isinstance(value, dict):
            event["ticket"] = ticket_json(value, site)
        elif key == "booking" and isinstance(value, dict):
            # Screens need no booking's code (it checks the booking in at a kiosk): the slot only.
            event["booking"] = {k: value.get(k) for k in ("field", "slot", "status")}
        elif key == "counter_state" and isinstance(value, dict):
            event["counter_state"] = counter_json(site, value)
        elif key == "waiting" and isinstance(value, dict):
            fields_part = value.get("fields")
            fields_part = fields_part if isinstance(fields_part, dict) else {}
            counters_part = value.get("counters")
            counters_part = counters_part if isinstance(counters_part, dict) else {}
            event["waiting"] = {code: {"waiting": w.get("p", 0) + w.get("n", 0) + w.get("x", 0),
                                       "priority": w.get("p", 0), "transferred": w.get("x", 0),
                                       "extra_dossiers": w.get("e", 0)}
                                for code, w in fields_part.items()}
            event["counter_queues"] = {int(cid): n for cid, n in counters_part.items()}
        else:
            event[key] = value
    return event


def monitor_view(snapshot: dict) -> dict:
    """Per field: waiting, longest wait, estimate, target, over target; per counter: open, paused
    (reason, for how long), serving, or idle while visitors wait for it (for how long)."""
    now = datetime.fromisoformat(snapshot["now"])
    fields = []
    for w in snapshot["waiting"].values():
        fields.append({**{k: w[k] for k in ("field", "name", "name_en", "waiting", "priority", "longest_wait_seconds",
                                            "estimated_wait_seconds", "target_wait_seconds")},
                       "over_target": w["waiting"] > 0 and w["longest_wait_seconds"] > w["target_wait_seconds"],
                       "oldest": w.get("oldest")})
    counters = []
    waiting = {code: w["waiting"] for code, w in snapshot["waiting"].items()}
    for c in snapshot["counters"]:
        ticket = c.get("ticket") if c.get("ticket") and c["ticket"]["state"] in ("called", "serving") else None
        since = ticket and (ticket["started_at"] or ticket["called_at"])
        # Idle while visitors wait for it: open, nobody at it, someone in its fields' lines.
        for_it = sum(waiting.get(f, 0) for f in c.get("fields", []))
        idle = None
        if c["status"] == "open" and ticket is None and for_it > 0 and c.get("free_since"):
            idle = int((now - datetime.fromisoformat(c["free_since"])).total_seconds())
        counters.append({"number": c["number"], "name": c["name"], "status": c["status"],
                         "officer_name": c["officer_name"], "pause_reason": c["pause_reason"],
                         "paused_seconds": int((now - datetime.fromisoformat(c["paused_at"])).total_seconds())
                         if c["paused_at"] else None,
                         "ticket": ticket["label"] if ticket else None,
                         "ticket_state": ticket["state"] if ticket else None,
                         "ticket_seconds": int((now - datetime.fromisoformat(since)).total_seconds())
                         if since else None,
                         "idle_seconds": idle, "waiting_for_it": for_it})
    return {"site": snapshot["site"], "now": snapshot["now"], "seq": snapshot["seq"], "fields": fields,
            "counters": counters, "alerts": [f["field"] for f in fields if f["over_target"]]}


def local_time(iso: str | None, site: SiteConfig) -> str | None:
    """An ISO time an agent reported (in UTC, its own clock) in the site's zone, like every other
    time the server gives; None when missing or unreadable."""
    if not isinstance(iso, str):
        return None
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(site.timezone).isoformat(timespec="seconds")


def ticket_text(site: SiteConfig, ticket: dict, lang: str) -> dict:
    """The words printed on a ticket, in the kiosk's language (hardware.ticket_image lays them out)."""
    def t(key: str, **kw) -> str:
        return translate(lang, key, **kw)

    english = lang == "en"
    field = site.fields.get(ticket["field"])
    category = site.categories.get(ticket.get("priority") or "")
    eta = ticket.get("estimated_wait_seconds")
    minutes = max(0, round((eta or 0) / 60))
    lines = [t("ticket.people_ahead", n=ticket.get("people_ahead", 0)),
             t("ticket.estimated_wait", time=t("common.no_counter_now") if eta is None
               else t("common.minutes", n=minutes) if minutes else t("common.now"))]
    if category is not None:
        lines.append(t("ticket.priority", name=category.name_en if english and category.name_en else category.name))
    if ticket.get("pickup"):
        lines.append(t("ticket.pickup", code=ticket["pickup"]))
    if ticket.get("dossiers_declared"):
        lines.append(t("ticket.dossiers_declared", n=ticket["dossiers_declared"]))
    appointment = ticket.get("appointment")
    if appointment and not appointment.get("late") and appointment.get("due_at"):
        lines.append(t("ticket.appointment", time=datetime.fromisoformat(appointment["due_at"]).strftime("%H:%M")))
    issued = datetime.fromisoformat(ticket["issued_at"])
    day = DAY_NAMES[issued.weekday()]
    return {
        "centre": site.name_en if english and site.name_en else site.name,
        "number_caption": t("ticket.number_caption"),
        "label": ticket["label"],
        "field": (field.name_en if english and field.name_en else field.name) if field else ticket["field"],
        "lines": lines,
        "issued": f"{issued:%H:%M} — {t('day.' + day)}, {issued:%d/%m/%Y}",
        "qr_url": ticket.get("status_url", ""),
        "qr_caption": t("ticket.qr_caption"),
        "footer": t("ticket.footer"),
    }


def booking_text(site: SiteConfig, booking: dict, url: str, lang: str) -> dict:
    """The words printed on a booking's slip (made at a kiosk): its code, day and time, when to
    check in, and the QR code of its page (scanned at a kiosk on the day)."""
    def t(key: str, **kw) -> str:
        return translate(lang, key, **kw)

    english = lang == "en"
    field = site.fields.get(booking["field"])
    day = date.fromisoformat(booking["date"])
    weekday = t("day." + DAY_NAMES[day.weekday()])
    opens, until = (datetime.fromisoformat(booking[k]) for k in ("checkin_from", "checkin_until"))
    return {
        "centre": site.name_en if english and site.name_en else site.name,
        "number_caption": t("booking.code_caption"),
        "label": booking["code"],
        "field": (field.name_en if english and field.name_en else field.name) if field else booking["field"],
        "lines": [t("booking.when", day=weekday, date=f"{day:%d/%m/%Y}", time=booking["time"], end=booking["end"]),
                  t("booking.checkin_window", start=f"{opens:%H:%M}", end=f"{until:%H:%M}")],
        "issued": t("booking.booked_at", time=datetime.fromisoformat(booking["booked_at"]).strftime("%H:%M %d/%m/%Y")),
        "qr_url": url,
        "qr_caption": t("booking.qr_caption"),
        "footer": t("booking.footer"),
    }


def hall_json(site: SiteConfig) -> dict[str, Any]:
    """What screens need to draw the hall: fields, counters, priority categories, hours."""
    return {
        "site": {"id": site.id, "name": site.name, "name_en": site.name_en, "timezone": str(site.timezone)},
        "fields": [{"code": f.code, "name": f.name, "name_en": f.name_en, "daily_cap": f.daily_cap,
                    "target_wait_seconds": f.target_wait_seconds, "kind": f.kind, "pickup": f.pickup_lane(),
                    "bulk": f.bulk, "dossiers_per_ticket": f.dossiers_per_ticket}
                   for f in site.fields.values()],
        "counters": [{"number": c.number, "name": c.name, "fields": list(c.fields), "policy": c.policy}
                     for c in site.counters.values()],
        "priority_categories": [{"code": c.code, "name": c.name, "name_en": c.name_en, "weight": c.weight}
                                for c in site.categories.values()],
        "opening_hours": "always" if site.opening_hours.always else site.opening_hours.describe(),
        "remote": site.remote.enabled,   # numbers taken away from the hall: the kiosk confirms them
        # bookings checked in at the kiosk; offered there when a field's numbers ran out or the day is over
        "appointments": {"enabled": site.appointments.enabled,
                         "offer": site.appointments.enabled and site.appointments.offer_when_full,
                         "fields": [f.code for f in site.fields.values() if site.appointments.takes(f)]
                         if site.appointments.enabled else []},
    }
