"""Every audit-log query."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import func, text
from sqlmodel import Session, select

from app.audit.models import AuditCheckpoint, AuditEntry
from app.db import insert_rows, update_rows

# Any constant: the key of the PostgreSQL advisory lock held by the one sealer at work. Only
# sealers take it; requests append without waiting on anything.
SEALER_LOCK_KEY = 0x48524D41
SEALED = AuditEntry.seq.is_not(None)


def add_entries(session: Session, rows: list[dict[str, Any]]) -> None:
    """Plain INSERTs of unsealed entries (one statement for many rows)."""
    insert_rows(session, AuditEntry.__table__, rows)


def lock_sealer(session: Session) -> None:
    """One sealer at a time. SQLite writers are already serialised by BEGIN IMMEDIATE."""
    if session.get_bind().dialect.name == "postgresql":
        session.exec(text("SELECT pg_advisory_xact_lock(:k)").bindparams(k=SEALER_LOCK_KEY))


def head(session: Session) -> AuditEntry | None:
    return session.exec(select(AuditEntry).where(SEALED).order_by(AuditEntry.seq.desc())
                        .limit(1)).first()


def unsealed(session: Session, limit: int) -> list[AuditEntry]:
    return list(session.exec(select(AuditEntry).where(AuditEntry.seq.is_(None))
                             .order_by(AuditEntry.id).limit(limit)))


def seal_entries(session: Session, rows: list[dict[str, Any]]) -> int:
    """Set seq, hashes, sealing time (and the actor's commitment, for entries appended without
    one) of entries still unsealed, in one statement for many rows; returns how many it
    sealed. Keys of each row: id, seq, prev_hash, hash, sealed_at, actor_salt, commitment,
    format."""
    return update_rows(session, AuditEntry.__table__, "id", rows, where=AuditEntry.seq.is_(None))


def count_unsealed(session: Session) -> int:
    return session.exec(select(func.count()).select_from(AuditEntry)
                        .where(AuditEntry.seq.is_(None))).one()


def oldest_unsealed_at(session: Session) -> datetime | None:
    return session.exec(select(func.min(AuditEntry.created_at))
                        .where(AuditEntry.seq.is_(None))).one()


def by_seq(session: Session, seq: int) -> AuditEntry | None:
    return session.exec(select(AuditEntry).where(AuditEntry.seq == seq)).first()


def by_commitment(session: Session, commitment: str) -> AuditEntry | None:
    return session.exec(select(AuditEntry).where(AuditEntry.commitment == commitment)).first()


def first_seq_of_format(session: Session, format_: int) -> int | None:
    return session.exec(select(func.min(AuditEntry.seq))
                        .where(SEALED, AuditEntry.format == format_)).one()


def sealed_after(session: Session, after_seq: int, limit: int) -> list[AuditEntry]:
    """Sealed entries after `after_seq`, in chain order (a range of the unique seq index)."""
    return list(session.exec(select(AuditEntry).where(AuditEntry.seq > after_seq)
                             .order_by(AuditEntry.seq).limit(limit)))


def by_actor(session: Session, actor: str, actions: set[str] | None = None, *,
             before_id: int | None = None, limit: int = 100_000) -> list[AuditEntry]:
    """A person's entries (by their private pseudonym), newest first; only these actions when
    given, and only before `before_id` (the next page) when given."""
    query = select(AuditEntry).where(AuditEntry.actor == actor)
    if actions is not None:
        query = query.where(AuditEntry.action.in_(sorted(actions)))
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    return list(session.exec(query.order_by(AuditEntry.id.desc()).limit(limit)))


def entries(session: Session, batch: int = 5000) -> Iterator[AuditEntry]:
    """The sealed entries in chain order."""
    last = -1
    while True:
        # populate_existing: what the table holds now, not what this session saw before.
        rows = list(session.exec(select(AuditEntry).where(AuditEntry.seq > last)
                                 .order_by(AuditEntry.seq).limit(batch)
                                 .execution_options(populate_existing=True)))
        if not rows:
            return
        yield from rows
        last = rows[-1].seq


def count(session: Session) -> int:
    return session.exec(select(func.count()).select_from(AuditEntry)).one()


def add_checkpoint(session: Session, checkpoint: AuditCheckpoint) -> None:
    session.add(checkpoint)


def last_checkpoint(session: Session) -> AuditCheckpoint | None:
    return session.exec(select(AuditCheckpoint).order_by(AuditCheckpoint.seq.desc())
                        .limit(1)).first()


def checkpoints(session: Session) -> list[AuditCheckpoint]:
    return list(session.exec(select(AuditCheckpoint).order_by(AuditCheckpoint.seq)))


def checkpoints_after(session: Session, after_seq: int, limit: int) -> list[AuditCheckpoint]:
    return list(session.exec(select(AuditCheckpoint).where(AuditCheckpoint.seq > after_seq)
                             .order_by(AuditCheckpoint.seq).limit(limit)))


def checkpoint_covering(session: Session, seq: int) -> AuditCheckpoint | None:
    """The first signed checkpoint whose head is at or after entry `seq`."""
    return session.exec(select(AuditCheckpoint).where(AuditCheckpoint.seq >= seq)
                        .order_by(AuditCheckpoint.seq).limit(1)).first()
