"""Database plumbing: engine, naming convention, SQLite tuning and the request transaction.

SQLite is opened in WAL mode with foreign keys on and a generous busy timeout. Python's sqlite3
driver is told not to manage transactions; we emit BEGIN ourselves so that a request that may
write starts with BEGIN IMMEDIATE. A writer therefore waits for the write lock up front (under
busy_timeout) instead of failing mid-transaction with "database is locked" when a read
transaction tries to upgrade. Read-only requests start a plain deferred BEGIN and never block.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

from app.models import metadata
from app.settings import get_settings

__all__ = ["build_engine", "get_engine", "metadata", "new_session", "transaction",
           "write_intent"]

# Set per request: True when the request may write (any method but GET/HEAD/OPTIONS).
write_intent: ContextVar[bool] = ContextVar("write_intent", default=True)


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
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write_intent.get() else "BEGIN")


def build_engine(url: str, **kwargs) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs
        )
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


@lru_cache
def get_engine() -> Engine:
    settings = get_settings()
    if settings.is_sqlite:
        from pathlib import Path

        path = settings.database_url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    return build_engine(settings.database_url)


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
