"""Database plumbing: engine, naming convention, SQLite tuning and the request transaction.

SQLite is opened in WAL mode with foreign keys on and a generous busy timeout. Python's sqlite3
driver is told not to manage transactions; we emit BEGIN ourselves so that a request that may
write starts with BEGIN IMMEDIATE. A writer therefore waits for the write lock up front (under
busy_timeout) instead of failing mid-transaction with "database is locked" when a read
transaction tries to upgrade. Read-only requests start a plain deferred BEGIN and never block.

Writers on one SQLite file also queue at a write gate (`WriteGate`) before BEGIN IMMEDIATE: a
lock per process plus an advisory `flock` on `<database>.lock` between processes. SQLite's own
busy handler polls with sleeps of up to 100 ms, so under a surge of writers it wastes most of the
time sleeping and some writers starve for seconds; the kernel wakes a waiter of the gate the
moment the lock is released. The gate is only a queue: SQLite's locking stays the guarantee.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine

from app.models import metadata
from app.settings import get_settings

__all__ = ["build_engine", "get_engine", "metadata", "new_session", "transaction",
           "write_intent"]

# Set per request: True when the request may write (any method but GET/HEAD/OPTIONS).
write_intent: ContextVar[bool] = ContextVar("write_intent", default=True)


GATE_TIMEOUT_S = 30.0  # as long as SQLite's busy_timeout: then "database is locked", as before


class WriteGate:
    """Serialises the write transactions on one SQLite file, in this process and between
    processes, without polling.

    One gate per file and process (`gate_for`), shared by every engine on that file. The thread
    lock may be released by another thread than the one that took it (a plain `Lock`), because
    a request may commit in a different worker thread from the one it began in.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._fd: int | None = None

    def acquire(self) -> None:
        if not self._lock.acquire(timeout=GATE_TIMEOUT_S):
            raise sqlite3.OperationalError("database is locked")
        try:
            if self._fd is None:
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(self._fd, fcntl.LOCK_EX)
        except BaseException:
            self._lock.release()
            raise

    def release(self) -> None:
        try:
            if self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._lock.release()


_gates: dict[tuple[int, str], WriteGate] = {}
_gates_lock = threading.Lock()


def gate_for(database: str | None) -> WriteGate | None:
    """The write gate of a SQLite database file (None for an in-memory database)."""
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        return None
    key = (os.getpid(), str(Path(database).resolve()))
    with _gates_lock:
        gate = _gates.get(key)
        if gate is None:
            gate = _gates[key] = WriteGate(key[1] + ".lock")
        return gate


def _configure_sqlite(engine: Engine) -> None:
    gate_of_process: dict[int, WriteGate | None] = {}
    holding: set[int] = set()  # id() of the DBAPI connections inside a gated transaction

    def gate() -> WriteGate | None:
        pid = os.getpid()  # a forked worker must not share its parent's descriptor
        if pid not in gate_of_process:
            gate_of_process[pid] = gate_for(engine.url.database)
        return gate_of_process[pid]

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
        if not write_intent.get():
            conn.exec_driver_sql("BEGIN")
            return
        raw = id(conn.connection.dbapi_connection)
        gated = gate()
        if gated is not None and raw not in holding:
            gated.acquire()
            holding.add(raw)
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            _release(raw)
            raise

    def _release(raw: int) -> None:
        if raw in holding:
            holding.discard(raw)
            gated = gate()
            if gated is not None:
                gated.release()

    dialect = engine.dialect

    def _after(method):
        def wrapped(dbapi_conn, *args, **kwargs):
            raw = id(getattr(dbapi_conn, "dbapi_connection", None) or dbapi_conn)
            try:
                return method(dbapi_conn, *args, **kwargs)
            finally:
                _release(raw)
        return wrapped

    # The gate opens once the transaction has ended, whichever way it ends.
    dialect.do_commit = _after(dialect.do_commit)
    dialect.do_rollback = _after(dialect.do_rollback)
    dialect.do_close = _after(dialect.do_close)


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
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


@lru_cache
def get_engine() -> Engine:
    return build_engine(get_settings().database_url)


def new_session(engine: Engine | None = None) -> Session:
    return Session(engine or get_engine(), expire_on_commit=False)


@contextmanager
def transaction(engine: Engine | None = None, *, write: bool = True) -> Iterator[Session]:
    """A unit of work outside a request (CLI, worker): commit on success, roll back on error."""
    token = write_intent.set(write)
    session = new_session(engine)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
        write_intent.reset(token)


def is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"
