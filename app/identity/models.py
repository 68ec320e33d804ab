from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models import fk, utc_field


class GlobalRole(StrEnum):
    """Deployment-wide roles. Community roles (official, moderator) live in communities."""

    resident = "resident"
    observer = "observer"
    admin = "admin"


class User(SQLModel, table=True):
    __tablename__ = "identity_user"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254)
    # Lower-cased, with "+tag" and Gmail dots removed: one person, one account.
    email_canonical: str = Field(max_length=254, unique=True)
    display_name: str = Field(max_length=120)
    password_hash: str = Field(max_length=255)
    role: str = Field(default=GlobalRole.resident, max_length=16)
    language: str | None = Field(default=None, max_length=5)
    birth_date: date | None = None
    email_verified_at: datetime | None = utc_field(nullable=True)
    failed_logins: int = 0
    locked_until: datetime | None = utc_field(nullable=True)
    # Two factors: the TOTP secret, encrypted with a key derived from the deployment's secret
    # (app.identity.second_factor), and the last time step used (a code is good once).
    totp_secret: str | None = Field(default=None, max_length=255)
    totp_enabled_at: datetime | None = utc_field(nullable=True)
    totp_last_step: int | None = None
    created_at: datetime = utc_field(default_now=True)
    erased_at: datetime | None = utc_field(nullable=True)

    @property
    def is_admin(self) -> bool:
        return self.role == GlobalRole.admin

    @property
    def is_observer(self) -> bool:
        return self.role in (GlobalRole.observer, GlobalRole.admin)

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None


class AuthSession(SQLModel, table=True):
    """A login session. The cookie holds a random token; only its SHA-256 is stored."""

    __tablename__ = "identity_session"

    id: str = Field(primary_key=True, max_length=64)
    user_id: int = fk("identity_user.id", ondelete="CASCADE")
    created_at: datetime = utc_field(default_now=True)
    last_seen_at: datetime = utc_field(default_now=True)
    # How the person signed in ("password" or a provider's name), when they passed the second
    # factor in this session, and the browser it began in (shown in the list of sessions).
    method: str = Field(default="password", max_length=40)
    second_factor_at: datetime | None = utc_field(nullable=True)
    user_agent: str = Field(default="", max_length=200)


class ApiToken(SQLModel, table=True):
    __tablename__ = "identity_api_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = fk("identity_user.id", ondelete="CASCADE")
    name: str = Field(max_length=80)
    token_hash: str = Field(max_length=64, unique=True)
    prefix: str = Field(max_length=12)
    created_at: datetime = utc_field(default_now=True)
    last_used_at: datetime | None = utc_field(nullable=True)
    revoked_at: datetime | None = utc_field(nullable=True)


class UserPublic(SQLModel):
    id: int
    email: str
    display_name: str
    role: str
    language: str | None
    email_verified: bool


class TokenPublic(SQLModel):
    id: int
    name: str
    prefix: str
    created_at: datetime


class TokenPurpose(StrEnum):
    password_reset = "password_reset"
    email_change = "email_change"


class OneTimeToken(SQLModel, table=True):
    """A single-use link sent by e-mail (password reset, change of e-mail). Only the token's
    SHA-256 is stored; `used_at` makes it good once, `expires_at` makes it good for a while."""

    __tablename__ = "identity_one_time_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = fk("identity_user.id", ondelete="CASCADE")
    purpose: str = Field(max_length=20)
    token_hash: str = Field(max_length=64, unique=True)
    new_email: str | None = Field(default=None, max_length=254)
    created_at: datetime = utc_field(default_now=True)
    expires_at: datetime = utc_field()
    used_at: datetime | None = utc_field(nullable=True)


class RecoveryCode(SQLModel, table=True):
    """A recovery code of the second factor (its SHA-256), good once."""

    __tablename__ = "identity_recovery_code"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = fk("identity_user.id", ondelete="CASCADE")
    code_hash: str = Field(max_length=64)
    used_at: datetime | None = utc_field(nullable=True)


class ProviderLink(SQLModel, table=True):
    """An account's sign-in through an OpenID provider. Nothing the provider said is kept in
    clear: `subject_hash` is a keyed hash of (issuer, subject); `person_hash` a keyed hash of
    the claims that identify the person (the tax number, or full name and date of birth), the
    same whichever provider or e-mail address they come with: one person, one account;
    `register_key` a keyed hash of full name and date of birth, to match a community's
    register of residents."""

    __tablename__ = "identity_provider_link"
    __table_args__ = (UniqueConstraint("provider", "subject_hash"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = fk("identity_user.id", ondelete="CASCADE")
    provider: str = Field(max_length=40)
    subject_hash: str = Field(max_length=64)
    person_hash: str | None = Field(default=None, max_length=64, index=True)
    register_key: str | None = Field(default=None, max_length=64)
    # Whether the provider identifies people (a state identity system), not only accounts.
    identifies: bool = False
    created_at: datetime = utc_field(default_now=True)
    last_used_at: datetime = utc_field(default_now=True)


class OidcLogin(SQLModel, table=True):
    """A sign-in under way at a provider: the `state` (its SHA-256 is the key), the `nonce`
    and the PKCE verifier, bound to the browser that began it. Used once, then deleted."""

    __tablename__ = "identity_oidc_login"

    id: str = Field(primary_key=True, max_length=64)
    provider: str = Field(max_length=40)
    nonce: str = Field(max_length=64)
    code_verifier: str = Field(max_length=128)
    browser_hash: str = Field(max_length=64)
    next: str = Field(default="/", max_length=500)
    # Set when a logged-in person links the provider to their account.
    user_id: int | None = fk("identity_user.id", nullable=True, index=False,
                             ondelete="CASCADE")
    created_at: datetime = utc_field(default_now=True)
