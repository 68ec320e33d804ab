"""Every query of the budget module.

Counters (cycle.ballot_count, project.vote_count and project.score) change only through the
atomic UPDATEs here, in the transaction that casts or changes the ballot, so a page reads them
in O(1) and concurrent voters never lose an update. Ballot changes lock the ballot row first
(SELECT ... FOR UPDATE on PostgreSQL; SQLite serialises writers with BEGIN IMMEDIATE), so two
changes of one ballot cannot both subtract the same old choices.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, or_, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, select

from app.accountability.models import Obligation
from app.communities.models import Authority, Community
from app.db import insert_or_skip, insert_rows
from app.deliberation import invalidation
from app.deliberation.invalidation import email_domain as email_domain_sql
from app.identity.models import User
from budget.models import (
    BallotSource,
    BudgetBallot,
    BudgetBallotChoice,
    BudgetBallotInvalidation,
    BudgetCategory,
    BudgetCycle,
    BudgetImplementationUpdate,
    BudgetPhaseChange,
    BudgetProject,
    BudgetProjectFile,
    BudgetSupport,
    ProjectStatus,
)
from budget.rules import IMPLEMENTATION, REVIEW

REVIEW_KIND = REVIEW.code
IMPLEMENTATION_KIND = IMPLEMENTATION.code
CYCLE_SUBJECT = "budget_cycle"
PROJECT_SUBJECT = "budget_project"


def _sync(obj: Any, **values: Any) -> None:
    """Tell the in-memory object what an UPDATE statement wrote, without marking it dirty."""
    for key, value in values.items():
        set_committed_value(obj, key, value)


def add(session: Session, obj: Any) -> Any:
    session.add(obj)
    session.flush()
    return obj


# -- cycles ---------------------------------------------------------------------------------

def cycle(session: Session, cycle_id: int) -> BudgetCycle | None:
    return session.get(BudgetCycle, cycle_id)


def cycle_row(session: Session, cycle_id: int
              ) -> tuple[BudgetCycle, Community, Authority] | None:
    """The cycle with its community and responsible authority: one query."""
    row = session.exec(
        select(BudgetCycle, Community, Authority)
        .join(Community, Community.id == BudgetCycle.community_id)
        .join(Authority, Authority.id == BudgetCycle.authority_id)
        .where(BudgetCycle.id == cycle_id)).first()
    return (row[0], row[1], row[2]) if row else None


def cycles(session: Session, *, community_id: int | None = None, offset: int = 0,
           limit: int = 50) -> tuple[list[tuple[BudgetCycle, Community]], int]:
    query = select(BudgetCycle, Community).join(Community,
                                                Community.id == BudgetCycle.community_id)
    count = select(func.count()).select_from(BudgetCycle)
    if community_id is not None:
        query = query.where(BudgetCycle.community_id == community_id)
        count = count.where(BudgetCycle.community_id == community_id)
    rows = session.exec(query.order_by(BudgetCycle.voting_end.desc(), BudgetCycle.id.desc())
                        .offset(offset).limit(limit)).all()
    return [(r[0], r[1]) for r in rows], session.exec(count).one()


def ended_cycles(session: Session, now: datetime, *, published: bool = False
                 ) -> list[tuple[BudgetCycle, str]]:
    """(cycle, its community's address name) of every cycle whose voting has ended (or, with
    `published`, whose results are published), by id: the open data of every cycle."""
    query = select(BudgetCycle, Community.slug).join(Community,
                                                     Community.id == BudgetCycle.community_id)
    if published:
        query = query.where(BudgetCycle.results_published_at.is_not(None))
    else:
        query = query.where(or_(BudgetCycle.results_published_at.is_not(None),
                                BudgetCycle.voting_end <= now))
    return [(cycle, slug) for cycle, slug in session.exec(query.order_by(BudgetCycle.id))]


def cycles_awaiting_review_obligation(session: Session, now: datetime) -> list[BudgetCycle]:
    """Cycles run here whose submission (and supports phase) has closed but whose review
    obligation is not open."""
    return list(session.exec(
        select(BudgetCycle)
        .outerjoin(Obligation, (Obligation.kind == REVIEW_KIND)
                   & (Obligation.subject_type == CYCLE_SUBJECT)
                   & (Obligation.subject_id == BudgetCycle.id))
        .where(BudgetCycle.source == "hromada",
               func.coalesce(BudgetCycle.supports_end, BudgetCycle.submission_end) <= now,
               Obligation.id.is_(None))
        .order_by(BudgetCycle.id)).all())


def lock_cycle(session: Session, cycle: BudgetCycle) -> BudgetCycle:
    """Re-read the cycle holding its row lock (PostgreSQL), for a decision on its dates."""
    row = session.exec(select(BudgetCycle).where(BudgetCycle.id == cycle.id)
                       .with_for_update().execution_options(populate_existing=True)).one()
    return row


# The ballots of a cycle as one PostgreSQL advisory lock (this class, the cycle's id). Every
# writer of ballots holds it shared, so they never wait for each other on it; a moderator's
# invalidation and the publication of the results hold it alone, so they see and change the
# ballots and the counters while nothing else writes them. It is taken before any row, so
# it adds no deadlock. SQLite serialises writers already (BEGIN IMMEDIATE).
BALLOTS_LOCK_CLASS = 0x42414C4C


def _ballots_lock(session: Session, cycle_id: int, function: str) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.exec(text(f"SELECT {function}(:c, :k)")
                     .bindparams(c=BALLOTS_LOCK_CLASS, k=cycle_id))


def share_ballots(session: Session, cycle_id: int) -> None:
    """Write ballots of the cycle: the group commit, a paper ballot, an import."""
    _ballots_lock(session, cycle_id, "pg_advisory_xact_lock_shared")


def own_ballots(session: Session, cycle_id: int) -> None:
    """Wait until no one writes the cycle's ballots, and keep them still until commit."""
    _ballots_lock(session, cycle_id, "pg_advisory_xact_lock")


def mark_published(session: Session, cycle: BudgetCycle, when: datetime) -> bool:
    """Publish once: a guarded UPDATE, so two officials cannot both publish."""
    result = session.exec(
        update(BudgetCycle).where(BudgetCycle.id == cycle.id,
                                  BudgetCycle.results_published_at.is_(None))
        .values(results_published_at=when).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        return False
    _sync(cycle, results_published_at=when)
    return True


def bump_ballot_count(session: Session, cycle: BudgetCycle, delta: int) -> None:
    row = session.exec(
        update(BudgetCycle).where(BudgetCycle.id == cycle.id)
        .values(ballot_count=BudgetCycle.ballot_count + delta)
        .returning(BudgetCycle.ballot_count)
        .execution_options(synchronize_session=False)).first()
    if row is not None:
        _sync(cycle, ballot_count=row[0])


def phase_changes(session: Session, cycle_id: int) -> list[BudgetPhaseChange]:
    return list(session.exec(select(BudgetPhaseChange)
                             .where(BudgetPhaseChange.cycle_id == cycle_id)
                             .order_by(BudgetPhaseChange.at, BudgetPhaseChange.id)).all())


# -- categories -----------------------------------------------------------------------------

def categories(session: Session, cycle_id: int) -> list[BudgetCategory]:
    return list(session.exec(select(BudgetCategory).where(BudgetCategory.cycle_id == cycle_id)
                             .order_by(BudgetCategory.position, BudgetCategory.id)).all())


# -- projects -------------------------------------------------------------------------------

def project(session: Session, project_id: int) -> BudgetProject | None:
    return session.get(BudgetProject, project_id)


def projects(session: Session, cycle_id: int, statuses: Iterable[str] | None = None
             ) -> list[BudgetProject]:
    query = select(BudgetProject).where(BudgetProject.cycle_id == cycle_id)
    if statuses is not None:
        query = query.where(BudgetProject.status.in_([str(s) for s in statuses]))
    return list(session.exec(query.order_by(BudgetProject.category_id, BudgetProject.id)).all())


def projects_by_author(session: Session, cycle_id: int, author_id: int) -> list[BudgetProject]:
    return list(session.exec(select(BudgetProject).where(
        BudgetProject.cycle_id == cycle_id, BudgetProject.author_id == author_id)
        .order_by(BudgetProject.id)).all())


def unreviewed_count(session: Session, cycle_id: int) -> int:
    return session.exec(select(func.count()).select_from(BudgetProject).where(
        BudgetProject.cycle_id == cycle_id,
        BudgetProject.status == ProjectStatus.submitted)).one()


def bump_projects(session: Session, deltas: dict[int, tuple[int, int]]) -> None:
    """Move projects' counters by (votes, score) each: one statement run for every project in
    a single call (psycopg pipelines it: one round trip), in project-id order, a fixed lock
    order, so that concurrent writers cannot deadlock."""
    rows = [{"project_id": project_id, "votes": votes, "score": score}
            for project_id, (votes, score) in sorted(deltas.items()) if votes or score]
    if rows:
        session.connection().execute(_BUMP_PROJECT, rows)


_PROJECT = BudgetProject.__table__
_BUMP_PROJECT = (update(_PROJECT).where(_PROJECT.c.id == bindparam("project_id"))
                 .values(vote_count=_PROJECT.c.vote_count + bindparam("votes"),
                         score=_PROJECT.c.score + bindparam("score")))


def refresh_counters(session: Session, projects: Sequence[BudgetProject]) -> None:
    """Load the counters an UPDATE changed into the objects already in memory."""
    if not projects:
        return
    rows = session.exec(select(BudgetProject.id, BudgetProject.vote_count, BudgetProject.score)
                        .where(BudgetProject.id.in_([p.id for p in projects]))).all()
    by_id = {r[0]: (r[1], r[2]) for r in rows}
    for p in projects:
        if p.id in by_id:
            _sync(p, vote_count=by_id[p.id][0], score=by_id[p.id][1])


def set_results(session: Session, cycle_id: int, selected: Iterable[int],
                not_selected: Iterable[int]) -> None:
    selected, not_selected = list(selected), list(not_selected)
    if selected:
        session.exec(update(BudgetProject).where(BudgetProject.cycle_id == cycle_id,
                                                 BudgetProject.id.in_(selected))
                     .values(status=ProjectStatus.selected, implementation_status="planned")
                     .execution_options(synchronize_session="fetch"))
    if not_selected:
        session.exec(update(BudgetProject).where(BudgetProject.cycle_id == cycle_id,
                                                 BudgetProject.id.in_(not_selected))
                     .values(status=ProjectStatus.not_selected)
                     .execution_options(synchronize_session="fetch"))


# -- supports -------------------------------------------------------------------------------

def add_support(session: Session, project_id: int, user_id: int, when: datetime) -> bool:
    """Record a support once (a second is skipped) and move the counter in the same
    transaction; True when it was new."""
    table = BudgetSupport.__table__
    result = session.connection().execute(
        insert_or_skip(session, table).values(project_id=project_id, user_id=user_id,
                                              created_at=when).on_conflict_do_nothing()
        # SQLAlchemy reports an INSERT's rowcount only when asked (PostgreSQL gives -1 else).
        .execution_options(preserve_rowcount=True))
    if result.rowcount != 1:
        return False
    session.exec(update(BudgetProject).where(BudgetProject.id == project_id)
                 .values(support_count=BudgetProject.support_count + 1)
                 .execution_options(synchronize_session=False))
    return True


def remove_support(session: Session, project_id: int, user_id: int) -> bool:
    result = session.exec(delete(BudgetSupport).where(BudgetSupport.project_id == project_id,
                                                      BudgetSupport.user_id == user_id))
    if result.rowcount != 1:
        return False
    session.exec(update(BudgetProject).where(BudgetProject.id == project_id)
                 .values(support_count=BudgetProject.support_count - 1)
                 .execution_options(synchronize_session=False))
    return True


def supported_by(session: Session, user_id: int, project_ids: Iterable[int]) -> set[int]:
    ids = list(project_ids)
    if not ids:
        return set()
    return set(session.exec(select(BudgetSupport.project_id).where(
        BudgetSupport.user_id == user_id, BudgetSupport.project_id.in_(ids))).all())


def support_count(session: Session, project_id: int) -> int:
    return session.exec(select(BudgetProject.support_count)
                        .where(BudgetProject.id == project_id)).one()


def set_not_supported(session: Session, cycle_id: int, project_ids: Iterable[int]) -> None:
    ids = list(project_ids)
    if ids:
        session.exec(update(BudgetProject).where(BudgetProject.cycle_id == cycle_id,
                                                 BudgetProject.id.in_(ids),
                                                 BudgetProject.status == ProjectStatus.submitted)
                     .values(status=ProjectStatus.not_supported)
                     .execution_options(synchronize_session="fetch"))


def supports_of_user(session: Session, user_id: int) -> list[BudgetSupport]:
    return list(session.exec(select(BudgetSupport).where(BudgetSupport.user_id == user_id)
                             .order_by(BudgetSupport.project_id)).all())


def forget_supports(session: Session, user_id: int) -> None:
    """Erase a person's supports, leaving the counts as they are."""
    session.exec(delete(BudgetSupport).where(BudgetSupport.user_id == user_id))


# -- pictures and documents -----------------------------------------------------------------

def files_by_uploader(session: Session, user_id: int) -> list[BudgetProjectFile]:
    return list(session.exec(select(BudgetProjectFile)
                             .where(BudgetProjectFile.uploaded_by_id == user_id)
                             .order_by(BudgetProjectFile.id)).all())


def files(session: Session, project_ids: Iterable[int], kind: str | None = None
          ) -> list[BudgetProjectFile]:
    ids = list(project_ids)
    if not ids:
        return []
    query = select(BudgetProjectFile).where(BudgetProjectFile.project_id.in_(ids))
    if kind is not None:
        query = query.where(BudgetProjectFile.kind == kind)
    return list(session.exec(query.order_by(BudgetProjectFile.project_id,
                                            BudgetProjectFile.id)).all())


def file(session: Session, file_id: int) -> BudgetProjectFile | None:
    return session.get(BudgetProjectFile, file_id)


def delete_file(session: Session, file_id: int) -> None:
    session.exec(delete(BudgetProjectFile).where(BudgetProjectFile.id == file_id))


# -- ballots --------------------------------------------------------------------------------

def ballot_of_user(session: Session, cycle_id: int, user_id: int, *, lock: bool = False
                   ) -> BudgetBallot | None:
    query = select(BudgetBallot).where(BudgetBallot.cycle_id == cycle_id,
                                       BudgetBallot.voter_user_id == user_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.exec(query).first()


def ballot_of_identity(session: Session, cycle_id: int, identity_hash: str, *,
                       lock: bool = False) -> BudgetBallot | None:
    query = select(BudgetBallot).where(BudgetBallot.cycle_id == cycle_id,
                                       BudgetBallot.paper_identity_hash == identity_hash)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.exec(query).first()


def insert_online_ballots(session: Session, rows: list[dict[str, Any]]) -> dict[int, int]:
    """INSERT many first ballots in one statement, skipping those the unique constraint
    refuses; returns {voter id: ballot id} of those inserted."""
    if not rows:
        return {}
    table = BudgetBallot.__table__
    statement = insert_or_skip(session, table).on_conflict_do_nothing().returning(
        table.c.voter_user_id, table.c.id)
    return {row[0]: row[1] for row in session.connection().execute(statement, rows)}


def try_insert_ballot(session: Session, ballot: BudgetBallot) -> bool:
    """Insert a ballot inside a savepoint. False when the unique constraint says the voter
    already has one (a concurrent request won): the caller then changes that one."""
    try:
        with session.begin_nested():
            session.add(ballot)
            session.flush()
    except IntegrityError:
        session.expunge(ballot) if ballot in session else None
        return False
    return True


def choices(session: Session, ballot_id: int) -> dict[int, int]:
    rows = session.exec(select(BudgetBallotChoice.project_id, BudgetBallotChoice.points)
                        .where(BudgetBallotChoice.ballot_id == ballot_id)).all()
    return {r[0]: r[1] for r in rows}


def remove_choices(session: Session, ballot_id: int, project_ids: Iterable[int]) -> None:
    ids = list(project_ids)
    if ids:
        session.exec(delete(BudgetBallotChoice).where(BudgetBallotChoice.ballot_id == ballot_id,
                                                      BudgetBallotChoice.project_id.in_(ids)))


def set_choice_points(session: Session, ballot_id: int, project_id: int, points: int) -> None:
    session.exec(update(BudgetBallotChoice).where(BudgetBallotChoice.ballot_id == ballot_id,
                                                  BudgetBallotChoice.project_id == project_id)
                 .values(points=points))


def add_choices(session: Session, rows: list[dict]) -> None:
    insert_rows(session, BudgetBallotChoice.__table__, rows)


def touch_ballot(session: Session, ballot: BudgetBallot, when: datetime, **values: Any
                 ) -> None:
    session.exec(update(BudgetBallot).where(BudgetBallot.id == ballot.id)
                 .values(updated_at=when, **values)
                 .execution_options(synchronize_session=False))
    _sync(ballot, updated_at=when, **values)


def cycle_choices(session: Session, cycle_id: int
                  ) -> list[tuple[int, int, int, int | None]]:
    """Every (ballot id, project id, points, rank) of a cycle, by ballot then rank."""
    return [tuple(r) for r in session.exec(
        select(BudgetBallotChoice.ballot_id, BudgetBallotChoice.project_id,
               BudgetBallotChoice.points, BudgetBallotChoice.rank)
        .join(BudgetBallot, BudgetBallot.id == BudgetBallotChoice.ballot_id)
        .where(BudgetBallot.cycle_id == cycle_id)
        .order_by(BudgetBallotChoice.ballot_id, BudgetBallotChoice.rank,
                  BudgetBallotChoice.project_id)).all()]


def ballots(session: Session, cycle_id: int) -> list[BudgetBallot]:
    return list(session.exec(select(BudgetBallot).where(BudgetBallot.cycle_id == cycle_id)
                             .order_by(BudgetBallot.id)).all())


def bulk_ballots(session: Session, cycle_id: int, count: int, source: str, when: datetime
                 ) -> list[int]:
    """Insert `count` anonymous ballots (an import) and return their ids in order."""
    if count <= 0:
        return []
    rows = [{"cycle_id": cycle_id, "source": source, "created_at": when, "updated_at": when,
             "voter_user_id": None, "paper_identity_hash": None, "recorded_by_id": None}
            for _ in range(count)]
    insert_rows(session, BudgetBallot.__table__, rows)
    return list(session.exec(select(BudgetBallot.id).where(BudgetBallot.cycle_id == cycle_id)
                             .order_by(BudgetBallot.id)).all())


def set_project_counters(session: Session, values: dict[int, tuple[int, int]]) -> None:
    for project_id, (votes, score) in values.items():
        session.exec(update(BudgetProject).where(BudgetProject.id == project_id)
                     .values(vote_count=votes, score=score)
                     .execution_options(synchronize_session=False))


# -- implementation -------------------------------------------------------------------------

def updates(session: Session, project_id: int) -> list[BudgetImplementationUpdate]:
    return list(session.exec(select(BudgetImplementationUpdate)
                             .where(BudgetImplementationUpdate.project_id == project_id)
                             .order_by(BudgetImplementationUpdate.happened_on.desc(),
                                       BudgetImplementationUpdate.id.desc())).all())


def obligations_for(session: Session, kind: str, subject_type: str, subject_ids: list[int]
                    ) -> dict[int, Obligation]:
    if not subject_ids:
        return {}
    rows = session.exec(select(Obligation).where(Obligation.kind == kind,
                                                 Obligation.subject_type == subject_type,
                                                 Obligation.subject_id.in_(subject_ids))).all()
    return {o.subject_id: o for o in rows}


# -- personal data --------------------------------------------------------------------------

def ballots_of_user(session: Session, user_id: int) -> list[BudgetBallot]:
    return list(session.exec(select(BudgetBallot).where(BudgetBallot.voter_user_id == user_id)
                             .order_by(BudgetBallot.id)).all())


def projects_of_author(session: Session, user_id: int) -> list[BudgetProject]:
    return list(session.exec(select(BudgetProject).where(BudgetProject.author_id == user_id)
                             .order_by(BudgetProject.id)).all())


def paper_ballots_recorded_by(session: Session, user_id: int) -> int:
    return session.exec(select(func.count()).select_from(BudgetBallot)
                        .where(BudgetBallot.recorded_by_id == user_id)).one()


def updates_by_author(session: Session, user_id: int) -> list[BudgetImplementationUpdate]:
    return list(session.exec(select(BudgetImplementationUpdate)
                             .where(BudgetImplementationUpdate.author_id == user_id)
                             .order_by(BudgetImplementationUpdate.id)).all())


def detach_voter(session: Session, user_id: int) -> None:
    session.exec(update(BudgetBallot).where(BudgetBallot.voter_user_id == user_id)
                 .values(voter_user_id=None).execution_options(synchronize_session=False))


def anonymise_ballots(session: Session, published_before: datetime) -> int:
    published = select(BudgetCycle.id).where(
        BudgetCycle.results_published_at.is_not(None),
        BudgetCycle.results_published_at < published_before)
    result = session.exec(
        update(BudgetBallot)
        .where(BudgetBallot.cycle_id.in_(published),
               (BudgetBallot.voter_user_id.is_not(None))
               | (BudgetBallot.paper_identity_hash.is_not(None)))
        .values(voter_user_id=None, paper_identity_hash=None)
        .execution_options(synchronize_session=False))
    return result.rowcount or 0


def set_hidden(session: Session, project_id: int, hidden: bool) -> None:
    """A project hidden by moderation (app.deliberation), or shown again."""
    session.exec(update(BudgetProject).where(BudgetProject.id == project_id)
                 .values(hidden_by_moderation=hidden)
                 .execution_options(synchronize_session="fetch"))


# -- how ballots arrived (the moderators' fraud view) -----------------------------------------

def ballot_times(session: Session, cycle_id: int) -> list[datetime]:
    """When each ballot of the cycle was first cast, oldest first."""
    return list(session.exec(select(BudgetBallot.created_at)
                             .where(BudgetBallot.cycle_id == cycle_id)
                             .order_by(BudgetBallot.created_at)))


def ballot_domains(session: Session, cycle_id: int, limit: int = 50) -> list[tuple[str, int]]:
    """Online and named-paper ballots by the voter's e-mail domain, the largest first."""
    domain = email_domain_sql(session)
    rows = session.exec(
        select(domain.label("domain"), func.count())
        .select_from(BudgetBallot).join(User, User.id == BudgetBallot.voter_user_id)
        .where(BudgetBallot.cycle_id == cycle_id)
        .group_by(domain).order_by(func.count().desc(), domain).limit(limit))
    return [(r[0], r[1]) for r in rows]


def ballot_networks(session: Session, cycle_id: int, limit: int = 50
                    ) -> list[tuple[str, int]]:
    """Online ballots by the keyed hash of the voter's network, the largest first."""
    rows = session.exec(
        select(BudgetBallot.network_hash, func.count())
        .where(BudgetBallot.cycle_id == cycle_id, BudgetBallot.network_hash.is_not(None))
        .group_by(BudgetBallot.network_hash)
        .order_by(func.count().desc(), BudgetBallot.network_hash).limit(limit))
    return [(r[0], r[1]) for r in rows]


def forget_networks(session: Session, community_id: int, cutoff: datetime) -> int:
    """Drop the network hashes of the community's ballots cast before the cutoff."""
    result = session.exec(
        update(BudgetBallot)
        .where(BudgetBallot.network_hash.is_not(None), BudgetBallot.created_at < cutoff,
               BudgetBallot.cycle_id.in_(
                   select(BudgetCycle.id).where(BudgetCycle.community_id == community_id)))
        .values(network_hash=None).execution_options(synchronize_session=False))
    return result.rowcount or 0


# -- invalidation of ballots (the moderators' fraud tools) ----------------------------------

def _ballot_filter(cycle_id: int, *, email_domain: str | None, network: str | None,
                   cast_from: datetime | None, cast_until: datetime | None) -> list:
    """Online ballots of the cycle that every given criterion matches (paper ballots were
    checked in person by an official: no filter reaches them)."""
    return [BudgetBallot.cycle_id == cycle_id, BudgetBallot.source == BallotSource.online,
            *invalidation.conditions(BudgetBallot.voter_user_id, BudgetBallot.network_hash,
                                     BudgetBallot.created_at, email_domain=email_domain,
                                     network=network, start=cast_from, until=cast_until)]


def matching_ballots(session: Session, cycle_id: int, **criteria: Any
                     ) -> list[tuple[int, int | None]]:
    """(ballot id, voter id) of the ballots the criteria match, by id."""
    return [(r[0], r[1]) for r in session.exec(
        select(BudgetBallot.id, BudgetBallot.voter_user_id)
        .where(*_ballot_filter(cycle_id, **criteria)).order_by(BudgetBallot.id))]


def count_ballots(session: Session, cycle_id: int) -> int:
    """The cycle's ballot rows (the counter's truth; read for a moderator's act only)."""
    return session.exec(select(func.count()).select_from(BudgetBallot)
                        .where(BudgetBallot.cycle_id == cycle_id)).one()


def _chunks(ids: list[int], size: int = 500):
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def choice_totals(session: Session, ballot_ids: list[int]) -> dict[int, tuple[int, int]]:
    """{project id: (ballots choosing it, their points)} over these ballots."""
    totals: dict[int, tuple[int, int]] = {}
    for chunk in _chunks(ballot_ids):
        for project_id, votes, points in session.exec(
                select(BudgetBallotChoice.project_id, func.count(),
                       func.coalesce(func.sum(BudgetBallotChoice.points), 0))
                .where(BudgetBallotChoice.ballot_id.in_(chunk))
                .group_by(BudgetBallotChoice.project_id)):
            before = totals.get(project_id, (0, 0))
            totals[project_id] = (before[0] + votes, before[1] + int(points))
    return totals


def delete_ballots(session: Session, ballot_ids: list[int]) -> int:
    """Delete these ballots and their choices (explicitly: SQLite may not cascade)."""
    deleted = 0
    for chunk in _chunks(ballot_ids):
        session.exec(delete(BudgetBallotChoice).where(BudgetBallotChoice.ballot_id.in_(chunk)))
        result = session.exec(delete(BudgetBallot).where(BudgetBallot.id.in_(chunk))
                              .execution_options(synchronize_session=False))
        deleted += result.rowcount or 0
    return deleted


def invalidations(session: Session, cycle_id: int) -> list[BudgetBallotInvalidation]:
    return list(session.exec(select(BudgetBallotInvalidation)
                             .where(BudgetBallotInvalidation.cycle_id == cycle_id)
                             .order_by(BudgetBallotInvalidation.created_at,
                                       BudgetBallotInvalidation.id)))
