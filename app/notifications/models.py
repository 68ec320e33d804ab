from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models import fk, utc_field


class MessageStatus(StrEnum):
    pending = "pending"
    sent = "sent"
    failed = "failed"


class Message(SQLModel, table=True):
    """One e-mail in the outbox, written in the same transaction as the event it reports."""

    __tablename__ = "notification_message"
    __table_args__ = (Index("ix_notification_message_status_next", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int | None = fk("identity_user.id", nullable=True, ondelete="SET NULL")
    to_email: str = Field(max_length=254)
    subject: str = Field(max_length=300)
    body: str
    # Same event, same recipient: one message, however often the event is reported.
    dedupe_key: str = Field(max_length=200, unique=True)
    status: str = Field(default=MessageStatus.pending, max_length=10)
    attempts: int = 0
    created_at: datetime = utc_field(default_now=True)
    next_attempt_at: datetime = utc_field(default_now=True)
    sent_at: datetime | None = utc_field(nullable=True)
    last_error: str | None = Field(default=None, max_length=500)


class Follow(SQLModel, table=True):
    __tablename__ = "notification_follow"
    __table_args__ = (UniqueConstraint("user_id", "subject_type", "subject_id"),
                      Index("ix_notification_follow_subject", "subject_type", "subject_id"))

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = fk("identity_user.id", index=False, ondelete="CASCADE")
    subject_type: str = Field(max_length=40)
    subject_id: int
    created_at: datetime = utc_field(default_now=True)
