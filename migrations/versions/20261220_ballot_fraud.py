"""fraud tools of the participatory budget: the keyed network hash of an online ballot and the
public record of a moderator's invalidation of a set of ballots

Revision ID: 0017_ballot_fraud
Revises: 0016_consultation_comments
Create Date: 2026-12-19
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0017_ballot_fraud'
down_revision: str | None = '0016_consultation_comments'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('budget_ballot_invalidation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('moderator_id', sa.Integer(), nullable=True),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('email_domain', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
    sa.Column('network_hash', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('cast_from', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cast_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['cycle_id'], ['budget_cycle.id'], name=op.f('fk_budget_ballot_invalidation_cycle_id_budget_cycle'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['moderator_id'], ['identity_user.id'], name=op.f('fk_budget_ballot_invalidation_moderator_id_identity_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_budget_ballot_invalidation'))
    )
    with op.batch_alter_table('budget_ballot_invalidation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_budget_ballot_invalidation_cycle_id'), ['cycle_id'], unique=False)

    with op.batch_alter_table('budget_ballot', schema=None) as batch_op:
        batch_op.add_column(sa.Column('network_hash', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('budget_ballot', schema=None) as batch_op:
        batch_op.drop_column('network_hash')

    with op.batch_alter_table('budget_ballot_invalidation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_budget_ballot_invalidation_cycle_id'))

    op.drop_table('budget_ballot_invalidation')
