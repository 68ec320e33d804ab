"""back office: regions and their administrators, starosta districts, community administrators,
the district of a residency, the assignment of an obligation, the decision behind an answer
and an observer's saved views of the tracker

Communities connected before regions existed keep no region (region_id NULL) until an operator
places them in one. Staff granted before this revision have no grant time (granted_at NULL).

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

TEXT = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "community_region",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", TEXT(length=64), nullable=False),
        sa.Column("name", TEXT(length=160), nullable=False),
        sa.Column("name_en", TEXT(length=160), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community_region")),
        sa.UniqueConstraint("slug", name=op.f("uq_community_region_slug")),
    )
    op.create_table(
        "community_region_admin",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["region_id"], ["community_region.id"],
                                name=op.f("fk_community_region_admin_region_id_community_region"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["identity_user.id"],
                                name=op.f("fk_community_region_admin_user_id_identity_user"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community_region_admin")),
        sa.UniqueConstraint("user_id", "region_id",
                            name=op.f("uq_community_region_admin_user_id_region_id")),
    )
    with op.batch_alter_table("community_region_admin", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_community_region_admin_region_id"), ["region_id"],
                              unique=False)
        batch_op.create_index(batch_op.f("ix_community_region_admin_user_id"), ["user_id"],
                              unique=False)

    with op.batch_alter_table("community", schema=None) as batch_op:
        batch_op.add_column(sa.Column("region_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_community_region_id"), ["region_id"], unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_community_region_id_community_region"),
                                    "community_region", ["region_id"], ["id"],
                                    ondelete="SET NULL")

    op.create_table(
        "community_district",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("slug", TEXT(length=64), nullable=False),
        sa.Column("name", TEXT(length=160), nullable=False),
        sa.Column("name_en", TEXT(length=160), nullable=True),
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

    with op.batch_alter_table("community_staff", schema=None) as batch_op:
        batch_op.add_column(sa.Column("granted_at", sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table("accountability_obligation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("assigned_authority_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("assigned_user_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_accountability_obligation_assigned_authority_id_community_authority"),
            "community_authority", ["assigned_authority_id"], ["id"], ondelete="SET NULL")
        batch_op.create_foreign_key(
            batch_op.f("fk_accountability_obligation_assigned_user_id_identity_user"),
            "identity_user", ["assigned_user_id"], ["id"], ondelete="SET NULL")

    op.create_table(
        "accountability_decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("obligation_id", sa.Integer(), nullable=False),
        sa.Column("document_key", TEXT(length=200), nullable=True),
        sa.Column("document_name", TEXT(length=200), nullable=True),
        sa.Column("document_size", sa.Integer(), nullable=True),
        sa.Column("session_on", sa.Date(), nullable=True),
        sa.Column("decision_number", TEXT(length=60), nullable=True),
        sa.Column("votes_for", sa.Integer(), nullable=True),
        sa.Column("votes_against", sa.Integer(), nullable=True),
        sa.Column("votes_abstained", sa.Integer(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["obligation_id"], ["accountability_obligation.id"],
            name=op.f("fk_accountability_decision_obligation_id_accountability_obligation"),
            ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["identity_user.id"],
            name=op.f("fk_accountability_decision_recorded_by_id_identity_user"),
            ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accountability_decision")),
        sa.UniqueConstraint("obligation_id",
                            name=op.f("uq_accountability_decision_obligation_id")),
    )
    op.create_table(
        "accountability_saved_view",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", TEXT(length=80), nullable=False),
        sa.Column("path", TEXT(length=100), nullable=False),
        sa.Column("query", TEXT(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["identity_user.id"],
                                name=op.f("fk_accountability_saved_view_user_id_identity_user"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accountability_saved_view")),
    )
    with op.batch_alter_table("accountability_saved_view", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_accountability_saved_view_user_id"), ["user_id"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("accountability_saved_view", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_accountability_saved_view_user_id"))
    op.drop_table("accountability_saved_view")
    op.drop_table("accountability_decision")

    with op.batch_alter_table("accountability_obligation", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_accountability_obligation_assigned_user_id_identity_user"),
            type_="foreignkey")
        batch_op.drop_constraint(
            batch_op.f("fk_accountability_obligation_assigned_authority_id_community_authority"),
            type_="foreignkey")
        batch_op.drop_column("assigned_user_id")
        batch_op.drop_column("assigned_authority_id")

    with op.batch_alter_table("community_staff", schema=None) as batch_op:
        batch_op.drop_column("granted_at")

    with op.batch_alter_table("community_residency", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_community_residency_district_id_community_district"),
            type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_community_residency_district_id"))
        batch_op.drop_column("district_id")

    with op.batch_alter_table("community_district", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_community_district_community_id"))
    op.drop_table("community_district")

    with op.batch_alter_table("community", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_community_region_id_community_region"),
                                 type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_community_region_id"))
        batch_op.drop_column("region_id")

    with op.batch_alter_table("community_region_admin", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_community_region_admin_user_id"))
        batch_op.drop_index(batch_op.f("ix_community_region_admin_region_id"))
    op.drop_table("community_region_admin")
    op.drop_table("community_region")
