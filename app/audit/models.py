from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from app.models import utc_field


class AuditEntry(SQLModel, table=True):
    """hash = SHA-256(prev_hash | seq | created_at | action | subject | actor | data).

    `actor` is a keyed pseudonym (HMAC of the user id), never a name or e-mail, so erasing a
    person's data leaves the chain verifiable.
    """

    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    seq: int = Field(unique=True)
    created_at: datetime = utc_field()
    action: str = Field(max_length=60)
    subject_type: str = Field(max_length=40)
    subject_id: int | None = None
    actor: str | None = Field(default=None, max_length=64)
    data: str
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64, unique=True)
