"""Deadlines: working days skip weekends and holidays, days are Kyiv days, ends at midnight."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from app.rules import calendar
from app.rules import service as rules
from app.rules.schema import Period
from tests.factories import make_community

FRIDAY = date(2026, 3, 6)
WORKING = "working"
CALENDAR = "calendar"


def period(days: int, unit: str = WORKING) -> Period:
    return Period(days=days, unit=unit)


@pytest.mark.parametrize(("start", "days", "holidays", "expected"), [
    (FRIDAY, 10, set(), date(2026, 3, 20)),  # two whole weeks
    (FRIDAY, 10, {date(2026, 3, 9)}, date(2026, 3, 23)),  # a Monday holiday adds a day
    (FRIDAY, 10, {date(2026, 3, 9), date(2026, 3, 14)}, date(2026, 3, 23)),  # a Saturday one
    (FRIDAY, 1, set(), date(2026, 3, 9)),  # the next working day is Monday
    (date(2026, 3, 7), 1, set(), date(2026, 3, 9)),  # from a Saturday
    (date(2026, 3, 8), 5, set(), date(2026, 3, 13)),  # from a Sunday
    (date(2026, 12, 24), 3, {date(2026, 12, 25), date(2027, 1, 1)},
     date(2026, 12, 30)),
])
def test_working_days(start, days, holidays, expected):
    assert calendar.add_days(start, period(days), holidays) == expected
    assert calendar.working_days_between(start, expected, holidays) == days


def test_calendar_days_ignore_weekends_and_holidays():
    holidays = {date(2026, 3, 9)}
    assert calendar.add_days(FRIDAY, period(14, CALENDAR), holidays) == date(2026, 3, 20)
    assert calendar.add_days(FRIDAY, period(1, CALENDAR), holidays) == date(2026, 3, 7)


def test_is_working_day():
    assert calendar.is_working_day(FRIDAY, set())
    assert not calendar.is_working_day(date(2026, 3, 7), set())
    assert not calendar.is_working_day(date(2026, 3, 8), set())
    assert not calendar.is_working_day(FRIDAY, {FRIDAY})


def test_a_deadline_ends_at_kyiv_midnight():
    # Winter time (UTC+2) and summer time (UTC+3, from 29 March 2026).
    assert calendar.end_of_local_day(date(2026, 3, 20)) == datetime(2026, 3, 20, 22, tzinfo=UTC)
    assert calendar.end_of_local_day(date(2026, 3, 30)) == datetime(2026, 3, 30, 21, tzinfo=UTC)


def test_local_date_is_the_kyiv_date():
    assert calendar.local_date(datetime(2026, 3, 5, 22, 30, tzinfo=UTC)) == FRIDAY
    assert calendar.local_date(datetime(2026, 3, 5, 21, 30, tzinfo=UTC)) == date(2026, 3, 5)


def test_service_deadline_with_a_holiday_in_between(db):
    place = make_community(db)
    rules.add_holiday(db, date(2026, 3, 9), "Міжнародний жіночий день (перенесено)")
    start = datetime(2026, 3, 6, 8, 0, tzinfo=UTC)  # Friday morning in Kyiv

    due = rules.deadline(db, place.community.id, start, period(10))

    # Ten working days after Friday, Monday the 9th off: Monday 23 March, until midnight.
    assert due == datetime(2026, 3, 23, 22, 0, tzinfo=UTC)


def test_service_deadline_counts_kyiv_days_not_utc_days(db):
    place = make_community(db)
    rules.add_holiday(db, date(2026, 3, 9), "Вихідний")
    # 23:30 UTC on Thursday is already Friday in Kyiv: the period starts from Friday.
    late_thursday_utc = datetime(2026, 3, 5, 23, 30, tzinfo=UTC)
    thursday_evening = datetime(2026, 3, 5, 20, 0, tzinfo=UTC)

    assert rules.deadline(db, place.community.id, late_thursday_utc, period(10)) == \
        datetime(2026, 3, 23, 22, 0, tzinfo=UTC)
    assert rules.deadline(db, place.community.id, thursday_evening, period(10)) == \
        datetime(2026, 3, 20, 22, 0, tzinfo=UTC)


def test_service_deadline_across_the_summer_time_change(db):
    place = make_community(db)
    start = datetime(2026, 3, 20, 10, 0, tzinfo=UTC)  # Friday

    due = rules.deadline(db, place.community.id, start, period(6))

    assert due == datetime(2026, 3, 30, 21, 0, tzinfo=UTC)  # Monday 30 March, UTC+3


def test_calendar_day_deadline_from_the_service(db):
    place = make_community(db)
    rules.add_holiday(db, date(2026, 3, 9), "Вихідний")
    start = datetime(2026, 3, 6, 8, 0, tzinfo=UTC)

    due = rules.deadline(db, place.community.id, start, period(14, CALENDAR))

    assert due == datetime(2026, 3, 20, 22, 0, tzinfo=UTC)


def test_community_holidays_apply_only_to_that_community(db):
    here, there = make_community(db), make_community(db)
    rules.add_holiday(db, date(2026, 3, 10), "День громади", community_id=here.community.id)
    start = datetime(2026, 3, 6, 8, 0, tzinfo=UTC)

    assert rules.deadline(db, here.community.id, start, period(5)) == \
        datetime(2026, 3, 16, 22, 0, tzinfo=UTC)
    assert rules.deadline(db, there.community.id, start, period(5)) == \
        datetime(2026, 3, 13, 22, 0, tzinfo=UTC)


def test_long_periods_see_holidays_far_ahead(db):
    place = make_community(db)
    rules.add_holiday(db, date(2026, 12, 25), "Різдво Христове")
    start = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    without = calendar.add_days(date(2026, 3, 2), period(365), set())
    assert without > date(2026, 12, 25)

    due = rules.deadline(db, place.community.id, start, period(365))

    # A year of working days ends in July 2027; Christmas 2026 in between moves it a day on.
    assert due == calendar.end_of_local_day(without + timedelta(days=1))
