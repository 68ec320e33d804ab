"""A tamper-evident, hash-chained audit log of every act that counts."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, text
from sqlmodel import Field, SQLModel

from app.models import utc_field


class AuditEntry(SQLModel, table=True):
    """An act, appended by the request that did it as a plain row (`seq`, `prev_hash`, `hash`
    and `sealed_at` empty), and sealed into the chain later by the sealer.

    Who acted is kept twice, for two readers. `actor` is a keyed pseudonym of the person (HMAC
    of the user id), private: it finds a person's own entries (the right of access) and is
    never published. `commitment` is published: an HMAC over a random per-entry salt
    (`actor_salt`, private) and that pseudonym, so no two entries of one person look alike.

    `format` says how `hash` is computed (app.audit.service, and the page /audit/format):
    2 hashes exactly the published fields, the commitment among them; 1, the format of the
    entries sealed before the log was published, hashed the private pseudonym instead, which
    is why those entries are published with their actor withheld.
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
    actor: str | None = Field(default=None, max_length=64, index=True)
    actor_salt: str | None = Field(default=None, max_length=32)
    commitment: str | None = Field(default=None, max_length=64, unique=True, index=True)
    data: str
    format: int = Field(default=2, sa_column_kwargs={"server_default": text("2")})
    prev_hash: str | None = Field(default=None, max_length=64)
    hash: str | None = Field(default=None, max_length=64, unique=True)
    sealed_at: datetime | None = utc_field(nullable=True)


class AuditCheckpoint(SQLModel, table=True):
    """A signed statement of the sealer: at `created_at` the chain had `seq` entries ending in
    `head_hash`, and (checkpoints of format 2) its entries of format 2 began at `format2_from`.
    Ed25519 over `checkpoint_message(...)`; `key_id` names the public key. Checkpoints signed
    before the log was published have no `format2_from` and sign format 1 of the message."""

    __tablename__ = "audit_checkpoint"

    id: int | None = Field(default=None, primary_key=True)
    seq: int = Field(unique=True)
    head_hash: str = Field(max_length=64)
    created_at: datetime = utc_field()
    key_id: str = Field(max_length=16)
    signature: str = Field(max_length=128)
    format2_from: int | None = None


class ReceiptPublic(SQLModel):
    """The receipt of a person's act, as the API answers the act with it: paste `code` into
    /audit/check (or give it to the verifier) to see the entry in the log."""

    code: str = Field(description="The receipt, one line: hromada-receipt:1:<key id>:"
                                  "<commitment>, and once sealed :<seq>:<hash>.")
    key_id: str = Field(description="The deployment's key id (16 hex digits).")
    commitment: str = Field(description="The entry's commitment (64 hex digits): the stand-in "
                                        "for the person in this entry only.")
    check_url: str = Field(description="Where to check it on this deployment.")

    @classmethod
    def of(cls, receipt) -> ReceiptPublic:
        return cls(code=receipt.code, key_id=receipt.key_id, commitment=receipt.commitment,
                   check_url=receipt.check_url)
