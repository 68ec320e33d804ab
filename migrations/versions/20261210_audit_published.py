"""audit log published: per-entry actor commitments, hash format per entry, checkpoint format 2

Entries sealed before this revision keep their hash, computed in format 1 over the private
per-person pseudonym; they are marked `format = 1` and stay verifiable as they are (a re-derived
hash would be a rewritten history, and would need the deployment's keys inside a migration).
Entries appended from now on, and those appended but not sealed yet, are sealed in format 2,
over exactly what is published (the sealer gives a commitment to any that lack one). Stop the
old sealer (the worker) before upgrading: it would seal in format 1.

Revision ID: 0007_audit_published
Revises: 0006_audit_sealer
Create Date: 2026-12-10
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007_audit_published"
down_revision: str | None = "0006_audit_sealer"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("audit_entry", sa.Column("actor_salt", sqlmodel.sql.sqltypes.AutoString(32),
                                           nullable=True))
    op.add_column("audit_entry", sa.Column("commitment", sqlmodel.sql.sqltypes.AutoString(64),
                                           nullable=True))
    op.add_column("audit_entry", sa.Column("format", sa.Integer(), server_default=sa.text("2"),
                                           nullable=False))
    op.execute("UPDATE audit_entry SET format = 1 WHERE seq IS NOT NULL")
    op.create_index(op.f("ix_audit_entry_commitment"), "audit_entry", ["commitment"],
                    unique=True)
    op.add_column("audit_checkpoint", sa.Column("format2_from", sa.Integer(), nullable=True))


def downgrade() -> None:
    # Entries sealed in format 2 cannot live in the old schema: the old code would recompute
    # them in format 1 and find every one broken. Refuse rather than make the chain unverifiable.
    sealed = op.get_bind().execute(sa.text(
        "SELECT COUNT(*) FROM audit_entry WHERE format = 2 AND seq IS NOT NULL")).scalar_one()
    if sealed:
        raise RuntimeError(f"{sealed} audit entries are sealed in format 2, which the previous "
                           "revision cannot verify: this database cannot be downgraded")
    op.drop_column("audit_checkpoint", "format2_from")
    op.drop_index(op.f("ix_audit_entry_commitment"), table_name="audit_entry")
    op.drop_column("audit_entry", "format")
    op.drop_column("audit_entry", "commitment")
    op.drop_column("audit_entry", "actor_salt")
