"""Turning stream events into archive rows. A batch of entries is stored in one SQL
transaction with its projections, in stream order, so each event is projected exactly once.

Statements are built once (bound parameters), since the archiver runs them thousands of
times a minute at the morning peak.
"""
from __future__ import annotations

import json

from sqlalchemy import and_, bindparam, func, insert, select, update
from sqlalchemy.engine import Connection

from .archive_schema import appointments, dossiers, events, free_spans, pauses, ratings, services, tickets

_EXISTING = select(events.c.stream_id).where(and_(events.c.site == bindparam("k_site"),
                                                  events.c.stream_id.in_(bindparam("k_ids", expanding=True))))
_INSERT_EVENT = insert(events)
_INSERT_TICKET = insert(tickets)
_UPDATE_TICKET = update(tickets).where(and_(tickets.c.site == bindparam("k_site"), tickets.c.id == bindparam("k_id")))
_LATEST = select(func.max(services.c.seq_no)).where(and_(services.c.site == bindparam("k_site"),
                                                         services.c.ticket_id == bindparam("k_id")))
_INSERT_SERVICE = insert(services)
_UPDATE_SERVICE = update(services).where(and_(services.c.site == bindparam("k_site"),
                                              services.c.ticket_id == bindparam("k_id"),
                                              services.c.seq_no == bindparam("k_seq")))
_INSERT_PAUSE = insert(pauses)
_END_PAUSE = update(pauses).where(and_(pauses.c.site == bindparam("k_site"), pauses.c.counter == bindparam("k_counter"),
                                       pauses.c.resumed_at.is_(None)))
_INSERT_RATING = insert(ratings)
_INSERT_DOSSIER = insert(dossiers)
_INSERT_FREE = insert(free_spans)
_INSERT_BOOKING = insert(appointments)
_UPDATE_BOOKING = update(appointments).where(and_(appointments.c.site == bindparam("k_site"),
                                                  appointments.c.day == bindparam("k_day"),
                                                  appointments.c.code == bindparam("k_code")))


class Projector:
    """Applies entries of one site; remembers the latest service of each ticket between
    batches (valid while this archiver is the only one writing the site)."""

    def __init__(self, site: str):
        self.site = site
        self.latest: dict[str, int] = {}
        self.new_tickets: list[dict] = []   # issued in this batch, inserted together (see apply_batch)

    def apply_batch(self, conn: Connection, entries: list[tuple[str, dict]], *, looked_up: bool = True) -> int:
        """Store entries not stored before, with their projections; returns how many were new.
        ``looked_up=False``: the caller knows none was stored (an IntegrityError says otherwise)."""
        fresh = entries
        if looked_up:
            ids = [entry_id for entry_id, _ in entries]
            seen = {row[0] for row in conn.execute(_EXISTING, {"k_site": self.site, "k_ids": ids})}
            fresh = [(entry_id, fields) for entry_id, fields in entries if entry_id not in seen]
        if not fresh:
            return 0
        conn.execute(_INSERT_EVENT, [{"site": self.site, "stream_id": entry_id, "seq": int(f["seq"]),
                                      "type": f["type"], "ts": int(f["ts"]), "data": f["data"]}
                                     for entry_id, f in fresh])
        # Tickets issued one after another go in with one statement (at the morning peak a batch
        # is hundreds of issues: one INSERT each was a fifth of the archiver's time); any other
        # event first writes the ones before it, since it may change them.
        self.new_tickets = []
        for _entry_id, f in fresh:
            handler = HANDLERS.get(f["type"])
            if handler is None:
                continue
            if handler is not _issued:
                self.insert_new_tickets(conn)
            handler(self, conn, int(f["ts"]), json.loads(f["data"]))
        self.insert_new_tickets(conn)
        return len(fresh)

    def insert_new_tickets(self, conn: Connection) -> None:
        if self.new_tickets:
            conn.execute(_INSERT_TICKET, self.new_tickets)
            self.new_tickets = []

    # -- tickets -------------------------------------------------------------------------
    def upsert_ticket(self, conn: Connection, t: dict) -> None:
        row = _ticket_row(t)
        done = conn.execute(_UPDATE_TICKET, {"k_site": self.site, "k_id": t["id"], **row})
        if done.rowcount:
            return
        conn.execute(_INSERT_TICKET, {"site": self.site, "id": t["id"], "field_issued": t["field"], **row})

    def latest_service(self, conn: Connection, ticket_id: str) -> int | None:
        if ticket_id not in self.latest:
            value = conn.execute(_LATEST, {"k_site": self.site, "k_id": ticket_id}).scalar()
            if value is None:
                return None
            self.latest[ticket_id] = value
        return self.latest[ticket_id]

    def update_latest(self, conn: Connection, ticket_id: str, **values) -> None:
        seq_no = self.latest_service(conn, ticket_id)
        if seq_no is not None:
            conn.execute(_UPDATE_SERVICE, {"k_site": self.site, "k_id": ticket_id, "k_seq": seq_no, **values})

    def forget(self) -> None:
        self.latest.clear()


def _ticket_row(t: dict) -> dict:
    rating = t.get("rating") if isinstance(t.get("rating"), dict) else None
    return {"day": t["day"], "number": t["number"], "label": t["label"], "field": t["field"],
            "category": t.get("category"), "issued_at": t["issued_at"], "issued_by": t.get("issued_by"),
            "state": t["state"], "reason": t.get("reason"), "counter": t.get("counter"), "officer": t.get("officer"),
            "recalls": t.get("recalls", 0), "transfers": t.get("transfers", 0), "finished_at": t.get("finished_at"),
            "rating_level": rating.get("level") if rating else None}


def _issued(p: Projector, conn, ts, data):
    t = data["ticket"]
    p.new_tickets.append({"site": p.site, "id": t["id"], "field_issued": t["field"], **_ticket_row(t)})


def _free(p: Projector, conn, data: dict, ended_by: str) -> None:
    """The span the counter was free before this call, pause or close (reports' idle time)."""
    span = data.get("free")
    if isinstance(span, dict) and span.get("to", 0) > span.get("from", 0):
        conn.execute(_INSERT_FREE, {"site": p.site, "counter": data["counter"], "began": span["from"],
                                    "ended": span["to"], "officer": span.get("officer"), "ended_by": ended_by})


def _called(p: Projector, conn, ts, data):
    t = data["ticket"]
    p.upsert_ticket(conn, t)
    _free(p, conn, data, "call")
    seq_no = (p.latest_service(conn, t["id"]) or 0) + 1
    wait_from = max(v for v in (t.get("issued_at"), t.get("transferred_at"), t.get("restored_at"), t.get("moved_at"))
                    if v)
    conn.execute(_INSERT_SERVICE, {
        "site": p.site, "ticket_id": t["id"], "seq_no": seq_no, "field": t["field"], "category": t.get("category"),
        "counter": data["counter"], "officer": t.get("officer"), "wait_from": wait_from, "called_at": t["called_at"],
        "started_at": None, "ended_at": None, "outcome": "open", "recalls": 0})
    p.latest[t["id"]] = seq_no
    if t.get("pickup") and seq_no == 1:
        # The visitor collecting a dossier's result is served from here: the link's second step.
        conn.execute(_INSERT_DOSSIER, {"site": p.site, "code": t["pickup"], "ticket_id": t["id"],
                                       "attached_at": t["called_at"], "counter": data["counter"],
                                       "officer": t.get("officer"), "stage": "pickup"})


def _recalled(p: Projector, conn, ts, data):
    t = data["ticket"]
    p.upsert_ticket(conn, t)
    # A recall after a start pressed too early undoes the start: the service begins later.
    p.update_latest(conn, t["id"], recalls=t.get("recalls", 0), started_at=t.get("started_at"))


def _started(p: Projector, conn, ts, data):
    t = data["ticket"]
    p.upsert_ticket(conn, t)
    p.update_latest(conn, t["id"], started_at=t["started_at"])


def _finished(p: Projector, conn, ts, data):
    t = data["ticket"]
    p.upsert_ticket(conn, t)
    p.update_latest(conn, t["id"], started_at=t["started_at"], ended_at=t["finished_at"], outcome="done")


def _no_show(p: Projector, conn, ts, data):
    t = data["ticket"]
    p.upsert_ticket(conn, t)
    p.update_latest(conn, t["id"], ended_at=t["noshow_at"], outcome="no_show")


def _transferred(p: Projector, conn, ts, data):
    t = data["ticket"]
    p.upsert_ticket(conn, t)
    p.update_latest(conn, t["id"], ended_at=t["transferred_at"], outcome="transferred")


def _ticket_only(p: Projector, conn, ts, data):
    p.upsert_ticket(conn, data["ticket"])


def _expired(p: Projector, conn, ts, data):
    t = data["ticket"]
    p.upsert_ticket(conn, t)
    if t.get("previous_state") in ("called", "serving"):
        p.update_latest(conn, t["id"], ended_at=ts, outcome="expired")


def _paused(p: Projector, conn, ts, data):
    _free(p, conn, data, "pause")
    state = data.get("counter_state") or {}
    conn.execute(_INSERT_PAUSE, {"site": p.site, "counter": data["counter"], "paused_at": state.get("paused_at") or ts,
                                 "resumed_at": None, "reason": data.get("reason"), "officer": state.get("officer")})


def _unpaused(p: Projector, conn, ts, data):
    conn.execute(_END_PAUSE, {"k_site": p.site, "k_counter": data["counter"], "resumed_at": ts})


def _closed(p: Projector, conn, ts, data):
    _free(p, conn, data, "day_closed" if data.get("reason") == "day_closed" else "close")
    _unpaused(p, conn, ts, data)


def _rating(p: Projector, conn, ts, data):
    press = data["press"]
    ticket = data.get("ticket") if isinstance(data.get("ticket"), dict) else None
    conn.execute(_INSERT_RATING, {
        "site": p.site, "press_id": press["id"], "counter": press["counter"], "level": press["level"],
        "category": press["category"], "score": press["score"], "pressed_at": press["pressed_at"],
        "ticket_id": press.get("ticket"), "officer": press.get("officer"),
        "field": press.get("field") or (ticket["field"] if ticket else None), "outcome": press["outcome"],
        "device": press.get("device") or None})
    if ticket and press["outcome"] == "recorded":
        p.upsert_ticket(conn, ticket)


def _dossier(p: Projector, conn, ts, data):
    p.upsert_ticket(conn, data["ticket"])
    conn.execute(_INSERT_DOSSIER, {"site": p.site, "code": data["dossier"], "ticket_id": data["ticket"]["id"],
                                   "attached_at": ts, "counter": data["counter"],
                                   "officer": data["ticket"].get("officer") or data.get("actor"),
                                   "stage": "receipt"})



def _booking_day(b: dict) -> str:
    day = str(b["day"])
    return f"{day[:4]}-{day[4:6]}-{day[6:8]}"


def _booked(p: Projector, conn, ts, data):
    b = data["booking"]
    conn.execute(_INSERT_BOOKING, {"site": p.site, "day": _booking_day(b), "code": b["code"], "field": b["field"],
                                   "slot_start": int(b["start"]), "status": b["status"],
                                   "remote": bool(b.get("remote")), "booked_at": int(b["booked_at"])})


def _booking_changed(p: Projector, conn, ts, data):
    b = data["booking"]
    conn.execute(_UPDATE_BOOKING, {"k_site": p.site, "k_day": _booking_day(b), "k_code": b["code"],
                                   "status": b["status"], "cancelled_at": b.get("cancelled_at"),
                                   "checked_in_at": b.get("checked_in_at"), "ticket_id": b.get("ticket")})

HANDLERS = {
    "ticket.dossier_attached": _dossier,
    "ticket.issued": _issued,
    "ticket.called": _called,
    "ticket.recalled": _recalled,
    "ticket.started": _started,
    "ticket.finished": _finished,
    "ticket.no_show": _no_show,
    "ticket.transferred": _transferred,
    "ticket.restored": _ticket_only,
    "ticket.checked_in": _ticket_only,
    "ticket.queued": _ticket_only,
    "ticket.moved_on": _ticket_only,
    "ticket.visit_extended": _ticket_only,
    "ticket.returned": _ticket_only,
    "ticket.cancelled": _ticket_only,
    "ticket.expired": _expired,
    "counter.paused": _paused,
    "counter.resumed": _unpaused,
    "counter.closed": _closed,
    "rating.recorded": _rating,
    "rating.repeat_ignored": _rating,
    "rating.unattributed": _rating,
    "appointment.booked": _booked,
    "appointment.cancelled": _booking_changed,
    "appointment.checked_in": _booking_changed,
}
