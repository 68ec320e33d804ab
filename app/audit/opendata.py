"""The audit log as a dataset of the open-data catalogue: one row per sealed entry, without
the actor column.

The published log (/api/v1/audit/entries.ndjson) carries, for each entry, the commitment that
stands for the person who acted: unlinkable, but a stand-in for a person all the same. The
catalogue publishes no such column; whoever recomputes the hashes takes the log from the audit
API, where /audit/format explains it."""

from __future__ import annotations

from collections.abc import Iterator

from sqlmodel import Session

from app.audit import service
from app.opendata.dataset import Dataset, Field, Frequency
from app.web.i18n import N_

PAGE = 5000
HEX64 = "^[0-9a-f]{64}$"

FIELDS = (
    Field("seq", "integer", N_("Position of the entry in the chain, from 1, without gaps."),
          required=True, unique=True, minimum=1),
    Field("format", "integer", N_("How the entry's hash is computed (1 or 2; see the format "
                                  "page of the audit log)."), required=True, minimum=1),
    Field("created_at", "datetime", N_("When the act happened (UTC, ISO 8601)."),
          required=True),
    Field("action", "string", N_("What was done, for example petition.signed."),
          required=True),
    Field("subject_type", "string", N_("The kind of thing acted on."), required=True),
    Field("subject_id", "integer", N_("Identifier of the thing acted on; empty when none."),
          minimum=0),
    Field("data", "string", N_("The act's details as a JSON text (numbers, codes and dates; "
                               "never a person)."), required=True),
    Field("prev_hash", "string", N_("Hash of the previous entry (64 zeros for the first)."),
          required=True, pattern=HEX64),
    Field("hash", "string", N_("SHA-256 hash of the entry, 64 hexadecimal digits."),
          required=True, unique=True, pattern=HEX64),
)


def rows(session: Session) -> Iterator[tuple]:
    """Every sealed entry in chain order, a page at a time, as the published log has it less
    its actor."""
    after = 0
    while True:
        page = service.sealed_after(session, after, PAGE)
        if not page:
            return
        for entry in page:
            published = service.published_entry(entry)
            yield tuple(published[f.name] for f in FIELDS)
            session.expunge(entry)
        after = page[-1].seq


def dataset() -> Dataset:
    return Dataset(
        name="audit-log",
        title=N_("Audit log"),
        description=N_("Every act that counts (a signature, a ballot, an answer, a change of "
                       "rules) as a sealed entry of the hash-chained audit log, in chain order. "
                       "The people who acted are left out; to recompute the hashes, take the "
                       "complete log from the audit log's API."),
        frequency=Frequency.continuous, fields=FIELDS, primary_key=("seq",), rows=rows,
        page="/audit")
