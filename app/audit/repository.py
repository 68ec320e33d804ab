"""Every audit-log query."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import text
from sqlmodel import Session, select

from app.audit.models import AuditEntry

# Any constant: the key of the PostgreSQL advisory lock that serialises appends to the chain.
CHAIN_LOCK_KEY = 0x48524D41


def lock_chain(session: Session) -> None:
    """Serialise appends. SQLite writers are already serialised by BEGIN IMMEDIATE."""
    if session.get_bind().dialect.name == "postgresql":
        session.exec(text("SELECT pg_advisory_xact_lock(:k)").bindparams(k=CHAIN_LOCK_KEY))


def head(session: Session) -> AuditEntry | None:
    return session.exec(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)).first()


def by_seq(session: Session, seq: int) -> AuditEntry | None:
    return session.exec(select(AuditEntry).where(AuditEntry.seq == seq)).first()


def by_actor(session: Session, actor: str, limit: int = 10_000) -> list[AuditEntry]:
    return list(session.exec(select(AuditEntry).where(AuditEntry.actor == actor)
                             .order_by(AuditEntry.seq).limit(limit)))


def entries(session: Session, batch: int = 5000) -> Iterator[AuditEntry]:
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
    from sqlalchemy import func

    return session.exec(select(func.count()).select_from(AuditEntry)).one()
