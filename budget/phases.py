"""A cycle's calendar: the phase read from its dates and the clock, and the local days its
boundaries stand for.

Nothing here touches the database, so permissions, services and pages all read the phase the
same way (permissions default to the phase of the moment when none is given).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from app import clock
from app.rules import calendar
from budget.models import BudgetCycle, Phase

# Dates that mark the start of their day; the others mark its end (the day is included).
START_FIELDS = frozenset({"submission_start", "voting_start", "results_at"})


def to_moment(field_name: str, day: date) -> datetime:
    """A local calendar day as the instant its phase boundary falls (stored in UTC)."""
    if field_name in START_FIELDS:
        moment = datetime.combine(day, time.min, tzinfo=calendar.LOCAL_TZ)
    else:
        moment = calendar.end_of_local_day(day)
    return moment.astimezone(UTC)


def to_day(field_name: str, moment: datetime) -> date:
    """The local calendar day a stored boundary stands for (the inverse of to_moment)."""
    moment = clock.aware(moment)
    if field_name not in START_FIELDS:
        moment -= timedelta(microseconds=1)
    return calendar.local_date(moment)


def phase_of(cycle: BudgetCycle, now: datetime | None = None) -> Phase:
    """The phase, read from the dates and the clock (publication starts implementation)."""
    now = now or clock.now()
    if cycle.results_published_at is not None:
        return Phase.implementation
    if now < clock.aware(cycle.submission_start):
        return Phase.upcoming
    if now < clock.aware(cycle.submission_end):
        return Phase.submission
    if cycle.supports_end is not None and now < clock.aware(cycle.supports_end):
        return Phase.supports
    if now < clock.aware(cycle.voting_start):
        return Phase.review
    if now < clock.aware(cycle.voting_end):
        return Phase.voting
    return Phase.results


def review_opens(cycle: BudgetCycle) -> datetime:
    """When the officials' review begins: at the close of supports, or of submission."""
    return clock.aware(cycle.supports_end or cycle.submission_end)


def votes_visible(cycle: BudgetCycle, now: datetime | None = None) -> bool:
    """Counts are hidden while voting is open, so early counts do not steer later voters."""
    return phase_of(cycle, now) in (Phase.results, Phase.implementation)
