"""The one source of "now". Tests and the benchmark move time by replacing it, never by waiting."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

# The communities' time: dates people write and deadlines that end at midnight are Kyiv's.
LOCAL_TZ = ZoneInfo("Europe/Kyiv")

_now: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731


def now() -> datetime:
    """The current time, timezone-aware UTC."""
    return _now()


def today() -> date:
    """The communities' date now: the day a resident or an official writes as today (UTC's
    date is still the day before from 22:00 or 23:00 UTC)."""
    return now().astimezone(LOCAL_TZ).date()


def set_clock(fn: Callable[[], datetime] | None) -> None:
    """Replace the clock (None restores the real one)."""
    global _now
    _now = fn or (lambda: datetime.now(UTC))


def aware(value: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; every datetime we store is UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value
