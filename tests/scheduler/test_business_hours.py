"""BusinessCalendar: deadlines count open time only, in the shop's timezone."""

from __future__ import annotations

import random
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from scheduler.business_hours import BusinessCalendar
from scheduler.config import BusinessHoursConfig

OFFICE = ["09:00-18:00"]
# 2025-01-06 is a Monday.


def at(wall: str, zone: str = "Asia/Shanghai") -> float:
    return datetime.fromisoformat(wall).replace(tzinfo=ZoneInfo(zone)).timestamp()


def calendar(**hours: object) -> BusinessCalendar:
    weekdays = {day: OFFICE for day in ("mon", "tue", "wed", "thu", "fri")}
    return BusinessCalendar(BusinessHoursConfig.model_validate({**weekdays, **hours}))


def test_without_business_hours_the_shop_is_always_open() -> None:
    always = BusinessCalendar(None)
    t = at("2025-01-11 03:00")

    assert always.is_open(t)
    assert always.next_open(t) == t
    assert always.add_business_seconds(t, 90) == t + 90
    assert always.business_seconds_between(t, t + 90) == 90


def test_open_from_the_opening_instant_to_just_before_closing() -> None:
    office = calendar()

    assert not office.is_open(at("2025-01-06 08:59:59"))
    assert office.is_open(at("2025-01-06 09:00"))
    assert office.is_open(at("2025-01-06 17:59:59"))
    assert not office.is_open(at("2025-01-06 18:00"))
    assert not office.is_open(at("2025-01-11 12:00")), "Saturday"


def test_next_open_is_now_when_open_else_the_next_opening() -> None:
    office = calendar()

    assert office.next_open(at("2025-01-06 10:00")) == at("2025-01-06 10:00")
    assert office.next_open(at("2025-01-06 07:00")) == at("2025-01-06 09:00")
    assert office.next_open(at("2025-01-10 19:00")) == at("2025-01-13 09:00")


@pytest.mark.parametrize(
    ("start", "seconds", "due"),
    [
        ("2025-01-06 10:00:00", 60, "2025-01-06 10:01:00"),
        ("2025-01-07 17:59:30", 60, "2025-01-08 09:00:30"),  # paused overnight
        ("2025-01-10 17:58:00", 300, "2025-01-13 09:03:00"),  # paused over the weekend
        ("2025-01-11 15:00:00", 30, "2025-01-13 09:00:30"),  # armed while closed
        ("2025-01-06 17:59:00", 60, "2025-01-06 18:00:00"),  # the last open second counts
        ("2025-01-06 20:00:00", 0, "2025-01-07 09:00:00"),
        ("2025-01-06 10:00:00", 3 * 9 * 3600, "2025-01-09 10:00:00"),
    ],
)
def test_deadlines_pause_outside_hours(start: str, seconds: float, due: str) -> None:
    assert calendar().add_business_seconds(at(start), seconds) == at(due)


def test_a_lunch_break_pauses_too() -> None:
    office = calendar(mon=["09:00-12:00", "13:30-18:00"])

    assert office.add_business_seconds(at("2025-01-06 11:59"), 120) == at("2025-01-06 13:31")
    assert office.business_seconds_between(at("2025-01-06 11:00"), at("2025-01-06 14:00")) == 5400


def test_holidays_are_closed_all_day() -> None:
    office = calendar(holidays=["2025-01-08", "2025-01-09"])

    assert not office.is_open(at("2025-01-08 10:00"))
    assert office.add_business_seconds(at("2025-01-07 17:59"), 120) == at("2025-01-10 09:01")


def test_a_night_shift_runs_through_midnight() -> None:
    night = calendar(sat=["20:00-24:00"], sun=["00:00-02:00"])

    assert night.add_business_seconds(at("2025-01-11 23:59"), 120) == at("2025-01-12 00:01")
    assert night.business_seconds_between(at("2025-01-11 19:00"), at("2025-01-12 03:00")) == 6 * 3600


def test_waiting_time_counts_open_seconds_only() -> None:
    office = calendar()

    assert office.business_seconds_between(at("2025-01-10 17:00"), at("2025-01-13 10:00")) == 2 * 3600
    assert office.business_seconds_between(at("2025-01-13 10:00"), at("2025-01-10 17:00")) == 0


def test_hours_are_wall_clock_hours_of_the_configured_timezone() -> None:
    instant = at("2025-01-06 11:00", "UTC")  # 19:00 in Shanghai, 11:00 in London
    shanghai, london = calendar(), calendar(timezone="Europe/London")

    assert not shanghai.is_open(instant)
    assert london.is_open(instant)
    assert shanghai.next_open(instant) == at("2025-01-07 09:00")
    assert london.add_business_seconds(instant, 8 * 3600) == at("2025-01-07 10:00", "Europe/London")


def test_a_day_with_a_dst_change_is_as_long_as_it_really_is() -> None:
    zone = "America/New_York"  # clocks went forward on Sunday 2025-03-09
    all_day = calendar(timezone=zone, sat=["00:00-24:00"], sun=["00:00-24:00"])
    office = calendar(timezone=zone, sat=OFFICE, sun=OFFICE)

    weekend = all_day.business_seconds_between(at("2025-03-08 00:00", zone), at("2025-03-10 00:00", zone))
    assert weekend == 24 * 3600 + 23 * 3600
    assert office.add_business_seconds(at("2025-03-08 17:00", zone), 7200) == at("2025-03-09 10:00", zone)


def test_between_undoes_add_for_any_start() -> None:
    office = calendar(mon=["09:00-12:00", "13:30-18:00"], holidays=["2025-01-15"])
    rng = random.Random(3)
    for _ in range(300):
        start = at("2025-01-06 00:00") + rng.uniform(0, 21 * 86400)
        seconds = rng.uniform(0, 3 * 86400)
        due = office.add_business_seconds(start, seconds)
        assert office.business_seconds_between(start, due) == pytest.approx(seconds, abs=1e-6)
        assert office.is_open(due) or office.is_open(due - 1e-3), "a deadline falls due in open time"
