"""consultations at the European Commission's standard

The register of organisations (fields of interest, members confirmed by the contact),
invitations and the priority window, the two stages (a call for evidence, then the draft),
ranking, matrix, number, date and conditional questions, moderated public contributions, the
synopsis's frozen figures, and the opinion map's statements and votes. Columns added to
existing tables get server defaults so that rows already there stay valid.

Revision ID: 0013_consultations_ec
Revises: 0012_budget_complete
Create Date: 2026-12-16
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0013_consultations_ec"
down_revision: str | None = "0012_budget_complete"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('consultation_organisation_member',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['organisation_id'], ['consultation_organisation.id'], name=op.f('fk_consultation_organisation_member_organisation_id_consultation_organisation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['identity_user.id'], name=op.f('fk_consultation_organisation_member_user_id_identity_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consultation_organisation_member')),
    sa.UniqueConstraint('organisation_id', 'user_id', name=op.f('uq_consultation_organisation_member_organisation_id_user_id'))
    )
    with op.batch_alter_table('consultation_organisation_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consultation_organisation_member_user_id'), ['user_id'], unique=False)

    op.create_table('consultation_invitation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('invited_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultation.id'], name=op.f('fk_consultation_invitation_consultation_id_consultation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['consultation_organisation.id'], name=op.f('fk_consultation_invitation_organisation_id_consultation_organisation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consultation_invitation')),
    sa.UniqueConstraint('consultation_id', 'organisation_id', name=op.f('uq_consultation_invitation_consultation_id_organisation_id'))
    )
    with op.batch_alter_table('consultation_invitation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consultation_invitation_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('consultation_statement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('body', sqlmodel.sql.sqltypes.AutoString(length=280), nullable=False),
    sa.Column('body_key', sqlmodel.sql.sqltypes.AutoString(length=280), nullable=False),
    sa.Column('agree_count', sa.Integer(), nullable=False),
    sa.Column('disagree_count', sa.Integer(), nullable=False),
    sa.Column('pass_count', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('hidden_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultation.id'], name=op.f('fk_consultation_statement_consultation_id_consultation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['identity_user.id'], name=op.f('fk_consultation_statement_user_id_identity_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consultation_statement')),
    sa.UniqueConstraint('consultation_id', 'body_key', name=op.f('uq_consultation_statement_consultation_id_body_key'))
    )
    with op.batch_alter_table('consultation_statement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consultation_statement_user_id'), ['user_id'], unique=False)

    op.create_table('consultation_vote',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('statement_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultation.id'], name=op.f('fk_consultation_vote_consultation_id_consultation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['statement_id'], ['consultation_statement.id'], name=op.f('fk_consultation_vote_statement_id_consultation_statement'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['identity_user.id'], name=op.f('fk_consultation_vote_user_id_identity_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consultation_vote')),
    sa.UniqueConstraint('statement_id', 'user_id', name=op.f('uq_consultation_vote_statement_id_user_id'))
    )
    with op.batch_alter_table('consultation_vote', schema=None) as batch_op:
        batch_op.create_index('ix_consultation_vote_consultation', ['consultation_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_consultation_vote_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('consultation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stage', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False, server_default="draft"))
        batch_op.add_column(sa.Column('evidence_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('topics', sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column('invited_ids', sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column('priority_days', sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column('union_count', sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column('other_count', sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column('invitation_count', sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column('statement_count', sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column('vote_count', sa.Integer(), nullable=False, server_default="0"))
        batch_op.create_index(batch_op.f('ix_consultation_evidence_id'), ['evidence_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_consultation_evidence_id_consultation'), 'consultation', ['evidence_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('consultation_answer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('public_text', sqlmodel.sql.sqltypes.AutoString(length=5000), nullable=True))
        batch_op.add_column(sa.Column('value', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('number', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('day', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('file_key', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True))

    with op.batch_alter_table('consultation_option', schema=None) as batch_op:
        batch_op.add_column(sa.Column('total', sa.Integer(), nullable=False, server_default="0"))

    with op.batch_alter_table('consultation_organisation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('topics', sa.JSON(), nullable=False, server_default="[]"))

    with op.batch_alter_table('consultation_question', schema=None) as batch_op:
        batch_op.add_column(sa.Column('condition_option_id', sa.Integer(), nullable=True))

    with op.batch_alter_table('consultation_report', schema=None) as batch_op:
        batch_op.add_column(sa.Column('synopsis', sa.JSON(), nullable=False, server_default="{}"))

    with op.batch_alter_table('consultation_report_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('statement_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_consultation_report_item_statement_id_consultation_statement'), 'consultation_statement', ['statement_id'], ['id'], ondelete='CASCADE')

    with op.batch_alter_table('consultation_response', schema=None) as batch_op:
        batch_op.add_column(sa.Column('invited', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('moderated_at', sa.DateTime(timezone=True), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('consultation_response', schema=None) as batch_op:
        batch_op.drop_column('moderated_at')
        batch_op.drop_column('invited')

    with op.batch_alter_table('consultation_report_item', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_consultation_report_item_statement_id_consultation_statement'), type_='foreignkey')
        batch_op.drop_column('statement_id')

    with op.batch_alter_table('consultation_report', schema=None) as batch_op:
        batch_op.drop_column('synopsis')

    with op.batch_alter_table('consultation_question', schema=None) as batch_op:
        batch_op.drop_column('condition_option_id')

    with op.batch_alter_table('consultation_organisation', schema=None) as batch_op:
        batch_op.drop_column('topics')

    with op.batch_alter_table('consultation_option', schema=None) as batch_op:
        batch_op.drop_column('total')

    with op.batch_alter_table('consultation_answer', schema=None) as batch_op:
        batch_op.drop_column('file_key')
        batch_op.drop_column('day')
        batch_op.drop_column('number')
        batch_op.drop_column('value')
        batch_op.drop_column('public_text')

    with op.batch_alter_table('consultation', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_consultation_evidence_id_consultation'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_consultation_evidence_id'))
        batch_op.drop_column('vote_count')
        batch_op.drop_column('statement_count')
        batch_op.drop_column('invitation_count')
        batch_op.drop_column('other_count')
        batch_op.drop_column('union_count')
        batch_op.drop_column('priority_days')
        batch_op.drop_column('invited_ids')
        batch_op.drop_column('topics')
        batch_op.drop_column('evidence_id')
        batch_op.drop_column('stage')

    with op.batch_alter_table('consultation_vote', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consultation_vote_user_id'))
        batch_op.drop_index('ix_consultation_vote_consultation')

    op.drop_table('consultation_vote')
    with op.batch_alter_table('consultation_statement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consultation_statement_user_id'))

    op.drop_table('consultation_statement')
    with op.batch_alter_table('consultation_invitation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consultation_invitation_organisation_id'))

    op.drop_table('consultation_invitation')
    with op.batch_alter_table('consultation_organisation_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consultation_organisation_member_user_id'))

    op.drop_table('consultation_organisation_member')
