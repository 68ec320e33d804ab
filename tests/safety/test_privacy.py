"""Personal data: the download, erasure that keeps counts right, and the retention purge."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest
from sqlmodel import select

from app.audit import service as audit
from app.identity import service as identity
from app.identity.models import ApiToken, AuthSession, User
from app.modules import Module
from app.notifications.models import Follow
from app.privacy import service as privacy
from tests.factories import PASSWORD, make_community, make_resident, make_user


class Recorder:
    """A stand-in participation module that records the hooks the kernel calls."""

    def __init__(self):
        self.calls: list[tuple] = []

    def module(self) -> Module:
        return Module(name="fake", models="app.identity.models",
                      personal_data=self.personal_data, erase=self.erase, purge=self.purge)

    def personal_data(self, session, user):
        self.calls.append(("personal_data", user.id))
        return {"signatures": [{"petition_id": 7, "signed_at": date(2026, 3, 1)}]}

    def erase(self, session, user):
        self.calls.append(("erase", user.id, user.email))

    def purge(self, session, now):
        self.calls.append(("purge", now))
        return 3


def test_the_download_holds_what_we_hold_and_no_secrets(db):
    place = make_community(db)
    user = make_resident(db, place, email="olena@example.org", name="Олена Тест")
    _, raw_token = identity.create_token(db, user, "my script")
    raw_session = identity.start_session(db, user)
    audit.append(db, "test.acted", "thing", 1, user.id)
    recorder = Recorder()
    data = privacy.export(db, user, [recorder.module()])
    text = json.dumps(data, ensure_ascii=False, default=str)
    assert data["format"] == privacy.FORMAT
    assert data["account"]["email"] == "olena@example.org"
    assert data["account"]["display_name"] == "Олена Тест"
    assert data["residencies"][0]["community"] == place.community.slug
    assert data["api_tokens"][0]["name"] == "my script"
    assert len(data["sessions"]) == 1
    assert data["audit_log"]["pseudonym"] == audit.pseudonym(user.id)
    assert [e["action"] for e in data["audit_log"]["entries"]] == ["test.acted"]
    assert data["modules"]["fake"]["signatures"][0]["signed_at"] == "2026-03-01"
    assert ("personal_data", user.id) in recorder.calls
    assert user.password_hash not in text and raw_token not in text and raw_session not in text


def test_the_download_page_and_api(client, db):
    user = make_user(db, email="download@example.org")
    db.commit()
    assert client.get("/account/data").status_code == 303  # to the login page
    client.login(user)
    response = client.get("/account/data")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert "attachment" in response.headers["content-disposition"]
    assert response.headers["cache-control"] == "no-store"
    assert response.json()["account"]["email"] == "download@example.org"
    # Every registered module contributes its section when it has the hook.
    modules = [m.name for m in client.app.state.modules if m.personal_data is not None]
    assert sorted(response.json()["modules"]) == sorted(modules)

    _, raw = identity.create_token(db, user, "api")
    db.commit()
    assert client.get("/api/v1/me/data").status_code == 401
    api = client.get("/api/v1/me/data", headers={"Authorization": f"Bearer {raw}"})
    assert api.status_code == 200 and api.json()["account"]["id"] == user.id


def test_erasure_anonymises_the_account_and_keeps_its_acts(db):
    place = make_community(db)
    user = make_resident(db, place, email="erase.me@example.org", name="Петро Стертий")
    identity.create_token(db, user, "t")
    identity.start_session(db, user)
    db.add(Follow(user_id=user.id, subject_type="petition", subject_id=1))
    audit.append(db, "test.signed", "thing", 1, user.id)
    recorder = Recorder()

    with pytest.raises(Exception) as wrong:
        privacy.erase(db, user, "not-the-password", [recorder.module()])
    assert wrong.value.status_code == 422 and "password" in wrong.value.fields
    assert user.erased_at is None and recorder.calls == []

    privacy.erase(db, user, PASSWORD, [recorder.module()])
    db.refresh(user)
    assert user.erased_at is not None
    assert user.email.endswith("@erased.invalid") and user.email_canonical == user.email
    assert user.display_name == "—" and user.birth_date is None
    assert not identity.verify_password(PASSWORD, user.password_hash)
    for model in (AuthSession, ApiToken, Follow):
        assert db.exec(select(model).where(model.user_id == user.id)).first() is None
    # The module erased its part while the account could still be recognised.
    assert recorder.calls == [("erase", user.id, "erase.me@example.org")]
    audit.seal(db)
    assert audit.verify(db).ok
    text = json.dumps(privacy.export(db, user), ensure_ascii=False)
    assert "erase.me@example.org" not in text and "Петро" not in text
    # No way back in, and the address is free for a new account.
    with pytest.raises(Exception) as login:
        identity.authenticate(db, "erase.me@example.org", PASSWORD)
    assert login.value.status_code == 401
    assert make_user(db, email="erase.me@example.org").id != user.id
    with pytest.raises(Exception) as again:
        privacy.erase(db, user, PASSWORD)
    assert again.value.status_code == 409


def test_two_erased_accounts_get_distinct_placeholders(db):
    first, second = make_user(db), make_user(db)
    privacy.erase_account(db, first)
    privacy.erase_account(db, second)
    db.refresh(first)
    db.refresh(second)
    assert first.email != second.email


def test_the_erasure_form(client, db):
    user = make_user(db, email="leaving@example.org")
    client.login(user)
    db.commit()
    assert client.get("/account/erase").status_code == 200
    wrong = client.submit("/account/erase", {"password": "nope", "confirm": "true"})
    assert wrong.status_code == 422
    unconfirmed = client.submit("/account/erase", {"password": PASSWORD})
    assert unconfirmed.status_code == 422
    db.refresh(user)
    assert user.erased_at is None
    done = client.submit("/account/erase", {"password": PASSWORD, "confirm": "true"})
    assert done.status_code == 303 and done.headers["location"] == "/account/erased"
    assert 'hromada_session=""' in done.headers["set-cookie"] or \
        "Max-Age=0" in done.headers["set-cookie"]
    db.refresh(user)
    assert user.erased_at is not None
    assert client.get("/account").status_code == 303  # logged out
    assert client.get("/account/erased").status_code == 200


def test_erasure_keeps_a_signature_counted(client, db):
    """Through the petitions module when it is there: the count stays, the name goes."""
    from tests.safety.helpers import open_petition

    try:
        petition_id, place = open_petition(db)
    except ImportError:
        pytest.fail("the petitions module is missing")
    from petitions.service import common, signing

    signer = make_resident(db, place, name="Марія Підписант")
    signing.sign(db, signer, petition_id, True)
    db.commit()
    before = common.get_visible(db, None, petition_id).signature_count
    privacy.erase(db, signer, PASSWORD, client.app.state.modules)
    db.expire_all()
    after = common.get_visible(db, None, petition_id)
    assert after.signature_count == before
    audit.seal(db)
    assert audit.verify(db).ok
    page = client.get(f"/petitions/{petition_id}")
    assert "Марія Підписант" not in page.text


def test_purge_deletes_dead_sessions_and_calls_every_module(db, clock, settings):
    user = make_user(db)
    stale = identity.start_session(db, user)
    clock.advance(hours=settings.session_absolute_hours + 1)
    fresh = identity.start_session(db, user)
    recorder = Recorder()
    counts = privacy.purge(db, None, [recorder.module()])
    assert counts == {"sessions": 1, "fake": 3}
    assert recorder.calls == [("purge", clock.current)]
    assert identity.resolve_session(db, fresh) is not None
    assert identity.resolve_session(db, stale) is None
    idle = identity.start_session(db, user)
    clock.advance(minutes=settings.session_idle_minutes + 1)
    assert privacy.purge(db, None, [])["sessions"] == 2  # `fresh` and `idle` went idle
    assert identity.resolve_session(db, idle) is None


def test_purge_command_runs_every_module_hook(isolated_database):
    from tests.safety.test_audit_chain import hromada

    done = hromada(isolated_database, "privacy", "purge")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("sessions: 0")
    alias = hromada(isolated_database, "privacy", "anonymise-signers",
                    "--now", datetime(2030, 1, 1).isoformat())
    assert alias.returncode == 0, alias.stderr


def test_signer_retention_is_configured(settings):
    assert settings.signer_retention_months > 0
    assert timedelta(days=30 * settings.signer_retention_months) > timedelta(days=30)


def test_erased_user_cannot_use_an_old_session_or_token(client, db):
    user = make_user(db)
    _, raw = identity.create_token(db, user, "t")
    client.login(user)
    privacy.erase_account(db, user)
    db.commit()
    assert client.get("/account").status_code == 303
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code \
        == 401
    assert db.exec(select(User).where(User.id == user.id)).one().erased_at is not None
