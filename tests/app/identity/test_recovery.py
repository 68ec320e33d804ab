"""Password reset by e-mail and change of e-mail address, through the pages."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlmodel import select

from app.audit.models import AuditEntry
from app.identity.models import AuthSession, OneTimeToken, User
from app.notifications.models import Message
from app.settings import get_settings
from app.web import ratelimit
from app.web.auth import SESSION_COOKIE
from tests.factories import PASSWORD, make_user

NEW_PASSWORD = "a brand new passphrase"


def last_link(db, address: str, path: str) -> str:
    messages = db.exec(select(Message).where(Message.to_email == address)
                       .order_by(Message.id.desc())).all()
    for message in messages:
        found = re.search(rf"https?://[^/\s]+({re.escape(path)}[^\s]+)", message.body)
        if found:
            return found.group(1)
    raise AssertionError(f"no {path} link mailed to {address}")


def test_a_reset_link_sets_a_new_password_once_and_ends_every_session(client, make_client,
                                                                       db):
    user = make_user(db, email="olena@example.org")
    other_device = make_client().login(user)
    assert other_device.get("/account").status_code == 200

    page = client.submit("/password-reset", {"email": "Olena@example.org"})
    assert page.status_code == 200
    link = last_link(db, "olena@example.org", "/password-reset/")
    assert db.exec(select(OneTimeToken)).one().token_hash not in link  # only its hash is kept

    assert client.get(link).status_code == 200
    response = client.submit(link, {"password": NEW_PASSWORD})
    assert response.status_code == 303 and response.headers["location"] == "/login?reset=1"
    db.refresh(user)
    assert db.exec(select(AuthSession).where(AuthSession.user_id == user.id)).all() == []
    assert other_device.get("/account").status_code == 303  # logged out everywhere

    again = client.submit(link, {"password": "yet another passphrase"}, headers={
        "Accept-Language": "en"})
    assert again.status_code == 422
    assert "already used" in again.text
    login = client.submit("/login", {"email": "olena@example.org", "password": NEW_PASSWORD})
    assert login.status_code == 303
    actions = {e.action for e in db.exec(select(AuditEntry))}
    assert {"identity.password_reset_requested", "identity.password_reset"} <= actions


def test_the_answer_is_the_same_whether_the_address_exists(client, db):
    make_user(db, email="known@example.org")
    known = client.submit("/password-reset", {"email": "known@example.org"})
    unknown = client.submit("/password-reset", {"email": "unknown@example.org"})
    assert known.status_code == unknown.status_code == 200
    strip = re.compile(r'name="csrf_token" value="[^"]*"|hx-headers=\'[^\']*\'')
    assert strip.sub("", known.text) == strip.sub("", unknown.text)
    assert db.exec(select(Message).where(Message.to_email == "unknown@example.org")).all() == []


def test_a_late_link_is_refused_and_writes_nothing(client, db, clock):
    user = make_user(db, email="late@example.org")
    client.submit("/password-reset", {"email": "late@example.org"})
    link = last_link(db, "late@example.org", "/password-reset/")
    clock.advance(minutes=get_settings().password_reset_minutes + 1)
    response = client.submit(link, {"password": NEW_PASSWORD}, headers={
        "Accept-Language": "en"})
    assert response.status_code == 422 and "expired" in response.text
    before = user.password_hash
    db.refresh(user)
    assert user.password_hash == before


def test_a_new_link_retires_the_old_one_and_a_weak_password_is_refused(client, db):
    make_user(db, email="twice@example.org")
    client.submit("/password-reset", {"email": "twice@example.org"})
    first = last_link(db, "twice@example.org", "/password-reset/")
    client.submit("/password-reset", {"email": "twice@example.org"})
    second = last_link(db, "twice@example.org", "/password-reset/")
    assert first != second
    assert client.submit(first, {"password": NEW_PASSWORD}).status_code == 422
    weak = client.submit(second, {"password": "123"})
    assert weak.status_code == 422 and 'aria-invalid="true"' in weak.text
    assert client.submit(second, {"password": NEW_PASSWORD}).status_code == 303


def test_reset_requests_are_rate_limited(client, db, monkeypatch):
    settings = get_settings()
    monkeypatch.setattr(settings, "rate_limits_enabled", True)
    monkeypatch.setattr(settings, "rate_recovery", "2/3600")
    ratelimit.reset()
    try:
        codes = [client.submit("/password-reset", {"email": "x@example.org"}).status_code
                 for _ in range(3)]
    finally:
        ratelimit.reset()
    assert codes == [200, 200, 429]


def test_changing_the_email_confirms_the_new_address_and_tells_the_old(client, db):
    user = make_user(db, email="old@example.org")
    client.login(user)
    wrong = client.submit("/account/email", {"email": "new@example.org",
                                             "email_password": "not it"})
    assert wrong.status_code == 422
    response = client.submit("/account/email", {"email": "new@example.org",
                                                "email_password": PASSWORD})
    assert response.status_code == 303
    db.refresh(user)
    assert user.email == "old@example.org"  # not before the new address is confirmed
    link = last_link(db, "new@example.org", "/account/email/confirm/")
    assert client.get(link).status_code == 200
    assert client.submit(link).status_code == 303
    db.refresh(user)
    assert user.email == "new@example.org" and user.email_verified
    notice = db.exec(select(Message).where(Message.to_email == "old@example.org")
                     .order_by(Message.id.desc())).first()
    assert "new@example.org" in notice.body
    assert client.submit(link).status_code == 422  # once


def test_an_address_of_another_account_is_refused(client, db):
    make_user(db, email="taken@example.org")
    user = make_user(db, email="mine@example.org")
    client.login(user)
    response = client.submit("/account/email", {"email": "Taken@example.org",
                                                "email_password": PASSWORD})
    assert response.status_code == 409


def test_changing_the_password_ends_the_other_sessions(client, make_client, db):
    user = make_user(db, email="change@example.org")
    other = make_client().login(user)
    client.login(user)
    response = client.submit("/account/password", {"current_password": PASSWORD,
                                                   "password": NEW_PASSWORD})
    assert response.status_code == 303
    assert client.get("/account").status_code == 200  # this browser stays, in a new session
    assert other.get("/account").status_code == 303
    sessions = db.exec(select(AuthSession).where(AuthSession.user_id == user.id)).all()
    assert len(sessions) == 1
    assert any(h.startswith(f"{SESSION_COOKIE}=") for h in response.headers.get_list(
        "set-cookie"))


@pytest.mark.parametrize("minutes", [59])
def test_a_link_within_its_lifetime_works(client, db, clock, minutes):
    make_user(db, email="ontime@example.org")
    client.submit("/password-reset", {"email": "ontime@example.org"})
    link = last_link(db, "ontime@example.org", "/password-reset/")
    clock.advance(minutes=minutes)
    assert client.submit(link, {"password": NEW_PASSWORD}).status_code == 303
    assert db.exec(select(User).where(User.email == "ontime@example.org")).one()
    assert timedelta(minutes=minutes) < timedelta(minutes=get_settings().password_reset_minutes)
