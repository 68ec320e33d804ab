"""Registration, login, sessions, e-mail verification and API tokens. Flushes, never commits."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from email_validator import EmailNotValidError, validate_email
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app import clock
from app.db import engine_of, transaction, write_intent
from app.exceptions import Conflict, InvalidInput, NotAuthenticated, TooManyRequests
from app.identity import repository as repo
from app.identity.disposable import is_disposable
from app.identity.models import ApiToken, AuthSession, GlobalRole, User
from app.identity.passwords import (
    dummy_hash,
    hash_password,
    password_problem,
    verify_password,
)
from app.settings import get_settings
from app.web.i18n import N_

VERIFY_SALT = "hromada-verify-email"
VERIFY_MAX_AGE = 3 * 24 * 3600
GMAIL_DOMAINS = {"gmail.com", "googlemail.com"}
TOUCH_EVERY = timedelta(minutes=1)


def canonical_email(email: str) -> str:
    """One mailbox, one key: lower-case, no "+tag", no dots in Gmail local parts."""
    local, _, domain = email.strip().lower().rpartition("@")
    local = local.split("+", 1)[0]
    if domain in GMAIL_DOMAINS:
        domain = "gmail.com"
        local = local.replace(".", "")
    return f"{local}@{domain}"


def normalise_email(raw: str) -> str:
    try:
        email = validate_email(raw.strip(), check_deliverability=False).normalized
    except EmailNotValidError:
        raise InvalidInput(N_("Enter a valid e-mail address."),
                           fields={"email": N_("Enter a valid e-mail address.")}) from None
    return email


DISPOSABLE = N_("Addresses of disposable mailboxes are not accepted: use an address you keep.")


def check_not_disposable(email: str) -> None:
    """Registration and a change of address refuse throwaway mailboxes (app.identity.disposable);
    an identity provider's address is the provider's to vouch for."""
    if is_disposable(email):
        raise InvalidInput(DISPOSABLE, fields={"email": DISPOSABLE})


@dataclass
class Registration:
    email: str
    password: str
    display_name: str
    language: str | None = None
    birth_date: date | None = None


def register(session: Session, data: Registration, *, role: GlobalRole = GlobalRole.resident,
             verified: bool = False) -> User:
    fields: dict[str, str] = {}
    try:
        email = normalise_email(data.email)
        check_not_disposable(email)
    except InvalidInput as exc:
        fields.update(exc.fields)
        email = data.email
    name = " ".join(data.display_name.split())
    if not 2 <= len(name) <= 120:
        fields["display_name"] = N_("Enter your name (2 to 120 characters).")
    problem = password_problem(data.password, email)
    if problem:
        fields["password"] = problem
    if data.birth_date and not (date(1900, 1, 1) <= data.birth_date <= clock.today()):
        fields["birth_date"] = N_("Enter a real date of birth.")
    if fields:
        raise InvalidInput(N_("Please correct the highlighted fields."), fields=fields)
    canonical = canonical_email(email)
    if repo.user_by_canonical_email(session, canonical) is not None:
        raise Conflict(N_("An account with this e-mail address already exists."),
                       fields={"email": N_("An account with this e-mail address already exists.")})
    user = User(email=email, email_canonical=canonical, display_name=name,
                password_hash=hash_password(data.password), role=role,
                language=data.language, birth_date=data.birth_date,
                email_verified_at=clock.now() if verified else None)
    session.add(user)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict(N_("An account with this e-mail address already exists."),
                       fields={"email": N_("An account with this e-mail address already exists.")}
                       ) from None
    return user


def check_not_locked(user: User) -> None:
    """TooManyRequests while the account is locked after failed logins or second factors."""
    now = clock.now()
    locked_until = clock.aware(user.locked_until)
    if locked_until and locked_until > now:
        raise TooManyRequests(N_("Too many failed logins. The account is locked for a while; "
                                 "please try again later."),
                              retry_after=int((locked_until - now).total_seconds()) + 1)


def count_failure(session: Session, user: User) -> None:
    """A failed password or second factor: enough of them lock the account for a while."""
    settings = get_settings()
    user.failed_logins += 1
    if settings.rate_limits_enabled and user.failed_logins >= settings.rate_login_failures:
        user.locked_until = clock.now() + timedelta(seconds=settings.rate_login_lockout_seconds)
        user.failed_logins = 0
    session.add(user)
    session.flush()


def authenticate(session: Session, email: str, password: str) -> User:
    """The user with these credentials; failures count towards a lockout of the account."""
    user = repo.user_by_canonical_email(session, canonical_email(email or ""))
    if user is None or user.erased_at is not None:
        verify_password(password, dummy_hash())
        raise NotAuthenticated(N_("Wrong e-mail address or password."))
    check_not_locked(user)
    if not verify_password(password, user.password_hash):
        count_failure(session, user)
        raise NotAuthenticated(N_("Wrong e-mail address or password."))
    if user.failed_logins or user.locked_until:
        user.failed_logins = 0
        user.locked_until = None
        session.add(user)
    return user


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(session: Session, user: User, previous_cookie: str | None = None, *,
                  method: str = "password", second_factor: bool = False,
                  user_agent: str = "") -> str:
    """A fresh session for this login (the old one, if any, is gone): returns the cookie value.
    `second_factor`: the person passed a second factor in this login."""
    if previous_cookie:
        repo.delete_session(session, _hash(previous_cookie))
    raw = secrets.token_urlsafe(32)
    session.add(AuthSession(id=_hash(raw), user_id=user.id, method=method[:40],
                            second_factor_at=clock.now() if second_factor else None,
                            user_agent=" ".join(user_agent.split())[:200]))
    session.flush()
    return raw


def session_handle(auth: AuthSession) -> str:
    """A session's name in the list of sessions: not its key, not the cookie."""
    return hashlib.sha256(f"handle:{auth.id}".encode()).hexdigest()[:16]


def session_handle_of_cookie(raw: str) -> str:
    return session_handle(AuthSession(id=_hash(raw), user_id=0))


def sessions(session: Session, user: User) -> list[AuthSession]:
    return repo.sessions_of(session, user.id)


def revoke_session(session: Session, user: User, handle: str) -> None:
    from app.audit import service as audit
    from app.exceptions import NotFound

    for auth in repo.sessions_of(session, user.id):
        if secrets.compare_digest(session_handle(auth), handle or ""):
            repo.delete_session(session, auth.id)
            audit.append(session, "identity.session_revoked", "user", user.id, user.id)
            return
    raise NotFound(N_("No such session."))


def end_all_sessions(session: Session, user: User, keep_cookie: str | None = None) -> None:
    """Every session of the person ends (but the one kept, if any)."""
    repo.delete_other_sessions(session, user.id, _hash(keep_cookie) if keep_cookie else None)


def mark_second_factor(session: Session, raw_cookie: str) -> None:
    repo.mark_second_factor(session, _hash(raw_cookie), clock.now())


def end_session(session: Session, raw: str) -> None:
    repo.delete_session(session, _hash(raw))


def resolve_session(session: Session, raw: str) -> User | None:
    """The user of a session cookie, or None when unknown, idle too long or too old. The user
    carries whether this session passed a second factor (`second_factor_passed`)."""
    settings = get_settings()
    found = repo.session_with_user(session, _hash(raw))
    if found is None:
        return None
    auth, user = found
    now = clock.now()
    created, seen = clock.aware(auth.created_at), clock.aware(auth.last_seen_at)
    if (now - seen > timedelta(minutes=settings.session_idle_minutes)
            or now - created > timedelta(hours=settings.session_absolute_hours)
            or user.erased_at is not None):
        return None
    if now - seen > TOUCH_EVERY:
        bind = engine_of(session)
        if isinstance(bind, Engine) and not write_intent.get():
            # Its own short write transaction, so read-only pages stay read-only.
            with transaction(bind) as writer:
                repo.touch_session(writer, auth.id, now)
        else:
            repo.touch_session(session, auth.id, now)
    set_second_factor_passed(user, auth.second_factor_at is not None)
    return user


def set_second_factor_passed(user: User, passed: bool) -> None:
    """Remember, on this request's copy of the person, whether they passed a second factor
    (read by the staff predicates of app.communities.permissions)."""
    object.__setattr__(user, "_second_factor_passed", passed)


def second_factor_passed(user: User) -> bool:
    """Whether this request's person passed a second factor; True for a person not reached
    through a session or token (a command, a worker, a seed): they act as the operator."""
    return getattr(user, "_second_factor_passed", True)


def email_verification_token(user: User) -> str:
    serializer = URLSafeTimedSerializer(get_settings().secret_key, salt=VERIFY_SALT)
    return serializer.dumps({"u": user.id, "e": user.email_canonical})


def verify_email(session: Session, token: str) -> User:
    serializer = URLSafeTimedSerializer(get_settings().secret_key, salt=VERIFY_SALT)
    try:
        data = serializer.loads(token, max_age=VERIFY_MAX_AGE)
    except SignatureExpired:
        raise InvalidInput(N_("This verification link has expired. Log in to get a new one.")
                           ) from None
    except BadSignature:
        raise InvalidInput(N_("This verification link is not valid.")) from None
    user = repo.user_by_id(session, data.get("u"))
    if user is None or user.email_canonical != data.get("e"):
        raise InvalidInput(N_("This verification link is not valid."))
    if user.email_verified_at is None:
        user.email_verified_at = clock.now()
        session.add(user)
        session.flush()
    return user


def create_token(session: Session, user: User, name: str) -> tuple[ApiToken, str]:
    name = " ".join((name or "").split()) or "API"
    if len(name) > 80:
        message = N_("The token name is too long (at most 80 characters).")
        raise InvalidInput(message, fields={"name": message})
    raw = "hrm_" + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, token_hash=_hash(raw), prefix=raw[:10])
    session.add(token)
    session.flush()
    return token, raw


def tokens(session: Session, user: User) -> list[ApiToken]:
    return repo.tokens_of(session, user.id)


INVALID_TOKEN = N_("The API token is invalid or revoked.")


def user_for_token(session: Session, raw: str) -> User | None:
    """The holder of a token. A token stands for a second factor when its holder has one:
    creating it asked for the code (POST /api/v1/tokens, or a session that passed it)."""
    return users_for_tokens(session, [raw]).get(raw)


def users_for_tokens(session: Session, raws: list[str]) -> dict[str, User]:
    """`user_for_token` for many tokens in one query: raw token -> holder, for those whose
    holder exists (a revoked token, or an erased holder's, is missing)."""
    hashed = {_hash(raw): raw for raw in raws}
    holders = {}
    for token_hash, user in repo.users_of_tokens(session, list(hashed)).items():
        if user.erased_at is None:
            set_second_factor_passed(user, user.totp_enabled_at is not None)
            holders[hashed[token_hash]] = user
    return holders


def revoke_token(session: Session, user: User, token_id: int) -> None:
    token = repo.token_of(session, user.id, token_id)
    if token is None:
        from app.exceptions import NotFound

        raise NotFound(N_("No such token."))
    token.revoked_at = clock.now()
    session.add(token)
    session.flush()


def change_language(session: Session, user: User, lang: str) -> None:
    user.language = lang
    session.add(user)
    session.flush()

