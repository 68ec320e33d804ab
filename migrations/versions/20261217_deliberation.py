"""deliberation and moderation: comments on the items of every module, supports, reports and
their cases (decisions, appeals), blocks, residents' digests; the fraud tools of petitions
(keyed network hashes of signatures, invalidations) and the mark of an obligation whose
threshold is no longer reached

Revision ID: 0014_deliberation
Revises: 0013_consultations_ec
Create Date: 2026-12-14
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0014_deliberation'
down_revision: str | None = '0013_consultations_ec'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('deliberation_block',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('lifted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_deliberation_block_community_id_community'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['identity_user.id'], name=op.f('fk_deliberation_block_created_by_id_identity_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['identity_user.id'], name=op.f('fk_deliberation_block_user_id_identity_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deliberation_block'))
    )
    with op.batch_alter_table('deliberation_block', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deliberation_block_community_id'), ['community_id'], unique=False)
        batch_op.create_index('ix_deliberation_block_user', ['user_id', 'community_id'], unique=False)

    op.create_table('deliberation_case',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject_type', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('report_count', sa.Integer(), nullable=False),
    sa.Column('hidden', sa.Boolean(), nullable=False),
    sa.Column('decision', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=True),
    sa.Column('public_reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('appeal_text', sa.Text(), nullable=True),
    sa.Column('appealed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['identity_user.id'], name=op.f('fk_deliberation_case_author_id_identity_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_deliberation_case_community_id_community'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['identity_user.id'], name=op.f('fk_deliberation_case_decided_by_id_identity_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deliberation_case')),
    sa.UniqueConstraint('subject_type', 'subject_id', name=op.f('uq_deliberation_case_subject_type_subject_id'))
    )
    with op.batch_alter_table('deliberation_case', schema=None) as batch_op:
        batch_op.create_index('ix_deliberation_case_queue', ['community_id', 'state', 'id'], unique=False)

    op.create_table('deliberation_digest',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('frequency', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('covered_until', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['identity_user.id'], name=op.f('fk_deliberation_digest_user_id_identity_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_deliberation_digest'))
    )
    op.create_table('deliberation_comment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject_type', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('authority_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('public_reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('support_count', sa.Integer(), nullable=False),
    sa.Column('reply_count', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['authority_id'], ['community_authority.id'], name=op.f('fk_deliberation_comment_authority_id_community_authority'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_deliberation_comment_community_id_community'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['parent_id'], ['deliberation_comment.id'], name=op.f('fk_deliberation_comment_parent_id_deliberation_comment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['identity_user.id'], name=op.f('fk_deliberation_comment_user_id_identity_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deliberation_comment'))
    )
    with op.batch_alter_table('deliberation_comment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deliberation_comment_community_id'), ['community_id'], unique=False)
        batch_op.create_index('ix_deliberation_comment_subject', ['subject_type', 'subject_id', 'parent_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_deliberation_comment_user_id'), ['user_id'], unique=False)

    op.create_table('deliberation_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('reporter_id', sa.Integer(), nullable=True),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['deliberation_case.id'], name=op.f('fk_deliberation_report_case_id_deliberation_case'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reporter_id'], ['identity_user.id'], name=op.f('fk_deliberation_report_reporter_id_identity_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deliberation_report')),
    sa.UniqueConstraint('case_id', 'reporter_id', name=op.f('uq_deliberation_report_case_id_reporter_id'))
    )
    with op.batch_alter_table('deliberation_report', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deliberation_report_reporter_id'), ['reporter_id'], unique=False)

    op.create_table('deliberation_support',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('comment_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['comment_id'], ['deliberation_comment.id'], name=op.f('fk_deliberation_support_comment_id_deliberation_comment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['identity_user.id'], name=op.f('fk_deliberation_support_user_id_identity_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deliberation_support')),
    sa.UniqueConstraint('comment_id', 'user_id', name=op.f('uq_deliberation_support_comment_id_user_id'))
    )
    with op.batch_alter_table('deliberation_support', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deliberation_support_user_id'), ['user_id'], unique=False)

    op.create_table('petition_invalidation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('petition_id', sa.Integer(), nullable=False),
    sa.Column('moderator_id', sa.Integer(), nullable=True),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('email_domain', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
    sa.Column('network_hash', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('signed_from', sa.DateTime(timezone=True), nullable=True),
    sa.Column('signed_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('public_count', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['moderator_id'], ['identity_user.id'], name=op.f('fk_petition_invalidation_moderator_id_identity_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['petition_id'], ['petition.id'], name=op.f('fk_petition_invalidation_petition_id_petition'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_petition_invalidation'))
    )
    with op.batch_alter_table('petition_invalidation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_petition_invalidation_petition_id'), ['petition_id'], unique=False)

    with op.batch_alter_table('accountability_obligation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('threshold_lost_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('petition_signature', schema=None) as batch_op:
        batch_op.add_column(sa.Column('network_hash', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))

    with op.batch_alter_table('petition', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hidden_by_moderation', sa.Boolean(), nullable=False, server_default=sa.false()))

    with op.batch_alter_table('budget_project', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hidden_by_moderation', sa.Boolean(), nullable=False, server_default=sa.false()))



def downgrade() -> None:
    with op.batch_alter_table('budget_project', schema=None) as batch_op:
        batch_op.drop_column('hidden_by_moderation')

    with op.batch_alter_table('petition', schema=None) as batch_op:
        batch_op.drop_column('hidden_by_moderation')

    with op.batch_alter_table('petition_signature', schema=None) as batch_op:
        batch_op.drop_column('network_hash')

    with op.batch_alter_table('accountability_obligation', schema=None) as batch_op:
        batch_op.drop_column('threshold_lost_at')

    with op.batch_alter_table('petition_invalidation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_petition_invalidation_petition_id'))

    op.drop_table('petition_invalidation')
    with op.batch_alter_table('deliberation_support', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deliberation_support_user_id'))

    op.drop_table('deliberation_support')
    with op.batch_alter_table('deliberation_report', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deliberation_report_reporter_id'))

    op.drop_table('deliberation_report')
    with op.batch_alter_table('deliberation_comment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deliberation_comment_user_id'))
        batch_op.drop_index('ix_deliberation_comment_subject')
        batch_op.drop_index(batch_op.f('ix_deliberation_comment_community_id'))

    op.drop_table('deliberation_comment')
    op.drop_table('deliberation_digest')
    with op.batch_alter_table('deliberation_case', schema=None) as batch_op:
        batch_op.drop_index('ix_deliberation_case_queue')

    op.drop_table('deliberation_case')
    with op.batch_alter_table('deliberation_block', schema=None) as batch_op:
        batch_op.drop_index('ix_deliberation_block_user')
        batch_op.drop_index(batch_op.f('ix_deliberation_block_community_id'))

    op.drop_table('deliberation_block')
