"""When a site takes new tickets: weekly sessions in the site's time zone, minus holidays.

Public holidays come from the official calendar of the site's country (the ``holidays``
package: Vietnam's, lunar Tết and Giỗ Tổ Hùng Vương included, with the days the government
moves), plus the days off a centre adds; working days ("làm bù": a Saturday worked to make
up for a bridged holiday) open with a weekday's hours.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import holidays as official

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_INTERVAL = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")


@dataclass(frozen=True)
class OpeningHours:
    """Weekly opening sessions; ``always`` means tickets are issued at any hour (training, demos)."""

    always: bool = False
    week: dict[int, tuple[tuple[time, time], ...]] = field(default_factory=dict)
    holidays: frozenset[date] = frozenset()          # days off the centre adds
    calendar: str = ""                                # official public holidays of this country ("" = none)
    working_days: frozenset[date] = frozenset()       # days worked to make up for a bridged holiday

    def holiday_name(self, day: date, lang: str = "vi") -> str | None:
        """The public holiday ``day`` is (in ``lang``), or None."""
        if day in self.working_days or not self.calendar:
            return None
        return public_holidays(self.calendar, lang).get(day) or None

    def is_day_off(self, day: date) -> bool:
        """A public holiday or one of the centre's own days off (and not a make-up working day)."""
        return day not in self.working_days and (day in self.holidays or self.holiday_name(day) is not None)

    def sessions(self, day: date) -> tuple[tuple[time, time], ...]:
        """The opening sessions of ``day`` (none on a day off)."""
        if self.is_day_off(day):
            return ()
        if day in self.working_days:
            return self.week.get(0, ()) or self.week.get(day.weekday(), ())  # a make-up day keeps Monday's hours
        return self.week.get(day.weekday(), ())

    def last_close(self, day: date) -> time | None:
        """When ``day``'s last session ends; None when the hall does not open that day or never
        closes (``always``)."""
        sessions = () if self.always else self.sessions(day)
        return max(end for _start, end in sessions) if sessions else None

    def is_open(self, local: datetime) -> bool:
        """True when ``local`` (a time in the site's zone) falls inside an opening session."""
        if self.always:
            return True
        now = local.time()
        return any(start <= now < end for start, end in self.sessions(local.date()))

    def closes_today(self, local: datetime) -> datetime | None:
        """When the day's last session ends, if the hall opens again today at or after ``local``'s
        session; None when it does not open any more today (or never closes: ``always``)."""
        if self.always:
            return None
        ends = [end for start, end in self.sessions(local.date()) if end > local.time()]
        return datetime.combine(local.date(), max(ends), tzinfo=local.tzinfo) if ends else None

    def next_opening(self, local: datetime) -> datetime | None:
        """The start of the next session after ``local``, or None when the hall never opens."""
        if self.always or not self.week:
            return None
        for offset in range(0, 400):
            day = local.date() + timedelta(days=offset)
            for start, _end in self.sessions(day):
                candidate = datetime.combine(day, start, tzinfo=local.tzinfo)
                if candidate > local:
                    return candidate
        return None

    def describe(self) -> list[dict]:
        """The sessions per weekday, for screens that print the opening hours."""
        return [{"day": DAY_NAMES[d], "sessions": [f"{s:%H:%M}-{e:%H:%M}" for s, e in self.week[d]]}
                for d in sorted(self.week)]


@functools.cache
def public_holidays(country: str, lang: str = "vi"):
    """The country's public holidays (a dict-like of date -> name that fills in each year as it
    is asked about), named in ``lang`` when the calendar has it."""
    cal = official.country_holidays(country)
    wanted = {"en": "en_US"}.get(lang, lang)
    language = wanted if wanted in cal.supported_languages else cal.default_language
    return official.country_holidays(country, language=language)


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
