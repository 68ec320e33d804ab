from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

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
