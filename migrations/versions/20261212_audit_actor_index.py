"""audit entries found by their person: an index on the private pseudonym

A person's receipts page and the right of access read their own entries by `actor`; without
an index that is a scan of the whole log.

Revision ID: 0009_audit_actor_index
Revises: 0008_identity
Create Date: 2026-12-12
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009_audit_actor_index"
down_revision: str | None = "0008_identity"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(op.f("ix_audit_entry_actor"), "audit_entry", ["actor"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_audit_entry_actor"), table_name="audit_entry")
