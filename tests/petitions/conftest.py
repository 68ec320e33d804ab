"""Fixtures of the petitions tests."""

from __future__ import annotations

import pytest

_HASHES: dict[str, str] = {}


@pytest.fixture(scope="session", autouse=True)
def _registered_kinds():
    """Service tests run without the app: register the module's obligation kinds as the
    composition root does."""
    from app.accountability.service import register_kind
    from petitions.module import MODULE

    for kind in MODULE.obligation_kinds:
        register_kind(kind)


@pytest.fixture(autouse=True)
def _fast_password_hashing(monkeypatch):
    """Real argon2id hashes, computed once per distinct password (as tests/app does): the
    factories give everyone the same password, and these tests create many people."""
    from app.identity import passwords
    from app.identity import service as identity_service

    real = passwords.hash_password

    def cached(password: str) -> str:
        if password not in _HASHES:
            _HASHES[password] = real(password)
        return _HASHES[password]

    monkeypatch.setattr(identity_service, "hash_password", cached)
