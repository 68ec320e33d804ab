"""The module's migration: reversible, and exactly what the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from app.db import build_engine
from app.main import load_models
from app.migrate import downgrade, upgrade
from app.models import metadata

REVISION = "0015_synopsis_sections"


def _table_of(diff) -> str:
    if isinstance(diff, list):
        diff = diff[0]
    op = diff[0]
    if op in ("add_table", "remove_table"):
        return diff[1].name
    if op in ("add_column", "remove_column") or op.startswith("modify_"):
        return diff[2]
    return diff[1].table.name


def ours(name: str) -> bool:
    return name == "consultation" or name.startswith("consultation_")


def test_migration_round_trip_matches_the_models(isolated_database):
    engine = build_engine(isolated_database)
    try:
        load_models()
        expected = {t.name for t in metadata.sorted_tables if ours(t.name)}
        assert len(expected) == 16
        assert {t for t in inspect(engine).get_table_names() if ours(t)} == expected
        downgrade(isolated_database, "0003_budget")
        engine.dispose()
        assert not [t for t in inspect(engine).get_table_names() if ours(t)]
        upgrade(isolated_database, REVISION)
        engine.dispose()
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diffs = [d for d in compare_metadata(context, metadata) if ours(_table_of(d))]
        assert diffs == []
    finally:
        engine.dispose()
