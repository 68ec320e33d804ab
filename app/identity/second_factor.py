"""The second factor: TOTP (RFC 6238, through pyotp) and single-use recovery codes.
Flushes, never commits.

Required before an official, moderator or administrator acts in that role
(app.communities.permissions.acts_as_staff), optional for residents. The secret is stored
encrypted (Fernet, under a key derived from the deployment's secret); a code is good once:
the time step of the last good code is kept and a code of that step or an earlier one is
refused, even within its window. Failed codes count towards the login lockout.

Between the password and the second factor there is no session yet: the login leaves a signed,
short-lived cookie naming the person (`pending_token`), and the session begins only when the
code is right.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from functools import lru_cache

import pyotp
from cryptography.fernet import Fernet, InvalidToken
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlmodel import Session

from app import clock
from app.audit import service as audit
from app.exceptions import Conflict, InvalidInput, NotAuthenticated
from app.identity import repository as repo
from app.identity import service
from app.identity.models import RecoveryCode, User
from app.settings import get_settings
from app.web.i18n import N_

ISSUER = "Hromada"
VALID_WINDOW = 1  # a code of the previous or next 30 seconds is accepted too
RECOVERY_CODES = 10
PENDING_SALT = "hromada-second-factor-pending"
PENDING_MAX_AGE = 300  # seconds between the password and the code
WRONG_CODE = N_("The code is not right. Enter the current code from your app, or a recovery "
                "code.")
USED_CODE = N_("This code was already used. Wait for the next code in your app.")


@lru_cache(maxsize=4)
def _fernet(secret: str) -> Fernet:
    key = hmac.new(secret.encode(), b"hromada-identity/totp-secret", hashlib.sha256).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def _encrypt(value: str) -> str:
    return _fernet(get_settings().secret_key).encrypt(value.encode()).decode()


def _decrypt(value: str) -> str | None:
    try:
        return _fernet(get_settings().secret_key).decrypt(value.encode()).decode()
    except InvalidToken:
        return None


def enabled(user: User) -> bool:
    return user.totp_enabled_at is not None


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def _hash_code(code: str) -> str:
    return hashlib.sha256(f"recovery:{code}".encode()).hexdigest()


def _clean(code: str) -> str:
    return "".join((code or "").split()).replace("-", "").lower()


def _step_of(secret: str, code: str) -> int | None:
    """The time step whose code this is (within the window), or None."""
    totp = pyotp.TOTP(secret)
    now = clock.now()
    if not (code.isdigit() and len(code) == 6):
        return None
    current = totp.timecode(now)
    for offset in range(-VALID_WINDOW, VALID_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(current + offset), code):
            return current + offset
    return None


def enrol(session: Session, user: User, secret: str, code: str) -> list[str]:
    """Turn the second factor on with the secret the person's app holds, once a code from it
    is right; returns the recovery codes (shown once)."""
    if enabled(user):
        raise Conflict(N_("Two-factor sign-in is already on."))
    try:
        base64.b32decode(secret or "", casefold=True)
    except ValueError:
        raise InvalidInput(N_("Start the set-up again.")) from None
    if len(secret) < 16 or len(secret) > 64:
        raise InvalidInput(N_("Start the set-up again."))
    step = _step_of(secret, _clean(code))
    if step is None:
        message = N_("The code is not right. Check the time on your phone and enter the "
                     "current code.")
        raise InvalidInput(message, fields={"code": message})
    user.totp_secret = _encrypt(secret)
    user.totp_enabled_at = clock.now()
    user.totp_last_step = step
    session.add(user)
    codes = _new_recovery_codes(session, user)
    audit.append(session, "identity.second_factor_on", "user", user.id, user.id)
    return codes


def _new_recovery_codes(session: Session, user: User) -> list[str]:
    repo.delete_recovery_codes(session, user.id)
    codes = [secrets.token_hex(5) for _ in range(RECOVERY_CODES)]
    for code in codes:
        session.add(RecoveryCode(user_id=user.id, code_hash=_hash_code(code)))
    session.flush()
    return [f"{c[:5]}-{c[5:]}" for c in codes]


def verify(session: Session, user: User, code: str) -> str:
    """Check a code (TOTP or recovery) of a person who has the second factor on: returns
    "totp" or "recovery"; a wrong or reused code counts towards the lockout."""
    service.check_not_locked(user)
    cleaned = _clean(code)
    secret = _decrypt(user.totp_secret or "")
    if not enabled(user) or secret is None:
        raise Conflict(N_("Two-factor sign-in is not on for this account."))
    step = _step_of(secret, cleaned)
    if step is not None:
        if repo.claim_totp_step(session, user.id, step):
            session.refresh(user)
            return "totp"
        service.count_failure(session, user)
        audit.append(session, "identity.second_factor_reused", "user", user.id, user.id)
        raise InvalidInput(USED_CODE, fields={"code": USED_CODE})
    if len(cleaned) == 10 and repo.use_recovery_code(session, user.id, _hash_code(cleaned),
                                                     clock.now()):
        audit.append(session, "identity.recovery_code_used", "user", user.id, user.id)
        return "recovery"
    service.count_failure(session, user)
    audit.append(session, "identity.second_factor_failed", "user", user.id, user.id)
    raise InvalidInput(WRONG_CODE, fields={"code": WRONG_CODE})


def disable(session: Session, user: User, code: str) -> None:
    verify(session, user, code)
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    session.add(user)
    repo.delete_recovery_codes(session, user.id)
    session.flush()
    audit.append(session, "identity.second_factor_off", "user", user.id, user.id)


def recovery_codes_left(session: Session, user: User) -> int:
    return sum(1 for code in repo.recovery_codes(session, user.id) if code.used_at is None)


# -- between the password and the code ------------------------------------------------------

def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(get_settings().secret_key, salt=PENDING_SALT)


def pending_token(user: User, method: str, next_path: str) -> str:
    """A signed note that this person passed the first factor (`method`) just now."""
    return _serializer().dumps({"u": user.id, "m": method, "n": next_path,
                                "p": user.password_hash[-12:]})


def pending_user(session: Session, token: str | None) -> tuple[User, str, str]:
    """(person, method, next) of a pending login, or NotAuthenticated."""
    if not token:
        raise NotAuthenticated(N_("Please log in again."))
    try:
        data = _serializer().loads(token, max_age=PENDING_MAX_AGE)
    except BadSignature:
        raise NotAuthenticated(N_("Please log in again.")) from None
    user = repo.user_by_id(session, data.get("u"))
    if (user is None or user.erased_at is not None or not enabled(user)
            or user.password_hash[-12:] != data.get("p")):
        raise NotAuthenticated(N_("Please log in again."))
    return user, str(data.get("m") or "password"), str(data.get("n") or "/")
