"""When a site takes new tickets: weekly sessions in the site's time zone, minus holidays."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_INTERVAL = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")


@dataclass(frozen=True)
class OpeningHours:
    """Weekly opening sessions; ``always`` means tickets are issued at any hour (training, demos)."""

    always: bool = False
    week: dict[int, tuple[tuple[time, time], ...]] = field(default_factory=dict)
    holidays: frozenset[date] = frozenset()

    def is_open(self, local: datetime) -> bool:
        """True when ``local`` (a time in the site's zone) falls inside an opening session."""
        if self.always:
            return True
        if local.date() in self.holidays:
            return False
        now = local.time()
        return any(start <= now < end for start, end in self.week.get(local.weekday(), ()))

    def next_opening(self, local: datetime) -> datetime | None:
        """The start of the next session after ``local``, or None when the hall never opens."""
        if self.always or not self.week:
            return None
        for offset in range(0, 400):
            day = local.date() + timedelta(days=offset)
            if day in self.holidays:
                continue
            for start, _end in self.week.get(day.weekday(), ()):
                candidate = datetime.combine(day, start, tzinfo=local.tzinfo)
                if candidate > local:
                    return candidate
        return None

    def describe(self) -> list[dict]:
        """The sessions per weekday, for screens that print the opening hours."""
        return [{"day": DAY_NAMES[d], "sessions": [f"{s:%H:%M}-{e:%H:%M}" for s, e in self.week[d]]}
                for d in sorted(self.week)]


def parse_days(spec: str) -> list[int] | None:
    """'mon', 'mon-fri' or 'sat,sun' -> weekday numbers (Monday = 0); None when not understood."""
    days: list[int] = []
    for part in spec.lower().replace(" ", "").split(","):
        if "-" in part:
            first, _, last = part.partition("-")
            if first not in DAY_NAMES or last not in DAY_NAMES:
                return None
            a, b = DAY_NAMES.index(first), DAY_NAMES.index(last)
            if b < a:
                return None
            days.extend(range(a, b + 1))
        elif part in DAY_NAMES:
            days.append(DAY_NAMES.index(part))
        else:
            return None
    return days


def parse_interval(text: str) -> tuple[time, time] | None:
    """'07:30-11:30' -> (07:30, 11:30); None when malformed or empty."""
    match = _INTERVAL.match(text.strip()) if isinstance(text, str) else None
    if not match:
        return None
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
        return None
    start = time(h1, m1)
    end = time(23, 59, 59, 999999) if h2 == 24 else time(h2, m2)
    if end <= start:
        return None
    return start, end
