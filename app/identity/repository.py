"""Every identity query."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, delete, update
from sqlmodel import Session, select

from app.identity.models import ApiToken, AuthSession, User


def user_by_id(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def user_by_canonical_email(session: Session, canonical: str) -> User | None:
    return session.exec(select(User).where(User.email_canonical == canonical)).first()


def session_with_user(session: Session, session_id: str) -> tuple[AuthSession, User] | None:
    """A login session with its person (a statement built once: every logged-in page)."""
    row = session.exec(_SESSION_WITH_USER, params={"session_id": session_id}).first()
    return (row[0], row[1]) if row else None


_SESSION_WITH_USER = (select(AuthSession, User).join(User, User.id == AuthSession.user_id)
                      .where(AuthSession.id == bindparam("session_id")))


def delete_session(session: Session, session_id: str) -> None:
    session.exec(delete(AuthSession).where(AuthSession.id == session_id))


def delete_user_sessions(session: Session, user_id: int) -> None:
    session.exec(delete(AuthSession).where(AuthSession.user_id == user_id))


def touch_session(session: Session, session_id: str, when: datetime) -> None:
    session.exec(update(AuthSession).where(AuthSession.id == session_id)
                 .values(last_seen_at=when))


def user_of_token(session: Session, token_hash: str) -> User | None:
    """The holder of a live token (one entity loaded, by a statement built once: this runs on
    every API request)."""
    return session.exec(_USER_OF_TOKEN, params={"token_hash": token_hash}).first()


_USER_OF_TOKEN = (select(User).join(ApiToken, ApiToken.user_id == User.id)
                  .where(ApiToken.token_hash == bindparam("token_hash"),
                         ApiToken.revoked_at.is_(None)))


def tokens_of(session: Session, user_id: int) -> list[ApiToken]:
    return list(session.exec(
        select(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .order_by(ApiToken.id)
    ))


def token_of(session: Session, user_id: int, token_id: int) -> ApiToken | None:
    return session.exec(select(ApiToken).where(ApiToken.id == token_id,
                                               ApiToken.user_id == user_id)).first()


def users(session: Session) -> list[User]:
    return list(session.exec(select(User).order_by(User.id)))
