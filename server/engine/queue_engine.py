"""The queue engine: every operation on tickets and counters, each one atomic step in Redis.

The rules (which ticket comes next, what state allows what) live in the Lua scripts under
``server/lua``; this class prepares their keys and arguments from the site's config and
the clock, translates refusals into domain errors and logs one line per operation.
"""
from __future__ import annotations

import json
import logging
import re
import secrets
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import redis

from ..config import Config, SiteConfig
from ..errors import (
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    TooManyRequests,
    from_script,
)
from .actor import SYSTEM, Actor
from .clock import SystemClock, from_ms, to_ms
from .estimate import estimated_wait_seconds, service_samples
from .keys import Keys, as_text
from .receipts import DOSSIER_CODE
from .scripts import Scripts
from .views import LIST_LIMIT, SnapshotView, as_list, counter_json, ticket_json

logger = logging.getLogger(__name__)

IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
TICKET_ID = re.compile(r"^(\d{8})-(\d{1,15})$")
TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
TOKEN_TTL_SECONDS = 3 * 24 * 3600
PRESS_ID = re.compile(r"^[A-Za-z0-9_.:-]{8,80}$")
DOSSIERS_PER_TICKET = 20
# How long a device agent keeps a press it could not deliver; no older press is taken (ratings.py).
PRESS_MAX_AGE_SECONDS = 7 * 24 * 3600
PRESS_MEMORY_SECONDS = 30 * 24 * 3600  # longer than any agent keeps presses on disk
REASON_MAX = 200


@dataclass(frozen=True)
class RemoteTake:
    """A number taken away from the hall: whose phone (a keyed digest), the phone's and the
    field's shares a day, and when the visitor must have confirmed at a kiosk (ms, 0: never)."""
    phone_key: str
    per_phone: int
    cap: int | None
    arrive_by: int = 0


@dataclass(frozen=True)
class AppointmentTake:
    """A booking checked in at a kiosk: its code, when its slot starts (ms: the ticket joins its
    line then), its weight in the priority lane (0: before every walk-in), and whether it
    came too late for its slot (then it is an ordinary number)."""
    code: str
    due: int
    weight: int
    late: bool = False

    def as_arg(self) -> str:
        return json.dumps({"code": self.code, "due": self.due, "weight": self.weight, "late": self.late})


def remote_early(site: SiteConfig, local: datetime, remote: bool) -> bool:
    """Whether a number taken away from the hall (``remote``) may be taken now, before the hall
    opens today (the site's window)."""
    if not remote:
        return False
    nxt = site.opening_hours.next_opening(local)
    return (nxt is not None and nxt.date() == local.date()
            and nxt - local <= timedelta(minutes=site.remote.opens_before_minutes))


def _check_visit(field, pickup: str, dossiers) -> None:
    """What a visitor says at the kiosk besides the field: the dossier whose result they collect,
    and how many dossiers they bring (at most the field's ``dossiers_per_ticket``)."""
    if pickup and not DOSSIER_CODE.match(pickup):
        raise BadRequest("A dossier code is 3 to 64 letters, digits or . _ / -, as on the receipt.",
                         code="bad_dossier_code")
    if isinstance(dossiers, bool) or not isinstance(dossiers, int) or dossiers < 1:
        raise BadRequest("dossiers is a whole number, at least 1.", code="bad_parameter")
    if dossiers > field.dossiers_per_ticket:
        raise BadRequest(f"At most {field.dossiers_per_ticket} dossiers per ticket in field {field.code}.",
                         code="too_many_dossiers_for_field",
                         details={"max": field.dossiers_per_ticket, "bulk": field.bulk or None})


MAX_VISIT_FIELDS = 5   # one visit: its first field and up to four more


def _next_fields(site: SiteConfig, first: str, then, kiosk) -> list[str]:
    """The fields a visit goes on to after ``first``: service fields of the site (offered at the
    kiosk that asks), each once, at most four."""
    if then is None:
        return []
    if not isinstance(then, list) or not all(isinstance(code, str) for code in then):
        raise BadRequest("then is a list of field codes.", code="bad_parameter")
    if len(then) + 1 > MAX_VISIT_FIELDS or len(set(then)) != len(then) or first in then:
        raise BadRequest(f"A visit is at most {MAX_VISIT_FIELDS} different fields.", code="bad_visit",
                         details={"max": MAX_VISIT_FIELDS})
    for code in then:
        field = site.fields.get(code)
        if field is None or field.kind != "service":
            raise BadRequest(f"Unknown field {code!r}.", code="unknown_field")
        if kiosk is not None and kiosk.fields and code not in kiosk.fields:
            raise Forbidden("This kiosk does not issue tickets for that field.", code="field_not_at_kiosk")
    return list(then)


def refuse_kiosk_flood(reply: dict, site: SiteConfig, actor: Actor, now_ms: int, what: str) -> None:
    """429 when a script refused a kiosk over its slips a minute (``kiosk_flood`` in Lua), with
    one warning for the minute's first refusal."""
    if reply.get("error") != "kiosk_rate_limited":
        return
    if reply.get("first_refusal"):
        logger.warning("kiosk-flood site=%s kiosk=%s: over %s slips this minute (%s)", site.id, actor.id,
                       site.kiosk_tickets_per_minute, what)
    raise TooManyRequests("This kiosk is taking tickets too fast; wait a moment.", code="kiosk_rate_limited",
                          details={"retry_after": 60 - (now_ms // 1000) % 60})


class QueueEngine:
    """Tickets and counters of every site this server runs."""

    def __init__(self, client: redis.Redis, config: Config, *, clock=None, always_open: bool = False):
        self.client = client
        self.config = config
        self.clock = clock or SystemClock()
        self.always_open = always_open
        self.scripts = Scripts(client)
        self.keys = {sid: Keys(config.redis.key_prefix, site) for sid, site in config.sites.items()}
        # The last business day this process made sure was rolled over, per site. Only a
        # shortcut: close_day itself is idempotent and its state lives in Redis.
        self._rolled_to: dict[str, str] = {}

    # -- helpers ---------------------------------------------------------------
    def site(self, site_id: str) -> SiteConfig:
        site = self.config.sites.get(site_id)
        if site is None:
            raise NotFound(f"Unknown site {site_id!r}.", code="unknown_site")
        return site

    def local_now(self, site: SiteConfig) -> datetime:
        return self.clock.now().astimezone(site.timezone)

    def _moment(self, site: SiteConfig) -> tuple[str, int, datetime]:
        local = self.local_now(site)
        day = local.strftime("%Y%m%d")
        self._roll_over(site, day, to_ms(local))
        return day, to_ms(local), local

    def _run(self, name: str, keys: dict[str, Any], args: dict[str, Any]) -> dict:
        reply = self.scripts.run(name, keys, args)
        if "error" in reply:
            raise from_script(reply)
        return reply

    def _roll_over(self, site: SiteConfig, day: str, now_ms: int) -> None:
        """Close every earlier business day still open (once per process per day)."""
        if self._rolled_to.get(site.id) == day:
            return
        k = self.keys[site.id]
        for old in sorted(as_text(d) for d in self.client.smembers(k.open_days)):
            if old < day:
                records = [k.tickets(old), k.numbers(old), k.calls(old), k.ratings(old), k.pickups(old), k.remote(old),
                           k.held(old),
                           *(k.finished(old, c) for c in k.counter_ids)]
                reply = self._run("close_day",
                                  {"tickets": k.tickets(old), "noshow": k.noshow(old), "counters": k.counters,
                                   "events": k.events, "evseq": k.evseq, "open_days": k.open_days,
                                   "layout_then_records": [*k.layout_keys(old), *records]},
                                  {"now": now_ms, "day": old, "layout_then_keep_seconds":
                                   [*k.layout_args(), self.config.archive.redis_days * 86400]})
                if not reply.get("already"):
                    logger.info("close_day site=%s day=%s closed_tickets=%s", site.id, old, reply.get("closed"))
        self._rolled_to[site.id] = day

    def _counter(self, site: SiteConfig, number: int | str):
        try:
            return site.counters[int(number)]
        except (KeyError, ValueError, TypeError):
            raise NotFound(f"Unknown counter {number!r}.", code="unknown_counter") from None

    def _estimate(self, site: SiteConfig, field: str, ahead: int, reply: dict) -> int | None:
        counters = [json.loads(c) for c in as_list(reply.get("counters"))]
        return estimated_wait_seconds(site, field, ahead, counters, service_samples(reply.get("service_times")))

    @staticmethod
    def _log(operation: str, site: SiteConfig, t: dict, actor: Actor, **extra) -> None:
        """One log line per operation: what, where, which ticket, who."""
        details = "".join(f" {key}={value}" for key, value in extra.items())
        logger.info("%s site=%s ticket=%s number=%s actor=%s%s", operation, site.id, t["id"], t["label"],
                    actor.label, details)

    def _ticket_day(self, ticket_id: str) -> str:
        match = TICKET_ID.match(ticket_id or "")
        if not match:
            raise NotFound(f"No ticket {ticket_id!r}.", code="ticket_not_found")
        return match.group(1)

    # -- issuing ---------------------------------------------------------------
    def issue(self, site_id: str, field_code: str, *, priority: str | None = None,
              idempotency_key: str | None = None, actor: Actor = SYSTEM, pickup: str = "",
              dossiers: int = 1, remote: RemoteTake | None = None, then: list[str] | None = None,
              appointment: AppointmentTake | None = None) -> dict:
        """A new ticket for ``field_code``; the same idempotency key from the same issuer
        returns the ticket made the first time instead of a second one. ``pickup``: the
        dossier code whose result the visitor collects (one ticket in line per code); ``dossiers``:
        how many a visitor brings (at most the field's ``dossiers_per_ticket``); ``remote``: taken
        away from the hall (a phone's and a field's daily share, and when to arrive by); ``then``:
        the fields a visit to several goes on to, in order, each service in turn; ``appointment``: a
        booking checked in (its window was checked by the appointment desk)."""
        site = self.site(site_id)
        field = site.fields.get(field_code) if isinstance(field_code, str) else None
        if field is None:
            raise BadRequest(f"Unknown field {field_code!r}.", code="unknown_field")
        kiosk = site.kiosks.get(actor.id) if actor.kind == "kiosk" else None
        if kiosk is not None and kiosk.fields and field.code not in kiosk.fields:
            raise Forbidden("This kiosk does not issue tickets for that field.", code="field_not_at_kiosk")
        _check_visit(field, pickup, dossiers)
        then = _next_fields(site, field.code, then, kiosk)
        category = None
        if priority is not None:
            category = site.categories.get(priority) if isinstance(priority, str) else None
            if category is None:
                raise BadRequest(f"Unknown priority category {priority!r}.", code="unknown_priority",
                                 details={"categories": list(site.categories)})
        if idempotency_key is not None and (not isinstance(idempotency_key, str)
                                            or not IDEMPOTENCY_KEY.match(idempotency_key)):
            raise BadRequest("idempotency_key must be 1 to 64 letters, digits or _.:-",
                             code="bad_idempotency_key")
        local = self.local_now(site)
        open_now = self.always_open or site.opening_hours.is_open(local)
        if not open_now and not remote_early(site, local, remote is not None) and appointment is None:
            nxt = site.opening_hours.next_opening(local)
            raise Conflict("The centre is not issuing tickets now (outside opening hours).",
                           code="outside_opening_hours",
                           details={"next_opening": nxt.isoformat(timespec="minutes") if nxt else None,
                                    "hours": site.opening_hours.describe()})
        day, now, _ = self._moment(site)
        k = self.keys[site.id]
        token = secrets.token_urlsafe(16)
        idem = k.idempotency(actor.label, idempotency_key) if idempotency_key else k.idempotency("-", "-")
        minute = now // 60_000
        keys = {"seq": k.seq, "numbers": k.numbers(day), "tickets": k.tickets(day), "events": k.events,
                "evseq": k.evseq, "idempotency": idem, "token": k.token(token), "open_days": k.open_days,
                "counters": k.counters, "service_times": k.service_times,
                "issuer_minute": k.rate_limit(actor.label, minute), "pickups": k.pickups(day),
                "remote": k.remote(day), "bookings": k.bookings(day), "held": k.held(day),
                "layout": k.layout_keys(day, [field.code], [])}
        args = {"now": now, "day": day, "field": field.code, "priority": category.code if category else "",
                "weight": category.weight if category else 0, "first": field.first, "last": field.last,
                "daily_cap": field.daily_cap or 0, "prefix": field.prefix, "digits": field.digits, "token": token,
                "token_ttl": TOKEN_TTL_SECONDS, "idempotency_ttl": site.idempotency_seconds if idempotency_key else 0,
                "actor": actor.label, "per_minute": site.kiosk_tickets_per_minute if actor.kind == "kiosk" else 0,
                "pickup": pickup, "dossiers": dossiers, "remote_phone": remote.phone_key if remote else "",
                "per_phone": remote.per_phone if remote else 0, "remote_cap": (remote.cap or 0) if remote else 0,
                "arrive_by": remote.arrive_by if remote else 0, "then": ",".join(then),
                "appointment": appointment.as_arg() if appointment else "",
                "layout_then_counters": [*k.layout_args([field.code], []),
                                         *(c.id for c in site.counters_serving(field.code))]}
        reply = self.scripts.run("issue", keys, args)
        refuse_kiosk_flood(reply, site, actor, now, "a ticket")
        if "error" in reply:
            raise from_script(reply)
        if reply.get("replayed"):
            view = self.ticket(site.id, reply["id"])
            view["token"] = reply["token"]
            view["replayed"] = True
            logger.info("issue-replayed site=%s ticket=%s actor=%s", site.id, reply["id"], actor.label)
            return view
        t = reply["ticket"]
        self._log("issue", site, t, actor, field=t["field"], priority=t.get("category") or "-",
                  **({"pickup": pickup} if pickup else {}), **({"dossiers": dossiers} if dossiers > 1 else {}),
                  **({"appointment": appointment.code} if appointment else {}))
        return ticket_json(t, site, people_ahead=reply["ahead"],
                           estimated_wait_seconds=self._estimate(site, t["field"],
                                                                 reply["ahead"] + reply.get("extra_ahead", 0), reply),
                           token=token, replayed=False)

    # -- reading ----------------------------------------------------------------
    def ticket(self, site_id: str, ticket_id: str) -> dict:
        """One ticket with its state, people ahead, estimated wait and counter."""
        site = self.site(site_id)
        day = self._ticket_day(ticket_id)
        k = self.keys[site.id]
        reply = self._run("ticket_view", {"tickets": k.tickets(day), "counters": k.counters,
                                          "service_times": k.service_times, "layout": k.layout_keys(day)},
                          {"ticket": ticket_id, "layout": k.layout_args()})
        t = reply["ticket"]
        ahead = reply["ahead"]
        waiting = t["state"] == "waiting"
        out = ticket_json(t, site, people_ahead=ahead if waiting else 0,
                          estimated_wait_seconds=self._estimate(site, t["field"], ahead + reply.get("extra_ahead", 0),
                                                                reply) if waiting else 0)
        if waiting:
            # Sent to a counter nobody staffs now (the officer confirmed it): say so, with no guess.
            target = t.get("target_counter")
            records = {str(r.get("id")): r for r in map(json.loads, as_list(reply.get("counters")))}
            status = records.get(str(target), {}).get("status", "closed")
            out["waiting_for_counter"] = {"number": target, "status": status} if target and status != "open" else None
            if out["waiting_for_counter"]:
                out["estimated_wait_seconds"] = None
        return out

    def _token_ticket(self, site: SiteConfig, token: str) -> str:
        """The id of the ticket a phone-page token stands for (the token is not derived from it)."""
        if not isinstance(token, str) or not TOKEN.match(token):
            raise NotFound("No ticket for that link.", code="ticket_not_found")
        ticket_id = self.client.get(self.keys[site.id].token(token))
        if ticket_id is None:
            raise NotFound("No ticket for that link.", code="ticket_not_found")
        return as_text(ticket_id)

    def ticket_by_token(self, site_id: str, token: str) -> dict:
        """The ticket a phone-page token stands for."""
        site = self.site(site_id)
        return self.ticket(site.id, self._token_ticket(site, token))

    def snapshot(self, site_id: str, *, with_lists: bool = False) -> dict:
        """Everything the screens show, read at one instant, with the event sequence it is current to."""
        return self.snapshot_view(site_id, with_lists=with_lists)[0]

    def snapshot_view(self, site_id: str, *, with_lists: bool = False, list_fields: set[str] | None = None,
                      places: Collection[str] | None = None) -> tuple[dict, SnapshotView]:
        """The snapshot, and the view that shaped it. With lists: the head of each line of
        ``list_fields`` (every field if None), which is all a counter screen shows, so a long
        line costs nothing more. ``places``: the waiting tickets whose places to tell
        (``SnapshotView.places``), each counted as the ticket's own view counts it."""
        site = self.site(site_id)
        day, now, local = self._moment(site)
        k = self.keys[site.id]
        fields = sorted(site.fields if list_fields is None else list_fields) if with_lists else []
        listing = ["1" if with_lists else "0", str(LIST_LIMIT), str(len(fields)), *fields, *sorted(places or ())]
        r = self._run("snapshot", {"counters": k.counters, "tickets": k.tickets(day), "calls": k.calls(day),
                                   "evseq": k.evseq, "service_times": k.service_times, "noshow": k.noshow(day),
                                   "numbers": k.numbers(day), "layout": k.layout_keys(day)},
                      {"day": day, "recent_calls": site.recent_calls,
                       "layout_then_lists": [*k.layout_args(), *listing]})
        view = SnapshotView(site, day, now, r, with_lists, list_fields, places_asked=places is not None)
        snap = view.build()
        is_open = self.always_open or site.opening_hours.is_open(local)
        nxt = None if is_open else site.opening_hours.next_opening(local)
        snap["open"] = is_open
        snap["next_opening"] = nxt.isoformat(timespec="minutes") if nxt else None
        today = local.date()
        # Closed for a day off: which public holiday (named), or one of the centre's own (name None).
        snap["day_off"] = ({"name": {lang: site.opening_hours.holiday_name(today, lang) for lang in ("vi", "en")}}
                           if not is_open and site.opening_hours.is_day_off(today) else None)
        closes = None if self.always_open else site.opening_hours.closes_today(local)
        snap["closes_at"] = closes.isoformat(timespec="minutes") if closes else None
        for w in snap["waiting"].values():
            # Would a visitor taking a number now be called before the hall closes? None: no
            # counter serving the field is staffed, so nobody can tell (the kiosk asks first).
            eta = w["estimated_wait_seconds"]
            w["served_today"] = None if eta is None else (closes is None or local + timedelta(seconds=eta) < closes)
        return snap, view

    # -- counters ----------------------------------------------------------------
    def _counter_args(self, site: SiteConfig, counter):
        c = self._counter(site, counter)
        day, now, _ = self._moment(site)
        return c, day, now, self.keys[site.id]

    @staticmethod
    def _by_officer(now: int, day: str, counter_id: str, actor: Actor) -> dict[str, Any]:
        """The arguments every counter operation starts with: when, which day and counter, who."""
        return {"now": now, "day": day, "counter": counter_id, "actor": actor.label, "actor_is_admin": actor.is_admin}

    def call_next(self, site_id: str, counter: int, actor: Actor, *, finish_current: bool = False) -> dict | None:
        """Call the next visitor to ``counter``; None when nobody waits for it."""
        site = self.site(site_id)
        c, day, now, k = self._counter_args(site, counter)
        ratio_p, ratio_n = site.priority_ratio
        reply = self.scripts.run("call_next",
                                 {"counters": k.counters, "tickets": k.tickets(day), "events": k.events,
                                  "evseq": k.evseq, "calls": k.calls(day), "service_times": k.service_times,
                                  "finished": k.finished(day, c.id), "held": k.held(day),
                                  # every field: a visit to several moves on to any of them
                                  "layout": k.layout_keys(day, None, [c.id])},
                                 {**self._by_officer(now, day, c.id, actor), "policy": c.policy,
                                  "ratio_priority": ratio_p, "ratio_normal": ratio_n, "finish_current": finish_current,
                                  "recent_calls": site.recent_calls,
                                  "layout_then_fields": [*k.layout_args(None, [c.id]), len(c.fields), *c.fields]})
        if reply.get("paused_after_visitor"):
            # The visit was finished; the pause asked for during it began instead of a call.
            logger.info("counter-pause site=%s counter=%s actor=%s after the visitor", site.id, c.number,
                        actor.label)
        if "error" in reply:
            raise from_script(reply)
        if reply.get("finished"):
            self._log("finish", site, reply["finished"], actor, counter=c.number)
        if reply.get("empty"):
            logger.info("call-next-empty site=%s counter=%s actor=%s", site.id, c.number, actor.label)
            return None
        t = reply["ticket"]
        self._log("call", site, t, actor, counter=c.number)
        return ticket_json(t, site)

    def call_ticket(self, site_id: str, counter: int, ticket_id: str, actor: Actor) -> dict:
        """Call one chosen waiting ticket to ``counter``."""
        site = self.site(site_id)
        c, day, now, k = self._counter_args(site, counter)
        if not isinstance(ticket_id, str) or self._ticket_day(ticket_id) != day:
            raise Conflict("Only today's waiting tickets can be called.", code="wrong_state")
        reply = self._run("call_ticket",
                          {"counters": k.counters, "tickets": k.tickets(day), "events": k.events, "evseq": k.evseq,
                           "calls": k.calls(day), "layout": k.layout_keys(day, c.fields, [c.id])},
                          {**self._by_officer(now, day, c.id, actor), "ticket": ticket_id,
                           "recent_calls": site.recent_calls,
                           "layout_then_fields": [*k.layout_args(c.fields, [c.id]), len(c.fields), *c.fields]})
        t = reply["ticket"]
        self._log("call-chosen", site, t, actor, counter=c.number)
        return ticket_json(t, site)

    def _step(self, site_id: str, counter: int, actor: Actor, step: str) -> dict:
        site = self.site(site_id)
        c, day, now, k = self._counter_args(site, counter)
        reply = self._run("counter_step",
                          {"counters": k.counters, "tickets": k.tickets(day), "events": k.events, "evseq": k.evseq,
                           "calls": k.calls(day), "service_times": k.service_times, "noshow": k.noshow(day),
                           "finished": k.finished(day, c.id), "layout": k.layout_keys(day, None, [c.id])},
                          {**self._by_officer(now, day, c.id, actor), "step": step, "recent_calls": site.recent_calls,
                           "layout": k.layout_args(None, [c.id])})
        t = reply["ticket"]
        self._log(step.replace("_", "-"), site, t, actor, counter=c.number)
        return ticket_json(t, site)

    def recall(self, site_id: str, counter: int, actor: Actor) -> dict:
        """Announce the current ticket again (counted on the ticket)."""
        return self._step(site_id, counter, actor, "recall")

    def start(self, site_id: str, counter: int, actor: Actor) -> dict:
        """The called visitor has arrived: service starts."""
        return self._step(site_id, counter, actor, "start")

    def finish(self, site_id: str, counter: int, actor: Actor) -> dict:
        """Service of the current ticket is over."""
        return self._step(site_id, counter, actor, "finish")

    def no_show(self, site_id: str, counter: int, actor: Actor) -> dict:
        """The called visitor did not come; restorable for the site's no-show window."""
        return self._step(site_id, counter, actor, "no_show")

    def transfer(self, site_id: str, counter: int, actor: Actor, *, field: str | None = None,
                 to_counter: int | None = None, even_if_closed: bool = False) -> dict:
        """Send the current visitor to another field or counter, keeping their place in line.
        A counter that is closed or paused is refused (409 target_counter_closed) unless the
        officer confirmed (``even_if_closed``): the visitor would wait there until it opens."""
        site = self.site(site_id)
        if (field is None) == (to_counter is None):
            raise BadRequest("Give either a field or a counter to transfer to.", code="bad_transfer")
        if field is not None and (not isinstance(field, str) or field not in site.fields):
            raise BadRequest(f"Unknown field {field!r}.", code="unknown_field")
        if to_counter is not None and (isinstance(to_counter, bool) or not isinstance(to_counter, int)
                                       or to_counter not in site.counters):
            raise BadRequest(f"Unknown counter {to_counter!r}.", code="unknown_counter")
        c, day, now, k = self._counter_args(site, counter)
        kind, target = ("field", field) if field is not None else ("counter", str(to_counter))
        reply = self._run("transfer", {"counters": k.counters, "tickets": k.tickets(day), "events": k.events,
                                       "evseq": k.evseq, "layout": k.layout_keys(day)},
                          {**self._by_officer(now, day, c.id, actor), "kind": kind, "target": target,
                           "even_if_closed": "1" if even_if_closed else "0", "layout": k.layout_args()})
        t = reply["ticket"]
        self._log("transfer", site, t, actor, counter=c.number, **{f"to_{kind}": target})
        return ticket_json(t, site, people_ahead=reply["ahead"])

    def _status(self, site_id: str, counter: int, actor: Actor, action: str, arg: str = "",
                on_take_over: Callable[[str], None] | None = None) -> dict:
        site = self.site(site_id)
        c, day, now, k = self._counter_args(site, counter)
        # Every field: a closing counter hands its transferred visitors back to theirs.
        reply = self._run("counter_status", {"counters": k.counters, "tickets": k.tickets(day), "events": k.events,
                                             "evseq": k.evseq, "layout": k.layout_keys(day, None, [c.id])},
                          {**self._by_officer(now, day, c.id, actor), "action": action, "detail": arg,
                           "layout": k.layout_args(None, [c.id])})
        logger.info("counter-%s site=%s counter=%s actor=%s%s", action, site.id, c.number, actor.label,
                    f" reason={arg!r}" if action == "pause" else "")
        previous = reply.get("previous_officer")
        if on_take_over is not None and previous and previous != actor.label:
            on_take_over(previous)
        return counter_json(site, reply["counter"])

    def open_counter(self, site_id: str, counter: int, actor: Actor, *, take_over: bool = False,
                     on_take_over: Callable[[str], None] | None = None) -> dict:
        """An officer signs in at a counter (``take_over`` replaces another officer still signed in;
        ``on_take_over`` is then told who that was)."""
        return self._status(site_id, counter, actor, "open", "1" if take_over else "0", on_take_over)

    def close_counter(self, site_id: str, counter: int, actor: Actor) -> dict:
        return self._status(site_id, counter, actor, "close")

    def pause(self, site_id: str, counter: int, actor: Actor, reason: str) -> dict:
        """Pause the counter with a reason shown to visitors and leaders."""
        if not isinstance(reason, str) or not reason.strip() or len(reason) > REASON_MAX:
            raise BadRequest(f"A pause needs a reason of 1 to {REASON_MAX} characters.", code="bad_reason")
        return self._status(site_id, counter, actor, "pause", reason.strip())

    def resume(self, site_id: str, counter: int, actor: Actor) -> dict:
        return self._status(site_id, counter, actor, "resume")

    def attach_dossier(self, site_id: str, counter: int, actor: Actor, code: str) -> dict:
        """Attach a dossier code (mã hồ sơ) to the counter's current ticket, or to the one it
        finished last today; the same code twice is kept once."""
        if not isinstance(code, str) or not DOSSIER_CODE.match(code.strip()):
            raise BadRequest("A dossier code is 3 to 64 letters, digits or . _ / -, as on the receipt.",
                             code="bad_dossier_code")
        code = code.strip()
        site = self.site(site_id)
        c, day, now, k = self._counter_args(site, counter)
        reply = self._run("attach_dossier", {"counters": k.counters, "tickets": k.tickets(day), "events": k.events,
                                             "evseq": k.evseq},
                          {**self._by_officer(now, day, c.id, actor), "code": code, "limit": DOSSIERS_PER_TICKET})
        t = reply["ticket"]
        if not reply.get("already"):
            self._log("dossier", site, t, actor, counter=c.number, dossier=code)
        return ticket_json(t, site)

    def add_next(self, site_id: str, counter: int, actor: Actor, field_code: str) -> dict:
        """Add a field to the visit of the counter's ticket (or the one it finished last today,
        which then joins that field's line at once)."""
        site = self.site(site_id)
        field = site.fields.get(field_code) if isinstance(field_code, str) else None
        if field is None or field.kind != "service":
            raise BadRequest(f"Unknown field {field_code!r}.", code="unknown_field")
        c, day, now, k = self._counter_args(site, counter)
        reply = self._run("add_next", {"counters": k.counters, "tickets": k.tickets(day), "events": k.events,
                                       "evseq": k.evseq, "layout": k.layout_keys(day, None, [c.id])},
                          {**self._by_officer(now, day, c.id, actor), "field": field.code,
                           "limit": MAX_VISIT_FIELDS, "layout": k.layout_args(None, [c.id])})
        t = reply["ticket"]
        if not reply.get("already"):
            self._log("visit-extended", site, t, actor, counter=c.number, then=field.code)
        return ticket_json(t, site)

    # -- tickets -------------------------------------------------------------------
    def cancel(self, site_id: str, ticket_id: str, actor: Actor, *, reason: str = "cancelled") -> dict:
        """A waiting visitor leaves."""
        site = self.site(site_id)
        day = self._ticket_day(ticket_id)
        today, now, _ = self._moment(site)
        if day != today:
            raise Conflict("Tickets of an earlier day are closed.", code="wrong_state")
        k = self.keys[site.id]
        reply = self._run("cancel", {"tickets": k.tickets(day), "noshow": k.noshow(day), "events": k.events,
                                     "evseq": k.evseq, "layout": k.layout_keys(day)},
                          {"now": now, "ticket": ticket_id, "actor": actor.label, "reason": reason,
                           "layout": k.layout_args()})
        t = reply["ticket"]
        self._log("cancel", site, t, actor, reason=repr(reason))
        return ticket_json(t, site)

    def check_in(self, site_id: str, token: str, actor: Actor) -> dict:
        """A visitor who took a number away from the hall confirms at a kiosk that they are here
        (their phone page's token); the number then never lapses."""
        site = self.site(site_id)
        ticket_id = self._token_ticket(site, token)
        day = self._ticket_day(ticket_id)
        today, now, _ = self._moment(site)
        if day != today:
            raise Conflict("Tickets of an earlier day are closed.", code="wrong_state")
        k = self.keys[site.id]
        reply = self._run("check_in", {"tickets": k.tickets(day), "events": k.events, "evseq": k.evseq,
                                       "layout": k.layout_keys(day)},
                          {"now": now, "ticket": ticket_id, "actor": actor.label, "layout": k.layout_args()})
        t = reply["ticket"]
        if not reply.get("already"):
            self._log("check-in", site, t, actor)
        view = self.ticket(site.id, t["id"])
        view["checked_in"] = True
        return view

    def restore(self, site_id: str, ticket_id: str, actor: Actor) -> dict:
        """Put a no-show back at the front of its line, within the restore window."""
        site = self.site(site_id)
        day = self._ticket_day(ticket_id)
        today, now, _ = self._moment(site)
        if day != today:
            raise Conflict("Tickets of an earlier day are closed.", code="wrong_state")
        k = self.keys[site.id]
        reply = self._run("restore", {"tickets": k.tickets(day), "noshow": k.noshow(day), "events": k.events,
                                      "evseq": k.evseq, "layout": k.layout_keys(day)},
                          {"now": now, "ticket": ticket_id, "window": site.no_show_restore_seconds * 1000,
                           "actor": actor.label, "layout": k.layout_args()})
        t = reply["ticket"]
        self._log("restore", site, t, actor)
        return ticket_json(t, site, people_ahead=reply["ahead"])

    # -- satisfaction ----------------------------------------------------------------
    def record_rating(self, site_id: str, counter: int, level: int, *, press_id: str,
                      pressed_at: datetime | None = None, device: str = "", actor: Actor = SYSTEM) -> dict:
        """Store one press of a rating panel and tie it to the ticket it rates (see record_rating.lua)."""
        site = self.site(site_id)
        c = self._counter(site, counter)
        meaning = site.ratings.level(level) if isinstance(level, int) and not isinstance(level, bool) else None
        if meaning is None:
            raise BadRequest(f"No rating level {level!r}.", code="unknown_level",
                             details={"levels": [lv.level for lv in site.ratings.levels]})
        if not isinstance(press_id, str) or not PRESS_ID.match(press_id):
            raise BadRequest("press_id must be 8 to 80 letters, digits or _.:-", code="bad_press_id")
        local_now = self.local_now(site)
        when = local_now if pressed_at is None else pressed_at.astimezone(site.timezone)
        if when > local_now + timedelta(minutes=5):
            raise BadRequest("The press is dated in the future.", code="bad_pressed_at")
        _, now, _ = self._moment(site)
        press_day = when.strftime("%Y%m%d")
        k = self.keys[site.id]
        pressed_ms = to_ms(when)
        reply = self.scripts.run(
            "record_rating",
            {"counters": k.counters, "tickets": k.tickets(press_day), "finished": k.finished(press_day, c.id),
             "ratings": k.ratings(press_day), "press": k.press(press_id), "events": k.events, "evseq": k.evseq,
             "panel_minute": k.rate_limit(f"panel:{device}", pressed_ms // 60_000)},
            {"now": now, "day": press_day, "counter": c.id, "level": meaning.level, "category": meaning.category,
             "score": meaning.score, "pressed_at": pressed_ms, "window": site.ratings.window_seconds * 1000,
             "press_id": press_id, "device": device, "press_memory": PRESS_MEMORY_SECONDS,
             "per_minute": site.ratings.presses_per_minute if device else 0,
             "count_life": PRESS_MAX_AGE_SECONDS + 86400})
        if reply.get("error") == "press_rate_limited" and reply.get("first_refusal"):
            logger.warning("press-flood site=%s device=%s: over %s presses dated %s", site.id, device,
                           reply.get("limit"), when.strftime("%Y-%m-%d %H:%M"))
        if "error" in reply:
            raise from_script(reply)
        press = reply["press"]
        logger.info("rate site=%s counter=%s level=%s outcome=%s ticket=%s officer=%s press=%s actor=%s%s",
                    site.id, c.number, press["level"], press["outcome"], press.get("ticket") or "-",
                    press.get("officer") or "-", press_id, actor.label, " (already stored)" if reply.get("duplicate")
                    else "")
        return {**press, "pressed_at": from_ms(press["pressed_at"], site.timezone),
                "received_at": from_ms(press["received_at"], site.timezone), "duplicate": bool(reply.get("duplicate"))}

    def stored_ticket(self, site_id: str, ticket_id: str) -> dict | None:
        """The raw stored record (for authorisation checks that need the field)."""
        site = self.site(site_id)
        raw = self.client.hget(self.keys[site.id].tickets(self._ticket_day(ticket_id)), ticket_id)
        return json.loads(raw) if raw else None


