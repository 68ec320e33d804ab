"""Fixtures of the consultations tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

_HASHES: dict[str, str] = {}


@pytest.fixture(scope="session", autouse=True)
def _registered_kinds():
    """Service tests run without the app: register the module's obligation kinds as the
    composition root does."""
    from app.accountability.service import register_kind
    from consultations.module import MODULE

    for kind in MODULE.obligation_kinds:
        register_kind(kind)


@pytest.fixture(autouse=True)
def _fast_password_hashing(monkeypatch) -> Iterator[None]:
    """Real argon2 hashes, computed once per distinct password (every factory user shares
    one), so that creating people for each role stays fast."""
    from app.identity import passwords
    from app.identity import service as identity_service

    real = passwords.hash_password

    def cached(password: str) -> str:
        if password not in _HASHES:
            _HASHES[password] = real(password)
        return _HASHES[password]

    monkeypatch.setattr(identity_service, "hash_password", cached)
    yield


@pytest.fixture
def uploads_dir(tmp_path, monkeypatch):
    """Attachments go to a temporary folder."""
    from app.settings import get_settings

    folder = tmp_path / "uploads"
    monkeypatch.setattr(get_settings(), "upload_dir", folder)
    return folder
