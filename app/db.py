"""Database plumbing: engine, naming convention, SQLite tuning, the SQLite writer queue and the
unit of work outside a request.

SQLite is opened in WAL mode with foreign keys on and a generous busy timeout. Python's sqlite3
driver is told not to manage transactions; we emit BEGIN ourselves (SQLAlchemy's documented
recipe for pysqlite), so that a transaction that may write starts with BEGIN IMMEDIATE: it takes
the write lock up front instead of failing mid-way with "database is locked" when its read
snapshot cannot be upgraded. Whether a transaction may write is `write_intent`, a context
variable that `writing()` sets for a unit of work: the request transaction (app/web/deps.py)
and `transaction()` both run in one. A session that only reads (`new_session(reads_only=True)`)
runs each statement alone, without BEGIN and COMMIT: on PostgreSQL on an engine of its own
whose connections stay in the driver's autocommit (`reader_of`), on SQLite without our BEGIN.

The SQLite writer queue (`WriterTurn`) is the one place where writers wait for each other.
SQLite has one writer per file, and its busy handler polls with sleeps of up to 100 ms, so
under a burst of writers most of the time goes to sleeping and some writers starve for seconds.
Every write transaction on a SQLite file (a writing request, a group commit, the audit sealer,
the worker) first takes an exclusive `flock` on `<database>.lock` with a descriptor of its own:
the kernel queues the waiters (in this process and in others) and wakes the next one the moment
the lock is released. The turn is taken before BEGIN IMMEDIATE and given back once the
transaction ended (committed or rolled back); `writing()` gives it back in any case when the
unit of work ends, so no path keeps it. SQLite's own locking stays the guarantee; the queue
only makes waiting cheap. PostgreSQL needs none of this: its writers wait only on the rows they
share, and its turn is nothing to wait for.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Table, bindparam, event, func, insert, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlmodel import Session, create_engine

from app.models import metadata
from app.settings import get_settings

__all__ = ["GROUP_COMMIT", "WriterTurn", "build_engine", "engine_of", "get_engine",
           "insert_or_skip", "insert_rows", "metadata", "new_session", "reader_of", "transaction",
           "update_rows", "write_intent", "writing"]

# True while the current unit of work may write: SQLite then begins with BEGIN IMMEDIATE.
write_intent: ContextVar[bool] = ContextVar("write_intent", default=True)
# session.info key: the session belongs to a request that may hand its hot writes to a group
# commit (app.batch); any other session runs them itself.
GROUP_COMMIT = "group_commit"
# Execution option of a session that only reads (new_session(reads_only=True)).
READS_ONLY = "hromada_reads_only"
ENGINE = "engine"  # session.info key: the engine a session was opened on


class WriterTurn:
    """The writer turn of the SQLite file behind `bind`: an exclusive `flock` on
    `<database>.lock` through a descriptor of its own, so two turns in one process queue like
    two processes. Without a bind, or where writers need no queue (PostgreSQL, a database in
    memory), the turn has no path and is nothing to wait for. `give_back` may be called twice,
    and after a `take` that failed or never ran."""

    def __init__(self, bind: Engine | Connection | None = None) -> None:
        self.path = None if bind is None else _lock_path(bind.engine.url)
        self._fd: int | None = None

    def take(self) -> None:
        if self.path is not None:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(self._fd, fcntl.LOCK_EX)

    def give_back(self) -> None:  # closing the descriptor releases its lock
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)


@lru_cache(maxsize=16)
def _lock_path(url: URL) -> str | None:
    database = url.database or ":memory:"
    if url.get_backend_name() != "sqlite" or database == ":memory:" or database.startswith("file:"):
        return None
    return str(Path(database).resolve()) + ".lock"


@contextmanager
def writing(bind: Engine | Connection, write: bool) -> Iterator[WriterTurn]:
    """A unit of work that may write (or not): sets `write_intent` for its BEGIN, and gives its
    writer turn back when it ends. The caller takes the turn before its first statement: in
    its own thread (`transaction`), or in a thread of a pool of its own (a request)."""
    token = write_intent.set(write)
    turn = WriterTurn(bind if write else None)
    try:
        yield turn
    finally:
        turn.give_back()
        write_intent.reset(token)


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
        # A reading session sends no BEGIN: each statement is its own implicit read transaction.
        if not conn.get_execution_options().get(READS_ONLY):
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
        _READERS[engine] = engine.execution_options(**{READS_ONLY: True})  # see _on_begin
        return engine
    kwargs.setdefault("pool_size", 20)
    kwargs.setdefault("max_overflow", 10)
    # No ping on every checkout (a round trip per request); connections are recycled before
    # a server or a proxy would drop them, and one lost anyway fails its request with a 503
    # (app.web.errors) while the pool discards it.
    kwargs.setdefault("pool_recycle", 1800)
    engine = create_engine(url, **kwargs)
    # Reading sessions get a pool of their own, of connections in the driver's autocommit
    # for good. A variant of the engine (`execution_options(isolation_level=...)`) would share
    # the pool and switch each connection into autocommit when it is checked out and back
    # when it is returned, and roll it back on return as well: a tenth of the CPU of a
    # logged-in page. A connection in autocommit has no transaction to end when returned.
    reader = create_engine(url, **kwargs, isolation_level="AUTOCOMMIT",
                           pool_reset_on_return=None)
    event.listen(engine, "engine_disposed", lambda _: reader.dispose())
    _READERS[engine] = reader
    return engine


@lru_cache
def get_engine() -> Engine:
    return build_engine(get_settings().database_url)


def new_session(engine: Engine, *, reads_only: bool = False) -> Session:
    """A session; `reads_only` for a request that writes nothing in it (a page, or a form
    whose write goes through a group commit): its statements run without BEGIN and COMMIT.
    Each statement still reads committed data as of its start, which is all PostgreSQL's READ
    COMMITTED gives a transaction anyway, and it saves two round trips per request."""
    return Session(reader_of(engine) if reads_only else engine, expire_on_commit=False,
                   info={ENGINE: engine, READS_ONLY: reads_only})


def engine_of(session: Session) -> Engine | Connection:
    """What to open a unit of work of one's own on (a group commit, a short write beside a
    page): the session's engine, never its reading variant; a test's connection as it is."""
    return session.info.get(ENGINE) or session.get_bind()


def reader_of(engine: Engine) -> Engine:
    """What a reading session of `engine` runs on (see `new_session`): on PostgreSQL an
    engine with a pool of its own, of connections in the driver's autocommit; on SQLite the
    engine itself, told to send no BEGIN. A listener of the statements a page sends listens
    on this one too."""
    reader = _READERS.get(engine)
    if reader is None:  # an engine not made by build_engine (a test's own)
        reader = _READERS[engine] = engine.execution_options(
            **({READS_ONLY: True} if engine.dialect.name == "sqlite"
               else {"isolation_level": "AUTOCOMMIT"}))
    return reader


_READERS: WeakKeyDictionary[Engine, Engine] = WeakKeyDictionary()


@contextmanager
def transaction(engine: Engine | None = None, *, write: bool = True) -> Iterator[Session]:
    """A unit of work outside a request (CLI, worker, group commit, sealer): commit on success,
    roll back on error. A writing one waits for the SQLite writer turn first."""
    engine = engine or get_engine()
    with writing(engine, write) as turn, new_session(engine) as session:
        turn.take()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def insert_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """INSERT rows (each with the same keys) in one statement. On PostgreSQL the rows travel
    as one array per column and come out of unnest(): one statement to plan and run, and no
    per-row work in Python, where psycopg's executemany sends and PostgreSQL runs an INSERT
    per row. SQLite, in process, takes them as an executemany."""
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        connection.execute(insert(table), list(rows))
        return
    columns = tuple(rows[0])
    connection.execute(_unnest_insert(table, columns), _arrays(rows, columns))


@lru_cache(maxsize=64)
def _unnest_insert(table: Table, columns: tuple[str, ...]):
    """INSERT INTO table (columns) SELECT ... FROM unnest(...), built once per table and
    columns."""
    source = _unnest(table, columns)
    return insert(table).from_select(list(columns), select(*source.c))


def _unnest(table: Table, columns: tuple[str, ...]):
    """unnest(:column::type[], ...) AS (columns): rows that travel as one array per column.
    Each array is typed as its column (the dialect writes the cast, so an array of NULLs is
    typed too), and the column type's own conversion applies to each element."""
    arrays = [bindparam(f"{name}_", type_=ARRAY(table.c[name].type)) for name in columns]
    return func.unnest(*arrays).table_valued(*columns).render_derived()


def _arrays(rows: Sequence[dict[str, Any]], columns: tuple[str, ...]) -> dict[str, list]:
    """The parameters of `_unnest`: one list of values per column."""
    return {f"{name}_": [row[name] for row in rows] for name in columns}


def update_rows(session: Session, table: Table, key: str, rows: Sequence[dict[str, Any]],
                *, where: Any = None) -> int:
    """UPDATE rows found by their `key` column, each to its own values (every row with the
    same keys: `key` and the columns to set), with `where` a further condition on the table;
    returns how many rows changed. On PostgreSQL one statement joins the table to the rows
    unnested from one array per column: one plan for the batch, where an executemany plans
    and runs an UPDATE per row (and reuses, per connection, a plan made while the table was
    small). SQLite, in process, takes them as an executemany."""
    if not rows:
        return 0
    connection = session.connection()
    columns = tuple(rows[0])
    if connection.dialect.name != "postgresql":
        statement = (table.update().where(table.c[key] == bindparam(f"{key}_"))
                     .values({c: bindparam(f"{c}_") for c in columns if c != key}))
        if where is not None:
            statement = statement.where(where)
        result = connection.execute(statement, [{f"{c}_": row[c] for c in columns}
                                                for row in rows])
        return result.rowcount
    source = _unnest(table, columns)
    statement = (table.update().where(table.c[key] == source.c[key])
                 .values({c: source.c[c] for c in columns if c != key}))
    if where is not None:
        statement = statement.where(where)
    return connection.execute(statement, _arrays(rows, columns)).rowcount


def insert_or_skip(session: Session, table):
    """An INSERT of the session's dialect, for `.on_conflict_do_nothing()` (PostgreSQL and
    SQLite spell it alike)."""
    dialect = session.get_bind().dialect.name
    return (pg_insert if dialect == "postgresql" else sqlite_insert)(table)
