"""Password hashing (argon2id through passlib) and the password rules."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from passlib.context import CryptContext

from app.settings import get_settings
from app.web.i18n import N_

MIN_LENGTH = 8
MAX_LENGTH = 128



@lru_cache
def _context() -> CryptContext:
    """argon2id with OWASP's recommended cost (19 MiB, 2 passes, 1 lane): about 50 ms here.

    The test environment uses the same algorithm at a token cost so suites stay fast; hashes
    made at either cost verify under both, and `deprecated="auto"` rehashes on next login.
    """
    if get_settings().environment == "test":
        memory, rounds = 1024, 1
    else:
        memory, rounds = 19_456, 2
    return CryptContext(schemes=["argon2"], deprecated="auto", argon2__type="ID",
                        argon2__memory_cost=memory, argon2__rounds=rounds,
                        argon2__parallelism=1)


@lru_cache
def _common() -> frozenset[str]:
    text = (Path(__file__).with_name("common_passwords.txt")).read_text(encoding="utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip())


def password_problem(password: str, email: str = "") -> str | None:
    """A msgid naming what is wrong with the password, or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return N_("The password must be at least 8 characters long.")
    if len(password) > MAX_LENGTH:
        return N_("The password must be at most 128 characters long.")
    lowered = password.lower()
    if lowered in _common() or (email and lowered == email.lower().split("@")[0]):
        return N_("This password is too common. Please choose another one.")
    return None


def hash_password(password: str) -> str:
    return _context().hash(password)


def verify_password(password: str, hashed: str) -> bool:
    try:
        return _context().verify(password, hashed)
    except (ValueError, TypeError):
        return False


@lru_cache
def dummy_hash() -> str:
    """Verified against on unknown e-mails, to spend the same time as on a wrong password."""
    return _context().hash("not-a-real-password-0")
