"""The one Alembic history: down to nothing and up again; and no serving an unmigrated database."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from fastapi.testclient import TestClient
from sqlalchemy import inspect

from app.db import build_engine
from app.main import load_models
from app.migrate import (
    UnmigratedDatabase,
    current_revision,
    downgrade,
    ensure_migrated,
    head_revision,
    upgrade,
)
from app.models import metadata
from tests.conftest import create_database, drop_database

KERNEL_TABLES = {"identity_user", "identity_session", "identity_api_token", "community",
                 "community_authority", "community_residency", "community_staff",
                 "community_district",
                 "rules_ruleset", "rules_holiday", "accountability_obligation",
                 "notification_message", "notification_follow", "audit_entry"}


def tables(engine) -> set[str]:
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def test_downgrade_to_base_and_upgrade_to_head(isolated_database):
    engine = build_engine(isolated_database)
    try:
        assert tables(engine) >= KERNEL_TABLES
        assert current_revision(engine) == head_revision()

        if head_revision() != "0001_kernel":  # a database behind head is refused too
            downgrade(isolated_database, "0001_kernel")
            engine.dispose()
            with pytest.raises(UnmigratedDatabase, match="0001_kernel"):
                ensure_migrated(engine)

        downgrade(isolated_database, "base")
        engine.dispose()
        assert tables(engine) == set()
        assert current_revision(engine) is None

        upgrade(isolated_database)
        engine.dispose()
        assert tables(engine) >= KERNEL_TABLES
        assert current_revision(engine) == head_revision()
        ensure_migrated(engine)
        # After the round trip the kernel's tables are exactly what its models describe.
        assert kernel_differences(engine) == []
    finally:
        engine.dispose()


def _table_of(diff) -> str:
    """The table an autogenerate difference is about."""
    if isinstance(diff, list):  # modifications come as lists of ("modify_…", …) tuples
        diff = diff[0]
    op = diff[0]
    if op in ("add_table", "remove_table"):
        return diff[1].name
    if op in ("add_column", "remove_column") or op.startswith("modify_"):
        return diff[2]
    return diff[1].table.name  # indexes, unique and foreign-key constraints


def kernel_differences(engine) -> list:
    """What autogenerate would change in the kernel's tables (models against the database)."""
    load_models()
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(context, metadata)
    return [d for d in diffs if _table_of(d) in KERNEL_TABLES]


@pytest.fixture(scope="module")
def empty_database(backend):
    url = create_database(backend, "empty")
    yield url
    drop_database(url)


def test_an_unmigrated_database_is_refused_with_a_clear_message(empty_database):
    engine = build_engine(empty_database)
    try:
        with pytest.raises(UnmigratedDatabase) as caught:
            ensure_migrated(engine)
    finally:
        engine.dispose()
    message = str(caught.value)
    assert "hromada migrate" in message
    assert "none (empty)" in message
    assert head_revision() in message


def test_the_app_does_not_start_on_an_unmigrated_database(empty_database, monkeypatch):
    import app.db
    from app.main import create_app

    engine = build_engine(empty_database)
    monkeypatch.setattr(app.db, "get_engine", lambda: engine)
    try:
        with pytest.raises(UnmigratedDatabase, match="hromada migrate"), \
                TestClient(create_app()):
            pass
    finally:
        engine.dispose()


def test_migrating_creates_the_directory_of_a_new_sqlite_file(tmp_path):
    # A fresh clone has no var/: `make run` migrates before anything else made it.
    database = tmp_path / "var" / "nested" / "hromada.db"
    url = f"sqlite:///{database}"
    upgrade(url)
    engine = build_engine(url)
    try:
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()
