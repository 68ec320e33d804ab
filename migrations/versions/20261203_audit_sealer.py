"""audit log sealed off the request path: unsealed rows, sealing time, signed checkpoints

Revision ID: 0006_audit_sealer
Revises: 0005_accountability
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0006_audit_sealer"
down_revision: str | None = "0005_accountability"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNSEALED = sa.text("seq IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("audit_entry") as batch:
        batch.alter_column("seq", existing_type=sa.Integer(), nullable=True)
        batch.alter_column("prev_hash", existing_type=sqlmodel.sql.sqltypes.AutoString(64),
                           nullable=True)
        batch.alter_column("hash", existing_type=sqlmodel.sql.sqltypes.AutoString(64),
                           nullable=True)
        batch.add_column(sa.Column("sealed_at", sa.DateTime(timezone=True), nullable=True))
    # Entries written before the sealer existed were sealed as they were appended.
    op.execute("UPDATE audit_entry SET sealed_at = created_at")
    op.create_index("ix_audit_entry_unsealed", "audit_entry", ["id"],
                    postgresql_where=UNSEALED, sqlite_where=UNSEALED)
    op.create_table(
        "audit_checkpoint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("head_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("key_id", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("signature", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_checkpoint")),
        sa.UniqueConstraint("seq", name=op.f("uq_audit_checkpoint_seq")),
    )


def downgrade() -> None:
    op.drop_table("audit_checkpoint")
    op.drop_index("ix_audit_entry_unsealed", table_name="audit_entry")
    # Unsealed rows cannot live in the old schema: seal them first (`hromada audit seal`).
    op.execute("DELETE FROM audit_entry WHERE seq IS NULL")
    with op.batch_alter_table("audit_entry") as batch:
        batch.drop_column("sealed_at")
        batch.alter_column("hash", existing_type=sqlmodel.sql.sqltypes.AutoString(64),
                           nullable=False)
        batch.alter_column("prev_hash", existing_type=sqlmodel.sql.sqltypes.AutoString(64),
                           nullable=False)
        batch.alter_column("seq", existing_type=sa.Integer(), nullable=False)
