"""Database plumbing: engine, naming convention, SQLite tuning, the SQLite writer queue and the
unit of work outside a request.

SQLite is opened in WAL mode with foreign keys on and a generous busy timeout. Python's sqlite3
driver is told not to manage transactions; we emit BEGIN ourselves (SQLAlchemy's documented
recipe for pysqlite), so that a transaction that may write starts with BEGIN IMMEDIATE: it takes
the write lock up front instead of failing mid-way with "database is locked" when its read
snapshot cannot be upgraded. Whether a transaction may write is `write_intent`, a context
variable set by the request transaction (app/web/deps.py) and by `transaction()`.

The SQLite writer queue (`WriterTurn`) is the one place where writers wait for each other.
SQLite has one writer per file, and its busy handler polls with sleeps of up to 100 ms, so
under a burst of writers most of the time goes to sleeping and some writers starve for seconds.
Every write transaction on a SQLite file (a writing request, a group commit, the audit sealer,
the worker) first takes an exclusive `flock` on `<database>.lock` with a descriptor of its own:
the kernel queues the waiters (in this process and in others) and wakes the next one the moment
the lock is released. SQLite's own locking stays the guarantee; the queue only makes waiting
cheap. PostgreSQL needs none of this: its writers wait only on the rows they share.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine, make_url
from sqlmodel import Session, create_engine

from app.models import metadata
from app.settings import get_settings

__all__ = ["GROUP_COMMIT", "build_engine", "engine_of", "get_engine", "insert_or_skip",
           "metadata", "new_session", "transaction", "write_intent", "writer_turn"]

# True while the current unit of work may write: SQLite then begins with BEGIN IMMEDIATE.
write_intent: ContextVar[bool] = ContextVar("write_intent", default=True)
# session.info key: the session belongs to a request that may hand its hot writes to a group
# commit (app.batch); any other session runs them itself.
GROUP_COMMIT = "group_commit"
# Execution option of a session that only reads (new_session(reads_only=True)).
READS_ONLY = "hromada_reads_only"
ENGINE = "engine"  # session.info key: the engine a session was opened on


class WriterTurn:
    """The writer turn of one SQLite file: an exclusive `flock` on `<database>.lock` through a
    descriptor of its own, so two turns in one process queue like two processes."""

    def __init__(self, path: str) -> None:
        self.path, self._fd = path, None

    def take(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd

    def give_back(self) -> None:  # closing the descriptor releases its lock; twice is once
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)


def writer_turn(bind: Engine | Connection) -> WriterTurn | None:
    """The writer turn of a SQLite file; None where writers need none (PostgreSQL, memory)."""
    url = bind.engine.url
    database = url.database
    if url.get_backend_name() != "sqlite" or not database or database == ":memory:" or (
            database.startswith("file:")):
        return None
    return WriterTurn(_lock_path(database))


@lru_cache(maxsize=16)
def _lock_path(database: str) -> str:
    return str(Path(database).resolve()) + ".lock"


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # pragma: no cover - exercised by every test
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        if conn.get_execution_options().get(READS_ONLY):
            return  # statements run alone, each in its own implicit read transaction
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write_intent.get() else "BEGIN")


def build_engine(url: str, **kwargs) -> Engine:
    if url.startswith("sqlite"):
        # As many pooled connections as request threads (anyio's 40): connections beyond the
        # pool are closed when returned, and reopening one (with its PRAGMAs) costs more than
        # the query it serves.
        database = make_url(url).database
        if database and database != ":memory:" and not database.startswith("file:"):
            kwargs.setdefault("pool_size", 40)
            kwargs.setdefault("max_overflow", 10)
            Path(database).parent.mkdir(parents=True, exist_ok=True)  # var/ on a fresh clone
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs
        )
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_size", 20)
    kwargs.setdefault("max_overflow", 10)
    # No ping on every checkout (a round trip per request); connections are recycled before
    # a server or a proxy would drop them, and one lost anyway fails its request with a 503
    # (app.web.deps) while the pool discards it.
    kwargs.setdefault("pool_recycle", 1800)
    return create_engine(url, **kwargs)


@lru_cache
def get_engine() -> Engine:
    return build_engine(get_settings().database_url)


def new_session(engine: Engine | None = None, *, reads_only: bool = False) -> Session:
    """A session; `reads_only` for a request that writes nothing in it (a page, or a form
    whose write goes through a group commit): its statements run without BEGIN and COMMIT.
    Each statement still reads committed data as of its start, which is all PostgreSQL's READ
    COMMITTED gives a transaction anyway, and it saves two round trips per request."""
    engine = engine or get_engine()
    session = Session(_reader(engine) if reads_only else engine, expire_on_commit=False)
    session.info[ENGINE] = engine
    session.info[READS_ONLY] = reads_only
    return session


def engine_of(session: Session) -> Engine | Connection:
    """What to open a unit of work of one's own on (a group commit, a short write beside a
    page): the session's engine, never its reading variant; a test's connection as it is."""
    return session.info.get(ENGINE) or session.get_bind()


@lru_cache(maxsize=8)
def _reader(engine: Engine) -> Engine:
    if engine.dialect.name == "sqlite":
        return engine.execution_options(**{READS_ONLY: True})  # see _on_begin
    return engine.execution_options(isolation_level="AUTOCOMMIT")


@contextmanager
def transaction(engine: Engine | None = None, *, write: bool = True) -> Iterator[Session]:
    """A unit of work outside a request (CLI, worker, group commit, sealer): commit on success,
    roll back on error. A writing one waits for the SQLite writer turn first."""
    engine = engine or get_engine()
    token = write_intent.set(write)
    turn = writer_turn(engine) if write else None
    try:
        if turn is not None:
            turn.take()
        with new_session(engine) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise
    finally:
        if turn is not None:
            turn.give_back()
        write_intent.reset(token)


def insert_or_skip(session: Session, table):
    """An INSERT of the session's dialect, for `.on_conflict_do_nothing()` (PostgreSQL and
    SQLite spell it alike)."""
    dialect = session.get_bind().dialect.name
    return (pg_insert if dialect == "postgresql" else sqlite_insert)(table)
