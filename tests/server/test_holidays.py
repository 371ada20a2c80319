"""Days off: Vietnam's official calendar (lunar Tết and Giỗ Tổ included), the centre's own
days off, and Saturdays worked to make up for a bridged holiday."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from server.config import ConfigError, parse_config

from ..conftest import HCM
from ..hall import hall_document


def hours(prefix, holidays):
    doc = hall_document(prefix)
    doc["sites"][0]["holidays"] = holidays
    return parse_config(doc).sites["hcc"].opening_hours


def at(day: str, clock: str = "09:00") -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=HCM)


@pytest.fixture
def prefix():
    return "qmsholidays"


def test_the_official_calendar_closes_tet_and_gio_to_without_a_list(prefix):
    h = hours(prefix, [])
    for day in ("2027-02-05", "2027-02-08", "2027-02-10", "2027-04-16", "2027-09-02", "2027-01-01"):
        assert not h.is_open(at(day)), day
    assert h.holiday_name(date(2027, 2, 8)) == "Mùng ba Tết Nguyên Đán"
    assert h.holiday_name(date(2027, 2, 8), "en") == "Third Day of Lunar New Year"
    assert h.holiday_name(date(2027, 4, 16)) == "Ngày Giỗ Tổ Hùng Vương"
    assert h.is_open(at("2027-02-11")) and h.is_open(at("2027-04-15"))
    assert h.next_opening(at("2027-02-04", "16:00")) == at("2027-02-11", "07:30")


def test_a_centres_own_days_off_and_make_up_saturdays(prefix):
    h = hours(prefix, {"calendar": "VN", "extra": ["2027-01-04"], "working_days": ["2027-01-09"]})
    assert not h.is_open(at("2027-01-04")) and h.is_day_off(date(2027, 1, 4))
    assert h.holiday_name(date(2027, 1, 4)) is None  # the centre's own: no public holiday's name
    # A Saturday worked to make up for the bridged day keeps a weekday's hours, afternoon too.
    assert h.is_open(at("2027-01-09", "14:00"))
    plain = hours(prefix, {"calendar": "none", "extra": ["2027-01-04"]})
    assert plain.is_open(at("2027-02-08")) and not plain.is_open(at("2027-01-04"))
    assert not plain.is_open(at("2027-01-09", "14:00"))  # an ordinary Saturday afternoon


def test_a_plain_list_adds_to_the_official_calendar(prefix):
    h = hours(prefix, ["2027-02-11"])
    assert not h.is_open(at("2027-02-08")) and not h.is_open(at("2027-02-11"))
    assert h.next_opening(at("2027-02-08")) == at("2027-02-12", "07:30")


def test_a_calendar_we_do_not_know_is_refused(prefix):
    with pytest.raises(ConfigError) as err:
        hours(prefix, {"calendar": "XX"})
    assert "sites[0].holidays.calendar" in str(err.value)
