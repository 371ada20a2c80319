"""Appointments (issue 14, part 2): a slot booked ahead for a field, checked in at a kiosk, and
served at its time ahead of walk-ins.

config.yaml, per site:

    appointments:
      enabled: true
      slot_minutes: 30             # each opening session is cut into slots this long
      capacity: {DD: 4, default: 2}  # bookings a slot takes, per field (0: the field takes none)
      days_ahead: 7                # how far ahead a slot may be booked (today's later slots included)
      per_phone: 1                 # bookings one phone number may hold for a day
      checkin_before_minutes: 30   # the kiosk checks a booking in from this long before its slot...
      late_minutes: 15             # ...until this long after its start; later, it is late:
      late: walk_in                # walk_in (an ordinary number instead) or refuse
      order: first                 # at its slot time the visitor is called before every walk-in (first)
                                   # or joins the priority lane with `weight` (priority: the priority
                                   # ratio lets walk-ins through)
      weight: 5
      offer_when_full: true        # the kiosk offers a booking when a field's numbers run out or the
                                   # day is over, instead of "come back tomorrow at 4 a.m."
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .reader import Node, flag
from .remote import per_field_numbers

LATE = ("walk_in", "refuse")
ORDERS = ("first", "priority")
DEFAULT_CAPACITY = 2


@dataclass(frozen=True)
class AppointmentsConfig:
    enabled: bool = False
    slot_minutes: int = 30
    capacities: dict[str, int] = field(default_factory=dict)
    default_capacity: int = DEFAULT_CAPACITY
    days_ahead: int = 7
    per_phone: int = 1
    checkin_before_minutes: int = 30
    late_minutes: int = 15
    late: str = "walk_in"
    order: str = "first"
    weight: int = 5
    offer_when_full: bool = True

    def capacity(self, field_code: str) -> int:
        """The bookings one slot of ``field_code`` takes (0: the field takes none)."""
        return self.capacities.get(field_code, self.default_capacity)

    def takes(self, field) -> bool:
        """Whether ``field`` (a FieldConfig) takes bookings: a service field with places."""
        return field.kind == "service" and self.capacity(field.code) > 0


def parse_appointments(node: Node, fields) -> AppointmentsConfig:
    m = node.mapping(["enabled", "slot_minutes", "capacity", "days_ahead", "per_phone", "checkin_before_minutes",
                      "late_minutes", "late", "order", "weight", "offer_when_full"])
    if m is None:
        return AppointmentsConfig()
    capacities, default = per_field_numbers(m.node("capacity"), fields)
    for code in capacities:
        if fields[code].kind != "service":
            m.node("capacity").error(f"{code}: a {fields[code].kind} lane takes no appointments")
    offer = m.data.get("offer_when_full", True)
    return AppointmentsConfig(
        enabled=flag(m, "enabled"),
        slot_minutes=m.whole("slot_minutes", 30, minimum=5, maximum=240),
        capacities=capacities,
        default_capacity=DEFAULT_CAPACITY if default is None else default,
        days_ahead=m.whole("days_ahead", 7, minimum=1, maximum=60),
        per_phone=m.whole("per_phone", 1, minimum=1, maximum=10),
        checkin_before_minutes=m.whole("checkin_before_minutes", 30, minimum=0, maximum=240),
        late_minutes=m.whole("late_minutes", 15, minimum=0, maximum=240),
        late=m.text("late", "walk_in", choices=LATE),
        order=m.text("order", "first", choices=ORDERS),
        weight=m.whole("weight", 5, minimum=1, maximum=100),
        offer_when_full=flag(m, "offer_when_full") if "offer_when_full" in m.data else bool(offer),
    )
