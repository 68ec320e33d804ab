"""Every query of the personal-data service (kernel tables only; modules answer for theirs)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, or_, update
from sqlmodel import Session, select

from app.communities.models import Community, Residency, Staff
from app.identity.models import (
    ApiToken,
    AuthSession,
    OidcLogin,
    OneTimeToken,
    ProviderLink,
    RecoveryCode,
    User,
)
from app.notifications.models import Follow, Message
from app.rules.models import RuleSetRow


def residencies(session: Session, user_id: int) -> list[tuple[Residency, Community]]:
    rows = session.exec(select(Residency, Community)
                        .join(Community, Community.id == Residency.community_id)
                        .where(Residency.user_id == user_id).order_by(Residency.id))
    return [(r, c) for r, c in rows]


def staff_roles(session: Session, user_id: int) -> list[tuple[Staff, Community]]:
    rows = session.exec(select(Staff, Community)
                        .join(Community, Community.id == Staff.community_id)
                        .where(Staff.user_id == user_id).order_by(Staff.id))
    return [(s, c) for s, c in rows]


def sessions(session: Session, user_id: int) -> list[AuthSession]:
    return list(session.exec(select(AuthSession).where(AuthSession.user_id == user_id)
                             .order_by(AuthSession.created_at)))


def tokens(session: Session, user_id: int) -> list[ApiToken]:
    return list(session.exec(select(ApiToken).where(ApiToken.user_id == user_id)
                             .order_by(ApiToken.id)))


def messages(session: Session, user_id: int) -> list[Message]:
    return list(session.exec(select(Message).where(Message.user_id == user_id)
                             .order_by(Message.id)))


def follows(session: Session, user_id: int) -> list[Follow]:
    return list(session.exec(select(Follow).where(Follow.user_id == user_id)
                             .order_by(Follow.id)))


def rules_authored(session: Session, user_id: int) -> list[RuleSetRow]:
    return list(session.exec(select(RuleSetRow).where(RuleSetRow.author_id == user_id)
                             .order_by(RuleSetRow.id)))


def delete_access(session: Session, user_id: int) -> None:
    """Sessions, API tokens, links to identity providers, second-factor and one-time codes,
    staff roles and residencies: nothing left to log in or act with."""
    for model in (AuthSession, ApiToken, ProviderLink, RecoveryCode, OneTimeToken, OidcLogin,
                  Staff, Residency):
        session.exec(delete(model).where(model.user_id == user_id))


def provider_links(session: Session, user_id: int) -> list[ProviderLink]:
    return list(session.exec(select(ProviderLink).where(ProviderLink.user_id == user_id)
                             .order_by(ProviderLink.id)))


def delete_notifications(session: Session, user_id: int) -> None:
    session.exec(delete(Message).where(Message.user_id == user_id))
    session.exec(delete(Follow).where(Follow.user_id == user_id))


def anonymise_user(session: Session, user_id: int, **values) -> None:
    session.exec(update(User).where(User.id == user_id).values(**values))


def delete_expired_sessions(session: Session, idle_before: datetime,
                            created_before: datetime) -> int:
    result = session.exec(delete(AuthSession).where(or_(
        AuthSession.last_seen_at < idle_before, AuthSession.created_at < created_before)))
    return result.rowcount or 0
