from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Literal

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models import fk, utc_field


class AuthorityKind(StrEnum):
    council = "council"
    executive_committee = "executive_committee"
    department = "department"


class ResidencyStatus(StrEnum):
    claimed = "claimed"
    verified = "verified"
    rejected = "rejected"


class Evidence(StrEnum):
    """What a verified residency rests on."""

    official = "official"  # an official checked the claim
    register = "register"  # it matched the community's register of residents


class StaffRole(StrEnum):
    official = "official"
    moderator = "moderator"


class Community(SQLModel, table=True):
    __tablename__ = "community"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=160)
    name_en: str | None = Field(default=None, max_length=160)
    population: int = Field(ge=0)
    default_language: str = Field(default="uk", max_length=5)
    created_at: datetime = utc_field(default_now=True)


class Authority(SQLModel, table=True):
    __tablename__ = "community_authority"

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = fk("community.id", ondelete="CASCADE")
    name: str = Field(max_length=200)
    name_en: str | None = Field(default=None, max_length=200)
    kind: str = Field(default=AuthorityKind.council, max_length=32)


class District(SQLModel, table=True):
    """A starosta district (starostynskyi okruh) of a community: the villages a starosta
    represents. Budgets and registers may later be scoped to one."""

    __tablename__ = "community_district"
    __table_args__ = (UniqueConstraint("community_id", "slug"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = fk("community.id", ondelete="CASCADE")
    slug: str = Field(max_length=64)
    name: str = Field(max_length=160)
    name_en: str | None = Field(default=None, max_length=160)
    created_at: datetime = utc_field(default_now=True)


class Residency(SQLModel, table=True):
    __tablename__ = "community_residency"
    __table_args__ = (UniqueConstraint("user_id", "community_id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = fk("identity_user.id", ondelete="CASCADE")
    community_id: int = fk("community.id", ondelete="CASCADE")
    status: str = Field(default=ResidencyStatus.claimed, max_length=16)
    address: str = Field(default="", max_length=300)
    claimed_at: datetime = utc_field(default_now=True)
    decided_at: datetime | None = utc_field(nullable=True)
    decided_by_id: int | None = fk("identity_user.id", nullable=True, index=False,
                                   ondelete="SET NULL")
    evidence: str | None = Field(default=None, max_length=16)
    register_id: int | None = fk("community_register.id", nullable=True, index=False,
                                 ondelete="SET NULL")
    # The starosta district the resident lives in, when the community has districts.
    district_id: int | None = fk("community_district.id", nullable=True,
                                 ondelete="SET NULL")


class Staff(SQLModel, table=True):
    """An official of an authority, or a moderator of a community."""

    __tablename__ = "community_staff"
    __table_args__ = (UniqueConstraint("user_id", "community_id", "authority_id", "role"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = fk("identity_user.id", ondelete="CASCADE")
    community_id: int = fk("community.id", ondelete="CASCADE")
    authority_id: int | None = fk("community_authority.id", nullable=True, ondelete="CASCADE")
    role: str = Field(max_length=16)


class Register(SQLModel, table=True):
    """A version of a community's register of residents. The list itself is never kept: only
    keyed hashes of its normalised entries (RegisterEntry)."""

    __tablename__ = "community_register"
    __table_args__ = (UniqueConstraint("community_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = fk("community.id", ondelete="CASCADE")
    version: int
    register_date: date
    entries: int
    uploaded_by_id: int | None = fk("identity_user.id", nullable=True, index=False,
                                    ondelete="SET NULL")
    uploaded_at: datetime = utc_field(default_now=True)


class RegisterEntry(SQLModel, table=True):
    """One resident of a register, as two keyed hashes: of full name, date of birth and
    address (a residency claim), and of full name and date of birth (an identity from a
    provider)."""

    __tablename__ = "community_register_entry"

    id: int | None = Field(default=None, primary_key=True)
    register_id: int = fk("community_register.id", ondelete="CASCADE")
    claim_key: str = Field(max_length=64, index=True)
    person_key: str = Field(max_length=64, index=True)


class CommunityPublic(SQLModel):
    id: int
    slug: str
    name: str
    name_en: str | None
    population: int
    default_language: Literal["uk", "en"]  # app.web.i18n.LANGUAGES


class AuthorityPublic(SQLModel):
    id: int
    community_id: int
    name: str
    kind: AuthorityKind


class DistrictPublic(SQLModel):
    id: int
    community_id: int
    slug: str
    name: str
    name_en: str | None
