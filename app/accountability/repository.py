"""Every obligations query. Status filters are expressed on due_at/answered_at in SQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, delete, func, insert, or_, text
from sqlmodel import Session, select

from app import clock
from app.accountability.models import (
    Decision,
    Obligation,
    ObligationStatus,
    SavedView,
    StatCommunity,
    StatDelay,
    StatMonth,
)
from app.communities.models import Authority, Community, Staff, StaffRole
from app.identity.models import User
from app.rules.models import RuleSetRow

# An obligation whose threshold was lost afterwards (signatures invalidated as fraud) is not
# owed: it stays listed, marked, but no statistic, count of overdue obligations or reminder
# counts it (app.accountability.service.mark_threshold_lost).
OWED = Obligation.threshold_lost_at.is_(None)


def find(session: Session, kind: str, subject_type: str, subject_id: int) -> Obligation | None:
    return session.exec(select(Obligation).where(
        Obligation.kind == kind, Obligation.subject_type == subject_type,
        Obligation.subject_id == subject_id)).first()


def status_condition(status: ObligationStatus, now: datetime, due_soon: timedelta):
    """The obligations of a status. Open ones (pending, due soon, overdue) are owed ones: an
    obligation whose threshold was lost is listed without a status filter, marked."""
    open_ = and_(Obligation.answered_at.is_(None), OWED)
    return {
        ObligationStatus.pending: and_(open_, Obligation.due_at > now + due_soon),
        ObligationStatus.due_soon: and_(open_, Obligation.due_at > now,
                                        Obligation.due_at <= now + due_soon),
        ObligationStatus.overdue: and_(open_, Obligation.due_at <= now),
        ObligationStatus.answered_on_time: and_(Obligation.answered_at.is_not(None),
                                                Obligation.answered_at <= Obligation.due_at),
        ObligationStatus.answered_late: and_(Obligation.answered_at.is_not(None),
                                             Obligation.answered_at > Obligation.due_at),
    }[status]


def search(session: Session, *, now: datetime, due_soon: timedelta,
           community_id: int | None = None, authority_id: int | None = None,
           kind: str | None = None, status: ObligationStatus | None = None,
           q: str | None = None, opened_from: datetime | None = None,
           opened_to: datetime | None = None, offset: int = 0, limit: int = 50
           ) -> tuple[list[Obligation], int]:
    query = select(Obligation)
    if community_id is not None:
        query = query.where(Obligation.community_id == community_id)
    if authority_id is not None:
        query = query.where(Obligation.authority_id == authority_id)
    if kind:
        query = query.where(Obligation.kind == kind)
    if status:
        query = query.where(status_condition(status, now, due_soon))
    if q:
        query = query.where(func.lower(Obligation.subject_title).contains(q.lower()))
    if opened_from:
        query = query.where(Obligation.opened_at >= opened_from)
    if opened_to:
        query = query.where(Obligation.opened_at < opened_to)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    # Open obligations first, the most urgent on top; then the latest answers.
    rows = session.exec(query.order_by(Obligation.answered_at.is_not(None),
                                       Obligation.due_at, Obligation.id.desc())
                        .offset(offset).limit(limit))
    return list(rows), total


def open_for_authorities(session: Session, authority_ids: list[int], until: datetime
                         ) -> list[Obligation]:
    if not authority_ids:
        return []
    return list(session.exec(select(Obligation).where(
        Obligation.authority_id.in_(authority_ids), Obligation.answered_at.is_(None),
        Obligation.due_at <= until, OWED).order_by(Obligation.due_at)))


def by_subject(session: Session, subject_type: str, subject_id: int) -> list[Obligation]:
    return list(session.exec(select(Obligation).where(
        Obligation.subject_type == subject_type, Obligation.subject_id == subject_id)
        .order_by(Obligation.opened_at)))


def overdue_count(session: Session, now: datetime, community_id: int | None = None) -> int:
    query = select(func.count()).select_from(Obligation).where(
        Obligation.answered_at.is_(None), Obligation.due_at <= now, OWED)
    if community_id is not None:
        query = query.where(Obligation.community_id == community_id)
    return session.exec(query).one()


def any_open(session: Session) -> bool:
    return session.exec(select(Obligation.id).where(or_(Obligation.answered_at.is_(None)))
                        .limit(1)).first() is not None


# -- Statistics ------------------------------------------------------------------------------
# Region-wide figures read the tallies (a few thousand rows); a community's or an authority's
# figures are aggregated straight from its obligations with GROUP BY. Nothing loops over every
# obligation in Python.

COUNTERS = ("opened", "answered_on_time", "answered_late", "rating_yes", "rating_partly",
            "rating_no")
OPEN_COUNTS = ("overdue", "due_soon")
# The counters `cells` returns after its group columns, in this order.
CELL_COUNTS = ("opened", "answered_on_time", "answered_late", "overdue", "due_soon",
               "rating_yes", "rating_partly", "rating_no")
STAT_TABLES = {"community": StatCommunity, "month": StatMonth, "delay": StatDelay}
STAT_KEYS = {"community": ("community_id", "kind"), "month": ("kind", "month"),
             "delay": ("kind", "month", "days")}
STAT_SUMS = {"community": COUNTERS, "month": COUNTERS, "delay": ("answers",)}


def add_tally(session: Session, *, community_id: int, kind: str, month: int, **deltas: int
              ) -> None:
    """Append one event's deltas to the community and month tallies (never an update)."""
    values = {name: deltas.get(name, 0) for name in COUNTERS}
    session.exec(insert(StatCommunity).values(community_id=community_id, kind=kind, **values))
    session.exec(insert(StatMonth).values(kind=kind, month=month, **values))


def add_delay(session: Session, *, kind: str, month: int, days: int, answers: int = 1) -> None:
    session.exec(insert(StatDelay).values(kind=kind, month=month, days=days, answers=answers))


def _rows(session: Session, query) -> list:
    """Plain rows through Core: the figures need tuples, not ORM result processing."""
    return session.connection().execute(query).all()


def _sums(table, names=COUNTERS):
    return [func.coalesce(func.sum(getattr(table, name)), 0).label(name) for name in names]


def month_tallies(session: Session, kinds: list[str] | None) -> list:
    query = (select(StatMonth.kind, StatMonth.month, *_sums(StatMonth))
             .group_by(StatMonth.kind, StatMonth.month))
    if kinds is not None:
        query = query.where(StatMonth.kind.in_(kinds))
    return _rows(session, query)


def delay_tallies(session: Session, kinds: list[str] | None) -> list:
    query = (select(StatDelay.kind, StatDelay.month, StatDelay.days,
                    func.sum(StatDelay.answers).label("answers"))
             .group_by(StatDelay.kind, StatDelay.month, StatDelay.days))
    if kinds is not None:
        query = query.where(StatDelay.kind.in_(kinds))
    return _rows(session, query)


def community_tallies(session: Session, kinds: list[str] | None,
                      community_ids: list[int] | None = None) -> list:
    query = (select(StatCommunity.community_id, *_sums(StatCommunity))
             .group_by(StatCommunity.community_id))
    if kinds is not None:
        query = query.where(StatCommunity.kind.in_(kinds))
    if community_ids is not None:
        query = query.where(StatCommunity.community_id.in_(community_ids))
    return _rows(session, query)


def _scope(query, *, kinds=None, community_ids=None, authority_ids=None):
    if kinds is not None:
        query = query.where(Obligation.kind.in_(kinds))
    if community_ids is not None:
        query = query.where(Obligation.community_id.in_(community_ids))
    if authority_ids is not None:
        query = query.where(Obligation.authority_id.in_(authority_ids))
    return query


def open_counts(session: Session, group: tuple[str, ...], *, now: datetime, soon: datetime,
                **scope) -> list:
    """Overdue and due-soon counts of open obligations, live, from the open-obligation index."""
    columns = [getattr(Obligation, name) for name in group]
    overdue = func.sum(case((Obligation.due_at <= now, 1), else_=0)).label("overdue")
    due_soon = func.sum(case((Obligation.due_at > now, 1), else_=0)).label("due_soon")
    query = (select(*columns, overdue, due_soon)
             .where(Obligation.answered_at.is_(None), Obligation.due_at <= soon, OWED))
    return _rows(session, _scope(query, **scope).group_by(*columns))


def most_overdue_authorities(session: Session, now: datetime, limit: int,
                             kinds: list[str] | None = None) -> list[int]:
    count = func.count().label("n")
    query = (select(Obligation.authority_id, count)
             .where(Obligation.answered_at.is_(None), Obligation.due_at <= now, OWED))
    query = _scope(query, kinds=kinds).group_by(Obligation.authority_id)
    return [row[0] for row in _rows(
        session, query.order_by(count.desc(), Obligation.authority_id).limit(limit))]


def cells(session: Session, group: tuple[str, ...], *, now: datetime, soon: datetime,
          **scope) -> list:
    """Every counter of the obligations in scope, grouped by `group`, in one pass."""
    o = Obligation
    columns = [getattr(o, name) for name in group]
    answered = o.answered_at.is_not(None)
    query = select(
        *columns,
        func.count().label("opened"),
        func.sum(case((and_(answered, o.answered_at <= o.due_at), 1), else_=0))
        .label("answered_on_time"),
        func.sum(case((and_(answered, o.answered_at > o.due_at), 1), else_=0))
        .label("answered_late"),
        func.sum(case((and_(o.answered_at.is_(None), o.due_at <= now), 1), else_=0))
        .label("overdue"),
        func.sum(case((and_(o.answered_at.is_(None), o.due_at > now, o.due_at <= soon), 1),
                      else_=0)).label("due_soon"),
        func.sum(o.rating_yes).label("rating_yes"),
        func.sum(o.rating_partly).label("rating_partly"),
        func.sum(o.rating_no).label("rating_no"),
    ).where(OWED)
    return _rows(session, _scope(query, **scope).group_by(*columns))


def delays(session: Session, group: tuple[str, ...], **scope) -> list:
    """The histogram of answer delays (whole days) of the obligations in scope."""
    columns = [getattr(Obligation, name) for name in group]
    query = (select(*columns, Obligation.answer_days, func.count().label("answers"))
             .where(Obligation.answer_days.is_not(None), OWED))
    return _rows(session, _scope(query, **scope).group_by(*columns, Obligation.answer_days))


def community_index(session: Session) -> list:
    """(id, slug, name, name_en, population) of every community, without ORM objects."""
    return _rows(session, select(Community.id, Community.slug, Community.name,
                                 Community.name_en, Community.population)
                 .order_by(Community.name, Community.id))


def authorities_by_id(session: Session, ids: list[int]) -> dict[int, Authority]:
    if not ids:
        return {}
    return {a.id: a for a in session.exec(select(Authority).where(Authority.id.in_(ids)))}


def communities_by_id(session: Session, ids: list[int]) -> dict[int, Community]:
    if not ids:
        return {}
    return {c.id: c for c in session.exec(select(Community).where(Community.id.in_(ids)))}


def rebuild_stats(session: Session) -> None:
    """Recompute every tally from the obligations (after a bulk load, or to repair)."""
    for table in STAT_TABLES.values():
        session.exec(delete(table))
    o = Obligation
    answered = o.answered_at.is_not(None)
    sums = [func.count(),
            func.sum(case((and_(answered, o.answered_at <= o.due_at), 1), else_=0)),
            func.sum(case((and_(answered, o.answered_at > o.due_at), 1), else_=0)),
            func.sum(o.rating_yes), func.sum(o.rating_partly), func.sum(o.rating_no)]
    session.exec(insert(StatCommunity).from_select(
        ["community_id", "kind", *COUNTERS],
        select(o.community_id, o.kind, *sums).where(OWED).group_by(o.community_id, o.kind)))
    session.exec(insert(StatMonth).from_select(
        ["kind", "month", *COUNTERS],
        select(o.kind, o.opened_month, *sums).where(OWED).group_by(o.kind, o.opened_month)))
    session.exec(insert(StatDelay).from_select(
        ["kind", "month", "days", "answers"],
        select(o.kind, o.opened_month, o.answer_days, func.count())
        .where(o.answer_days.is_not(None), OWED)
        .group_by(o.kind, o.opened_month, o.answer_days)))


def compact_stats(session: Session, name: str) -> int:
    """Fold the delta rows of every key that has more than one into a single row.

    PostgreSQL deletes and re-inserts in one statement (the rows summed are exactly the rows
    deleted, whatever commits meanwhile); SQLite has one writer at a time, so two statements in
    the worker's write transaction are as safe. Returns the number of keys folded.
    """
    table = STAT_TABLES[name].__table__
    keys, sums = STAT_KEYS[name], STAT_SUMS[name]
    key_list, sum_list = ", ".join(keys), ", ".join(sums)
    totals = ", ".join(f"SUM({s})" for s in sums)
    dup = (f"SELECT {key_list} FROM {table.name} GROUP BY {key_list} HAVING COUNT(*) > 1")
    match = " AND ".join(f"t.{k} = d.{k}" for k in keys)
    if session.get_bind().dialect.name == "postgresql":
        result = session.exec(text(
            f"WITH d AS ({dup}), moved AS (DELETE FROM {table.name} t USING d WHERE {match} "
            f"RETURNING t.*) INSERT INTO {table.name} ({key_list}, {sum_list}) "
            f"SELECT {key_list}, {totals} FROM moved GROUP BY {key_list}"))
        return result.rowcount or 0
    where = " AND ".join(f"{table.name}.{k} = d.{k}" for k in keys)
    session.exec(text(f"CREATE TEMP TABLE stat_fold AS SELECT {key_list}, "
                      + ", ".join(f"SUM({s}) AS {s}" for s in sums)
                      + f" FROM {table.name} GROUP BY {key_list} HAVING COUNT(*) > 1"))
    folded = session.exec(text("SELECT COUNT(*) FROM stat_fold")).one()[0]
    if folded:
        session.exec(text(f"DELETE FROM {table.name} WHERE EXISTS "
                          f"(SELECT 1 FROM stat_fold d WHERE {where})"))
        session.exec(text(f"INSERT INTO {table.name} ({key_list}, {sum_list}) "
                          f"SELECT {key_list}, {sum_list} FROM stat_fold"))
    session.exec(text("DROP TABLE stat_fold"))
    return folded


# -- Open data, feeds, digests -------------------------------------------------------------

def export_rows(session: Session, *, community_id: int | None = None,
                kinds: list[str] | None = None, page: int = 5000) -> Iterator[Any]:
    """Obligations with their community's and authority's names, as plain rows, by id.

    Read `page` rows at a time after the last id read: a large export never holds every row,
    and needs no server-side cursor, which PostgreSQL opens only inside a transaction (a
    reading request has none: app.db.new_session)."""
    table = Obligation.__table__
    query = (select(*table.c, Community.slug.label("community_slug"),
                    Community.name.label("community_name"),
                    Authority.name.label("authority_name"))
             .join(Community, Community.id == table.c.community_id)
             .join(Authority, Authority.id == table.c.authority_id)
             .order_by(table.c.id))
    if community_id is not None:
        query = query.where(table.c.community_id == community_id)
    if kinds is not None:
        query = query.where(table.c.kind.in_(kinds))
    after = 0
    while True:
        rows = list(session.exec(query.where(table.c.id > after).limit(page)))
        yield from rows
        if len(rows) < page:
            return
        after = rows[-1].id


def feed_events(session: Session, community_id: int, now: datetime, limit: int
                ) -> list[tuple[str, datetime, Obligation]]:
    """The latest openings, answers and missed deadlines of a community, newest first."""
    base = select(Obligation).where(Obligation.community_id == community_id)
    opened = session.exec(base.order_by(Obligation.opened_at.desc()).limit(limit))
    events = [("opened", o.opened_at, o) for o in opened]
    answered = session.exec(base.where(Obligation.answered_at.is_not(None))
                            .order_by(Obligation.answered_at.desc()).limit(limit))
    events += [("answered", o.answered_at, o) for o in answered]
    # A deadline was missed when it passed with no answer (answered later, or not yet).
    missed = session.exec(base.where(Obligation.due_at <= now, OWED, or_(
        Obligation.answered_at.is_(None), Obligation.answered_at > Obligation.due_at))
        .order_by(Obligation.due_at.desc()).limit(limit))
    events += [("overdue", o.due_at, o) for o in missed]
    events.sort(key=lambda e: (e[1].replace(tzinfo=None), e[2].id), reverse=True)
    return events[:limit]


def attention_by_official(session: Session, until: datetime) -> list[tuple[int, Obligation]]:
    """(official's user id, obligation) for every open obligation due by `until`."""
    return [(user_id, o) for user_id, o in session.exec(
        select(Staff.user_id, Obligation)
        .join(Staff, and_(Staff.authority_id == Obligation.authority_id,
                          Staff.role == StaffRole.official))
        .where(Obligation.answered_at.is_(None), Obligation.due_at <= until, OWED)
        .order_by(Staff.user_id, Obligation.due_at, Obligation.id))]


def users_by_id(session: Session, ids: list[int]) -> dict[int, User]:
    if not ids:
        return {}
    return {u.id: u for u in session.exec(select(User).where(User.id.in_(ids)))}


def communities_with_prefix(session: Session, prefix: str) -> dict[str, int]:
    return {slug: cid for cid, slug in session.exec(
        select(Community.id, Community.slug).where(Community.slug.startswith(f"{prefix}-")))}


def authorities_of_communities(session: Session, community_ids: list[int]
                               ) -> list[tuple[int, int, str]]:
    """(authority id, community id, kind) of these communities' authorities."""
    out: list[tuple[int, int, str]] = []
    for start in range(0, len(community_ids), 900):
        chunk = community_ids[start:start + 900]
        out += list(session.exec(select(Authority.id, Authority.community_id, Authority.kind)
                                 .where(Authority.community_id.in_(chunk))
                                 .order_by(Authority.id)))
    return out


def rulesets_in_force(session: Session, community_ids: list[int], at: datetime
                      ) -> dict[int, int]:
    """The id of the rule set in force at `at` for each community, in one query.

    The same choice as rules.repository.current (latest effective_from, then highest version),
    for a page of communities at once; the rows stay in the session, so rules.service.version
    then reads them without another query.
    """
    if not community_ids:
        return {}
    chosen: dict[int, RuleSetRow] = {}
    for row in session.exec(select(RuleSetRow).where(RuleSetRow.community_id.in_(community_ids),
                                                     RuleSetRow.effective_from <= at)):
        best = chosen.get(row.community_id)
        if best is None or (clock.aware(row.effective_from), row.version) > (
                clock.aware(best.effective_from), best.version):
            chosen[row.community_id] = row
    return {community_id: row.id for community_id, row in chosen.items()}


# -- the officials' inbox -------------------------------------------------------------------

def inbox(session: Session, authority_ids: set[int], *, kind: str | None = None,
          q: str | None = None, overdue_before: datetime | None = None, offset: int = 0,
          limit: int = 50) -> tuple[list[Obligation], int]:
    """Open obligations of these authorities, soonest due first."""
    if not authority_ids:
        return [], 0
    query = select(Obligation).where(Obligation.authority_id.in_(authority_ids),
                                     Obligation.answered_at.is_(None))
    if kind:
        query = query.where(Obligation.kind == kind)
    if q:
        query = query.where(func.lower(Obligation.subject_title).like(f"%{q.lower()}%"))
    if overdue_before is not None:
        query = query.where(Obligation.due_at <= overdue_before)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(Obligation.due_at, Obligation.id)
                        .offset(offset).limit(limit))
    return list(rows), total


def obligation(session: Session, obligation_id: int) -> Obligation | None:
    return session.get(Obligation, obligation_id)


def decision_of(session: Session, obligation_id: int) -> Decision | None:
    return session.exec(select(Decision).where(Decision.obligation_id == obligation_id)).first()


def decisions_of(session: Session, obligation_ids: list[int]) -> dict[int, Decision]:
    if not obligation_ids:
        return {}
    return {d.obligation_id: d for d in session.exec(
        select(Decision).where(Decision.obligation_id.in_(obligation_ids)))}


def is_official_in_community(session: Session, user_id: int, community_id: int) -> bool:
    return session.exec(select(Staff.id).where(
        Staff.user_id == user_id, Staff.community_id == community_id,
        Staff.role == StaffRole.official).limit(1)).first() is not None


# -- NGO observers --------------------------------------------------------------------------

def saved_views(session: Session, user_id: int) -> list[SavedView]:
    return list(session.exec(select(SavedView).where(SavedView.user_id == user_id)
                             .order_by(SavedView.name, SavedView.id)))


def saved_view(session: Session, view_id: int) -> SavedView | None:
    return session.get(SavedView, view_id)


def observer_follows(session: Session) -> list[tuple[int, str, int]]:
    """(user id, "authority" or "community", id) of every follow of an observer."""
    from app.identity.models import GlobalRole
    from app.notifications.models import Follow

    return [tuple(r) for r in session.exec(
        select(Follow.user_id, Follow.subject_type, Follow.subject_id)
        .join(User, User.id == Follow.user_id)
        .where(Follow.subject_type.in_(("authority", "community")),
               User.role.in_((GlobalRole.observer, GlobalRole.admin)),
               User.erased_at.is_(None))
        .order_by(Follow.user_id))]


def report_rows(session: Session, authority_ids: list[int], community_ids: list[int],
                since: datetime, now: datetime) -> list[Obligation]:
    """Obligations of these authorities or communities opened or answered since `since`, or
    open and overdue now."""
    scope = []
    if authority_ids:
        scope.append(Obligation.authority_id.in_(authority_ids))
    if community_ids:
        scope.append(Obligation.community_id.in_(community_ids))
    if not scope:
        return []
    return list(session.exec(select(Obligation).where(
        or_(*scope),
        or_(Obligation.opened_at >= since, Obligation.answered_at >= since,
            and_(Obligation.answered_at.is_(None), Obligation.due_at <= now, OWED)))
        .order_by(Obligation.due_at, Obligation.id).limit(2000)))
