"""A scratch database for the long runs in bench/ (outside pytest): created, migrated, dropped.

SQLite: a file in a temporary directory. PostgreSQL: a new database on the server named by
HROMADA_BENCH_PG_URL or HROMADA_TEST_DATABASE_URL (used as an administrator).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


def _admin_url() -> str:
    url = (os.environ.get("HROMADA_BENCH_PG_URL") or os.environ.get("HROMADA_TEST_DATABASE_URL")
           or "postgresql://postgres@127.0.0.1:5432/postgres")
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


@contextlib.contextmanager
def scratch_database(backend: str, label: str = "safety") -> Iterator[str]:
    from app.migrate import upgrade

    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix=f"hromada-{label}-") as tmp:
            url = f"sqlite:///{Path(tmp) / 'db.sqlite'}"
            upgrade(url)
            yield url
        return
    admin = make_url(_admin_url())
    name = f"hromada_{label}_{secrets.token_hex(4)}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin.set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield url
    finally:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


def cache_password_hashes() -> None:
    """Factories give everyone the same password: hash it once (verification stays real)."""
    from app.identity import passwords
    from app.identity import service as identity

    real, cache = passwords.hash_password, {}

    def cached(password: str) -> str:
        if password not in cache:
            cache[password] = real(password)
        return cache[password]

    identity.hash_password = cached
