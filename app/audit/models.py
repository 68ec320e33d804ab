"""A tamper-evident, hash-chained audit log of every act that counts."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, text
from sqlmodel import Field, SQLModel

from app.models import utc_field


class AuditEntry(SQLModel, table=True):
    """An act, appended by the request that did it as a plain row (`seq`, `prev_hash`, `hash`
    and `sealed_at` empty), and sealed into the chain later by the sealer:

        hash = SHA-256(prev_hash | seq | created_at | action | subject | actor | data)

    `actor` is a keyed pseudonym (HMAC of the user id), never a name or e-mail, so erasing a
    person's data leaves the chain verifiable.
    """

    __tablename__ = "audit_entry"
    __table_args__ = (
        # The sealer's work list: the rows not sealed yet, in the order they were appended.
        Index("ix_audit_entry_unsealed", "id", postgresql_where=text("seq IS NULL"),
              sqlite_where=text("seq IS NULL")),
    )

    id: int | None = Field(default=None, primary_key=True)
    seq: int | None = Field(default=None, unique=True)
    created_at: datetime = utc_field()
    action: str = Field(max_length=60)
    subject_type: str = Field(max_length=40)
    subject_id: int | None = None
    actor: str | None = Field(default=None, max_length=64)
    data: str
    prev_hash: str | None = Field(default=None, max_length=64)
    hash: str | None = Field(default=None, max_length=64, unique=True)
    sealed_at: datetime | None = utc_field(nullable=True)


class AuditCheckpoint(SQLModel, table=True):
    """A signed statement of the sealer: at `created_at` the chain had `seq` entries ending in
    `head_hash`. Ed25519 over `checkpoint_message(...)`; `key_id` names the public key."""

    __tablename__ = "audit_checkpoint"

    id: int | None = Field(default=None, primary_key=True)
    seq: int = Field(unique=True)
    head_hash: str = Field(max_length=64)
    created_at: datetime = utc_field()
    key_id: str = Field(max_length=16)
    signature: str = Field(max_length=128)
