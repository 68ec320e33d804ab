"""consultations module tables

Revision ID: 0004_consultations
Revises: 0003_budget
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0004_consultations"
down_revision: str | None = "0003_budget"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('consultation_organisation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('verified', sa.Boolean(), nullable=False),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('verified_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_consultation_organisation_community_id_community'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['identity_user.id'], name=op.f('fk_consultation_organisation_user_id_identity_user'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['verified_by_id'], ['identity_user.id'], name=op.f('fk_consultation_organisation_verified_by_id_identity_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consultation_organisation')),
    sa.UniqueConstraint('community_id', 'code', name=op.f('uq_consultation_organisation_community_id_code'))
    )

    with op.batch_alter_table('consultation_organisation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consultation_organisation_user_id'), ['user_id'], unique=False)

    op.create_table('consultation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('authority_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('summary', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('stakeholders', sa.JSON(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ruleset_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reported_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('response_count', sa.Integer(), nullable=False),
    sa.Column('comment_count', sa.Integer(), nullable=False),
    sa.Column('resident_count', sa.Integer(), nullable=False),
    sa.Column('ngo_count', sa.Integer(), nullable=False),
    sa.Column('business_count', sa.Integer(), nullable=False),
    sa.Column('academic_count', sa.Integer(), nullable=False),
    sa.Column('public_body_count', sa.Integer(), nullable=False),
    sa.Column('rating_yes', sa.Integer(), nullable=False),
    sa.Column('rating_partly', sa.Integer(), nullable=False),
    sa.Column('rating_no', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['identity_user.id'], name=op.f('fk_consultation_author_id_identity_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['authority_id'], ['community_authority.id'], name=op.f('fk_consultation_authority_id_community_authority'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_consultation_community_id_community'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ruleset_id'], ['rules_ruleset.id'], name=op.f('fk_consultation_ruleset_id_rules_ruleset'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consultation'))
    )

    with op.batch_alter_table('consultation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consultation_authority_id'), ['authority_id'], unique=False)
        batch_op.create_index('ix_consultation_community_status', ['community_id', 'status'], unique=False)
        batch_op.create_index('ix_consultation_status_ends', ['status', 'ends_at'], unique=False)

    op.create_table('consultation_attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('filename', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('stored_name', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('content_type', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultation.id'], name=op.f('fk_consultation_attachment_consultation_id_consultation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consultation_attachment')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_consultation_attachment_stored_name'))
    )

    with op.batch_alter_table('consultation_attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consultation_attachment_consultation_id'), ['consultation_id'], unique=False)

    op.create_table('consultation_question',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('prompt', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.Column('answer_count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultation.id'], name=op.f('fk_consultation_question_consultation_id_consultation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consultation_question'))
    )

    with op.batch_alter_table('consultation_question', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consultation_question_consultation_id'), ['consultation_id'], unique=False)

    op.create_table('consultation_rating',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('value', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultation.id'], name=op.f('fk_consultation_rating_consultation_id_consultation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['identity_user.id'], name=op.f('fk_consultation_rating_user_id_identity_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consultation_rating')),
    sa.UniqueConstraint('consultation_id', 'user_id', name=op.f('uq_consultation_rating_consultation_id_user_id'))
    )

    with op.batch_alter_table('consultation_rating', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consultation_rating_user_id'), ['user_id'], unique=False)

    op.create_table('consultation_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('summary', sqlmodel.sql.sqltypes.AutoString(length=5000), nullable=False),
    sa.Column('decision_url', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['identity_user.id'], name=op.f('fk_consultation_report_author_id_identity_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultation.id'], name=op.f('fk_consultation_report_consultation_id_consultation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consultation_report')),
    sa.UniqueConstraint('consultation_id', name=op.f('uq_consultation_report_consultation_id'))
    )

    op.create_table('consultation_response',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('respondent_key', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('publication', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultation.id'], name=op.f('fk_consultation_response_consultation_id_consultation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['consultation_organisation.id'], name=op.f('fk_consultation_response_organisation_id_consultation_organisation'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['identity_user.id'], name=op.f('fk_consultation_response_user_id_identity_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consultation_response')),
    sa.UniqueConstraint('consultation_id', 'respondent_key', name=op.f('uq_consultation_response_consultation_id_respondent_key'))
    )

    with op.batch_alter_table('consultation_response', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consultation_response_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_consultation_response_user_id'), ['user_id'], unique=False)

    op.create_table('consultation_section',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('html', sa.Text(), nullable=False),
    sa.Column('comment_count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultation.id'], name=op.f('fk_consultation_section_consultation_id_consultation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consultation_section')),
    sa.UniqueConstraint('consultation_id', 'number', name=op.f('uq_consultation_section_consultation_id_number'))
    )

    op.create_table('consultation_comment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('section_id', sa.Integer(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('publication', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('body', sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('hidden_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('hidden_by_id', sa.Integer(), nullable=True),
    sa.Column('hidden_reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultation.id'], name=op.f('fk_consultation_comment_consultation_id_consultation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['hidden_by_id'], ['identity_user.id'], name=op.f('fk_consultation_comment_hidden_by_id_identity_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['parent_id'], ['consultation_comment.id'], name=op.f('fk_consultation_comment_parent_id_consultation_comment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['section_id'], ['consultation_section.id'], name=op.f('fk_consultation_comment_section_id_consultation_section'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['identity_user.id'], name=op.f('fk_consultation_comment_user_id_identity_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consultation_comment'))
    )

    with op.batch_alter_table('consultation_comment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consultation_comment_consultation_id'), ['consultation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_consultation_comment_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index('ix_consultation_comment_section', ['section_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_consultation_comment_user_id'), ['user_id'], unique=False)

    op.create_table('consultation_option',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('label', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['question_id'], ['consultation_question.id'], name=op.f('fk_consultation_option_question_id_consultation_question'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consultation_option'))
    )

    with op.batch_alter_table('consultation_option', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consultation_option_question_id'), ['question_id'], unique=False)

    op.create_table('consultation_report_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('section_id', sa.Integer(), nullable=True),
    sa.Column('question_id', sa.Integer(), nullable=True),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('explanation', sqlmodel.sql.sqltypes.AutoString(length=3000), nullable=False),
    sa.ForeignKeyConstraint(['question_id'], ['consultation_question.id'], name=op.f('fk_consultation_report_item_question_id_consultation_question'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['report_id'], ['consultation_report.id'], name=op.f('fk_consultation_report_item_report_id_consultation_report'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['section_id'], ['consultation_section.id'], name=op.f('fk_consultation_report_item_section_id_consultation_section'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consultation_report_item'))
    )

    with op.batch_alter_table('consultation_report_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consultation_report_item_report_id'), ['report_id'], unique=False)

    op.create_table('consultation_answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('option_id', sa.Integer(), nullable=True),
    sa.Column('text', sqlmodel.sql.sqltypes.AutoString(length=5000), nullable=True),
    sa.ForeignKeyConstraint(['option_id'], ['consultation_option.id'], name=op.f('fk_consultation_answer_option_id_consultation_option'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['question_id'], ['consultation_question.id'], name=op.f('fk_consultation_answer_question_id_consultation_question'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['response_id'], ['consultation_response.id'], name=op.f('fk_consultation_answer_response_id_consultation_response'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consultation_answer')),
    sa.UniqueConstraint('response_id', 'question_id', 'option_id', name=op.f('uq_consultation_answer_response_id_question_id_option_id'))
    )

    with op.batch_alter_table('consultation_answer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consultation_answer_question_id'), ['question_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('consultation_answer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consultation_answer_question_id'))

    op.drop_table('consultation_answer')

    with op.batch_alter_table('consultation_report_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consultation_report_item_report_id'))

    op.drop_table('consultation_report_item')

    with op.batch_alter_table('consultation_option', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consultation_option_question_id'))

    op.drop_table('consultation_option')

    with op.batch_alter_table('consultation_comment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consultation_comment_user_id'))
        batch_op.drop_index('ix_consultation_comment_section')
        batch_op.drop_index(batch_op.f('ix_consultation_comment_parent_id'))
        batch_op.drop_index(batch_op.f('ix_consultation_comment_consultation_id'))

    op.drop_table('consultation_comment')

    op.drop_table('consultation_section')

    with op.batch_alter_table('consultation_response', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consultation_response_user_id'))
        batch_op.drop_index(batch_op.f('ix_consultation_response_organisation_id'))

    op.drop_table('consultation_response')

    op.drop_table('consultation_report')

    with op.batch_alter_table('consultation_rating', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consultation_rating_user_id'))

    op.drop_table('consultation_rating')

    with op.batch_alter_table('consultation_question', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consultation_question_consultation_id'))

    op.drop_table('consultation_question')

    with op.batch_alter_table('consultation_attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consultation_attachment_consultation_id'))

    op.drop_table('consultation_attachment')

    with op.batch_alter_table('consultation', schema=None) as batch_op:
        batch_op.drop_index('ix_consultation_status_ends')
        batch_op.drop_index('ix_consultation_community_status')
        batch_op.drop_index(batch_op.f('ix_consultation_authority_id'))

    op.drop_table('consultation')

    with op.batch_alter_table('consultation_organisation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consultation_organisation_user_id'))

    op.drop_table('consultation_organisation')
