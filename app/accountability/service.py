"""Open, answer and rate obligations. Modules call these; the kernel never calls modules.

Status is computed on read, from the clock: an obligation is overdue the instant its due date
passes, with no job needed to mark it.

Each event also appends its deltas to the statistics tallies in the same transaction (see
models.StatCommunity), so the region-wide dashboard never has to read every obligation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session

from app import clock
from app.accountability import repository as repo
from app.accountability.models import Obligation, ObligationStatus, month_of
from app.exceptions import Conflict, InvalidInput, NotFound
from app.rules import calendar
from app.rules import service as rules_service
from app.rules.schema import Period
from app.settings import get_settings
from app.web.i18n import N_


@dataclass(frozen=True)
class ObligationKind:
    """Registered by a module: the kind's code, its label (a msgid) and its tool."""

    code: str
    label: str
    tool: str
    # Whether the answer is also considered at a council session, whose record (date,
    # decision number, vote) the inbox takes: petitions.
    council_session: bool = False


KINDS: dict[str, ObligationKind] = {}


def register_kind(kind: ObligationKind) -> None:
    KINDS[kind.code] = kind


def kind_codes() -> list[str]:
    """The codes of the registered kinds (the API's enumeration of `kind`)."""
    return sorted(KINDS)


def due_soon_window() -> timedelta:
    return timedelta(days=get_settings().due_soon_days)


def status_of(obligation: Obligation, now: datetime | None = None) -> ObligationStatus:
    now = now or clock.now()
    due = clock.aware(obligation.due_at)
    answered = clock.aware(obligation.answered_at)
    if answered is not None:
        return (ObligationStatus.answered_on_time if answered <= due
                else ObligationStatus.answered_late)
    if now >= due:
        return ObligationStatus.overdue
    if due - now <= due_soon_window():
        return ObligationStatus.due_soon
    return ObligationStatus.pending


def due_day(obligation: Obligation) -> date:
    """The last local day of the period: the due date as people read it.

    due_at is the instant that day ends (midnight in Kyiv), which is already the next date.
    """
    return calendar.local_date(clock.aware(obligation.due_at) - timedelta(microseconds=1))


def open_obligation(session: Session, *, kind: str, community_id: int, authority_id: int,
                    subject_type: str, subject_id: int, subject_title: str, subject_path: str,
                    period: Period, ruleset_id: int | None,
                    opened_at: datetime | None = None) -> Obligation:
    """Open a duty to answer, due at the end of `period` counted by the community's calendar."""
    if kind not in KINDS:
        raise ValueError(f"unregistered obligation kind {kind!r}")
    if repo.find(session, kind, subject_type, subject_id) is not None:
        raise Conflict(N_("This obligation is already open."))
    opened = clock.aware(opened_at or clock.now()).astimezone(UTC)
    obligation = Obligation(
        kind=kind, community_id=community_id, authority_id=authority_id,
        subject_type=subject_type, subject_id=subject_id, subject_title=subject_title[:300],
        subject_path=subject_path, ruleset_id=ruleset_id, opened_at=opened,
        opened_month=month_of(opened),
        # Stored in UTC: SQLite keeps the wall time and drops the offset of an aware datetime.
        due_at=rules_service.deadline(session, community_id, opened, period).astimezone(UTC))
    session.add(obligation)
    session.flush()
    repo.add_tally(session, community_id=community_id, kind=kind,
                   month=obligation.opened_month, opened=1)
    return obligation


def _count_in(session: Session, obligation: Obligation, sign: int) -> None:
    """Add (sign 1) or take out (sign -1) everything the obligation counts for in the
    statistics tallies: its opening, its answer with its delay, its ratings."""
    deltas = {"opened": sign, "rating_yes": sign * obligation.rating_yes,
              "rating_partly": sign * obligation.rating_partly,
              "rating_no": sign * obligation.rating_no}
    if obligation.answered_at is not None:
        on_time = status_of(obligation) == ObligationStatus.answered_on_time
        deltas["answered_on_time" if on_time else "answered_late"] = sign
        repo.add_delay(session, kind=obligation.kind, month=obligation.opened_month,
                       days=obligation.answer_days or 0, answers=sign)
    repo.add_tally(session, community_id=obligation.community_id, kind=obligation.kind,
                   month=obligation.opened_month, **deltas)


def mark_threshold_lost(session: Session, kind: str, subject_type: str, subject_id: int,
                        at: datetime) -> Obligation | None:
    """Mark the obligation whose threshold is no longer reached (kept, never deleted). It is
    no longer owed: it stays listed, marked, and leaves every statistic (opened, answered,
    overdue, due soon, delays, ratings) until the threshold is reached again."""
    obligation = repo.find(session, kind, subject_type, subject_id)
    if obligation is not None and obligation.threshold_lost_at is None:
        obligation.threshold_lost_at = clock.aware(at).astimezone(UTC)
        session.add(obligation)
        session.flush()
        _count_in(session, obligation, -1)
    return obligation


def restore_threshold(session: Session, kind: str, subject_type: str, subject_id: int
                      ) -> Obligation | None:
    """The threshold is reached again: the marked obligation stands again, with its first
    due date (None when there was none to restore)."""
    obligation = repo.find(session, kind, subject_type, subject_id)
    if obligation is None or obligation.threshold_lost_at is None:
        return None
    obligation.threshold_lost_at = None
    session.add(obligation)
    session.flush()
    _count_in(session, obligation, 1)
    return obligation


def find(session: Session, kind: str, subject_type: str, subject_id: int) -> Obligation | None:
    return repo.find(session, kind, subject_type, subject_id)


def answer(session: Session, kind: str, subject_type: str, subject_id: int,
           summary: str = "", answered_at: datetime | None = None) -> Obligation:
    """Close an obligation: on time or late is read from answered_at against due_at."""
    obligation = repo.find(session, kind, subject_type, subject_id)
    if obligation is None:
        raise NotFound(N_("There is no open obligation for this item."))
    if obligation.answered_at is not None:
        raise Conflict(N_("This has already been answered."))
    obligation.answered_at = clock.aware(answered_at or clock.now()).astimezone(UTC)
    obligation.answer_days = answer_days(obligation.opened_at, obligation.answered_at)
    obligation.answer_summary = (summary or "")[:500] or None
    session.add(obligation)
    session.flush()
    if obligation.threshold_lost_at is not None:
        return obligation  # not counted while its threshold is lost (restore counts it)
    on_time = status_of(obligation) == ObligationStatus.answered_on_time
    repo.add_tally(session, community_id=obligation.community_id, kind=obligation.kind,
                   month=obligation.opened_month,
                   **{"answered_on_time" if on_time else "answered_late": 1})
    repo.add_delay(session, kind=obligation.kind, month=obligation.opened_month,
                   days=obligation.answer_days)
    return obligation


def answer_days(opened_at: datetime, answered_at: datetime) -> int:
    """Whole calendar days from the local day an obligation opened to the local answer day."""
    opened, answered = clock.aware(opened_at), clock.aware(answered_at)
    return max(0, (calendar.local_date(answered) - calendar.local_date(opened)).days)


RATINGS = ("yes", "partly", "no")


def record_rating(session: Session, kind: str, subject_type: str, subject_id: int,
                  value: str, previous: str | None = None) -> Obligation:
    """Count a resident's rating of the answer's substance (the module keeps who rated)."""
    if value not in RATINGS or (previous is not None and previous not in RATINGS):
        raise InvalidInput(N_("Choose yes, partly or no."))
    obligation = repo.find(session, kind, subject_type, subject_id)
    if obligation is None or obligation.answered_at is None:
        raise Conflict(N_("There is no answer to rate yet."))
    if previous == value:
        return obligation
    column = Obligation.__table__.c
    values = {f"rating_{value}": column[f"rating_{value}"] + 1}
    deltas = {f"rating_{value}": 1}
    if previous:
        values[f"rating_{previous}"] = column[f"rating_{previous}"] - 1
        deltas[f"rating_{previous}"] = -1
    session.exec(update(Obligation).where(Obligation.id == obligation.id).values(**values))
    if obligation.threshold_lost_at is None:  # else counted with the rest when restored
        repo.add_tally(session, community_id=obligation.community_id, kind=obligation.kind,
                       month=obligation.opened_month, **deltas)
    session.flush()
    session.refresh(obligation)
    return obligation


def search(session: Session, **filters) -> tuple[list[Obligation], int]:
    if filters.get("q"):  # no title holds a NUL (PostgreSQL refuses one in a parameter)
        filters["q"] = filters["q"].replace("\x00", "")
    return repo.search(session, now=clock.now(), due_soon=due_soon_window(), **filters)


def for_subject(session: Session, subject_type: str, subject_id: int) -> list[Obligation]:
    return repo.by_subject(session, subject_type, subject_id)


def attention_for(session: Session, authority_ids: list[int]) -> list[Obligation]:
    """Open obligations of these authorities that are due soon or overdue (for the digest)."""
    return repo.open_for_authorities(session, authority_ids, clock.now() + due_soon_window())


def compact_stats(session: Session) -> int:
    """Fold the tallies' delta rows (the worker runs this); returns the keys folded."""
    return sum(repo.compact_stats(session, name) for name in repo.STAT_TABLES)


def rebuild_stats(session: Session) -> None:
    """Recompute every tally from the obligations themselves."""
    repo.rebuild_stats(session)
