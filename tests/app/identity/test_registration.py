"""Registration: validation, one account per mailbox, argon2id hashes, e-mail verification."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from app.exceptions import Conflict, InvalidInput
from app.identity import service as identity
from app.identity.models import AuthSession, User
from app.notifications.models import Message
from tests.browser import TOKEN_RE
from tests.factories import make_user

GOOD_PASSWORD = "a long pass phrase"


def user_count(db) -> int:
    return db.exec(select(func.count()).select_from(User)).one()


def message_count(db) -> int:
    return db.exec(select(func.count()).select_from(Message)).one()


def register_page(client, **fields):
    page = client.get("/register")
    assert page.status_code == 200
    token = TOKEN_RE.search(page.text).group(1)
    data = {"csrf_token": token, "email": "olena.petrenko@example.org",
            "password": GOOD_PASSWORD, "display_name": "Олена Петренко", **fields}
    return client.post("/register", data=data)


def test_registration_creates_an_unverified_account_and_logs_in(client, db):
    response = register_page(client, email="Olena.Petrenko@Example.org",
                             display_name="  Олена   Петренко ")

    assert response.status_code == 303
    assert response.headers["location"] == "/account?welcome=1"
    user = db.exec(select(User).where(User.email_canonical == "olena.petrenko@example.org")
                   ).one()
    assert user.display_name == "Олена Петренко"
    assert user.language == "uk"
    assert not user.email_verified
    assert db.exec(select(AuthSession).where(AuthSession.user_id == user.id)).first()
    account = client.get("/account?welcome=1")
    assert account.status_code == 200
    assert "Олена Петренко" in account.text
    assert "не підтверджено" in account.text


def test_password_is_stored_as_argon2id(db, real_hashing):
    first = make_user(db, email="one@example.org")
    second = make_user(db, email="two@example.org")

    assert first.password_hash.startswith("$argon2id$")
    assert "m=" in first.password_hash and "t=" in first.password_hash
    assert "correct-horse-battery" not in first.password_hash
    # The same password, a different salt: equal passwords do not show.
    assert first.password_hash != second.password_hash
    assert identity.authenticate(db, "one@example.org", "correct-horse-battery").id == first.id


@pytest.mark.parametrize("variant", [
    "OlenaPetrenko@gmail.com",
    "olena.petrenko+news@gmail.com",
    "o.l.e.n.a.petrenko@googlemail.com",
    "OLENA.PETRENKO@GMAIL.COM",
])
def test_duplicate_email_is_refused_and_nothing_is_written(client, db, variant):
    make_user(db, email="olena.petrenko@gmail.com")
    db.commit()
    users, messages = user_count(db), message_count(db)

    response = register_page(client, email=variant)

    assert response.status_code == 422
    assert "Обліковий запис із цією адресою електронної пошти вже існує." in response.text
    assert user_count(db) == users
    assert message_count(db) == messages
    assert "hromada_session" not in response.cookies


def test_duplicate_email_is_a_conflict_in_the_service(db):
    make_user(db, email="ivan+a@ukr.net")
    with pytest.raises(Conflict) as caught:
        identity.register(db, identity.Registration(
            email="IVAN+b@ukr.net", password=GOOD_PASSWORD, display_name="Іван"))
    assert caught.value.status_code == 409
    assert "email" in caught.value.fields


def test_dots_count_outside_gmail(db):
    make_user(db, email="ivan.k@ukr.net")
    other = identity.register(db, identity.Registration(
        email="ivank@ukr.net", password=GOOD_PASSWORD, display_name="Іван"))
    assert other.email_canonical == "ivank@ukr.net"


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"password": "short7c"}, "password", "Пароль має містити щонайменше 8 символів."),
    ({"password": "x" * 129}, "password", "Пароль може містити щонайбільше 128 символів."),
    ({"password": "Password123"}, "password", "Цей пароль надто поширений."),
    ({"password": "olena.petrenko"}, "password", "Цей пароль надто поширений."),
    ({"email": "not-an-email"}, "email", "Введіть правильну адресу електронної пошти."),
    ({"email": "olena@"}, "email", "Введіть правильну адресу електронної пошти."),
    ({"display_name": " A "}, "display_name", "Введіть своє ім’я (від 2 до 120 символів)."),
])
def test_invalid_registration_is_refused_with_a_field_message(client, db, fields, field,
                                                             message):
    users = user_count(db)

    response = register_page(client, **fields)

    assert response.status_code == 422
    assert f'id="f-{field}"' in response.text
    assert re.search(rf'id="f-{field}"[^>]*aria-invalid="true"', response.text)
    assert message in response.text
    assert user_count(db) == users


def test_an_absurdly_long_password_is_a_422_not_a_500(client, db):
    users = user_count(db)
    response = register_page(client, password="x" * 5000)
    assert response.status_code == 422
    assert user_count(db) == users


def test_service_reports_every_wrong_field_at_once(db):
    with pytest.raises(InvalidInput) as caught:
        identity.register(db, identity.Registration(
            email="nope", password="short", display_name="x"))
    assert set(caught.value.fields) == {"email", "password", "display_name"}


def _verification_token(db, email: str) -> str:
    messages = identity_messages(db, email)
    assert len(messages) == 1
    found = re.search(r"/verify-email\?token=(\S+)", messages[0].body)
    assert found, messages[0].body
    return found.group(1)


def identity_messages(db, email: str) -> list[Message]:
    return list(db.exec(select(Message).where(Message.to_email == email)))


def test_email_is_verified_through_the_link_in_the_outbox(client, db):
    register_page(client, email="mariia@example.org")
    message = identity_messages(db, "mariia@example.org")[0]
    assert message.subject == "Підтвердьте адресу електронної пошти для «Громади»"
    token = _verification_token(db, "mariia@example.org")

    response = client.get(f"/verify-email?token={token}")

    assert response.status_code == 200
    assert "Вашу адресу електронної пошти підтверджено" in response.text
    user = db.exec(select(User).where(User.email == "mariia@example.org")).one()
    db.refresh(user)
    assert user.email_verified
    # The link works again without harm.
    assert client.get(f"/verify-email?token={token}").status_code == 200


def test_verification_message_is_in_the_users_language(client, db):
    register_page(client, email="john@example.org", language="en")
    message = identity_messages(db, "john@example.org")[0]
    assert message.subject == "Confirm your e-mail address for Hromada"


@pytest.mark.parametrize("token", ["", "garbage", "eyJ1Ijo.forged.signature"])
def test_a_bad_verification_link_is_refused(client, db, token):
    response = client.get(f"/verify-email?token={token}")
    assert response.status_code == 422
    assert "Це посилання для підтвердження недійсне." in response.text


def test_a_verification_link_expires(client, db, monkeypatch):
    from itsdangerous.timed import TimestampSigner

    register_page(client, email="late@example.org")
    token = _verification_token(db, "late@example.org")
    issued = TimestampSigner.get_timestamp
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: issued(self) + int(
        timedelta(days=3, minutes=1).total_seconds()))

    response = client.get(f"/verify-email?token={token}")

    assert response.status_code == 422
    assert "Термін дії цього посилання для підтвердження минув." in response.text


def test_a_link_for_an_old_address_does_not_verify_a_new_one(db):
    user = make_user(db, email="old@example.org", verified=False)
    token = identity.email_verification_token(user)
    user.email_canonical = "new@example.org"
    user.email = "new@example.org"
    db.add(user)
    db.flush()
    with pytest.raises(InvalidInput):
        identity.verify_email(db, token)
    assert not user.email_verified


def test_resend_verification_queues_a_new_message(client, db, clock):
    user = make_user(db, email="again@example.org", verified=False)
    client.login(user)
    clock.advance(minutes=5)
    response = client.submit("/account/verification")
    assert response.status_code == 303
    assert response.headers["location"] == "/account?sent=1"
    assert len(identity_messages(db, "again@example.org")) == 1
    assert "Ми надіслали вам нове посилання" in client.get("/account?sent=1").text
