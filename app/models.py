"""The metadata's naming convention and shared column helpers for SQLModel tables.

Every models.py imports this module, so the convention is in place before any table exists.
"""

from __future__ import annotations

import functools
import types
import typing
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Annotated, Any, get_args, get_origin

from pydantic import BaseModel, ValidationInfo, field_validator, model_validator
from pydantic import Field as PydanticField
from pydantic_core import PydanticCustomError
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
MAX_ID = 2**31 - 1  # the largest id an integer column holds (PostgreSQL's integer)
# An id in a request body or query: what a column can hold, so a larger one is refused as
# invalid (not passed on to the database, which would fail on it).
Id = Annotated[int, PydanticField(ge=1, le=MAX_ID)]


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


def one_of(values: Callable[[], Iterable[str]]) -> Callable[[dict[str, Any]], None]:
    """`json_schema_extra` of a string whose values the registered modules declare (obligation
    kinds, tools): its `enum`, read when the schema is generated, not when a model is made."""

    def extra(schema: dict[str, Any]) -> None:
        branches = [s for s in schema.get("anyOf", []) if s.get("type") == "string"]
        (branches[0] if branches else schema)["enum"] = sorted(values())

    return extra


# -- request bodies ------------------------------------------------------------------------

class _OtherType:
    """A JSON value of another type than its field's: fails the field's own validation."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __repr__(self) -> str:
        return repr(self.value)


def _json_kind(annotation: Any) -> Any:
    """"int" or "bool" for such a field (optional or not), ("list"|"dict", kind) for a list of
    them or a dict of them as values; None for anything else."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _json_kind(get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        kinds = {_json_kind(a) for a in get_args(annotation) if a is not type(None)}
        return kinds.pop() if len(kinds) == 1 else None
    if origin in (list, dict):
        inner = _json_kind(get_args(annotation)[-1])
        return (origin.__name__, inner) if inner else None
    if annotation is bool:
        return "bool"
    if annotation is int:
        return "int"
    return None


def _as_sent(value: Any, kind: Any) -> Any:
    if value is None:
        return value
    if kind == "int":
        return _OtherType(value) if isinstance(value, bool | str) else value
    if kind == "bool":
        return value if isinstance(value, bool) else _OtherType(value)
    container, inner = kind
    if container == "list" and isinstance(value, list):
        return [_as_sent(v, inner) for v in value]
    if container == "dict" and isinstance(value, dict):
        return {k: _as_sent(v, inner) for k, v in value.items()}
    return value


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list | tuple):
        return any(_holds_nul(v) for v in value)
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    return False


@functools.cache
def _kinds_of(model: type[BaseModel]) -> dict[str, Any]:
    return {field.alias or name: _json_kind(field.annotation)
            for name, field in model.model_fields.items()}


class Input(BaseModel):
    """A request body of the API (and the shape a form is parsed into).

    A JSON body is read as sent: `true` is no integer and `1` no boolean, nor is "5" an
    integer, as the schema says (pydantic would convert them). A form sends only text, which
    app.web.forms.parse reads with the `form` context: there "5" is 5 and "on" is true.
    No text holds a NUL character (no column can store one), from a body or a form."""

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        if _holds_nul(value):
            raise PydanticCustomError("nul_character", "A text holds a NUL character.")
        return value

    @model_validator(mode="before")
    @classmethod
    def _json_types(cls, data: Any, info: ValidationInfo) -> Any:
        if not isinstance(data, dict) or (info.context or {}).get("form"):
            return data
        kinds = _kinds_of(cls)
        return {key: _as_sent(value, kinds[key]) if kinds.get(key) else value
                for key, value in data.items()}
