"""the participatory budget, complete: uploaded files behind one store

`stored_file` holds the bytes of uploaded files on the database backend (app/storage), with
a size limit. Consultation attachments keep their key in `stored_name`; those on the disk stay
readable there.

Revision ID: 0012_budget_complete
Revises: 0009_audit_actor_index
Create Date: 2026-12-15
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0012_budget_complete'
down_revision: str | None = '0010_backoffice'  # chained after the back office's on this branch
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('stored_file',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('namespace', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('content_type', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('size >= 0 AND size <= 67108864', name=op.f('ck_stored_file_size_limit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stored_file')),
    sa.UniqueConstraint('key', name=op.f('uq_stored_file_key'))
    )
    # The size column tells the truth about the bytes (bytea's length is octet_length).
    length = 'octet_length' if op.get_bind().dialect.name == 'postgresql' else 'length'
    with op.batch_alter_table('stored_file', schema=None) as batch_op:
        batch_op.create_check_constraint(op.f('ck_stored_file_size_of_data'),
                                         sa.text(f'{length}(data) = size'))


def downgrade() -> None:
    op.drop_table('stored_file')
