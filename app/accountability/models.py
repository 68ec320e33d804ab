from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import Field as PydanticField
from sqlalchemy import Index, UniqueConstraint, event, text
from sqlmodel import Field, SQLModel

from app.models import fk, one_of, utc_field


class ObligationStatus(StrEnum):
    pending = "pending"
    due_soon = "due_soon"
    overdue = "overdue"
    answered_on_time = "answered_on_time"
    answered_late = "answered_late"


class Obligation(SQLModel, table=True):
    """An authority's duty to answer. Status is computed on read from due_at and answered_at.

    The kernel knows nothing of modules: a module opens an obligation with a `kind` it has
    registered, and names its subject by type, id, title and path.
    """

    __tablename__ = "accountability_obligation"
    __table_args__ = (
        UniqueConstraint("kind", "subject_type", "subject_id"),
        Index("ix_accountability_obligation_community_due", "community_id", "due_at"),
        Index("ix_accountability_obligation_authority_due", "authority_id", "due_at"),
        # Open obligations only, one index per grouping of the dashboard: overdue and
        # due-soon counts are read live from these small indexes, never from every row.
        *(Index(f"ix_accountability_obligation_open_{name}", *columns,
                sqlite_where=text("answered_at IS NULL"),
                postgresql_where=text("answered_at IS NULL"))
          for name, columns in (("community", ("community_id", "due_at", "kind")),
                                ("authority", ("authority_id", "due_at", "kind")),
                                ("month", ("kind", "opened_month", "due_at")))),
        # Medians of a page of communities: the delay histogram straight from the index.
        Index("ix_accountability_obligation_community_days", "community_id", "kind",
              "answer_days"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=40, index=True)
    community_id: int = fk("community.id", index=False, ondelete="CASCADE")
    authority_id: int = fk("community_authority.id", index=False, ondelete="CASCADE")
    subject_type: str = Field(max_length=40)
    subject_id: int
    subject_title: str = Field(max_length=300)
    subject_path: str = Field(max_length=300)
    ruleset_id: int | None = fk("rules_ruleset.id", nullable=True, index=False,
                                ondelete="SET NULL")
    opened_at: datetime = utc_field()
    # The local (Europe/Kyiv) month the obligation opened in, as YYYYMM: its cohort.
    opened_month: int = Field(default=0)
    due_at: datetime = utc_field()
    answered_at: datetime | None = utc_field(nullable=True)
    # Whole calendar days from the local opening day to the local answer day.
    answer_days: int | None = None
    answer_summary: str | None = Field(default=None, max_length=500)
    # Residents' ratings of whether the answer addressed the substance.
    rating_yes: int = 0
    rating_partly: int = 0
    rating_no: int = 0
    # Who holds it inside the authority (public: the tracker shows the department), set from
    # the officials' inbox.
    assigned_authority_id: int | None = fk("community_authority.id", nullable=True,
                                           index=False, ondelete="SET NULL")
    assigned_user_id: int | None = fk("identity_user.id", nullable=True, index=False,
                                      ondelete="SET NULL")
    # Set when the support that opened the obligation fell below its threshold afterwards
    # (signatures invalidated as fraud): the obligation is marked, never deleted.
    threshold_lost_at: datetime | None = utc_field(nullable=True)


class Decision(SQLModel, table=True):
    """What stands behind an answer: the signed decision document (a PDF in the file storage)
    and, for a petition, its consideration at a council session (date, decision number, vote),
    the second stage the law expects."""

    __tablename__ = "accountability_decision"

    id: int | None = Field(default=None, primary_key=True)
    obligation_id: int = fk("accountability_obligation.id", ondelete="CASCADE", index=False,
                            unique=True)
    document_key: str | None = Field(default=None, max_length=200)
    document_name: str | None = Field(default=None, max_length=200)
    document_size: int | None = None
    session_on: date | None = None
    decision_number: str | None = Field(default=None, max_length=60)
    votes_for: int | None = None
    votes_against: int | None = None
    votes_abstained: int | None = None
    recorded_by_id: int | None = fk("identity_user.id", nullable=True, index=False,
                                    ondelete="SET NULL")
    recorded_at: datetime = utc_field(default_now=True)


class SavedView(SQLModel, table=True):
    """A view of the public tracker an NGO observer keeps: its filters, by name."""

    __tablename__ = "accountability_saved_view"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = fk("identity_user.id", ondelete="CASCADE")
    name: str = Field(max_length=80)
    path: str = Field(max_length=100)  # /obligations or /communities/<slug>/obligations
    query: str = Field(default="", max_length=500)  # the tracker's filters
    created_at: datetime = utc_field(default_now=True)


def _kind_codes() -> list[str]:
    from app.accountability.service import kind_codes

    return kind_codes()


class ObligationPublic(SQLModel):
    id: int
    kind: Annotated[str, PydanticField(json_schema_extra=one_of(_kind_codes))]
    community_id: int
    authority_id: int
    subject_type: str
    subject_id: int
    subject_title: str
    subject_path: str
    opened_at: datetime
    due_at: datetime
    answered_at: datetime | None
    answer_days: int | None = None
    status: ObligationStatus
    rating_yes: int
    rating_partly: int
    rating_no: int


def month_of(moment: datetime) -> int:
    """The local (Europe/Kyiv) month of an instant, as YYYYMM."""
    from app.rules.calendar import local_date

    day = local_date(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
    return day.year * 100 + day.month


@event.listens_for(Obligation, "before_insert")
def _cohort(_mapper, _connection, target: Obligation) -> None:
    if not target.opened_month and target.opened_at is not None:
        target.opened_month = month_of(target.opened_at)


# -- Tallies -------------------------------------------------------------------------------
# The dashboard's region-wide figures read these instead of 150,000 obligations. Every event
# (open, answer, rating) appends a delta row in the same transaction as the event; nothing is
# ever updated in place, so concurrent answers and ratings never wait on a shared row or
# deadlock. The worker folds the deltas of each key into one row (see service.compact_stats).
# What depends on the clock alone (overdue, due soon) is not tallied: it is counted live from
# the index of open obligations, so an obligation is overdue the instant its due date passes.


class _Counters(SQLModel):
    opened: int = 0
    answered_on_time: int = 0
    answered_late: int = 0
    rating_yes: int = 0
    rating_partly: int = 0
    rating_no: int = 0


class StatCommunity(_Counters, table=True):
    """Tallies per community and kind of obligation."""

    __tablename__ = "accountability_stat_community"
    __table_args__ = (Index("ix_accountability_stat_community_key", "community_id", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = fk("community.id", index=False, ondelete="CASCADE")
    kind: str = Field(max_length=40)


class StatMonth(_Counters, table=True):
    """Tallies per kind of obligation and local month of opening, for the whole region."""

    __tablename__ = "accountability_stat_month"
    __table_args__ = (Index("ix_accountability_stat_month_key", "kind", "month"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=40)
    month: int


class StatDelay(SQLModel, table=True):
    """How many answers took `days` days, per kind and month of opening: exact medians."""

    __tablename__ = "accountability_stat_delay"
    __table_args__ = (Index("ix_accountability_stat_delay_key", "kind", "month", "days"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=40)
    month: int
    days: int
    answers: int = 0
