"""The petitions tables as the migration builds them: equal to the models, reversible, and
with the full-text index on PostgreSQL that the search actually uses."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from app.db import build_engine
from app.main import load_models
from app.migrate import downgrade, upgrade
from app.models import metadata

TABLES = {"petition", "petition_signature", "petition_sponsor", "petition_answer",
          "petition_update"}


def _table_of(diff) -> str:
    if isinstance(diff, list):
        diff = diff[0]
    op = diff[0]
    if op in ("add_table", "remove_table"):
        return diff[1].name
    if op in ("add_column", "remove_column") or op.startswith("modify_"):
        return diff[2]
    return diff[1].table.name


def test_models_match_the_migration_both_ways(isolated_database, backend):
    engine = build_engine(isolated_database)
    try:
        load_models()
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diffs = [d for d in compare_metadata(context, metadata) if _table_of(d) in TABLES]
        # The FTS expression index exists only in the migration (PostgreSQL).
        diffs = [d for d in diffs if not (d[0] == "remove_index"
                                          and d[1].name == "ix_petition_fts")]
        assert diffs == []
        indexes = {i["name"] for i in inspect(engine).get_indexes("petition")}
        assert ("ix_petition_fts" in indexes) == (backend == "postgresql")

        downgrade(isolated_database, "0001_kernel")
        engine.dispose()
        assert not TABLES & set(inspect(engine).get_table_names())
        upgrade(isolated_database)
        engine.dispose()
        assert set(inspect(engine).get_table_names()) >= TABLES
    finally:
        engine.dispose()


def test_search_uses_the_fulltext_index(db, backend):
    if backend != "postgresql":
        pytest.skip("SQLite searches with LIKE; there is no index to use")
    from sqlmodel import select

    from petitions import repository
    from petitions.models import Petition

    condition = repository._text_match(db, ["дорога"], any_word=False)
    query = select(Petition.id).where(condition).compile(
        db.get_bind(), compile_kwargs={"literal_binds": True})
    db.exec(text("SET LOCAL enable_seqscan = off"))
    plan = "\n".join(r[0] for r in db.exec(text(f"EXPLAIN {query}")))
    assert "ix_petition_fts" in plan, plan
