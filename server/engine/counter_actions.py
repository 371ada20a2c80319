"""The operations an officer can send for a counter, shared by the REST API and Socket.IO."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..config import SiteConfig
from ..errors import NotFound
from ..params import check_params
from .actor import Actor
from .queue_engine import QueueEngine

Run = Callable[[QueueEngine, str, int, Actor, dict], Any]

ACTIONS: dict[str, tuple[dict, tuple[str, ...], Run]] = {
    "open": ({"take_over": bool}, (),
             lambda e, s, n, a, b: e.open_counter(s, n, a, take_over=bool(b.get("take_over")))),
    "close": ({}, (), lambda e, s, n, a, b: e.close_counter(s, n, a)),
    "call-next": ({"finish_current": bool}, (),
                  lambda e, s, n, a, b: e.call_next(s, n, a, finish_current=bool(b.get("finish_current")))),
    "call": ({"ticket_id": str}, ("ticket_id",), lambda e, s, n, a, b: e.call_ticket(s, n, b["ticket_id"], a)),
    "recall": ({}, (), lambda e, s, n, a, b: e.recall(s, n, a)),
    "no-show": ({}, (), lambda e, s, n, a, b: e.no_show(s, n, a)),
    "start": ({}, (), lambda e, s, n, a, b: e.start(s, n, a)),
    "finish": ({}, (), lambda e, s, n, a, b: e.finish(s, n, a)),
    "transfer": ({"field": str, "counter": int, "even_if_closed": bool}, (),
                 lambda e, s, n, a, b: e.transfer(s, n, a, field=b.get("field"), to_counter=b.get("counter"),
                                                  even_if_closed=bool(b.get("even_if_closed")))),
    "pause": ({"reason": str}, ("reason",), lambda e, s, n, a, b: e.pause(s, n, a, b["reason"])),
    "resume": ({}, (), lambda e, s, n, a, b: e.resume(s, n, a)),
    "dossier": ({"code": str}, ("code",), lambda e, s, n, a, b: e.attach_dossier(s, n, a, b["code"])),
    "then": ({"field": str}, ("field",), lambda e, s, n, a, b: e.add_next(s, n, a, b["field"])),
}


def check_target(site: SiteConfig, number: Any, action: Any) -> None:
    """404 for an action or counter that does not exist."""
    if action not in ACTIONS:
        raise NotFound(f"Unknown counter action {action!r}.", code="unknown_action")
    if isinstance(number, bool) or not isinstance(number, int) or number not in site.counters:
        raise NotFound(f"Unknown counter {number!r}.", code="unknown_counter")


def ending_sessions_of_the_replaced(auth, site: SiteConfig, number: int) -> Callable[[str], None]:
    """The on_take_over hook: the replaced officer's sessions at that counter end, and their
    sockets are closed on every server process."""
    return lambda previous: auth.end_sessions(auth.sessions.end_officer(site.id, previous, counter=number),
                                              f"counter {number} taken over from {previous}")


def run_action(engine: QueueEngine, site: SiteConfig, number: int, actor: Actor, action: str, params: Any,
               on_take_over: Callable[[str], None] | None = None):
    """Check the parameters of ``action`` and run it; None means 'nobody waits' for call-next.
    ``on_take_over`` is told the officer an "open" with take_over replaced."""
    schema, required, run = ACTIONS[action]
    body = check_params(params, schema, required)
    if action == "open":
        return engine.open_counter(site.id, number, actor, take_over=bool(body.get("take_over")),
                                   on_take_over=on_take_over)
    return run(engine, site.id, number, actor, body)
