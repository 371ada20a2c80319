"""Numbers taken away from the hall (issue 14, part 1): from a public web page, a Zalo mini-app
or the province's portal, ranked exactly like a kiosk's.

config.yaml, per site:

    remote:
      enabled: true
      opens_before_minutes: 60     # numbers may be taken this long before a session opens (and while open)
      per_phone: 1                 # numbers one phone number may take a day (confirmed by a code by SMS)
      caps: {DD: 40, default: 100} # remote numbers a field gives a day (default: every field not named)
      arrive_within_minutes: 90    # 0: no lapse; else the visitor confirms at a kiosk within this long
                                   # of taking it (or of opening, when taken before), or it lapses
      otp_minutes: 5               # how long the code sent by SMS is good for
      sms: log                     # the SMS adapter: log (writes the message to the log) or module:attribute
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .reader import Node, flag

SMS_ADAPTER = re.compile(r"^(log|[A-Za-z_][\w.]*:[A-Za-z_]\w*)$")


@dataclass(frozen=True)
class RemoteConfig:
    enabled: bool = False
    opens_before_minutes: int = 60
    per_phone: int = 1
    caps: dict[str, int] = field(default_factory=dict)
    default_cap: int | None = None
    arrive_within_minutes: int = 0
    otp_minutes: int = 5
    sms: str = "log"

    def cap(self, field_code: str) -> int | None:
        """The remote numbers field ``field_code`` gives a day (None: no cap but the field's own)."""
        return self.caps.get(field_code, self.default_cap)


def per_field_numbers(node: Node, fields) -> tuple[dict[str, int], int | None]:
    """A mapping of field code to a whole number, with an optional ``default`` for the others:
    the fields named, and the default (None when not given)."""
    numbers: dict[str, int] = {}
    default = None
    node.expect({"type": ["object", "null"], "additionalProperties": {"type": "integer", "minimum": 0}})
    raw = node.value if node.value is not None else {}
    if not isinstance(raw, dict):
        node.error("expected a mapping of field code to a number")
        raw = {}
    for code, value in raw.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            node.error(f"{code}: expected a whole number of at least 0, got {value!r}")
        elif code == "default":
            default = value
        elif str(code) not in fields:
            node.error(f"unknown field {code!r}")
        else:
            numbers[str(code)] = value
    return numbers, default


def parse_remote(node: Node, fields) -> RemoteConfig:
    m = node.mapping(["enabled", "opens_before_minutes", "per_phone", "caps", "arrive_within_minutes",
                      "otp_minutes", "sms"])
    if m is None:
        return RemoteConfig()
    caps, default_cap = per_field_numbers(m.node("caps"), fields)
    return RemoteConfig(
        enabled=flag(m, "enabled"),
        opens_before_minutes=m.whole("opens_before_minutes", 60, minimum=0, maximum=24 * 60),
        per_phone=m.whole("per_phone", 1, minimum=1, maximum=20),
        caps=caps, default_cap=default_cap,
        arrive_within_minutes=m.whole("arrive_within_minutes", 0, minimum=0, maximum=24 * 60),
        otp_minutes=m.whole("otp_minutes", 5, minimum=1, maximum=30),
        sms=m.text("sms", "log", pattern=SMS_ADAPTER, hint="log, or module:attribute of a sender") or "log",
    )
