"""A stored file's bytes, on the database backend (app/storage)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, LargeBinary
from sqlmodel import Field, SQLModel

from app.models import utc_field

# The most one file may weigh in the table, whatever the settings say (bytea holds up to 1 GB,
# and a row that large would be read whole into one request's memory).
HARD_LIMIT = 64 * 1024 * 1024


class StoredFile(SQLModel, table=True):
    __tablename__ = "stored_file"
    __table_args__ = (
        CheckConstraint(f"size >= 0 AND size <= {HARD_LIMIT}", name="size_limit"),
    )

    id: int | None = Field(default=None, primary_key=True)
    namespace: str = Field(max_length=40)  # who owns it: "consultations", "budget"
    key: str = Field(max_length=80, unique=True)  # random: <32 hex digits>.<extension>
    content_type: str = Field(max_length=120)
    size: int
    data: bytes = Field(sa_type=LargeBinary)
    created_at: datetime = utc_field(default_now=True)
