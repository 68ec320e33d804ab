"""consultation comments on the kernel's comment mechanism: a comment may be about an anchor of
its item (a consultation's section), written for a voice (an organisation the author acts for)
and published by name, anonymously or not at all; every consultation_comment row moves into
deliberation_comment (hidden ones hidden by a moderator's decision, with its public reason) and
consultation_comment goes

The downgrade recreates consultation_comment and copies the consultations' comments back
(a moderation state other than visible comes back as hidden, with the public reason; supports
and reports of those comments are not kept), then drops the new columns.

Revision ID: 0016_consultation_comments
Revises: 0015_synopsis_sections
Create Date: 2026-12-19
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0016_consultation_comments'
down_revision: str | None = '0015_synopsis_sections'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SUBJECT = 'consultation'
COMMENT = 'comment'

comment = sa.table(
    'deliberation_comment',
    sa.column('id', sa.Integer), sa.column('subject_type', sa.String),
    sa.column('subject_id', sa.Integer), sa.column('community_id', sa.Integer),
    sa.column('parent_id', sa.Integer), sa.column('user_id', sa.Integer),
    sa.column('authority_id', sa.Integer), sa.column('anchor_id', sa.Integer),
    sa.column('voice_id', sa.Integer), sa.column('publication', sa.String),
    sa.column('body', sa.Text), sa.column('state', sa.String),
    sa.column('public_reason', sa.String), sa.column('support_count', sa.Integer),
    sa.column('reply_count', sa.Integer), sa.column('created_at', sa.DateTime(timezone=True)))
case = sa.table(
    'deliberation_case',
    sa.column('id', sa.Integer), sa.column('subject_type', sa.String),
    sa.column('subject_id', sa.Integer), sa.column('community_id', sa.Integer),
    sa.column('author_id', sa.Integer), sa.column('state', sa.String),
    sa.column('report_count', sa.Integer), sa.column('hidden', sa.Boolean),
    sa.column('decision', sa.String), sa.column('public_reason', sa.String),
    sa.column('decided_by_id', sa.Integer), sa.column('decided_at', sa.DateTime(timezone=True)),
    sa.column('created_at', sa.DateTime(timezone=True)))
report = sa.table('deliberation_report', sa.column('case_id', sa.Integer))
support = sa.table('deliberation_support', sa.column('comment_id', sa.Integer))
old = sa.table(
    'consultation_comment',
    sa.column('id', sa.Integer), sa.column('consultation_id', sa.Integer),
    sa.column('section_id', sa.Integer), sa.column('parent_id', sa.Integer),
    sa.column('user_id', sa.Integer), sa.column('organisation_id', sa.Integer),
    sa.column('publication', sa.String), sa.column('body', sa.String),
    sa.column('created_at', sa.DateTime(timezone=True)),
    sa.column('hidden_at', sa.DateTime(timezone=True)), sa.column('hidden_by_id', sa.Integer),
    sa.column('hidden_reason', sa.String))
consultation = sa.table('consultation', sa.column('id', sa.Integer),
                        sa.column('community_id', sa.Integer))


def upgrade() -> None:
    with op.batch_alter_table('deliberation_comment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('anchor_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('voice_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('publication',
                                      sqlmodel.sql.sqltypes.AutoString(length=12),
                                      nullable=False, server_default='named'))
    with op.batch_alter_table('deliberation_comment', schema=None) as batch_op:
        batch_op.alter_column('publication', server_default=None)

    bind = op.get_bind()
    rows = bind.execute(
        sa.select(old, consultation.c.community_id)
        .join(consultation, consultation.c.id == old.c.consultation_id)
        .order_by(old.c.id)).mappings().all()
    replies: dict[int, int] = {}
    for row in rows:
        if row['parent_id'] is not None:
            replies[row['parent_id']] = replies.get(row['parent_id'], 0) + 1
    new_ids: dict[int, int] = {}
    for row in rows:  # by id: a thread's first comment comes before its replies
        hidden = row['hidden_at'] is not None
        new_id = bind.execute(comment.insert().values(
            subject_type=SUBJECT, subject_id=row['consultation_id'],
            community_id=row['community_id'],
            parent_id=new_ids.get(row['parent_id']) if row['parent_id'] else None,
            user_id=row['user_id'], authority_id=None, anchor_id=row['section_id'],
            voice_id=row['organisation_id'],
            publication='unpublished' if row['publication'] == 'none' else row['publication'],
            body=row['body'], state='hidden' if hidden else 'visible',
            public_reason=row['hidden_reason'] if hidden else None, support_count=0,
            reply_count=replies.get(row['id'], 0), created_at=row['created_at'],
        ).returning(comment.c.id)).scalar_one()
        new_ids[row['id']] = new_id
        if hidden:  # a moderator's decision, as the kernel records one (its author may appeal)
            bind.execute(case.insert().values(
                subject_type=COMMENT, subject_id=new_id, community_id=row['community_id'],
                author_id=row['user_id'], state='decided', report_count=0, hidden=True,
                decision='hide', public_reason=row['hidden_reason'],
                decided_by_id=row['hidden_by_id'], decided_at=row['hidden_at'],
                created_at=row['hidden_at']))

    with op.batch_alter_table('consultation_comment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consultation_comment_user_id'))
        batch_op.drop_index('ix_consultation_comment_section')
        batch_op.drop_index(batch_op.f('ix_consultation_comment_parent_id'))
        batch_op.drop_index(batch_op.f('ix_consultation_comment_consultation_id'))
    op.drop_table('consultation_comment')


def downgrade() -> None:
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
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultation.id'], name=op.f('fk_consultation_comment_consultation_id_consultation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['hidden_by_id'], ['identity_user.id'], name=op.f('fk_consultation_comment_hidden_by_id_identity_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['parent_id'], ['consultation_comment.id'], name=op.f('fk_consultation_comment_parent_id_consultation_comment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['section_id'], ['consultation_section.id'], name=op.f('fk_consultation_comment_section_id_consultation_section'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['identity_user.id'], name=op.f('fk_consultation_comment_user_id_identity_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organisation_id'], ['consultation_organisation.id'], name=op.f('fk_consultation_comment_organisation_id_consultation_organisation'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consultation_comment'))
    )
    with op.batch_alter_table('consultation_comment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consultation_comment_consultation_id'), ['consultation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_consultation_comment_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index('ix_consultation_comment_section', ['section_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_consultation_comment_user_id'), ['user_id'], unique=False)

    bind = op.get_bind()
    rows = bind.execute(
        sa.select(comment, case.c.decided_by_id, case.c.decided_at)
        .outerjoin(case, sa.and_(case.c.subject_type == COMMENT,
                                 case.c.subject_id == comment.c.id))
        .where(comment.c.subject_type == SUBJECT)
        .order_by(comment.c.id)).mappings().all()
    old_ids: dict[int, int] = {}
    for row in rows:
        if row['anchor_id'] is None or (row['parent_id'] is not None
                                        and row['parent_id'] not in old_ids):
            continue  # the old table knows no comment outside a section
        hidden = row['state'] != 'visible'
        old_ids[row['id']] = bind.execute(old.insert().values(
            consultation_id=row['subject_id'], section_id=row['anchor_id'],
            parent_id=old_ids.get(row['parent_id']), user_id=row['user_id'],
            organisation_id=row['voice_id'],
            publication='none' if row['publication'] == 'unpublished' else row['publication'],
            body=(row['body'] or '')[:4000], created_at=row['created_at'],
            hidden_at=(row['decided_at'] or datetime.now(UTC)) if hidden else None,
            hidden_by_id=row['decided_by_id'] if hidden else None,
            hidden_reason=(row['public_reason'] or '')[:500] if hidden else None,
        ).returning(old.c.id)).scalar_one()
    ids = [row['id'] for row in rows]
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        cases = sa.select(case.c.id).where(case.c.subject_type == COMMENT,
                                           case.c.subject_id.in_(chunk))
        bind.execute(report.delete().where(report.c.case_id.in_(cases)))
        bind.execute(case.delete().where(case.c.subject_type == COMMENT,
                                         case.c.subject_id.in_(chunk)))
        bind.execute(support.delete().where(support.c.comment_id.in_(chunk)))
    bind.execute(comment.delete().where(comment.c.subject_type == SUBJECT,
                                        comment.c.parent_id.is_not(None)))
    bind.execute(comment.delete().where(comment.c.subject_type == SUBJECT))

    with op.batch_alter_table('deliberation_comment', schema=None) as batch_op:
        batch_op.drop_column('publication')
        batch_op.drop_column('voice_id')
        batch_op.drop_column('anchor_id')
