"""Working days: Monday to Friday, less public and community holidays."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, time, timedelta

from app.clock import LOCAL_TZ
from app.rules.schema import DayUnit, Period


def is_working_day(day: date, holidays: Collection[date]) -> bool:
    return day.weekday() < 5 and day not in holidays


def add_days(start: date, period: Period, holidays: Collection[date]) -> date:
    """The last day of a period that starts the day after `start`.

    Calendar days simply add. Working days count only working days, so 10 working days from a
    Friday end on the second Friday after, later if a holiday falls in between.
    """
    if period.unit == DayUnit.calendar:
        return start + timedelta(days=period.days)
    day, remaining = start, period.days
    while remaining:
        day += timedelta(days=1)
        if is_working_day(day, holidays):
            remaining -= 1
    return day


def working_days_between(start: date, end: date, holidays: Collection[date]) -> int:
    """Working days after `start` up to and including `end` (0 when end <= start)."""
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        if is_working_day(day, holidays):
            count += 1
    return count


def end_of_local_day(day: date) -> datetime:
    """The instant a local due day ends, as an aware datetime."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=LOCAL_TZ)


def local_date(moment: datetime) -> date:
    return moment.astimezone(LOCAL_TZ).date()
