"""Every rules query."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, or_
from sqlmodel import Session, select

from app.rules.models import Holiday, RuleSetRow


def current(session: Session, community_id: int, at: datetime) -> RuleSetRow | None:
    return session.exec(
        select(RuleSetRow).where(RuleSetRow.community_id == community_id,
                                 RuleSetRow.effective_from <= at)
        .order_by(RuleSetRow.effective_from.desc(), RuleSetRow.version.desc()).limit(1)
    ).first()


def by_id(session: Session, ruleset_id: int) -> RuleSetRow | None:
    return session.get(RuleSetRow, ruleset_id)


def history(session: Session, community_id: int) -> list[RuleSetRow]:
    return list(session.exec(select(RuleSetRow).where(RuleSetRow.community_id == community_id)
                             .order_by(RuleSetRow.version.desc())))


def latest_version(session: Session, community_id: int) -> int:
    return session.exec(select(func.coalesce(func.max(RuleSetRow.version), 0))
                        .where(RuleSetRow.community_id == community_id)).one()


def all_current(session: Session, at: datetime) -> list[RuleSetRow]:
    """The rule set in force for every community, in one query."""
    latest = (select(RuleSetRow.community_id, func.max(RuleSetRow.version).label("v"))
              .where(RuleSetRow.effective_from <= at).group_by(RuleSetRow.community_id)
              .subquery())
    return list(session.exec(select(RuleSetRow).join(
        latest, (RuleSetRow.community_id == latest.c.community_id)
        & (RuleSetRow.version == latest.c.v))))


def holidays(session: Session, community_id: int | None, start: date, end: date) -> list[date]:
    query = select(Holiday.day).where(Holiday.day >= start, Holiday.day <= end)
    if community_id is None:
        query = query.where(Holiday.community_id.is_(None))
    else:
        query = query.where(or_(Holiday.community_id.is_(None),
                                Holiday.community_id == community_id))
    return list(session.exec(query))


def holiday_rows(session: Session, community_id: int | None) -> list[Holiday]:
    query = select(Holiday).order_by(Holiday.day)
    if community_id is not None:
        query = query.where(or_(Holiday.community_id.is_(None),
                                Holiday.community_id == community_id))
    return list(session.exec(query))


def holiday_on(session: Session, community_id: int | None, day: date) -> Holiday | None:
    """The holiday of that day that counts for the community: its own or a public one."""
    query = select(Holiday).where(Holiday.day == day)
    if community_id is None:
        query = query.where(Holiday.community_id.is_(None))
    else:
        query = query.where(or_(Holiday.community_id.is_(None),
                                Holiday.community_id == community_id))
    return session.exec(query).first()
