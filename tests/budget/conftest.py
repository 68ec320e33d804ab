"""Fixtures of the budget tests."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session", autouse=True)
def _registered_kinds():
    """Service tests run without the app: register the module's obligation kinds as the
    composition root does."""
    from app.accountability.service import register_kind
    from budget.module import MODULE

    for kind in MODULE.obligation_kinds:
        register_kind(kind)


_FAST = None


@pytest.fixture(autouse=True)
def _cheap_password_hashes(monkeypatch):
    """Many people vote here: hash their passwords with minimal argon2 cost (still argon2id,
    still verifiable) instead of the production cost."""
    global _FAST
    from passlib.context import CryptContext

    from app.identity import service as identity_service

    if _FAST is None:
        _FAST = CryptContext(schemes=["argon2"], argon2__type="ID", argon2__memory_cost=8,
                             argon2__rounds=1, argon2__parallelism=1)
    monkeypatch.setattr(identity_service, "hash_password", _FAST.hash)
