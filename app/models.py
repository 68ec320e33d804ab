"""The metadata's naming convention and shared column helpers for SQLModel tables.

Every models.py imports this module, so the convention is in place before any table exists.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, MetaData
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

from app import clock

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata = MetaData(naming_convention=NAMING_CONVENTION)
metadata = SQLModel.metadata


class UTCDateTime(TypeDecorator):
    """timestamptz on PostgreSQL; on SQLite, which keeps no zone, values are stored in UTC and
    read back as aware UTC datetimes, so both databases answer alike (and the API's JSON
    carries an offset, as RFC 3339 date-times must)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is not None and dialect.name == "sqlite":
            return value.astimezone(UTC)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def utc_field(*, nullable: bool = False, default_now: bool = False, **kw: Any) -> Any:
    """A timezone-aware timestamp column (timestamptz on PostgreSQL)."""
    if default_now:
        kw["default_factory"] = clock.now
    elif nullable:
        kw.setdefault("default", None)
    return Field(sa_type=UTCDateTime(), nullable=nullable, **kw)


def fk(target: str, *, nullable: bool = False, index: bool = True, ondelete: str | None = None,
       **kw: Any) -> Any:
    if nullable:
        kw.setdefault("default", None)
    return Field(foreign_key=target, nullable=nullable, index=index, ondelete=ondelete, **kw)


__all__ = ["datetime", "fk", "metadata", "utc_field"]
