"""A site's outbound webhooks: where its ticket, rating and counter events are sent (a province's
one-stop software, a dashboard), signed with each hook's own secret.

config.yaml (or the administration) lists them per site:

    webhooks:
      - id: motcua                       # lower-case letters, digits, '-' or '_'
        url: https://motcua.example.gov.vn/qms/events
        events: [ticket, rating]         # ticket.*, rating.*, counter.*, appointment.* (default: ticket and rating)
        secret: "…at least 24 characters…"   # the HMAC key; the receiver holds the same
        disabled: false                  # events meanwhile are not sent

Delivery (server/history/webhooks.py) is at least once, in order per hook, retried with back-off.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from .reader import SLUG, Node, check_unique, flag

EVENT_GROUPS = ("ticket", "rating", "counter", "appointment")
DEFAULT_EVENTS = ("ticket", "rating")
URL = re.compile(r"^https?://[^\s/?#]+(/\S*)?$")
SECRET = re.compile(r"^[\x21-\x7e]{24,200}$")   # printable, no spaces


@dataclass(frozen=True)
class Webhook:
    id: str
    url: str
    events: tuple[str, ...]
    secret: str
    disabled: bool = False

    def wants(self, event_type: str) -> bool:
        """Whether an event of this type ("ticket.called") is sent to this hook."""
        return event_type.split(".", 1)[0] in self.events


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def parse_webhooks(node: Node) -> dict[str, Webhook]:
    hooks: list[tuple[Node, Webhook]] = []
    for item in node.items():
        m = item.mapping(["id", "url", "events", "secret", "disabled"])
        if m is None:
            continue
        events_node = m.node("events")
        events_node.expect({"type": ["array", "null"], "items": {"enum": list(EVENT_GROUPS)}})
        events = m.data.get("events", list(DEFAULT_EVENTS))
        if not isinstance(events, list) or not events or not all(e in EVENT_GROUPS for e in events):
            events_node.error(f"a list of {', '.join(EVENT_GROUPS)} (at least one)")
            events = list(DEFAULT_EVENTS)
        hooks.append((item, Webhook(
            id=m.text("id", required=True, pattern=SLUG, hint="lower-case letters, digits, '-' or '_'") or "",
            url=m.text("url", required=True, pattern=URL, hint="an http:// or https:// address") or "",
            events=tuple(dict.fromkeys(events)),
            secret=m.text("secret", required=True, pattern=SECRET,
                          hint="24 to 200 printable characters, no spaces") or "",
            disabled=flag(m, "disabled"))))
    check_unique([(n, h.id) for n, h in hooks], "webhook id")
    return {h.id: h for _, h in hooks}


def read_webhooks(entries: list) -> tuple[dict[str, Webhook], list[str]]:
    """A site's webhooks as stored live (config.yaml entries), and what is wrong with them."""
    errors: list[str] = []
    return parse_webhooks(Node(entries, "webhooks", errors)), errors


def webhook_entry(h: Webhook) -> dict:
    """A webhook as config.yaml writes it (its secret included: config.yaml is the admin's file)."""
    out: dict = {"id": h.id, "url": h.url, "events": list(h.events), "secret": h.secret}
    if h.disabled:
        out["disabled"] = True
    return out
