"""petitions module tables

Revision ID: 0002_petitions
Revises: 0001_kernel
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0002_petitions"
down_revision: str | None = "0001_kernel"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Full-text search on PostgreSQL; petitions/repository.py builds the same expression, which
# is what lets the planner use this index.
FTS_INDEX = (
    "CREATE INDEX ix_petition_fts ON petition USING gin "
    "(to_tsvector('simple'::regconfig, (title || ' ') || text))"
)


def upgrade() -> None:
    op.create_table('petition',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('authority_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('ruleset_id', sa.Integer(), nullable=False),
    sa.Column('threshold', sa.Integer(), nullable=True),
    sa.Column('sponsors_required', sa.Integer(), nullable=False),
    sa.Column('signature_count', sa.Integer(), nullable=False),
    sa.Column('public_signer_count', sa.Integer(), nullable=False),
    sa.Column('sponsor_count', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('moderation_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('collection_ends_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('threshold_reached_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answer_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('rejected_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('rejection_reason', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('rejection_text', sa.Text(), nullable=True),
    sa.Column('moderator_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['identity_user.id'], name=op.f('fk_petition_author_id_identity_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['authority_id'], ['community_authority.id'], name=op.f('fk_petition_authority_id_community_authority'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_petition_community_id_community'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['moderator_id'], ['identity_user.id'], name=op.f('fk_petition_moderator_id_identity_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ruleset_id'], ['rules_ruleset.id'], name=op.f('fk_petition_ruleset_id_rules_ruleset')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_petition'))
    )

    with op.batch_alter_table('petition', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_petition_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_petition_authority_id'), ['authority_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_petition_community_id'), ['community_id'], unique=False)
        batch_op.create_index('ix_petition_status_community', ['status', 'community_id'], unique=False)
        batch_op.create_index('ix_petition_status_signature_count', ['status', 'signature_count'], unique=False)

    op.create_table('petition_answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('petition_id', sa.Integer(), nullable=False),
    sa.Column('authority_id', sa.Integer(), nullable=False),
    sa.Column('official_id', sa.Integer(), nullable=True),
    sa.Column('decision', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('planned_steps', sa.Text(), nullable=True),
    sa.Column('planned_by', sa.Date(), nullable=True),
    sa.Column('forwarded_to', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['authority_id'], ['community_authority.id'], name=op.f('fk_petition_answer_authority_id_community_authority'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['official_id'], ['identity_user.id'], name=op.f('fk_petition_answer_official_id_identity_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['petition_id'], ['petition.id'], name=op.f('fk_petition_answer_petition_id_petition'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_petition_answer')),
    sa.UniqueConstraint('petition_id', name=op.f('uq_petition_answer_petition_id'))
    )

    op.create_table('petition_signature',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('petition_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('public_name', sa.Boolean(), nullable=False),
    sa.Column('identity_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('rating', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['petition_id'], ['petition.id'], name=op.f('fk_petition_signature_petition_id_petition'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['identity_user.id'], name=op.f('fk_petition_signature_recorded_by_id_identity_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['identity_user.id'], name=op.f('fk_petition_signature_user_id_identity_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_petition_signature')),
    sa.UniqueConstraint('petition_id', 'identity_hash', name=op.f('uq_petition_signature_petition_id_identity_hash')),
    sa.UniqueConstraint('petition_id', 'user_id', name=op.f('uq_petition_signature_petition_id_user_id'))
    )

    with op.batch_alter_table('petition_signature', schema=None) as batch_op:
        batch_op.create_index('ix_petition_signature_public', ['petition_id', 'public_name', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_petition_signature_user_id'), ['user_id'], unique=False)

    op.create_table('petition_sponsor',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('petition_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['petition_id'], ['petition.id'], name=op.f('fk_petition_sponsor_petition_id_petition'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['identity_user.id'], name=op.f('fk_petition_sponsor_user_id_identity_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_petition_sponsor')),
    sa.UniqueConstraint('petition_id', 'user_id', name=op.f('uq_petition_sponsor_petition_id_user_id'))
    )

    with op.batch_alter_table('petition_sponsor', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_petition_sponsor_user_id'), ['user_id'], unique=False)

    op.create_table('petition_update',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('petition_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('happened_on', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['identity_user.id'], name=op.f('fk_petition_update_author_id_identity_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['petition_id'], ['petition.id'], name=op.f('fk_petition_update_petition_id_petition'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_petition_update'))
    )

    with op.batch_alter_table('petition_update', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_petition_update_petition_id'), ['petition_id'], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        op.execute(FTS_INDEX)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_petition_fts")
    with op.batch_alter_table('petition_update', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_petition_update_petition_id'))

    op.drop_table('petition_update')

    with op.batch_alter_table('petition_sponsor', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_petition_sponsor_user_id'))

    op.drop_table('petition_sponsor')

    with op.batch_alter_table('petition_signature', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_petition_signature_user_id'))
        batch_op.drop_index('ix_petition_signature_public')

    op.drop_table('petition_signature')
    op.drop_table('petition_answer')

    with op.batch_alter_table('petition', schema=None) as batch_op:
        batch_op.drop_index('ix_petition_status_signature_count')
        batch_op.drop_index('ix_petition_status_community')
        batch_op.drop_index(batch_op.f('ix_petition_community_id'))
        batch_op.drop_index(batch_op.f('ix_petition_authority_id'))
        batch_op.drop_index(batch_op.f('ix_petition_author_id'))

    op.drop_table('petition')
