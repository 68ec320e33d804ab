"""Every notifications query."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, and_, cast, delete, func, literal, or_, update
from sqlmodel import Session, select

from app.db import insert_or_skip
from app.identity.models import User
from app.notifications.models import Follow, Message, MessageStatus


def follow(session: Session, user_ids: list[int], subject_type: str, subject_id: int
           ) -> set[int]:
    """Make the people follow the subject (once: a second follow changes nothing); returns
    those who did not follow it before. In person order: concurrent calls cannot deadlock."""
    table = Follow.__table__
    rows = session.connection().execute(
        insert_or_skip(session, table).values(created_at=func.now()).on_conflict_do_nothing()
        .returning(table.c.user_id),
        [{"user_id": user_id, "subject_type": subject_type, "subject_id": subject_id}
         for user_id in sorted(user_ids)])
    return {row[0] for row in rows}


def unfollow_many(session: Session, user_ids: list[int], subject_type: str, subject_id: int
                  ) -> None:
    session.exec(delete(Follow).where(Follow.user_id.in_(user_ids),
                                      Follow.subject_type == subject_type,
                                      Follow.subject_id == subject_id))


def unfollow(session: Session, user_id: int, subject_type: str, subject_id: int) -> None:
    session.exec(delete(Follow).where(Follow.user_id == user_id,
                                      Follow.subject_type == subject_type,
                                      Follow.subject_id == subject_id))


def is_following(session: Session, user_id: int, subject_type: str, subject_id: int) -> bool:
    return session.exec(select(Follow.id).where(
        Follow.user_id == user_id, Follow.subject_type == subject_type,
        Follow.subject_id == subject_id)).first() is not None


def add_message(session: Session, values: dict) -> None:
    session.exec(insert_or_skip(session, Message).values(**values).on_conflict_do_nothing(
        index_elements=["dedupe_key"]))


def fan_out(session: Session, subject_type: str, subject_id: int, *, english: bool,
            subject: str, body: str, key_prefix: str, now: datetime,
            exclude_user_id: int | None = None) -> int:
    """One message per verified follower in one statement; duplicates are skipped."""
    lang_cond = User.language == "en" if english else or_(User.language.is_(None),
                                                          User.language != "en")
    conds = [Follow.subject_type == subject_type, Follow.subject_id == subject_id,
             User.erased_at.is_(None), User.email_verified_at.is_not(None), lang_cond]
    if exclude_user_id is not None:
        conds.append(User.id != exclude_user_id)
    source = (select(User.id, User.email, literal(subject), literal(body),
                     literal(key_prefix + ":").concat(cast(User.id, String)),
                     literal(MessageStatus.pending.value), literal(0), literal(now), literal(now))
              .select_from(Follow).join(User, User.id == Follow.user_id).where(and_(*conds)))
    stmt = insert_or_skip(session, Message).from_select(
        ["user_id", "to_email", "subject", "body", "dedupe_key", "status", "attempts",
         "created_at", "next_attempt_at"], source).on_conflict_do_nothing(
        index_elements=["dedupe_key"]).execution_options(
        # SQLAlchemy reports an INSERT's rowcount only when asked (PostgreSQL gives -1 else).
        preserve_rowcount=True)
    return max(session.exec(stmt).rowcount, 0)


def claim_due(session: Session, now: datetime, lease_until: datetime, limit: int
              ) -> list[Message]:
    """Take a batch of due messages: they are leased so no other worker sends them too."""
    query = (select(Message).where(Message.status == MessageStatus.pending,
                                   Message.next_attempt_at <= now)
             .order_by(Message.id).limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = list(session.exec(query))
    if rows:
        session.exec(update(Message).where(Message.id.in_([m.id for m in rows]))
                     .values(next_attempt_at=lease_until, attempts=Message.attempts + 1))
    return rows


def mark_sent(session: Session, message_id: int, when: datetime) -> None:
    session.exec(update(Message).where(Message.id == message_id)
                 .values(status=MessageStatus.sent, sent_at=when, last_error=None))


def mark_failed(session: Session, message_id: int, error: str, retry_at: datetime | None
                ) -> None:
    values = {"last_error": error[:500]}
    if retry_at is None:
        values["status"] = MessageStatus.failed
    else:
        values["next_attempt_at"] = retry_at
    session.exec(update(Message).where(Message.id == message_id).values(**values))


def messages_to(session: Session, email: str) -> list[Message]:
    return list(session.exec(select(Message).where(Message.to_email == email)
                             .order_by(Message.id)))
