"""identity: sign-in through OpenID providers, one-time links, second factors, sessions,
registers of residents and the evidence of a verified residency

Residencies verified before this revision were verified by an official: their evidence says so.

Revision ID: 0008_identity
Revises: 0007_audit_published
Create Date: 2026-12-11
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0008_identity'
down_revision: str | None = '0007_audit_published'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('community_register',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('register_date', sa.Date(), nullable=False),
    sa.Column('entries', sa.Integer(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_community_register_community_id_community'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['identity_user.id'], name=op.f('fk_community_register_uploaded_by_id_identity_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_community_register')),
    sa.UniqueConstraint('community_id', 'version', name=op.f('uq_community_register_community_id_version'))
    )
    with op.batch_alter_table('community_register', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_community_register_community_id'), ['community_id'], unique=False)

    op.create_table('identity_oidc_login',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('provider', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('nonce', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('code_verifier', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('browser_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('next', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['identity_user.id'], name=op.f('fk_identity_oidc_login_user_id_identity_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_identity_oidc_login'))
    )
    op.create_table('identity_one_time_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('new_email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['identity_user.id'], name=op.f('fk_identity_one_time_token_user_id_identity_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_identity_one_time_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_identity_one_time_token_token_hash'))
    )
    with op.batch_alter_table('identity_one_time_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_identity_one_time_token_user_id'), ['user_id'], unique=False)

    op.create_table('identity_provider_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('provider', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('subject_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('person_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('register_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('identifies', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['identity_user.id'], name=op.f('fk_identity_provider_link_user_id_identity_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_identity_provider_link')),
    sa.UniqueConstraint('provider', 'subject_hash', name=op.f('uq_identity_provider_link_provider_subject_hash'))
    )
    with op.batch_alter_table('identity_provider_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_identity_provider_link_person_hash'), ['person_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_identity_provider_link_user_id'), ['user_id'], unique=False)

    op.create_table('identity_recovery_code',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['identity_user.id'], name=op.f('fk_identity_recovery_code_user_id_identity_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_identity_recovery_code'))
    )
    with op.batch_alter_table('identity_recovery_code', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_identity_recovery_code_user_id'), ['user_id'], unique=False)

    op.create_table('community_register_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('register_id', sa.Integer(), nullable=False),
    sa.Column('claim_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('person_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.ForeignKeyConstraint(['register_id'], ['community_register.id'], name=op.f('fk_community_register_entry_register_id_community_register'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_community_register_entry'))
    )
    with op.batch_alter_table('community_register_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_community_register_entry_claim_key'), ['claim_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_community_register_entry_person_key'), ['person_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_community_register_entry_register_id'), ['register_id'], unique=False)

    with op.batch_alter_table('community_residency', schema=None) as batch_op:
        batch_op.add_column(sa.Column('evidence', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))
        batch_op.add_column(sa.Column('register_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_community_residency_register_id_community_register'), 'community_register', ['register_id'], ['id'], ondelete='SET NULL')
    op.execute("UPDATE community_residency SET evidence = 'official' WHERE status = 'verified'")

    with op.batch_alter_table('identity_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('method', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False, server_default='password'))
        batch_op.add_column(sa.Column('second_factor_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('user_agent', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False, server_default=''))

    with op.batch_alter_table('identity_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('totp_secret', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True))
        batch_op.add_column(sa.Column('totp_enabled_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('totp_last_step', sa.Integer(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('identity_user', schema=None) as batch_op:
        batch_op.drop_column('totp_last_step')
        batch_op.drop_column('totp_enabled_at')
        batch_op.drop_column('totp_secret')

    with op.batch_alter_table('identity_session', schema=None) as batch_op:
        batch_op.drop_column('user_agent')
        batch_op.drop_column('second_factor_at')
        batch_op.drop_column('method')

    with op.batch_alter_table('community_residency', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_community_residency_register_id_community_register'), type_='foreignkey')
        batch_op.drop_column('register_id')
        batch_op.drop_column('evidence')

    with op.batch_alter_table('community_register_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_community_register_entry_register_id'))
        batch_op.drop_index(batch_op.f('ix_community_register_entry_person_key'))
        batch_op.drop_index(batch_op.f('ix_community_register_entry_claim_key'))

    op.drop_table('community_register_entry')
    with op.batch_alter_table('identity_recovery_code', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_identity_recovery_code_user_id'))

    op.drop_table('identity_recovery_code')
    with op.batch_alter_table('identity_provider_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_identity_provider_link_user_id'))
        batch_op.drop_index(batch_op.f('ix_identity_provider_link_person_hash'))

    op.drop_table('identity_provider_link')
    with op.batch_alter_table('identity_one_time_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_identity_one_time_token_user_id'))

    op.drop_table('identity_one_time_token')
    op.drop_table('identity_oidc_login')
    with op.batch_alter_table('community_register', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_community_register_community_id'))

    op.drop_table('community_register')
