"""Test harness: a fresh database built by the real migrations, rolled back after each test.

The suite runs on SQLite by default and on PostgreSQL with `--db postgresql` (the Makefile does
both when HROMADA_TEST_DATABASE_URL is set). Each run gets its own database.
"""

from __future__ import annotations

import atexit
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

os.environ["HROMADA_ENVIRONMENT"] = "test"
os.environ.setdefault("HROMADA_SECRET_KEY", "test-secret-key")
os.environ["HROMADA_MAIL_BACKEND"] = "file"
os.environ["HROMADA_WORKER_IN_PROCESS"] = "false"
os.environ["HROMADA_RATE_LIMITS_ENABLED"] = "false"
# Staff act without a second factor unless a test asks for it (tests/app/identity does).
os.environ["HROMADA_STAFF_SECOND_FACTOR"] = "false"
os.environ.pop("HROMADA_REDIS_URL", None)

import pytest
from fastapi import Request
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

_TMP = Path(tempfile.mkdtemp(prefix="hromada-test-"))
atexit.register(shutil.rmtree, _TMP, ignore_errors=True)
os.environ["HROMADA_MAIL_DIR"] = str(_TMP / "outbox")
os.environ["HROMADA_UPLOAD_DIR"] = str(_TMP / "uploads")


def pytest_addoption(parser):
    parser.addoption("--db", default=os.environ.get("HROMADA_TEST_DB", "sqlite"),
                     choices=["sqlite", "postgresql"], help="database backend for the run")


def pytest_report_header(config):
    return f"hromada database: {config.getoption('--db')}"


def _pg_admin_url() -> str:
    url = os.environ.get("HROMADA_TEST_DATABASE_URL")
    if not url:
        raise pytest.UsageError("--db postgresql needs HROMADA_TEST_DATABASE_URL")
    return url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith(
        "postgresql://") else url


def create_database(backend: str, label: str = "run") -> str:
    """A new, empty database; returns its URL."""
    if backend == "sqlite":
        return f"sqlite:///{_TMP / f'{label}-{secrets.token_hex(4)}.db'}"
    admin = make_url(_pg_admin_url())
    name = f"hromada_test_{label}_{secrets.token_hex(4)}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return admin.set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return
    engine = create_engine(make_url(_pg_admin_url()), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
    engine.dispose()


def migrated_database(backend: str, label: str) -> str:
    from app.migrate import upgrade

    url = create_database(backend, label)
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def backend(pytestconfig) -> str:
    return pytestconfig.getoption("--db")


@pytest.fixture(scope="session")
def database_url(backend) -> Iterator[str]:
    url = migrated_database(backend, "main")
    os.environ["HROMADA_DATABASE_URL"] = url
    from app.db import get_engine
    from app.settings import get_settings

    get_settings.cache_clear()
    get_engine.cache_clear()
    yield url
    get_engine().dispose()
    drop_database(url)


@pytest.fixture(scope="session")
def engine(database_url):
    from app.db import get_engine

    return get_engine()


@pytest.fixture
def db(engine) -> Iterator[Session]:
    """A session whose every commit is a savepoint inside one transaction rolled back after."""
    from app.db import write_intent

    token = write_intent.set(True)
    connection = engine.connect()
    outer = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint",
                      expire_on_commit=False)
    event.listen(session, "after_flush", _writes_change_pages)
    try:
        yield session
    finally:
        session.close()
        outer.rollback()
        connection.close()
        write_intent.reset(token)


def _writes_change_pages(session, flush_context) -> None:
    """A test's own writes (factories, services called directly) stand for writes of another
    process, which a page may show a TTL late (app/web/pagecache.py); tests do not wait, so
    such a write invalidates at once. Writes inside a request invalidate as in production:
    when the request commits, unless its route keeps the pages."""
    from app.web import pagecache

    if not pagecache.serving():
        pagecache.invalidate()


@pytest.fixture(autouse=True)
def _fresh_pages():
    """No page or fragment outlives its test (the app and its cache are shared by all)."""
    from app.web import pagecache

    pagecache.clear()
    yield
    pagecache.clear()


def _keep_setup(db: Session) -> None:
    """Commit the test's setup at the start of a request; setup still unflushed is the test's
    own write too (see _writes_change_pages), though it is flushed inside the request."""
    from app.web import pagecache

    if (db.new or db.dirty or db.deleted) and event.contains(db, "after_flush",
                                                             _writes_change_pages):
        pagecache.invalidate()
    db.commit()


@pytest.fixture
def pages_as_in_production(db):
    """The test's own writes no longer invalidate the page cache: only committed write
    requests do, and other writes show when the TTL has passed (move the `clock`)."""
    event.remove(db, "after_flush", _writes_change_pages)
    yield
    event.listen(db, "after_flush", _writes_change_pages)


@pytest.fixture(autouse=True)
def _real_clock():
    from app import clock

    yield
    clock.set_clock(None)


class Clock:
    """A controllable clock: tests move time, they never wait."""

    def __init__(self, start: datetime):
        self.current = start

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **kwargs) -> datetime:
        self.current += timedelta(**kwargs)
        return self.current

    def set(self, moment: datetime) -> None:
        self.current = moment


@pytest.fixture
def clock():
    """Time frozen at Monday 2026-03-02 09:00 UTC, moved by tests."""
    from app import clock as app_clock

    fake = Clock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    app_clock.set_clock(fake)
    yield fake
    app_clock.set_clock(None)


@pytest.fixture(scope="session")
def app(database_url):
    from app.main import create_app

    return create_app(check_migrations=False)


@pytest.fixture
def client(app, db):
    """A browser on the app, sharing the test's transaction."""
    from app.web.deps import get_session
    from tests.browser import Browser

    def _session(request: Request):
        # The setup so far is kept (a savepoint release): a request that fails rolls back its
        # own work only, as it would with a transaction of its own.
        _keep_setup(db)
        request.state.db = db
        request.state.db_external = True
        return db

    app.dependency_overrides[get_session] = _session
    with Browser(app, db) as browser:
        yield browser
    app.dependency_overrides.pop(get_session, None)


@pytest.fixture
def make_client(app, db):
    """More browsers (several people at once) sharing the test's transaction."""
    from app.web.deps import get_session
    from tests.browser import Browser

    def _session(request: Request):
        # The setup so far is kept (a savepoint release): a request that fails rolls back its
        # own work only, as it would with a transaction of its own.
        _keep_setup(db)
        request.state.db = db
        request.state.db_external = True
        return db

    app.dependency_overrides[get_session] = _session
    opened: list[Browser] = []

    def factory() -> Browser:
        browser = Browser(app, db)
        browser.__enter__()
        opened.append(browser)
        return browser

    yield factory
    for browser in opened:
        browser.__exit__(None, None, None)
    app.dependency_overrides.pop(get_session, None)


@pytest.fixture
def outbox_dir() -> Path:
    return _TMP / "outbox"


@pytest.fixture
def isolated_database(backend) -> Iterator[str]:
    """A separate migrated database with real commits, for concurrency and crash tests."""
    url = migrated_database(backend, "iso")
    yield url
    drop_database(url)
