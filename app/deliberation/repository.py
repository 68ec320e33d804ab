"""Every query of deliberation and moderation."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import or_, tuple_, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, select

from app.accountability.models import Obligation
from app.communities.models import Authority, Staff, StaffRole
from app.db import insert_or_skip
from app.deliberation.models import (
    QUEUE_STATES,
    Block,
    Case,
    Comment,
    CommentOrder,
    CommentState,
    CommentSupport,
    Digest,
    DigestFrequency,
    Publication,
    Report,
)
from app.identity.models import User
from app.notifications.models import Follow


def bump(session: Session, model: type, row_id: int, obj: Any = None, **deltas: int) -> None:
    """Move counters by deltas in one atomic UPDATE (and tell the loaded object)."""
    values = {name: getattr(model, name) + delta for name, delta in deltas.items()}
    row = session.exec(update(model).where(model.id == row_id).values(**values)
                       .returning(*(getattr(model, name) for name in deltas))
                       .execution_options(synchronize_session=False)).first()
    if obj is not None and row is not None:
        for name, value in zip(deltas, row, strict=True):
            set_committed_value(obj, name, value)


# -- comments -------------------------------------------------------------------------------

def comment(session: Session, comment_id: int) -> Comment | None:
    return session.get(Comment, comment_id)


def add(session: Session, obj: Any) -> Any:
    session.add(obj)
    session.flush()
    return obj


def threads(session: Session, subject_type: str, subject_id: int, *, order: CommentOrder,
            offset: int, limit: int, anchor_id: int | None = None, unpublished: bool = False,
            viewer_id: int | None = None
            ) -> list[tuple[Comment, str | None, bool, str | None, str | None]]:
    """Top-level comments `offset` to `offset + limit` (newest or most supported first) with
    all their replies, in one query: (comment, author name, erased, authority, authority_en).
    The caller orders them; asking for one more than it shows tells it whether more follow.
    Only those on `anchor_id` when given; unpublished ones only with `unpublished`, or the
    viewer's own."""
    where = [Comment.subject_type == subject_type, Comment.subject_id == subject_id]
    if anchor_id is not None:
        where.append(Comment.anchor_id == anchor_id)
    if not unpublished:
        published = Comment.publication != Publication.unpublished
        where.append(published if viewer_id is None
                     else or_(published, Comment.user_id == viewer_id))
    ordering = ((Comment.support_count.desc(), Comment.id.desc())
                if order == CommentOrder.supported else (Comment.id.desc(),))
    tops = (select(Comment.id).where(*where, Comment.parent_id.is_(None))
            .order_by(*ordering).offset(offset).limit(limit).scalar_subquery())
    rows = session.exec(
        select(Comment, User.display_name, User.erased_at, Authority.name, Authority.name_en)
        .outerjoin(User, User.id == Comment.user_id)
        .outerjoin(Authority, Authority.id == Comment.authority_id)
        .where(*where, or_(Comment.id.in_(tops), Comment.parent_id.in_(tops)))
        .order_by(Comment.id))
    return [(r[0], r[1], r[2] is not None, r[3], r[4]) for r in rows]


def comment_row(session: Session, comment_id: int
                ) -> tuple[Comment, str | None, bool, str | None, str | None] | None:
    row = session.exec(
        select(Comment, User.display_name, User.erased_at, Authority.name, Authority.name_en)
        .outerjoin(User, User.id == Comment.user_id)
        .outerjoin(Authority, Authority.id == Comment.authority_id)
        .where(Comment.id == comment_id)).first()
    return None if row is None else (row[0], row[1], row[2] is not None, row[3], row[4])


def authority_of_official(session: Session, user_id: int, community_id: int) -> int | None:
    """The authority of the community the person is an official of (the first one)."""
    return session.exec(select(Staff.authority_id).where(
        Staff.user_id == user_id, Staff.community_id == community_id,
        Staff.role == StaffRole.official, Staff.authority_id.is_not(None))
        .order_by(Staff.id)).first()


def add_support(session: Session, comment_id: int, user_id: int, now: datetime) -> bool:
    """Support a comment once; whether this was new (the unique constraint decides)."""
    table = CommentSupport.__table__
    result = session.connection().execute(
        insert_or_skip(session, table).on_conflict_do_nothing().returning(table.c.id),
        [{"comment_id": comment_id, "user_id": user_id, "created_at": now}])
    return result.first() is not None


def supported_by(session: Session, user_id: int, comment_ids: list[int]) -> set[int]:
    if not comment_ids:
        return set()
    return set(session.exec(select(CommentSupport.comment_id).where(
        CommentSupport.user_id == user_id, CommentSupport.comment_id.in_(comment_ids))))


def comments_of_user(session: Session, user_id: int) -> list[Comment]:
    return list(session.exec(select(Comment).where(Comment.user_id == user_id)
                             .order_by(Comment.id)))


def replies_to(session: Session, user_id: int, since: datetime) -> list[Comment]:
    """Replies written since `since` to comments of the person (for their digest)."""
    parent = Comment.__table__.alias("parent")
    return list(session.exec(
        select(Comment).join(parent, parent.c.id == Comment.parent_id)
        .where(parent.c.user_id == user_id, Comment.created_at > since,
               Comment.user_id != user_id, Comment.state == CommentState.visible)
        .order_by(Comment.id)))


# -- cases and reports ----------------------------------------------------------------------

def case_of(session: Session, subject_type: str, subject_id: int, *, lock: bool = False
            ) -> Case | None:
    query = select(Case).where(Case.subject_type == subject_type, Case.subject_id == subject_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.exec(query).first()


def case(session: Session, case_id: int, *, lock: bool = False) -> Case | None:
    query = select(Case).where(Case.id == case_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.exec(query).first()


def open_case(session: Session, values: dict[str, Any]) -> None:
    """Insert the case of a thing unless one exists (two first reporters at once)."""
    table = Case.__table__
    session.connection().execute(insert_or_skip(session, table).on_conflict_do_nothing(),
                                 [values])


def add_report(session: Session, values: dict[str, Any]) -> bool:
    table = Report.__table__
    result = session.connection().execute(
        insert_or_skip(session, table).on_conflict_do_nothing().returning(table.c.id), [values])
    return result.first() is not None


def reports_of(session: Session, case_ids: list[int]) -> list[Report]:
    if not case_ids:
        return []
    return list(session.exec(select(Report).where(Report.case_id.in_(case_ids))
                             .order_by(Report.id)))


def queue(session: Session, community_ids: list[int] | None, *, offset: int = 0,
          limit: int = 50) -> list[Case]:
    """Cases waiting for a moderator, hidden ones and appeals first, oldest first."""
    query = select(Case).where(Case.state.in_([str(s) for s in QUEUE_STATES]))
    if community_ids is not None:
        query = query.where(Case.community_id.in_(community_ids))
    return list(session.exec(query.order_by(Case.hidden.desc(), Case.id)
                             .offset(offset).limit(limit)))


def hidden_subjects(session: Session, subject_type: str, subject_ids: list[int]) -> set[int]:
    if not subject_ids:
        return set()
    return set(session.exec(select(Case.subject_id).where(
        Case.subject_type == subject_type, Case.subject_id.in_(subject_ids),
        Case.hidden.is_(True))))


# -- blocks ---------------------------------------------------------------------------------

def active_block(session: Session, user_id: int, community_id: int, now: datetime
                 ) -> Block | None:
    return session.exec(select(Block).where(
        Block.user_id == user_id, Block.community_id == community_id,
        Block.lifted_at.is_(None), or_(Block.ends_at.is_(None), Block.ends_at > now))
        .order_by(Block.id.desc())).first()


def blocks(session: Session, community_id: int) -> list[tuple[Block, str]]:
    rows = session.exec(select(Block, User.display_name).join(User, User.id == Block.user_id)
                        .where(Block.community_id == community_id)
                        .order_by(Block.id.desc()).limit(500))
    return [(r[0], r[1]) for r in rows]


def block(session: Session, block_id: int) -> Block | None:
    return session.get(Block, block_id)


def user(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


# -- residents' digests ---------------------------------------------------------------------

def digest_of(session: Session, user_id: int) -> Digest | None:
    return session.get(Digest, user_id)


def due_digests(session: Session, daily_before: datetime, weekly_before: datetime,
                limit: int = 500) -> list[tuple[Digest, User]]:
    rows = session.exec(
        select(Digest, User).join(User, User.id == Digest.user_id)
        .where(User.erased_at.is_(None), or_(
            (Digest.frequency == DigestFrequency.daily) & (Digest.covered_until <= daily_before),
            (Digest.frequency == DigestFrequency.weekly)
            & (Digest.covered_until <= weekly_before)))
        .order_by(Digest.user_id).limit(limit))
    return [(r[0], r[1]) for r in rows]


def comments_on_followed(session: Session, user_id: int, since: datetime, until: datetime,
                         limit: int = 50) -> list[Comment]:
    """Visible comments written in the window on what the person follows, not their own."""
    followed = select(Follow.subject_type, Follow.subject_id).where(Follow.user_id == user_id)
    return list(session.exec(
        select(Comment).where(
            tuple_(Comment.subject_type, Comment.subject_id).in_(followed),
            Comment.created_at > since, Comment.created_at <= until,
            Comment.state == CommentState.visible, Comment.user_id != user_id,
            Comment.publication != Publication.unpublished)
        .order_by(Comment.id).limit(limit)))


def answers_on_followed(session: Session, user_id: int, since: datetime, until: datetime,
                        limit: int = 50) -> list[Obligation]:
    """Obligations answered in the window on what the person follows (answers, results)."""
    followed = select(Follow.subject_type, Follow.subject_id).where(Follow.user_id == user_id)
    return list(session.exec(
        select(Obligation).where(
            tuple_(Obligation.subject_type, Obligation.subject_id).in_(followed),
            Obligation.answered_at > since, Obligation.answered_at <= until)
        .order_by(Obligation.answered_at).limit(limit)))


def reports_by(session: Session, user_id: int) -> list[Report]:
    return list(session.exec(select(Report).where(Report.reporter_id == user_id)
                             .order_by(Report.id)))


def blocks_of(session: Session, user_id: int) -> list[Block]:
    return list(session.exec(select(Block).where(Block.user_id == user_id).order_by(Block.id)))


def delete_digest(session: Session, user_id: int) -> None:
    found = session.get(Digest, user_id)
    if found is not None:
        session.delete(found)
        session.flush()
