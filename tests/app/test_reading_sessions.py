"""Sessions that only read: a page, or a form whose write goes through a group commit.

They run their statements without BEGIN and COMMIT (each statement reads what is committed
when it starts), open units of work of their own on the engine itself, and are the only
sessions whose rule-set versions the process remembers. Real commits, on the run's database.
"""

from __future__ import annotations

import pytest
from sqlalchemy import event, text

from app.db import READS_ONLY, build_engine, engine_of, new_session, reader_of, transaction
from app.rules import service as rules


@pytest.fixture
def engine(isolated_database):
    engine = build_engine(isolated_database)
    with transaction(engine) as session:
        session.exec(text("CREATE TABLE reading_probe (n INTEGER NOT NULL)"))
    yield engine
    engine.dispose()


def statements(engine) -> list[str]:
    """The first word of every statement the engine sends from now on, its reading sessions'
    included (on PostgreSQL they have an engine of their own; on SQLite a variant of this
    one, which sends its statements through this one's listeners)."""
    seen: list[str] = []

    def record(conn, cursor, statement, *args):
        seen.append(statement.split()[0].upper())

    event.listen(engine, "before_cursor_execute", record)
    if reader_of(engine).pool is not engine.pool:
        event.listen(reader_of(engine), "before_cursor_execute", record)
    return seen


def count(session) -> int:
    return session.exec(text("SELECT count(*) FROM reading_probe")).scalar_one()


def test_a_reading_session_sees_each_commit_as_it_lands(engine):
    reader = new_session(engine, reads_only=True)
    try:
        assert count(reader) == 0
        with transaction(engine) as writer:
            writer.exec(text("INSERT INTO reading_probe VALUES (1)"))
        assert count(reader) == 1  # no snapshot held since the first read
    finally:
        reader.close()


def test_a_writing_session_keeps_its_snapshot_and_its_transaction(engine):
    with transaction(engine, write=False) as session:
        assert count(session) == 0
        with transaction(engine) as writer:
            writer.exec(text("INSERT INTO reading_probe VALUES (1)"))
        if engine.dialect.name == "sqlite":
            assert count(session) == 0  # one snapshot for the whole transaction
    with transaction(engine) as session:
        session.exec(text("INSERT INTO reading_probe VALUES (2)"))
        session.rollback()
    with transaction(engine, write=False) as session:
        assert count(session) == 1  # the rolled-back insert is gone: it was a transaction


def test_a_reading_session_sends_no_begin_and_no_commit(engine):
    seen = statements(engine)
    reader = new_session(engine, reads_only=True)
    try:
        count(reader)
        if engine.dialect.name == "postgresql":  # the driver's autocommit: no BEGIN sent
            assert reader.connection().connection.dbapi_connection.autocommit is True
        reader.commit()
    finally:
        reader.close()
    assert seen == ["SELECT"]


def test_work_of_its_own_opens_on_the_engine_not_its_reading_variant(engine):
    reader = new_session(engine, reads_only=True)
    try:
        assert engine_of(reader) is engine
        assert reader.get_bind() is not engine  # the variant without transactions
        with transaction(engine_of(reader)) as writer:
            writer.exec(text("INSERT INTO reading_probe VALUES (3)"))
            writer.rollback()
        assert count(reader) == 0
    finally:
        reader.close()


def test_on_postgresql_reading_sessions_have_a_pool_of_their_own_in_autocommit(engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite's reading sessions share the pool: they only send no BEGIN")
    reader = reader_of(engine)
    assert reader.pool is not engine.pool
    for _ in range(2):  # a connection comes back as it went: in autocommit, no transaction
        session = new_session(engine, reads_only=True)
        try:
            count(session)
            raw = session.connection().connection.dbapi_connection
            assert raw.autocommit is True
        finally:
            session.close()
        assert raw.info.transaction_status.name == "IDLE"
    with transaction(engine) as writer:  # the engine's own connections are not in autocommit
        assert writer.connection().connection.dbapi_connection.autocommit is False
    assert reader.pool.checkedin() >= 1
    engine.dispose()  # the reading pool goes with the engine's (a database can be dropped)
    assert reader.pool.checkedin() == 0


def _version_row(engine) -> int:
    from app.communities import service as communities

    with transaction(engine) as session:
        community = communities.create_community(session, slug="reading", name="Громада",
                                                 name_en="Community", population=1000)
        return rules.change(session, community.id, {"petitions": {
            "threshold": 100, "collection_days": 30,
            "answer_deadline": {"days": 10, "unit": "working"}}}, None, "test rules").id


@pytest.fixture
def forget_versions():
    rules._VERSIONS.clear()
    yield rules._VERSIONS
    rules._VERSIONS.clear()


def test_rule_versions_read_by_a_reading_session_are_remembered(engine, forget_versions):
    ruleset_id = _version_row(engine)
    writer = new_session(engine)
    try:
        rules.version(writer, ruleset_id)
        assert forget_versions == {}  # a session that may write remembers nothing
    finally:
        writer.close()
    reader = new_session(engine, reads_only=True)
    assert reader.info[READS_ONLY]
    try:
        first = rules.version(reader, ruleset_id)
    finally:
        reader.close()
    assert list(forget_versions.values()) == [first]
    seen = statements(engine)
    again = new_session(engine, reads_only=True)
    try:
        assert rules.version(again, ruleset_id) is first
    finally:
        again.close()
    assert seen == []  # answered from memory: no query
