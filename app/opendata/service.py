"""The catalogue: the kernel's datasets and every registered module's, and the CSV of those
the kernel serves.

One catalogue covers the whole deployment, every community in it: each table that is about
communities has a community column (the community's address name). A portal harvests one
catalogue and gets every community's rows under stable dataset names and schemas; a catalogue
per community would repeat every dataset once per community, with the same schema, and
whoever compares communities would have to gather them again.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from app.accountability import opendata as obligations
from app.audit import opendata as audit_log
from app.exceptions import NotFound
from app.opendata.dataset import Dataset, cell
from app.web.i18n import N_

NO_SUCH_DATASET = N_("No such dataset.")


def catalogue(modules: Iterable[Any]) -> list[Dataset]:
    """Every dataset: the obligations ledger, each module's in the order of the registry, and
    the audit log."""
    found = [obligations.dataset(), *(d for m in modules for d in m.open_data),
             audit_log.dataset()]
    names = [d.name for d in found]
    if len(set(names)) != len(names):
        raise ValueError(f"two datasets have one name: {names}")
    return found


def find(modules: Iterable[Any], name: str) -> Dataset:
    dataset = next((d for d in catalogue(modules) if d.name == name), None)
    if dataset is None:
        raise NotFound(NO_SUCH_DATASET)
    return dataset


def served(modules: Iterable[Any], name: str) -> Dataset:
    """A dataset whose CSV the kernel writes (the others have a route of their own)."""
    dataset = find(modules, name)
    if dataset.rows is None:
        raise NotFound(NO_SUCH_DATASET)
    return dataset


def to_csv(dataset: Dataset, rows: Iterable[Sequence[Any]]) -> str:
    """UTF-8 CSV: one header row (the field names), then each row typed by its fields."""
    types = [f.type for f in dataset.fields]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([f.name for f in dataset.fields])
    for row in rows:
        if len(row) != len(types):
            raise ValueError(f"dataset {dataset.name!r}: a row of {len(row)} values for "
                             f"{len(types)} fields")
        writer.writerow([cell(value, type_) for value, type_ in zip(row, types, strict=True)])
    return buffer.getvalue()
