"""Socket.IO: who may connect, which rooms they join, and the operations they may send.

A client connects with ``auth = {"site": ..., "token": ...}`` (a device token or an
officer's session; an officer's browser may use its session cookie instead) or, for the
visitor's phone, ``{"site": ..., "ticket_token": ...}``. It joins ``site:<site>`` (every
public update, each with the site's sequence number), ``figures:<site>`` unless it is a lobby
display or a device agent (the pushed ``state``), and its own room
(``display:``, ``counter:``, ``ticket:``, ``kiosk:``, ``agent:``), then receives a full
``snapshot``. A client that sees a gap in ``seq`` sends ``snapshot`` to get a new one.
"""
from __future__ import annotations

import functools
import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, request
from flask_socketio import ConnectionRefusedError, Namespace, join_room

from ..engine.actor import Actor
from ..engine.counter_actions import check_target, ending_sessions_of_the_replaced, run_action
from ..engine.ratings import record_press
from ..engine.views import phone_own_ticket, phone_waiting
from ..errors import BadRequest, QmsError, Unauthorized
from ..params import check_params
from ..security.auth import SESSION_COOKIE, require, require_counter
from ..store.store_health import is_store_outage
from .relay import Audience

logger = logging.getLogger(__name__)


def current_sid() -> str:
    """The id of the socket whose event is being handled (Flask-SocketIO sets request.sid)."""
    return request.sid  # type: ignore[attr-defined]  # added by Flask-SocketIO, not in Flask's Request


def guarded(handler):
    """Answer a QmsError as JSON and log anything else; never let an exception escape, since
    Flask-SocketIO re-runs a handler without its arguments when a TypeError leaves it."""

    @functools.wraps(handler)
    def wrapper(self, *args):
        try:
            return handler(self, *args)
        except ConnectionRefusedError:
            raise
        except QmsError as err:
            return err.to_json()
        except Exception as err:
            if is_store_outage(err):
                reason = current_app.extensions["qms"].health.failed(err)
                code, message = "store_unavailable", f"The queue store is unavailable ({reason}); try again shortly."
            else:
                logger.exception("socket handler %s failed (sid=%s)", handler.__name__, current_sid())
                code, message = "internal_error", "Internal error."
            if handler.__name__ == "on_connect":
                raise ConnectionRefusedError(code) from None
            return {"error": {"code": code, "message": message}}

    return wrapper


def _bump(tally: Counter[Any], key: Any, step: int) -> None:
    tally[key] += step
    if tally[key] <= 0:
        del tally[key]


def shows_figures(actor: Actor) -> bool:
    """Whether a (non-phone) screen shows a site's figures (estimates, longest waits, lists):
    kiosks, officers' counter screens and monitors do; lobby displays and device agents do not."""
    return actor.kind not in ("display", "agent")


@dataclass
class Connection:
    site: str
    actor: Actor | None
    ticket_id: str | None = None
    rooms: set[str] = field(default_factory=set)


class LiveNamespace(Namespace):
    """The default namespace of every screen."""

    def __init__(self, namespace: str = "/"):
        super().__init__(namespace)
        # Per-connection facts of this process's own sockets (not queue state).
        self.connections: dict[str, Connection] = {}
        self.per_site: Counter[str] = Counter()  # this process's sockets of each site (the relay asks)
        # Per site, the counters with an officer's screen here and the tickets with a phone here.
        self.desks: dict[str, Counter[int]] = {}
        self.phones: dict[str, Counter[str]] = {}
        self.figure_screens: Counter[str] = Counter()   # per site: sockets here in its figures room

    @property
    def svc(self):
        return current_app.extensions["qms"]

    @guarded
    def on_connect(self, auth=None):
        auth = auth if isinstance(auth, dict) else {}
        site_id = auth.get("site") or request.args.get("site")
        try:
            site = self.svc.engine.site(site_id if isinstance(site_id, str) else "")
            token = auth.get("token")
            actor = self.svc.auth.actor(site, token if isinstance(token, str) else None,
                                        request.cookies.get(SESSION_COOKIE))
            ticket_id = None
            if actor is None:
                ticket_token = auth.get("ticket_token")
                if not isinstance(ticket_token, str):
                    raise Unauthorized("Sign in or send a device token.", code="unauthorized")
                ticket_id = self.svc.engine.ticket_by_token(site.id, ticket_token)["id"]
        except QmsError as err:
            logger.info("socket refused sid=%s site=%r: %s", current_sid(), site_id, err.code)
            raise ConnectionRefusedError(err.code) from None
        conn = Connection(site.id, actor, ticket_id)
        self.connections[current_sid()] = conn
        self.per_site[site.id] += 1
        self._count(conn, 1)
        self.svc.handshakes.admitted(self.socketio.server.manager.eio_sid_from_sid(current_sid(), self.namespace))
        if actor is not None and actor.session:
            self.svc.sessions.add_socket(actor.scope or site.id, actor.session, current_sid())
        # A phone hears its own ticket and its place only (server/realtime/relay.py), nothing
        # of anyone else's business; every other screen hears the whole site.
        if ticket_id is not None:
            rooms = {f"ticket:{site.id}:{ticket_id}"}
        else:
            rooms = {f"site:{site.id}"}
            if actor.kind == "officer" and actor.counter is not None:
                rooms.add(f"counter:{site.id}:{actor.counter}")
            elif actor.kind in ("kiosk", "display", "agent"):
                rooms.add(f"{actor.kind}:{site.id}:{actor.id}")
                if actor.kind == "agent":
                    self.svc.devices.agent_seen(site.id, actor.id)
                else:
                    self.svc.devices.screens_seen(site.id, [(actor.kind, actor.id)])
            if actor.reads_reports or actor.kind == "agent":
                rooms.add(f"monitor:{site.id}")
            if shows_figures(actor):
                rooms.add(f"figures:{site.id}")
        logger.info("socket connect sid=%s site=%s who=%s", current_sid(), site.id,
                    actor.label if actor else f"phone:{ticket_id}")
        conn.rooms = rooms
        self._send_snapshot(conn, self._snapshot(conn, lists=False), join=rooms)

    def connected_screens(self) -> dict[str, set]:
        """Per site, the (kind, id) of the displays and kiosks connected to this process now."""
        out: dict[str, set] = {}
        for conn in list(self.connections.values()):
            if conn.actor is not None and conn.actor.kind in ("display", "kiosk"):
                out.setdefault(conn.site, set()).add((conn.actor.kind, conn.actor.id))
        return out

    def devices_changed(self, site_id: str, ended: set[tuple[str, str]], changed: set[tuple[str, str]]) -> None:
        """A site's devices changed in the live administration (every process hears it within a
        second): the sockets here of a device whose token ended are closed (it is refused when
        it tries again), and a device whose settings changed is told to read them again."""
        for sid, conn in list(self.connections.items()):
            if conn.site != site_id or conn.actor is None or conn.actor.kind not in ("kiosk", "display", "agent"):
                continue
            device = (conn.actor.kind, conn.actor.id)
            if device in ended:
                logger.info("socket sid=%s closed: the token of %s %s ended", sid, *device)
                self.socketio.server.disconnect(sid, namespace=self.namespace)
            elif device in changed:
                self.socketio.emit("settings", {"kind": device[0], "id": device[1]}, to=sid,
                                   namespace=self.namespace, ignore_queue=True)

    def site_removed(self, site_id: str) -> None:
        """A site removed by a province admin: every socket of it here is closed (a screen that
        tries again is refused: the site is unknown)."""
        for sid, conn in list(self.connections.items()):
            if conn.site == site_id:
                logger.info("socket sid=%s closed: site %s removed", sid, site_id)
                self.socketio.server.disconnect(sid, namespace=self.namespace)

    def hall_changed(self, site_id: str) -> None:
        """A site's counters changed in the live administration: its screens connected here
        (displays, kiosks, counters) are told to draw the hall again."""
        self.socketio.emit("settings", {"kind": "hall"}, to=f"site:{site_id}", namespace=self.namespace,
                           ignore_queue=True)

    def agents_changed(self, site_id: str, agents: set[str]) -> None:
        """A site's rating panels, printers or LED boards changed: the agents here that serve a
        changed one are told to read their settings again (hardware/agent.py)."""
        for agent in agents:
            self.socketio.emit("settings", {"kind": "devices"}, to=f"agent:{site_id}:{agent}",
                               namespace=self.namespace, ignore_queue=True)

    def listeners(self, site_id: str) -> int:
        return self.per_site[site_id]

    def audience(self, site_id: str) -> Audience:
        """The screens here that show a site's figures, the counters whose officer has a screen
        connected here, and the tickets whose phone is."""
        return Audience(self.figure_screens[site_id], set(+self.desks.get(site_id, Counter())),
                        set(+self.phones.get(site_id, Counter())))

    def _count(self, conn: Connection, step: int) -> None:
        if conn.ticket_id:
            _bump(self.phones.setdefault(conn.site, Counter()), conn.ticket_id, step)
            return
        if conn.actor is not None and conn.actor.kind == "officer" and conn.actor.counter is not None:
            _bump(self.desks.setdefault(conn.site, Counter()), conn.actor.counter, step)
        if conn.actor is not None and shows_figures(conn.actor):
            _bump(self.figure_screens, conn.site, step)

    def on_disconnect(self, *args):
        conn = self.connections.pop(current_sid(), None)
        if conn is not None:
            self.per_site[conn.site] -= 1
            self._count(conn, -1)
        if conn and conn.actor and conn.actor.session:
            self.svc.sessions.remove_socket(conn.actor.scope or conn.site, conn.actor.session, current_sid())
        if conn and conn.actor and conn.actor.kind == "agent":
            self.svc.devices.agent_gone(conn.site, conn.actor.id)
            logger.info("agent %s disconnected", conn.actor.id)

    def _caller(self, *kinds: str, check_session: bool = False) -> tuple[Connection, Actor]:
        """This socket's connection and its actor, who must be one of ``kinds`` (else refused)."""
        conn = self.connections.get(current_sid())
        if check_session:
            conn = self._signed_in(conn)
        actor = require(conn.actor if conn else None, *kinds)
        if conn is None:  # require() has refused a socket that never connected; this is for the reader
            raise Unauthorized("Connect first.")
        return conn, actor

    def _signed_in(self, conn: Connection | None) -> Connection | None:
        """The connection, after checking that an officer's session has not ended since it
        connected (logout, expiry, take-over, password change); an ended one is disconnected."""
        if conn is None or conn.actor is None or not conn.actor.session:
            return conn
        actor = self.svc.auth.session_actor(self.svc.config.sites[conn.site], conn.actor.session, conn.actor.scope)
        if actor is None:
            logger.info("socket sid=%s: the session of %s has ended", current_sid(), conn.actor.id)
            self.socketio.server.disconnect(current_sid(), namespace=self.namespace)
            raise Unauthorized("Your session has ended: sign in again.", code="session_ended")
        return conn

    def _send_snapshot(self, conn: Connection, snap: dict, join: frozenset[str] | set[str] = frozenset()) -> None:
        """To this client only, straight from this process (it is connected here), then the
        updates already pushed after that snapshot was read: the client sees the snapshot
        first and every later update once, in order, whatever the relay did meanwhile."""
        with self.svc.relay.joining(conn.site, snap["seq"], conn.rooms) as missed:
            for room in join:
                join_room(room)
            self.socketio.emit("snapshot", snap, to=current_sid(), namespace=self.namespace, ignore_queue=True)
            for name, payload in missed:
                self.socketio.emit(name, payload, to=current_sid(), namespace=self.namespace, ignore_queue=True)

    def _snapshot(self, conn: Connection, lists: bool) -> dict:
        snap = self.svc.engine.snapshot(conn.site, with_lists=lists)
        if conn.ticket_id:
            # A phone: its own ticket and the waiting count per field, nothing of the counters.
            return {"seq": snap["seq"], "site": conn.site,
                    "waiting": phone_waiting(snap.get("waiting", {})),
                    "ticket": phone_own_ticket(self.svc.engine.ticket(conn.site, conn.ticket_id))}
        return snap

    @guarded
    def on_snapshot(self, data=None):
        """A client asks again (after a gap); officers may ask for the waiting lists."""
        conn = self._signed_in(self.connections.get(current_sid()))
        if conn is None:
            return {"error": {"code": "unauthorized", "message": "Connect first."}}
        lists = isinstance(data, dict) and data.get("lists") is True
        if lists and (conn.actor is None or conn.actor.kind != "officer"):
            lists = False
        snap = self._snapshot(conn, lists)
        self._send_snapshot(conn, snap)
        return {"ok": True, "seq": snap["seq"]}

    @guarded
    def on_counter(self, data=None):
        """A counter operation sent over the socket: {"action": "call-next", "counter": 5, ...}."""
        conn = self._signed_in(self.connections.get(current_sid()))
        if conn is None or not isinstance(data, dict):
            raise BadRequest("Send an object with action and counter.", code="malformed_json")
        site = self.svc.engine.site(conn.site)
        params = dict(data)
        action, number = params.pop("action", None), params.pop("counter", None)
        check_target(site, number, action)
        actor = require_counter(conn.actor, number)
        return {"ok": True, "result": run_action(self.svc.engine, site, number, actor, action, params,
                                                 on_take_over=ending_sessions_of_the_replaced(self.svc.auth, site,
                                                                                             number))}

    @guarded
    def on_press(self, data=None):
        """A rating panel's press from the agent that reads it; the answer is the agent's receipt."""
        conn, actor = self._caller("agent")
        self.svc.devices.agent_seen(conn.site, actor.id)
        return {"ok": True, "press": record_press(self.svc.engine, conn.site, actor, data)}

    @guarded
    def on_device_status(self, data=None):
        """An agent's heartbeat: its devices' connected / last seen / error counts."""
        conn, actor = self._caller("agent")
        data = check_params(data, {"devices": dict, "spool": dict})
        self.svc.devices.report(self.svc.config.sites[conn.site], actor.id, data.get("devices") or {},
                                data.get("spool"))
        return {"ok": True}

    @guarded
    def on_print_result(self, data=None):
        conn, actor = self._caller("agent")
        data = check_params(data, {"job": str, "kiosk": str, "status": str, "detail": str})
        self.svc.devices.print_result(self.svc.config.sites[conn.site], actor.id, data)
        return {"ok": True}

    @guarded
    def on_issue(self, data=None):
        """A kiosk takes a ticket over the socket: {"field": ..., "priority": ..., "idempotency_key": ...}."""
        conn, actor = self._caller("kiosk", "officer", check_session=True)
        data = check_params(data, {"field": str, "priority": str, "idempotency_key": str}, ("field",))
        ticket = self.svc.engine.issue(conn.site, data["field"], priority=data.get("priority"),
                                       idempotency_key=data.get("idempotency_key"), actor=actor)
        return {"ok": True, "ticket": ticket}
