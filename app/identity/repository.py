"""Every identity query."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, delete, update
from sqlmodel import Session, select

from app.identity.models import (
    ApiToken,
    AuthSession,
    OidcLogin,
    OneTimeToken,
    ProviderLink,
    RecoveryCode,
    User,
)


def user_by_id(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def users_by_ids(session: Session, user_ids: list[int]) -> list[User]:
    if not user_ids:
        return []
    return list(session.exec(select(User).where(User.id.in_(user_ids)).order_by(User.id)))


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


def users_of_tokens(session: Session, token_hashes: list[str]) -> dict[str, User]:
    """The holders of live tokens, by token hash (entities loaded by a statement built once:
    this runs on every API request, and once per batch of API signatures)."""
    if not token_hashes:
        return {}
    return {token_hash: user for token_hash, user in session.execute(
        _USERS_OF_TOKENS, {"token_hashes": list(token_hashes)})}


_USERS_OF_TOKENS = (select(ApiToken.token_hash, User).select_from(User)
                    .join(ApiToken, ApiToken.user_id == User.id)
                    .where(ApiToken.token_hash.in_(bindparam("token_hashes", expanding=True)),
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


def sessions_of(session: Session, user_id: int) -> list[AuthSession]:
    return list(session.exec(select(AuthSession).where(AuthSession.user_id == user_id)
                             .order_by(AuthSession.last_seen_at.desc())))


def delete_other_sessions(session: Session, user_id: int, keep_id: str | None) -> None:
    query = delete(AuthSession).where(AuthSession.user_id == user_id)
    if keep_id is not None:
        query = query.where(AuthSession.id != keep_id)
    session.exec(query)


def mark_second_factor(session: Session, session_id: str, when: datetime) -> None:
    session.exec(update(AuthSession).where(AuthSession.id == session_id)
                 .values(second_factor_at=when))


# -- one-time links -------------------------------------------------------------------------

def one_time_token(session: Session, token_hash: str, purpose: str) -> OneTimeToken | None:
    return session.exec(select(OneTimeToken).where(OneTimeToken.token_hash == token_hash,
                                                   OneTimeToken.purpose == purpose)).first()


def use_one_time_token(session: Session, token_id: int, when: datetime) -> bool:
    """Mark the token used; False when another request used it first (a guarded UPDATE)."""
    result = session.exec(update(OneTimeToken).where(OneTimeToken.id == token_id,
                                                     OneTimeToken.used_at.is_(None))
                           .values(used_at=when))
    return result.rowcount == 1


def retire_one_time_tokens(session: Session, user_id: int, purpose: str, when: datetime
                           ) -> None:
    """Every unused link of this purpose stops working (a newer one, or the password changed)."""
    session.exec(update(OneTimeToken).where(OneTimeToken.user_id == user_id,
                                            OneTimeToken.purpose == purpose,
                                            OneTimeToken.used_at.is_(None))
                 .values(used_at=when))


# -- second factor ---------------------------------------------------------------------------

def recovery_codes(session: Session, user_id: int) -> list[RecoveryCode]:
    return list(session.exec(select(RecoveryCode).where(RecoveryCode.user_id == user_id)))


def delete_recovery_codes(session: Session, user_id: int) -> None:
    session.exec(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))


def use_recovery_code(session: Session, user_id: int, code_hash: str, when: datetime) -> bool:
    result = session.exec(update(RecoveryCode).where(RecoveryCode.user_id == user_id,
                                                     RecoveryCode.code_hash == code_hash,
                                                     RecoveryCode.used_at.is_(None))
                          .values(used_at=when))
    return result.rowcount == 1


def claim_totp_step(session: Session, user_id: int, step: int) -> bool:
    """Record the time step of a good code; False when it (or a later one) was used already."""
    result = session.exec(update(User).where(
        User.id == user_id,
        (User.totp_last_step.is_(None)) | (User.totp_last_step < step))
        .values(totp_last_step=step))
    return result.rowcount == 1


# -- providers -------------------------------------------------------------------------------

def oidc_login(session: Session, login_id: str) -> OidcLogin | None:
    return session.get(OidcLogin, login_id)


def delete_oidc_login(session: Session, login_id: str) -> None:
    session.exec(delete(OidcLogin).where(OidcLogin.id == login_id))


def delete_stale_oidc_logins(session: Session, before: datetime) -> None:
    session.exec(delete(OidcLogin).where(OidcLogin.created_at < before))


def link_by_subject(session: Session, provider: str, subject_hash: str) -> ProviderLink | None:
    return session.exec(select(ProviderLink).where(ProviderLink.provider == provider,
                                                   ProviderLink.subject_hash == subject_hash)
                        ).first()


def link_by_person(session: Session, person_hash: str) -> ProviderLink | None:
    return session.exec(select(ProviderLink).where(ProviderLink.person_hash == person_hash)
                        .order_by(ProviderLink.id)).first()


def links_of(session: Session, user_id: int) -> list[ProviderLink]:
    return list(session.exec(select(ProviderLink).where(ProviderLink.user_id == user_id)
                             .order_by(ProviderLink.id)))
