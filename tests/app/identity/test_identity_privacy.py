"""What identity keeps is in the personal data download, and erasure removes it."""

from __future__ import annotations

from sqlmodel import select

from app.identity.models import ProviderLink, RecoveryCode, User
from app.privacy import service as privacy
from tests.factories import make_user


def test_export_lists_the_providers_and_erasure_removes_links_and_codes(db):
    user = make_user(db)
    db.add(ProviderLink(user_id=user.id, provider="diia", subject_hash="a" * 64,
                        person_hash="b" * 64, identifies=True))
    db.add(RecoveryCode(user_id=user.id, code_hash="c" * 64))
    user.totp_secret, user.totp_last_step = "encrypted", 5
    db.add(user)
    db.flush()

    data = privacy.export(db, user)
    assert [p["provider"] for p in data["identity_providers"]] == ["diia"]
    assert "b" * 64 not in str(data)  # hashes are not readable personal data

    privacy.erase_account(db, user)
    assert db.exec(select(ProviderLink)).all() == []
    assert db.exec(select(RecoveryCode)).all() == []
    erased = db.get(User, user.id)
    assert erased.totp_secret is None and erased.totp_last_step is None
