"""back office: starosta districts of a community and the district of a residency

Revision ID: 0010_backoffice
Revises: 0009_audit_actor_index
Create Date: 2026-12-13
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0010_backoffice"
down_revision: str | None = "0009_audit_actor_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "community_district",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("slug", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=160), nullable=False),
        sa.Column("name_en", sqlmodel.sql.sqltypes.AutoString(length=160), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["community_id"], ["community.id"],
                                name=op.f("fk_community_district_community_id_community"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community_district")),
        sa.UniqueConstraint("community_id", "slug",
                            name=op.f("uq_community_district_community_id_slug")),
    )
    with op.batch_alter_table("community_district", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_community_district_community_id"),
                              ["community_id"], unique=False)

    with op.batch_alter_table("community_residency", schema=None) as batch_op:
        batch_op.add_column(sa.Column("district_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_community_residency_district_id"),
                              ["district_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_community_residency_district_id_community_district"),
            "community_district", ["district_id"], ["id"], ondelete="SET NULL")


def downgrade() -> None:
    with op.batch_alter_table("community_residency", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_community_residency_district_id_community_district"),
            type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_community_residency_district_id"))
        batch_op.drop_column("district_id")

    with op.batch_alter_table("community_district", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_community_district_community_id"))
    op.drop_table("community_district")
