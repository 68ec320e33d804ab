"""the participatory budget, complete: uploaded files behind one store, district pots,
supports, pictures, documents and locations of projects

`stored_file` holds the bytes of uploaded files on the database backend (app/storage), with
a size limit. Consultation attachments keep their key in `stored_name`; those on the disk stay
readable there. A budget category (pot) may belong to a starosta district and have its own
rule and limit of choices; a cycle may have a supports phase; a project counts its supports
and may carry a point on the map, images and documents.

Revises 0010_backoffice (community_district, which district pots refer to).

Revision ID: 0012_budget_complete
Revises: 0010_backoffice
Create Date: 2026-12-15
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0012_budget_complete'
down_revision: str | None = '0010_backoffice'
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

    with op.batch_alter_table('budget_cycle', schema=None) as batch_op:
        batch_op.add_column(sa.Column('supports_end', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('budget_category', schema=None) as batch_op:
        batch_op.add_column(sa.Column('district_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('aggregation', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True))
        batch_op.add_column(sa.Column('max_choices', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_budget_category_district_id'), ['district_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_budget_category_district_id_community_district'), 'community_district', ['district_id'], ['id'], ondelete='RESTRICT')

    with op.batch_alter_table('budget_project', schema=None) as batch_op:
        batch_op.add_column(sa.Column('latitude', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('longitude', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('support_count', sa.Integer(), nullable=False, server_default='0'))

    op.create_table('budget_support',
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['budget_project.id'], name=op.f('fk_budget_support_project_id_budget_project'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['identity_user.id'], name=op.f('fk_budget_support_user_id_identity_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('project_id', 'user_id', name=op.f('pk_budget_support'))
    )
    with op.batch_alter_table('budget_support', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_budget_support_user_id'), ['user_id'], unique=False)

    op.create_table('budget_project_file',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('filename', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('caption', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('content_type', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('thumb_key', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
    sa.Column('width', sa.Integer(), nullable=True),
    sa.Column('height', sa.Integer(), nullable=True),
    sa.Column('implementation', sa.Boolean(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['budget_project.id'], name=op.f('fk_budget_project_file_project_id_budget_project'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['identity_user.id'], name=op.f('fk_budget_project_file_uploaded_by_id_identity_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_budget_project_file')),
    sa.UniqueConstraint('key', name=op.f('uq_budget_project_file_key'))
    )
    with op.batch_alter_table('budget_project_file', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_budget_project_file_project_id'), ['project_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('budget_project_file', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_budget_project_file_project_id'))
    op.drop_table('budget_project_file')
    with op.batch_alter_table('budget_support', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_budget_support_user_id'))
    op.drop_table('budget_support')
    with op.batch_alter_table('budget_project', schema=None) as batch_op:
        batch_op.drop_column('support_count')
        batch_op.drop_column('longitude')
        batch_op.drop_column('latitude')
    with op.batch_alter_table('budget_category', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_budget_category_district_id_community_district'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_budget_category_district_id'))
        batch_op.drop_column('max_choices')
        batch_op.drop_column('aggregation')
        batch_op.drop_column('district_id')
    with op.batch_alter_table('budget_cycle', schema=None) as batch_op:
        batch_op.drop_column('supports_end')
    op.drop_table('stored_file')
