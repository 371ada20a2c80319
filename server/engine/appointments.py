"""Appointments (issue 14, part 2): a place in a slot of a field, booked ahead from the public
page (a phone number confirmed by a code by SMS) or at a kiosk (the offer made when a field's
numbers ran out or the day is over: part 6), checked in at a kiosk by its QR code or its six
digits, and called at its slot time ahead of walk-ins.

A slot's capacity and a phone's share are counted in the Lua step that books (book.lua), and a
booking is used once in the step that issues its number (issue.lua). What the reports say of
bookings (kept, late, cancelled, missed) comes from their events, through the archive.
"""
from __future__ import annotations

import json
import logging
import re
import secrets
from datetime import date, datetime, time, timedelta
from typing import Any

from ..config import SiteConfig
from ..errors import BadRequest, Conflict, NotFound, from_script
from .actor import Actor
from .clock import from_ms, to_ms
from .keys import as_text
from .queue_engine import TOKEN, AppointmentTake, QueueEngine, refuse_kiosk_flood

logger = logging.getLogger(__name__)

BOOKING_CODE = re.compile(r"^\d{6}$")
# A booking's own page, as its QR code holds it: …/a/<site>/<token>
BOOKING_LINK = re.compile(r"/a/([A-Za-z0-9_-]{1,32})/([A-Za-z0-9_-]{16,64})/?(?:[?#].*)?$")
CODE_DRAWS = 8


class AppointmentDesk:
    """Slots, bookings and check-in for every site of the engine."""

    def __init__(self, engine: QueueEngine):
        self.engine = engine
        self.client = engine.client
        self.keys = engine.keys

    # -- what may be booked ------------------------------------------------------------------
    def site(self, site_id: str) -> SiteConfig:
        site = self.engine.site(site_id)
        if not site.appointments.enabled:
            raise NotFound("This centre takes no appointments.", code="appointments_disabled")
        return site

    def fields(self, site: SiteConfig) -> list:
        """The fields that take bookings (a service field with places in its slots)."""
        return [f for f in site.fields.values() if site.appointments.takes(f)]

    def field(self, site: SiteConfig, code):
        """The field ``code`` when it takes bookings; BadRequest naming those that do."""
        field = site.fields.get(code) if isinstance(code, str) else None
        if field is None or not site.appointments.takes(field):
            raise BadRequest(f"Field {code!r} takes no appointments.", code="unknown_field",
                             details={"fields": [f.code for f in self.fields(site)]})
        return field

    def days(self, site: SiteConfig) -> list[date]:
        """The days a slot may be booked for: from today, ``days_ahead`` days on, open days only."""
        today = self.engine.local_now(site).date()
        out = []
        for offset in range(site.appointments.days_ahead + 1):
            day = today + timedelta(days=offset)
            if site.opening_hours.sessions(day):
                out.append(day)
        return out

    def _starts(self, site: SiteConfig, day: date) -> list[tuple[datetime, datetime]]:
        step = timedelta(minutes=site.appointments.slot_minutes)
        out = []
        for start, end in site.opening_hours.sessions(day):
            at = datetime.combine(day, start, tzinfo=site.timezone)
            close = datetime.combine(day, end, tzinfo=site.timezone)
            while at + step <= close:
                out.append((at, at + step))
                at += step
        return out

    def slots(self, site: SiteConfig, field_code, day: date) -> list[dict]:
        """Each slot of ``day`` for the field not yet begun, with its places left."""
        field = self.field(site, field_code)
        now = self.engine.local_now(site)
        if not now.date() <= day <= now.date() + timedelta(days=site.appointments.days_ahead):
            return []   # (a day the hall does not open has no sessions: no slots either)
        starts = [(s, e) for s, e in self._starts(site, day) if s > now]
        capacity = site.appointments.capacity(field.code)
        counts = self.client.hmget(self.keys[site.id].bookings(day.strftime("%Y%m%d")),
                                   [f"s:{field.code}:{s:%H%M}" for s, _ in starts]) if starts else []
        return [{"time": f"{s:%H:%M}", "end": f"{e:%H:%M}", "capacity": capacity,
                 "left": max(0, capacity - int(as_text(n) if n is not None else 0))}
                for (s, e), n in zip(starts, counts, strict=True)]

    def next_free(self, site: SiteConfig, field_code, after: date) -> dict | None:
        """The first day after ``after`` with a free place for the field, and its free slots (the
        kiosk's offer when today is over or full)."""
        for day in self.days(site):
            if day > after:
                free = [s for s in self.slots(site, field_code, day) if s["left"] > 0]
                if free:
                    return {"date": day.isoformat(), "slots": free}
        return None

    # -- booking -------------------------------------------------------------------------------
    def slot(self, site: SiteConfig, field_code, date_text, time_text) -> tuple[Any, date, time]:
        """The field, day and time of a slot that can be booked now (else BadRequest or Conflict:
        checked before a code sent by SMS is used up)."""
        field = self.field(site, field_code)
        try:
            day = date.fromisoformat(date_text)
            at = time.fromisoformat(time_text)
        except (TypeError, ValueError):
            raise BadRequest("Give the date as YYYY-MM-DD and the time as HH:MM.", code="bad_slot") from None
        if not any(s["time"] == f"{at:%H:%M}" for s in self.slots(site, field.code, day)):
            raise Conflict("That is not a slot that can be booked now: choose one from the list.",
                           code="no_such_slot", details={"date": date_text, "time": time_text})
        return field, day, at

    def book(self, site: SiteConfig, slot: tuple[Any, date, time], *, phone_key: str, actor: Actor) -> dict:
        """A place in ``slot`` (as ``slot()`` checked it); ``phone_key`` is '' for a booking made
        at a kiosk."""
        field, day, at = slot
        start = datetime.combine(day, at, tzinfo=site.timezone)
        k = self.keys[site.id]
        dkey = day.strftime("%Y%m%d")
        token = secrets.token_urlsafe(16)
        keep_until = int(datetime.combine(day + timedelta(days=2), time(), tzinfo=site.timezone).timestamp())
        now_ms = to_ms(self.engine.local_now(site))
        for _ in range(CODE_DRAWS):
            code = f"{secrets.randbelow(10**6):06d}"
            reply = self.engine.scripts.run(
                "book", {"bookings": k.bookings(dkey), "link": k.booking_link(token), "events": k.events,
                         "evseq": k.evseq, "issuer_minute": k.rate_limit(actor.label, now_ms // 60_000)},
                {"now": now_ms, "day": dkey, "code": code, "field": field.code, "slot": f"{at:%H%M}",
                 "start": to_ms(start), "capacity": site.appointments.capacity(field.code), "phone": phone_key,
                 "per_phone": site.appointments.per_phone, "actor": actor.label, "link_value": f"{dkey}:{code}",
                 "keep_seconds": max(60, keep_until - now_ms // 1000),
                 "per_minute": site.kiosk_tickets_per_minute if actor.kind == "kiosk" else 0})
            if reply.get("error") != "booking_code_taken":
                break
        refuse_kiosk_flood(reply, site, actor, now_ms, "a booking")
        if "error" in reply:
            raise from_script(reply)
        logger.info("appointment-booked site=%s code=%s field=%s slot=%s %s actor=%s", site.id, code, field.code,
                    day.isoformat(), f"{at:%H:%M}", actor.label)
        return self._view(site, reply["booking"], token)

    def _record(self, site: SiteConfig, day: str, code: str) -> dict | None:
        raw = self.client.hget(self.keys[site.id].bookings(day), f"b:{code}")
        if raw is None:
            return None
        return json.loads(raw)

    def _by_token(self, site: SiteConfig, token) -> tuple[str, str, dict]:
        if not isinstance(token, str) or not TOKEN.match(token):
            raise NotFound("No booking for that link.", code="booking_not_found")
        value = self.client.get(self.keys[site.id].booking_link(token))
        day, _, code = as_text(value or b"").partition(":")
        record = self._record(site, day, code) if code else None
        if record is None:
            raise NotFound("No booking for that link.", code="booking_not_found")
        return day, code, record

    def view(self, site: SiteConfig, token) -> dict:
        _, _, record = self._by_token(site, token)
        return self._view(site, record, token)

    def cancel(self, site: SiteConfig, token, actor: Actor) -> dict:
        """The visitor gives the place back (before checking in)."""
        day, code, _ = self._by_token(site, token)
        k = self.keys[site.id]
        reply = self.engine.scripts.run("unbook", {"bookings": k.bookings(day), "events": k.events,
                                                   "evseq": k.evseq},
                                        {"now": to_ms(self.engine.local_now(site)), "code": code,
                                         "actor": actor.label})
        if "error" in reply:
            raise from_script(reply)
        if not reply.get("already"):
            logger.info("appointment-cancelled site=%s code=%s actor=%s", site.id, code, actor.label)
        return self._view(site, reply["booking"], token)

    def window(self, site: SiteConfig, record: dict) -> tuple[datetime, datetime, datetime]:
        """When the booking's slot starts, and from when until when a kiosk checks it in."""
        start = datetime.fromtimestamp(record["start"] / 1000, tz=site.timezone)
        return (start, start - timedelta(minutes=site.appointments.checkin_before_minutes),
                start + timedelta(minutes=site.appointments.late_minutes))

    def _view(self, site: SiteConfig, record: dict, token: str | None = None) -> dict:
        start, opens, until = self.window(site, record)
        field = site.fields.get(record["field"])
        status = record["status"]
        if status == "booked" and self.engine.local_now(site) > until:
            status = "missed"
        out = {"code": record["code"], "field": record["field"],
               "field_name": field.name if field else record["field"],
               "field_name_en": field.name_en if field else "",
               "date": start.date().isoformat(), "time": f"{start:%H:%M}",
               "end": f"{start + timedelta(minutes=site.appointments.slot_minutes):%H:%M}",
               "status": status, "checkin_from": opens.isoformat(timespec="minutes"),
               "checkin_until": until.isoformat(timespec="minutes"), "late": site.appointments.late,
               "booked_at": from_ms(record.get("booked_at"), site.timezone)}
        if token:
            out["link"] = f"/a/{site.id}/{token}"
        return out

    # -- at the kiosk ----------------------------------------------------------------------------
    def check_in(self, site: SiteConfig, text, actor: Actor, idempotency_key: str | None = None) -> dict:
        """The booking's QR code scanned (its link) or its six digits typed: its number. Too early,
        it is refused (the visitor is told from when); late, it becomes an ordinary number or is
        refused, by the site's ``late`` rule."""
        if not isinstance(text, str) or not text.strip():
            raise BadRequest("Scan the booking's QR code or type its six digits.", code="bad_booking_code")
        text = text.strip()
        local = self.engine.local_now(site)
        today = local.strftime("%Y%m%d")
        link = BOOKING_LINK.search(text)
        if link is not None:
            if link.group(1) != site.id:
                raise BadRequest("This booking is for another centre.", code="bad_booking_code")
            day, code, record = self._by_token(site, link.group(2))
            if day != today:
                raise Conflict("This booking is for another day.", code="booking_other_day",
                               details={"date": f"{self.window(site, record)[0]:%d/%m/%Y}"})
        elif BOOKING_CODE.match(text):
            code = text
            found = self._record(site, today, code)
            if found is None:
                raise NotFound("No booking with that code today.", code="booking_not_found")
            record = found
        else:
            raise BadRequest("Scan the booking's QR code or type its six digits.", code="bad_booking_code")
        start, opens, until = self.window(site, record)
        view = self._view(site, record)
        if record["status"] == "cancelled":
            raise Conflict("This booking was cancelled.", code="booking_cancelled", details={"booking": view})
        if local < opens:
            raise Conflict("Too early to check in for this booking.", code="appointment_early",
                           details={"checkin_from": view["checkin_from"], "from": f"{opens:%H:%M}",
                                    "time": view["time"]})
        late = local > until
        if late and site.appointments.late == "refuse":
            raise Conflict("Too late for this booking: its slot has passed.", code="appointment_late",
                           details={"checkin_until": view["checkin_until"], "until": f"{until:%H:%M}",
                                    "time": view["time"]})
        weight = 0 if site.appointments.order == "first" else site.appointments.weight
        ticket = self.engine.issue(site.id, record["field"], actor=actor, idempotency_key=idempotency_key,
                                   appointment=AppointmentTake(code=code, due=to_ms(start), weight=weight, late=late))
        ticket["booking"] = view
        return ticket
