"""Fixtures shared by the kernel's tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.identity import passwords
from app.identity import service as identity_service

_HASHES: dict[str, str] = {}


@pytest.fixture(autouse=True)
def _fast_password_hashing(request, monkeypatch) -> Iterator[None]:
    """Real argon2id hashes, but computed once per distinct password.

    Every factory user shares the factories' password, so hashing it for each of them would
    only make the suite slow. Verification stays real. A test that needs a fresh salt per
    hash asks for the `real_hashing` fixture.
    """
    if "real_hashing" not in request.fixturenames:
        real = passwords.hash_password

        def cached(password: str) -> str:
            if password not in _HASHES:
                _HASHES[password] = real(password)
            return _HASHES[password]

        monkeypatch.setattr(identity_service, "hash_password", cached)
    yield


@pytest.fixture
def real_hashing() -> None:
    """Hash every password afresh (see _fast_password_hashing)."""


@pytest.fixture
def settings():
    from app.settings import get_settings

    return get_settings()


@pytest.fixture(scope="module")
def _module_database(backend) -> Iterator[str]:
    from tests.conftest import drop_database, migrated_database

    url = migrated_database(backend, "mod")
    yield url
    drop_database(url)


@pytest.fixture
def iso_engine(_module_database):
    """An engine on a separate migrated database whose commits are real.

    One database per test module (building one takes seconds on PostgreSQL); every table is
    emptied after each test.
    """
    from app.db import build_engine
    from app.main import load_models
    from app.models import metadata

    load_models()
    engine = build_engine(_module_database)
    yield engine
    with engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())
    engine.dispose()


@pytest.fixture
def rate_limits(monkeypatch, settings):
    """Turn rate limits on (they are off for the suite) with a fresh in-memory store."""
    from app.web import ratelimit

    monkeypatch.setattr(settings, "rate_limits_enabled", True)
    monkeypatch.setattr(settings, "redis_url", None)
    ratelimit.store.cache_clear()
    yield settings
    ratelimit.store.cache_clear()
