"""synopsis per section: a comment on a section may be written for an organisation the author
acts for, so the synopsis counts each section's comments by stakeholder category

Revision ID: 0015_synopsis_sections
Revises: 0014_deliberation
Create Date: 2026-12-18
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0015_synopsis_sections'
down_revision: str | None = '0014_deliberation'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('consultation_comment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('organisation_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_consultation_comment_organisation_id_consultation_organisation'),
            'consultation_organisation', ['organisation_id'], ['id'], ondelete='SET NULL')


def downgrade() -> None:
    with op.batch_alter_table('consultation_comment', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('fk_consultation_comment_organisation_id_consultation_organisation'),
            type_='foreignkey')
        batch_op.drop_column('organisation_id')
