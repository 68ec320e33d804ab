"""budget module tables

Revision ID: 0003_budget
Revises: 0002_petitions
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0003_budget"
down_revision: str | None = "0002_petitions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('budget_cycle',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('authority_id', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('total_funds', sa.BigInteger(), nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('ruleset_id', sa.Integer(), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('meta', sa.JSON(none_as_null=True), nullable=True),
    sa.Column('submission_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submission_end', sa.DateTime(timezone=True), nullable=False),
    sa.Column('review_end', sa.DateTime(timezone=True), nullable=False),
    sa.Column('voting_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('voting_end', sa.DateTime(timezone=True), nullable=False),
    sa.Column('results_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('results_published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('results', sa.JSON(none_as_null=True), nullable=True),
    sa.Column('ballot_count', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['authority_id'], ['community_authority.id'], name=op.f('fk_budget_cycle_authority_id_community_authority'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_budget_cycle_community_id_community'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['identity_user.id'], name=op.f('fk_budget_cycle_created_by_id_identity_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ruleset_id'], ['rules_ruleset.id'], name=op.f('fk_budget_cycle_ruleset_id_rules_ruleset')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_budget_cycle'))
    )
    op.create_index('ix_budget_cycle_community_voting', 'budget_cycle', ['community_id', 'voting_end'], unique=False)
    op.create_table('budget_ballot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('voter_user_id', sa.Integer(), nullable=True),
    sa.Column('paper_identity_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['cycle_id'], ['budget_cycle.id'], name=op.f('fk_budget_ballot_cycle_id_budget_cycle'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['identity_user.id'], name=op.f('fk_budget_ballot_recorded_by_id_identity_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['voter_user_id'], ['identity_user.id'], name=op.f('fk_budget_ballot_voter_user_id_identity_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_budget_ballot')),
    sa.UniqueConstraint('cycle_id', 'paper_identity_hash', name=op.f('uq_budget_ballot_cycle_id_paper_identity_hash')),
    sa.UniqueConstraint('cycle_id', 'voter_user_id', name=op.f('uq_budget_ballot_cycle_id_voter_user_id'))
    )
    op.create_index(op.f('ix_budget_ballot_voter_user_id'), 'budget_ballot', ['voter_user_id'], unique=False)
    op.create_table('budget_category',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('funds', sa.BigInteger(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['cycle_id'], ['budget_cycle.id'], name=op.f('fk_budget_category_cycle_id_budget_cycle'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_budget_category')),
    sa.UniqueConstraint('cycle_id', 'name', name=op.f('uq_budget_category_cycle_id_name'))
    )
    op.create_table('budget_phase_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('field', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('old', sa.DateTime(timezone=True), nullable=False),
    sa.Column('new', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['identity_user.id'], name=op.f('fk_budget_phase_change_actor_id_identity_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['cycle_id'], ['budget_cycle.id'], name=op.f('fk_budget_phase_change_cycle_id_budget_cycle'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_budget_phase_change'))
    )
    op.create_index(op.f('ix_budget_phase_change_cycle_id'), 'budget_phase_change', ['cycle_id'], unique=False)
    op.create_table('budget_project',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('external_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('location', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('cost', sa.BigInteger(), nullable=False),
    sa.Column('revised_cost', sa.BigInteger(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('review_reason', sa.Text(), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('vote_count', sa.Integer(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('implementation_status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('implementation_percent', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['identity_user.id'], name=op.f('fk_budget_project_author_id_identity_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['category_id'], ['budget_category.id'], name=op.f('fk_budget_project_category_id_budget_category'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['cycle_id'], ['budget_cycle.id'], name=op.f('fk_budget_project_cycle_id_budget_cycle'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['identity_user.id'], name=op.f('fk_budget_project_reviewed_by_id_identity_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_budget_project')),
    sa.UniqueConstraint('cycle_id', 'external_id', name=op.f('uq_budget_project_cycle_id_external_id'))
    )
    op.create_index(op.f('ix_budget_project_author_id'), 'budget_project', ['author_id'], unique=False)
    op.create_index(op.f('ix_budget_project_category_id'), 'budget_project', ['category_id'], unique=False)
    op.create_index('ix_budget_project_cycle_status', 'budget_project', ['cycle_id', 'status'], unique=False)
    op.create_table('budget_ballot_choice',
    sa.Column('ballot_id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['ballot_id'], ['budget_ballot.id'], name=op.f('fk_budget_ballot_choice_ballot_id_budget_ballot'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['budget_project.id'], name=op.f('fk_budget_ballot_choice_project_id_budget_project'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('ballot_id', 'project_id', name=op.f('pk_budget_ballot_choice'))
    )
    op.create_index(op.f('ix_budget_ballot_choice_project_id'), 'budget_ballot_choice', ['project_id'], unique=False)
    op.create_table('budget_implementation_update',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('percent', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('happened_on', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['identity_user.id'], name=op.f('fk_budget_implementation_update_author_id_identity_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['project_id'], ['budget_project.id'], name=op.f('fk_budget_implementation_update_project_id_budget_project'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_budget_implementation_update'))
    )
    op.create_index(op.f('ix_budget_implementation_update_project_id'), 'budget_implementation_update', ['project_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_budget_implementation_update_project_id'), table_name='budget_implementation_update')
    op.drop_table('budget_implementation_update')
    op.drop_index(op.f('ix_budget_ballot_choice_project_id'), table_name='budget_ballot_choice')
    op.drop_table('budget_ballot_choice')
    op.drop_index('ix_budget_project_cycle_status', table_name='budget_project')
    op.drop_index(op.f('ix_budget_project_category_id'), table_name='budget_project')
    op.drop_index(op.f('ix_budget_project_author_id'), table_name='budget_project')
    op.drop_table('budget_project')
    op.drop_index(op.f('ix_budget_phase_change_cycle_id'), table_name='budget_phase_change')
    op.drop_table('budget_phase_change')
    op.drop_table('budget_category')
    op.drop_index(op.f('ix_budget_ballot_voter_user_id'), table_name='budget_ballot')
    op.drop_table('budget_ballot')
    op.drop_index('ix_budget_cycle_community_voting', table_name='budget_cycle')
    op.drop_table('budget_cycle')
