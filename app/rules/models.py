from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Column, Field, SQLModel

from app.models import fk, utc_field


class RuleSetRow(SQLModel, table=True):
    """One version of a community's rules. Rows are never updated: a change is a new version."""

    __tablename__ = "rules_ruleset"
    __table_args__ = (UniqueConstraint("community_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = fk("community.id", ondelete="CASCADE")
    version: int
    effective_from: datetime = utc_field()
    author_id: int | None = fk("identity_user.id", nullable=True, index=False,
                               ondelete="SET NULL")
    reason: str = Field(max_length=500)
    data: dict = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = utc_field(default_now=True)


class Holiday(SQLModel, table=True):
    """A public holiday (community_id NULL: every community) or a community's own day off."""

    __tablename__ = "rules_holiday"
    __table_args__ = (UniqueConstraint("community_id", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int | None = fk("community.id", nullable=True, ondelete="CASCADE")
    day: date = Field(index=True)
    name: str = Field(max_length=120)
