"""What a dataset of the open-data catalogue is: a table with its schema, where its CSV is, how
often it changes. The kernel and each module declare theirs (a module in its module.py,
`Module.open_data`); app/opendata builds the catalogue page, the Frictionless Data Package and
the DCAT-AP description from these declarations alone.

A dataset's CSV is either served by a route of its own that already existed (`csv`, a path)
or written by the kernel from the rows its `rows` function yields, at
/api/v1/open-data/<name>.csv, in the order of its fields and typed by them (`cell`).

This file imports nothing of the registry: app/modules.py imports it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum, StrEnum
from fractions import Fraction
from typing import Any

from app.web.i18n import N_

NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")
# Table Schema types a dataset may use (https://specs.frictionlessdata.io/table-schema/).
TYPES = ("string", "integer", "number", "boolean", "date", "datetime", "yearmonth")
SERVED_AT = "/api/v1/open-data/{name}.csv"  # where the kernel serves a dataset with `rows`


class Frequency(StrEnum):
    """How often a dataset changes: codes of the EU frequency vocabulary
    (http://publications.europa.eu/resource/authority/frequency), which DCAT-AP asks for."""

    continuous = "UPDATE_CONT"
    daily = "DAILY"
    weekly = "WEEKLY"
    monthly = "MONTHLY"
    annual = "ANNUAL"
    irregular = "IRREG"

    @property
    def uri(self) -> str:
        return f"http://publications.europa.eu/resource/authority/frequency/{self.value}"


FREQUENCY_LABELS = {
    Frequency.continuous: N_("continuously, as things happen"),
    Frequency.daily: N_("daily"),
    Frequency.weekly: N_("weekly"),
    Frequency.monthly: N_("monthly"),
    Frequency.annual: N_("yearly"),
    Frequency.irregular: N_("irregularly, when an item ends"),
}


@dataclass(frozen=True)
class Field:
    """A column: its name, Table Schema type, meaning (a msgid, formatted with `params`) and
    constraints."""

    name: str
    type: str
    description: str
    required: bool = False
    unique: bool = False
    enum: tuple[str, ...] = ()
    minimum: int | None = None
    pattern: str | None = None
    params: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.type not in TYPES:
            raise ValueError(f"field {self.name!r}: unknown type {self.type!r}")


@dataclass(frozen=True)
class Format:
    """The same data in another format (JSON, say), at another address."""

    path: str
    media_type: str
    label: str  # the format's short name: JSON, NDJSON


@dataclass(frozen=True)
class Dataset:
    """One table of the catalogue.

    name:         stable identifier: the Frictionless resource name and the DCAT identifier
    title:        msgid; description: msgid
    frequency:    how often it changes
    fields:       its columns, in the order of the CSV's header
    primary_key:  the fields whose values identify a row, if any
    csv:          the path of an existing route that serves the CSV; or
    rows:         (session) -> rows in the order of `fields`, for the kernel to serve
    formats:      the same data in other formats
    page:         the human page the data comes from (a path)
    """

    name: str
    title: str
    description: str
    frequency: Frequency
    fields: tuple[Field, ...]
    primary_key: tuple[str, ...] = ()
    csv: str | None = None
    rows: Callable[[Any], Iterable[Sequence[Any]]] | None = None
    formats: tuple[Format, ...] = ()
    page: str = "/open-data"

    def __post_init__(self) -> None:
        if not NAME.match(self.name):
            raise ValueError(f"dataset name {self.name!r}: lowercase letters, digits, hyphens")
        if (self.csv is None) == (self.rows is None):
            raise ValueError(f"dataset {self.name!r}: give either csv (a path) or rows")
        names = [f.name for f in self.fields]
        if not names or len(set(names)) != len(names):
            raise ValueError(f"dataset {self.name!r}: its fields need distinct names")
        if not set(self.primary_key) <= set(names):
            raise ValueError(f"dataset {self.name!r}: its primary key names no field of it")

    @property
    def csv_path(self) -> str:
        return self.csv or SERVED_AT.format(name=self.name)


def cell(value: Any, type_: str) -> str:
    """A value as its field's type is written in the CSV: empty for none, true or false, UTC
    times in ISO 8601 with Z, dates YYYY-MM-DD, exact decimals, codes by their value."""
    if value is None:
        return ""
    if type_ == "boolean":
        return "true" if value else "false"
    if isinstance(value, datetime):
        moment = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return moment.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Fraction):
        if value.denominator == 1:
            return str(value.numerator)
        exact = Decimal(value.numerator) / Decimal(value.denominator)
        return format(exact.quantize(Decimal("0.000001")).normalize(), "f")
    if isinstance(value, Enum):
        return str(value.value)
    return str(value)
