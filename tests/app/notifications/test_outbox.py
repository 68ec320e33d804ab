"""The transactional outbox: written with the event, delivered once, retried without duplicates."""

from __future__ import annotations

from email import message_from_bytes

import pytest
from sqlalchemy import func
from sqlmodel import select

from app.db import transaction
from app.notifications import service as notifications
from app.notifications.backends import FileBackend
from app.notifications.models import Message, MessageStatus
from app.web.i18n import gettext
from tests.factories import make_user


def render_welcome():
    return gettext("Hromada"), "Тіло листа"


class Recorder:
    """A backend that records what it sends; it can be told to fail."""

    def __init__(self, fail: int = 0):
        self.sent: list[int] = []
        self.fail = fail

    def send(self, message: Message) -> None:
        if self.fail:
            self.fail -= 1
            raise ConnectionError("SMTP server went away")
        self.sent.append(message.id)


def rows(engine) -> list[Message]:
    with transaction(engine, write=False) as session:
        return list(session.exec(select(Message).order_by(Message.id)))


def people(engine, n: int = 2, **kw):
    with transaction(engine) as session:
        users = [make_user(session, **kw) for _ in range(n)]
    return users


def test_messages_are_written_with_the_event_and_rolled_back_with_it(iso_engine):
    alice, bob = people(iso_engine)

    with pytest.raises(RuntimeError), transaction(iso_engine) as session:
        notifications.send_to(session, alice, "welcome", render_welcome)
        notifications.follow(session, bob, "thing", 1)
        notifications.notify_followers(session, "thing", 1, "thing-news", render_welcome)
        assert session.exec(select(func.count()).select_from(Message)).one() == 2
        raise RuntimeError("the event failed")

    assert rows(iso_engine) == []

    with transaction(iso_engine) as session:
        notifications.send_to(session, alice, "welcome", render_welcome)
        notifications.follow(session, bob, "thing", 1)
        assert notifications.notify_followers(session, "thing", 1, "thing-news",
                                              render_welcome) == 1
    assert [m.to_email for m in rows(iso_engine)] == [alice.email, bob.email]


def test_each_message_is_delivered_once(iso_engine, clock):
    alice, bob = people(iso_engine)
    with transaction(iso_engine) as session:
        notifications.send_to(session, alice, "a", render_welcome)
        notifications.send_to(session, bob, "b", render_welcome)
    backend = Recorder()

    assert notifications.deliver_due(iso_engine, backend) == 2
    assert notifications.deliver_due(iso_engine, backend) == 0
    clock.advance(hours=1)
    assert notifications.deliver_due(iso_engine, backend) == 0

    assert sorted(backend.sent) == [m.id for m in rows(iso_engine)]
    assert {m.status for m in rows(iso_engine)} == {MessageStatus.sent}
    assert all(m.sent_at is not None and m.attempts == 1 for m in rows(iso_engine))


def test_a_failed_delivery_is_retried_later_and_not_duplicated(iso_engine, clock):
    (alice,) = people(iso_engine, 1)
    with transaction(iso_engine) as session:
        notifications.send_to(session, alice, "a", render_welcome)
    backend = Recorder(fail=1)

    assert notifications.deliver_due(iso_engine, backend) == 0
    (message,) = rows(iso_engine)
    assert message.status == MessageStatus.pending
    assert message.attempts == 1
    assert "SMTP server went away" in message.last_error
    # Not before the back-off has passed.
    assert notifications.deliver_due(iso_engine, backend) == 0
    clock.advance(seconds=10)
    assert notifications.deliver_due(iso_engine, backend) == 0
    assert backend.sent == []

    clock.advance(minutes=10)
    assert notifications.deliver_due(iso_engine, backend) == 1
    assert notifications.deliver_due(iso_engine, backend) == 0
    clock.advance(hours=2)
    assert notifications.deliver_due(iso_engine, backend) == 0

    assert backend.sent == [message.id]
    (message,) = rows(iso_engine)
    assert message.status == MessageStatus.sent
    assert message.attempts == 2
    assert message.last_error is None


def test_delivery_gives_up_after_the_last_attempt(iso_engine, clock):
    (alice,) = people(iso_engine, 1)
    with transaction(iso_engine) as session:
        notifications.send_to(session, alice, "a", render_welcome)
    backend = Recorder(fail=1000)

    for _ in range(notifications.MAX_ATTEMPTS + 3):
        notifications.deliver_due(iso_engine, backend)
        clock.advance(days=1)

    (message,) = rows(iso_engine)
    assert message.status == MessageStatus.failed
    assert message.attempts == notifications.MAX_ATTEMPTS
    assert backend.sent == []


def test_a_claimed_message_is_not_sent_by_a_second_worker(iso_engine, clock):
    (alice,) = people(iso_engine, 1)
    with transaction(iso_engine) as session:
        notifications.send_to(session, alice, "a", render_welcome)
    first, second = Recorder(), Recorder()

    class Overlapping:
        """While the first worker sends, a second one looks for due messages."""

        def send(self, message):
            assert notifications.deliver_due(iso_engine, second) == 0
            first.send(message)

    assert notifications.deliver_due(iso_engine, Overlapping()) == 1
    assert first.sent and not second.sent


def test_dedupe_key_prevents_duplicate_rows(db):
    alice = make_user(db)
    for _ in range(3):
        notifications.send_to(db, alice, "petition:7:answered", render_welcome)
    notifications.send_to(db, alice, "petition:8:answered", render_welcome)

    keys = [m.dedupe_key for m in notifications.messages_to(db, alice.email)]

    assert keys == [f"petition:7:answered:{alice.id}", f"petition:8:answered:{alice.id}"]


def test_followers_get_one_message_each_in_their_language(db):
    uk = make_user(db, language="uk")
    en = make_user(db, language="en")
    unset = make_user(db)
    unverified = make_user(db, verified=False)
    author = make_user(db)
    erased = make_user(db)
    for person in (uk, en, unset, unverified, author, erased):
        notifications.follow(db, person, "petition", 5)
    notifications.follow(db, uk, "petition", 5)  # following twice changes nothing
    erased.erased_at = erased.created_at
    db.add(erased)
    db.flush()

    sent = notifications.notify_followers(db, "petition", 5, "petition:5:answered",
                                          render_welcome, exclude_user_id=author.id)
    again = notifications.notify_followers(db, "petition", 5, "petition:5:answered",
                                           render_welcome)

    assert sent == 3
    assert again == 1  # only the author, excluded the first time
    subjects = {p.email: [m.subject for m in notifications.messages_to(db, p.email)]
                for p in (uk, en, unset, unverified, erased)}
    assert subjects == {uk.email: ["Громада"], en.email: ["Hromada"], unset.email: ["Громада"],
                        unverified.email: [], erased.email: []}


def test_following_and_unfollowing(db):
    person = make_user(db)
    assert not notifications.is_following(db, person, "petition", 1)
    notifications.follow(db, person, "petition", 1)
    assert notifications.is_following(db, person, "petition", 1)
    assert not notifications.is_following(db, None, "petition", 1)
    notifications.unfollow(db, person, "petition", 1)
    assert not notifications.is_following(db, person, "petition", 1)


def test_nothing_is_sent_to_an_erased_person(db):
    person = make_user(db)
    person.erased_at = person.created_at
    notifications.send_to(db, person, "x", render_welcome)
    assert notifications.messages_to(db, person.email) == []


def test_the_file_backend_writes_one_file_per_message(tmp_path, settings):
    backend = FileBackend(settings.model_copy(update={"mail_dir": tmp_path / "mail"}))
    message = Message(id=41, to_email="olena@example.org", subject="Тема листа",
                      body="Вітаємо!\nРядок два.", dedupe_key="k")
    backend.send(message)
    backend.send(message)  # a retry of the same message
    backend.send(Message(id=42, to_email="ivan@example.org", subject="Інша", body="x",
                         dedupe_key="k2"))

    files = sorted(p.name for p in (tmp_path / "mail").iterdir())
    assert files == ["00000041.eml", "00000042.eml"]
    parsed = message_from_bytes((tmp_path / "mail" / "00000041.eml").read_bytes())
    assert parsed["To"] == "olena@example.org"
    assert parsed["Message-ID"].startswith("<hromada-41@")
    assert str(parsed.get("Subject"))
    assert "Вітаємо!" in parsed.get_payload(decode=True).decode(
        parsed.get_content_charset() or "utf-8")


def test_the_worker_delivers_a_verification_mail_to_a_file(iso_engine, tmp_path, settings,
                                                            monkeypatch, clock):
    from app.identity.views import send_verification

    monkeypatch.setattr(settings, "mail_dir", tmp_path / "out")
    monkeypatch.setattr(settings, "mail_backend", "file")
    (person,) = people(iso_engine, 1, verified=False)
    with transaction(iso_engine) as session:
        send_verification(session, person)
        send_verification(session, person)  # the same moment: one message

    assert notifications.deliver_due(iso_engine) == 1
    clock.advance(minutes=1)
    assert notifications.deliver_due(iso_engine) == 0
    (eml,) = list((tmp_path / "out").iterdir())
    parsed = message_from_bytes(eml.read_bytes())
    body = parsed.get_payload(decode=True).decode(parsed.get_content_charset() or "utf-8")
    assert "/verify-email?token=" in body
    assert parsed["To"] == person.email
