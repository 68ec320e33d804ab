"""kernel

Revision ID: 0001_kernel
Revises: 
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0001_kernel'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('audit_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('subject_type', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=True),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('data', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('prev_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_entry')),
    sa.UniqueConstraint('hash', name=op.f('uq_audit_entry_hash')),
    sa.UniqueConstraint('seq', name=op.f('uq_audit_entry_seq'))
    )
    op.create_table('community',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=160), nullable=False),
    sa.Column('name_en', sqlmodel.sql.sqltypes.AutoString(length=160), nullable=True),
    sa.Column('population', sa.Integer(), nullable=False),
    sa.Column('default_language', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_community')),
    sa.UniqueConstraint('slug', name=op.f('uq_community_slug'))
    )
    op.create_table('identity_user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('email_canonical', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('display_name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('password_hash', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=True),
    sa.Column('birth_date', sa.Date(), nullable=True),
    sa.Column('email_verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('failed_logins', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_identity_user')),
    sa.UniqueConstraint('email_canonical', name=op.f('uq_identity_user_email_canonical'))
    )
    op.create_table('community_authority',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('name_en', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_community_authority_community_id_community'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_community_authority'))
    )
    with op.batch_alter_table('community_authority', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_community_authority_community_id'), ['community_id'], unique=False)

    op.create_table('community_residency',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('address', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_community_residency_community_id_community'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['identity_user.id'], name=op.f('fk_community_residency_decided_by_id_identity_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['identity_user.id'], name=op.f('fk_community_residency_user_id_identity_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_community_residency')),
    sa.UniqueConstraint('user_id', 'community_id', name=op.f('uq_community_residency_user_id_community_id'))
    )
    with op.batch_alter_table('community_residency', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_community_residency_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_community_residency_user_id'), ['user_id'], unique=False)

    op.create_table('identity_api_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('prefix', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['identity_user.id'], name=op.f('fk_identity_api_token_user_id_identity_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_identity_api_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_identity_api_token_token_hash'))
    )
    with op.batch_alter_table('identity_api_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_identity_api_token_user_id'), ['user_id'], unique=False)

    op.create_table('identity_session',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['identity_user.id'], name=op.f('fk_identity_session_user_id_identity_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_identity_session'))
    )
    with op.batch_alter_table('identity_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_identity_session_user_id'), ['user_id'], unique=False)

    op.create_table('notification_follow',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('subject_type', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['identity_user.id'], name=op.f('fk_notification_follow_user_id_identity_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_follow')),
    sa.UniqueConstraint('user_id', 'subject_type', 'subject_id', name=op.f('uq_notification_follow_user_id_subject_type_subject_id'))
    )
    with op.batch_alter_table('notification_follow', schema=None) as batch_op:
        batch_op.create_index('ix_notification_follow_subject', ['subject_type', 'subject_id'], unique=False)

    op.create_table('notification_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('to_email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('body', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('dedupe_key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['identity_user.id'], name=op.f('fk_notification_message_user_id_identity_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_message')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_notification_message_dedupe_key'))
    )
    with op.batch_alter_table('notification_message', schema=None) as batch_op:
        batch_op.create_index('ix_notification_message_status_next', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_notification_message_user_id'), ['user_id'], unique=False)

    op.create_table('rules_holiday',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=True),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_rules_holiday_community_id_community'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rules_holiday')),
    sa.UniqueConstraint('community_id', 'day', name=op.f('uq_rules_holiday_community_id_day'))
    )
    with op.batch_alter_table('rules_holiday', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rules_holiday_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_rules_holiday_day'), ['day'], unique=False)

    op.create_table('rules_ruleset',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('effective_from', sa.DateTime(timezone=True), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['identity_user.id'], name=op.f('fk_rules_ruleset_author_id_identity_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_rules_ruleset_community_id_community'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rules_ruleset')),
    sa.UniqueConstraint('community_id', 'version', name=op.f('uq_rules_ruleset_community_id_version'))
    )
    with op.batch_alter_table('rules_ruleset', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rules_ruleset_community_id'), ['community_id'], unique=False)

    op.create_table('accountability_obligation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('authority_id', sa.Integer(), nullable=False),
    sa.Column('subject_type', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('subject_title', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('subject_path', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('ruleset_id', sa.Integer(), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answer_summary', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('rating_yes', sa.Integer(), nullable=False),
    sa.Column('rating_partly', sa.Integer(), nullable=False),
    sa.Column('rating_no', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['authority_id'], ['community_authority.id'], name=op.f('fk_accountability_obligation_authority_id_community_authority'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_accountability_obligation_community_id_community'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ruleset_id'], ['rules_ruleset.id'], name=op.f('fk_accountability_obligation_ruleset_id_rules_ruleset'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_accountability_obligation')),
    sa.UniqueConstraint('kind', 'subject_type', 'subject_id', name=op.f('uq_accountability_obligation_kind_subject_type_subject_id'))
    )
    with op.batch_alter_table('accountability_obligation', schema=None) as batch_op:
        batch_op.create_index('ix_accountability_obligation_authority_due', ['authority_id', 'due_at'], unique=False)
        batch_op.create_index('ix_accountability_obligation_community_due', ['community_id', 'due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_accountability_obligation_kind'), ['kind'], unique=False)

    op.create_table('community_staff',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('authority_id', sa.Integer(), nullable=True),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.ForeignKeyConstraint(['authority_id'], ['community_authority.id'], name=op.f('fk_community_staff_authority_id_community_authority'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_community_staff_community_id_community'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['identity_user.id'], name=op.f('fk_community_staff_user_id_identity_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_community_staff')),
    sa.UniqueConstraint('user_id', 'community_id', 'authority_id', 'role', name=op.f('uq_community_staff_user_id_community_id_authority_id_role'))
    )
    with op.batch_alter_table('community_staff', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_community_staff_authority_id'), ['authority_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_community_staff_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_community_staff_user_id'), ['user_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('community_staff', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_community_staff_user_id'))
        batch_op.drop_index(batch_op.f('ix_community_staff_community_id'))
        batch_op.drop_index(batch_op.f('ix_community_staff_authority_id'))

    op.drop_table('community_staff')
    with op.batch_alter_table('accountability_obligation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_accountability_obligation_kind'))
        batch_op.drop_index('ix_accountability_obligation_community_due')
        batch_op.drop_index('ix_accountability_obligation_authority_due')

    op.drop_table('accountability_obligation')
    with op.batch_alter_table('rules_ruleset', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rules_ruleset_community_id'))

    op.drop_table('rules_ruleset')
    with op.batch_alter_table('rules_holiday', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rules_holiday_day'))
        batch_op.drop_index(batch_op.f('ix_rules_holiday_community_id'))

    op.drop_table('rules_holiday')
    with op.batch_alter_table('notification_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notification_message_user_id'))
        batch_op.drop_index('ix_notification_message_status_next')

    op.drop_table('notification_message')
    with op.batch_alter_table('notification_follow', schema=None) as batch_op:
        batch_op.drop_index('ix_notification_follow_subject')

    op.drop_table('notification_follow')
    with op.batch_alter_table('identity_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_identity_session_user_id'))

    op.drop_table('identity_session')
    with op.batch_alter_table('identity_api_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_identity_api_token_user_id'))

    op.drop_table('identity_api_token')
    with op.batch_alter_table('community_residency', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_community_residency_user_id'))
        batch_op.drop_index(batch_op.f('ix_community_residency_community_id'))

    op.drop_table('community_residency')
    with op.batch_alter_table('community_authority', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_community_authority_community_id'))

    op.drop_table('community_authority')
    op.drop_table('identity_user')
    op.drop_table('community')
    op.drop_table('audit_entry')
