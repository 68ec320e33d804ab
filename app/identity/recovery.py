"""Account recovery and change of e-mail address. Flushes, never commits.

A password reset is a single-use link that expires (`password_reset_minutes`); asking for one
answers the same whether the address has an account or not (the message goes out only when it
has), and a new password ends every session of the person. A change of e-mail address is
confirmed from the new address (a single-use link, `email_change_hours`) and announced to the
old one. Only each link's SHA-256 is stored.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlmodel import Session

from app import clock
from app.audit import service as audit
from app.exceptions import Conflict, InvalidInput, NotAuthenticated
from app.identity import repository as repo
from app.identity import service
from app.identity.models import OneTimeToken, TokenPurpose, User
from app.identity.passwords import hash_password, password_problem, verify_password
from app.notifications import service as notifications
from app.settings import get_settings
from app.web.i18n import N_, gettext

LINK_NOT_VALID = N_("This link is not valid. Ask for a new one.")
LINK_USED = N_("This link was already used. Ask for a new one if you still need it.")
LINK_EXPIRED = N_("This link has expired. Ask for a new one.")


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _issue(session: Session, user: User, purpose: TokenPurpose, lifetime: timedelta,
           new_email: str | None = None) -> str:
    now = clock.now()
    repo.retire_one_time_tokens(session, user.id, purpose, now)  # only the newest link works
    raw = secrets.token_urlsafe(32)
    session.add(OneTimeToken(user_id=user.id, purpose=purpose, token_hash=_hash(raw),
                             new_email=new_email, expires_at=now + lifetime))
    session.flush()
    return raw


def _find(session: Session, raw: str, purpose: TokenPurpose) -> OneTimeToken:
    """The live token of this link, or InvalidInput saying why it is not."""
    if not raw or len(raw) > 200:
        raise InvalidInput(LINK_NOT_VALID)
    token = repo.one_time_token(session, _hash(raw), purpose)
    if token is None:
        raise InvalidInput(LINK_NOT_VALID)
    if token.used_at is not None:
        raise InvalidInput(LINK_USED)
    if clock.aware(token.expires_at) <= clock.now():
        raise InvalidInput(LINK_EXPIRED)
    return token


def _use(session: Session, token: OneTimeToken) -> None:
    if not repo.use_one_time_token(session, token.id, clock.now()):
        raise InvalidInput(LINK_USED)


# -- password reset -------------------------------------------------------------------------

def request_reset(session: Session, email: str) -> None:
    """Send a reset link if the address has an account; the caller answers alike either way."""
    user = repo.user_by_canonical_email(session, service.canonical_email(email or ""))
    if user is None or user.erased_at is not None:
        return
    minutes = get_settings().password_reset_minutes
    raw = _issue(session, user, TokenPurpose.password_reset, timedelta(minutes=minutes))
    link = f"{get_settings().base_url}/password-reset/{raw}"

    def render() -> tuple[str, str]:
        return (gettext("Set a new password for Hromada"),
                gettext("Hello, {name}!\n\nSomeone (we hope you) asked to set a new password "
                        "for your account. Open this link within {minutes} minutes to choose "
                        "one:\n{link}\n\nThe link works once. If you did not ask, ignore this "
                        "message: your password stays as it is.")
                .format(name=user.display_name, minutes=minutes, link=link))

    notifications.send_to(session, user, f"reset:{_hash(raw)[:16]}", render)
    audit.append(session, "identity.password_reset_requested", "user", user.id, None)


def check_reset_link(session: Session, raw: str) -> User:
    token = _find(session, raw, TokenPurpose.password_reset)
    user = repo.user_by_id(session, token.user_id)
    if user is None or user.erased_at is not None:
        raise InvalidInput(LINK_NOT_VALID)
    return user


def reset_password(session: Session, raw: str, password: str) -> User:
    """Set the new password through the link (used up), end every session of the person."""
    token = _find(session, raw, TokenPurpose.password_reset)
    user = repo.user_by_id(session, token.user_id)
    if user is None or user.erased_at is not None:
        raise InvalidInput(LINK_NOT_VALID)
    problem = password_problem(password, user.email)
    if problem:
        raise InvalidInput(fields={"password": problem})
    _use(session, token)
    _set_password(session, user, password)
    audit.append(session, "identity.password_reset", "user", user.id, user.id)
    return user


def _set_password(session: Session, user: User, password: str) -> None:
    user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    session.add(user)
    repo.retire_one_time_tokens(session, user.id, TokenPurpose.password_reset, clock.now())
    service.end_all_sessions(session, user)
    session.flush()


def change_password(session: Session, user: User, current: str, new: str) -> None:
    """A logged-in person changes their password: every session ends (the view begins a new
    one for this browser)."""
    service.check_not_locked(user)
    if not verify_password(current, user.password_hash):
        service.count_failure(session, user)
        message = N_("This is not your current password.")
        raise InvalidInput(fields={"current_password": message})
    problem = password_problem(new, user.email)
    if problem:
        raise InvalidInput(fields={"password": problem})
    _set_password(session, user, new)
    audit.append(session, "identity.password_changed", "user", user.id, user.id)


# -- change of e-mail -----------------------------------------------------------------------

def request_email_change(session: Session, user: User, new_email: str, password: str) -> None:
    """Send a confirmation link to the new address; the old one hears of it when it is done."""
    service.check_not_locked(user)
    if not verify_password(password, user.password_hash):
        service.count_failure(session, user)
        raise InvalidInput(fields={"email_password": N_("This is not your current password.")})
    email = service.normalise_email(new_email)
    service.check_not_disposable(email)
    canonical = service.canonical_email(email)
    if canonical == user.email_canonical:
        message = N_("This is already your e-mail address.")
        raise InvalidInput(message, fields={"email": message})
    if repo.user_by_canonical_email(session, canonical) is not None:
        message = N_("An account with this e-mail address already exists.")
        raise Conflict(message, fields={"email": message})
    hours = get_settings().email_change_hours
    raw = _issue(session, user, TokenPurpose.email_change, timedelta(hours=hours),
                 new_email=email)
    link = f"{get_settings().base_url}/account/email/confirm/{raw}"

    def render() -> tuple[str, str]:
        return (gettext("Confirm your new e-mail address for Hromada"),
                gettext("Hello, {name}!\n\nPlease confirm that this is your new e-mail "
                        "address by opening this link within {hours} hours:\n{link}\n\nIf "
                        "you did not ask for this, ignore this message.")
                .format(name=user.display_name, hours=hours, link=link))

    notifications.send_to_address(session, user, email, f"email-change:{_hash(raw)[:16]}",
                                  render)
    audit.append(session, "identity.email_change_requested", "user", user.id, user.id)


def confirm_email_change(session: Session, user: User | None, raw: str) -> User:
    token = _find(session, raw, TokenPurpose.email_change)
    if user is None:
        raise NotAuthenticated(N_("Log in to confirm your new e-mail address."))
    if token.user_id != user.id:
        raise InvalidInput(LINK_NOT_VALID)
    email = token.new_email or ""
    canonical = service.canonical_email(email)
    if repo.user_by_canonical_email(session, canonical) is not None:
        raise Conflict(N_("An account with this e-mail address already exists."))
    _use(session, token)
    old_email = user.email

    def render() -> tuple[str, str]:
        return (gettext("Your Hromada e-mail address was changed"),
                gettext("Hello, {name}!\n\nThe e-mail address of your account was changed "
                        "from {old} to {new}. If you did not do this, reset your password at "
                        "once and write to the administrators.")
                .format(name=user.display_name, old=old_email, new=email))

    notifications.send_to_address(session, user, old_email,
                                  f"email-changed:{_hash(raw)[:16]}", render)
    user.email = email
    user.email_canonical = canonical
    user.email_verified_at = clock.now()
    session.add(user)
    session.flush()
    audit.append(session, "identity.email_changed", "user", user.id, user.id)
    return user
