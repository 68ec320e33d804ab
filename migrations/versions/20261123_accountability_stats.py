"""accountability statistics: cohort month and answer delay on obligations, tallies

Revision ID: 0005_accountability
Revises: 0004_consultations
Create Date: 2026-11-23
"""

from collections.abc import Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005_accountability"
down_revision: str | None = "0004_consultations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KYIV = ZoneInfo("Europe/Kyiv")
# Open obligations only, one index per grouping of the dashboard's live counts.
OPEN_INDEXES = {"community": ["community_id", "due_at", "kind"],
                "authority": ["authority_id", "due_at", "kind"],
                "month": ["kind", "opened_month", "due_at"]}
COUNTERS = ("opened", "answered_on_time", "answered_late", "rating_yes", "rating_partly",
            "rating_no")


def _counter_columns() -> list[sa.Column]:
    return [sa.Column(name, sa.Integer(), nullable=False, server_default="0")
            for name in COUNTERS]


def _local(value):
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(KYIV).date()


def _backfill() -> None:
    """Existing obligations get their cohort month and answer delay; the tallies are rebuilt."""
    bind = op.get_bind()
    rows = bind.execute(sa.text(
        "SELECT id, opened_at, answered_at FROM accountability_obligation")).all()
    for row_id, opened_at, answered_at in rows:
        opened = _local(opened_at)
        days = None if answered_at is None else max(0, (_local(answered_at) - opened).days)
        bind.execute(sa.text("UPDATE accountability_obligation SET opened_month = :m, "
                             "answer_days = :d WHERE id = :id"),
                     {"m": opened.year * 100 + opened.month, "d": days, "id": row_id})
    answered = "answered_at IS NOT NULL"
    sums = (f"COUNT(*), SUM(CASE WHEN {answered} AND answered_at <= due_at THEN 1 ELSE 0 END), "
            f"SUM(CASE WHEN {answered} AND answered_at > due_at THEN 1 ELSE 0 END), "
            "SUM(rating_yes), SUM(rating_partly), SUM(rating_no)")
    columns = ", ".join(COUNTERS)
    bind.execute(sa.text(
        f"INSERT INTO accountability_stat_community (community_id, kind, {columns}) "
        f"SELECT community_id, kind, {sums} FROM accountability_obligation "
        "GROUP BY community_id, kind"))
    bind.execute(sa.text(
        f"INSERT INTO accountability_stat_month (kind, month, {columns}) "
        f"SELECT kind, opened_month, {sums} FROM accountability_obligation "
        "GROUP BY kind, opened_month"))
    bind.execute(sa.text(
        "INSERT INTO accountability_stat_delay (kind, month, days, answers) "
        "SELECT kind, opened_month, answer_days, COUNT(*) FROM accountability_obligation "
        "WHERE answer_days IS NOT NULL GROUP BY kind, opened_month, answer_days"))


def upgrade() -> None:
    with op.batch_alter_table('accountability_obligation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('opened_month', sa.Integer(), nullable=False,
                                      server_default="0"))
        batch_op.add_column(sa.Column('answer_days', sa.Integer(), nullable=True))
        for name, columns in OPEN_INDEXES.items():
            batch_op.create_index(f'ix_accountability_obligation_open_{name}', columns,
                                  unique=False, sqlite_where=sa.text('answered_at IS NULL'),
                                  postgresql_where=sa.text('answered_at IS NULL'))
        batch_op.create_index('ix_accountability_obligation_community_days',
                              ['community_id', 'kind', 'answer_days'], unique=False)

    op.create_table('accountability_stat_community',
    *_counter_columns(),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_accountability_stat_community_community_id_community'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_accountability_stat_community'))
    )
    with op.batch_alter_table('accountability_stat_community', schema=None) as batch_op:
        batch_op.create_index('ix_accountability_stat_community_key', ['community_id', 'kind'], unique=False)

    op.create_table('accountability_stat_month',
    *_counter_columns(),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('month', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_accountability_stat_month'))
    )
    with op.batch_alter_table('accountability_stat_month', schema=None) as batch_op:
        batch_op.create_index('ix_accountability_stat_month_key', ['kind', 'month'], unique=False)

    op.create_table('accountability_stat_delay',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('month', sa.Integer(), nullable=False),
    sa.Column('days', sa.Integer(), nullable=False),
    sa.Column('answers', sa.Integer(), nullable=False, server_default="0"),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_accountability_stat_delay'))
    )
    with op.batch_alter_table('accountability_stat_delay', schema=None) as batch_op:
        batch_op.create_index('ix_accountability_stat_delay_key', ['kind', 'month', 'days'], unique=False)

    _backfill()


def downgrade() -> None:
    with op.batch_alter_table('accountability_stat_delay', schema=None) as batch_op:
        batch_op.drop_index('ix_accountability_stat_delay_key')
    op.drop_table('accountability_stat_delay')
    with op.batch_alter_table('accountability_stat_month', schema=None) as batch_op:
        batch_op.drop_index('ix_accountability_stat_month_key')
    op.drop_table('accountability_stat_month')
    with op.batch_alter_table('accountability_stat_community', schema=None) as batch_op:
        batch_op.drop_index('ix_accountability_stat_community_key')
    op.drop_table('accountability_stat_community')
    with op.batch_alter_table('accountability_obligation', schema=None) as batch_op:
        batch_op.drop_index('ix_accountability_obligation_community_days')
        for name in OPEN_INDEXES:
            batch_op.drop_index(f'ix_accountability_obligation_open_{name}')
        batch_op.drop_column('answer_days')
        batch_op.drop_column('opened_month')
