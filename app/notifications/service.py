"""Write notifications into the outbox, in the caller's transaction; deliver them later.

A message exists only if the event that caused it committed; the worker delivers each message
at least once and every backend is idempotent by message id, so a person gets it once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session

from app import clock
from app.db import transaction
from app.identity.models import User
from app.notifications import repository as repo
from app.notifications.backends import Backend, backend_for
from app.settings import get_settings
from app.web import i18n

log = logging.getLogger("hromada.notifications")
LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 8


def _in_language(lang: str, render: Callable[[], tuple[str, str]]) -> tuple[str, str]:
    token = i18n.current_language.set(lang)
    try:
        return render()
    finally:
        i18n.current_language.reset(token)


def _language_of(user: User) -> str:
    return user.language if user.language in i18n.LANGUAGES else get_settings().default_language


def send_to(session: Session, user: User, key: str, render: Callable[[], tuple[str, str]]
            ) -> None:
    """One message to one person. `render` returns (subject, body) in the current language."""
    if user.erased_at is not None:
        return
    subject, body = _in_language(_language_of(user), render)
    now = clock.now()
    repo.add_message(session, {"user_id": user.id, "to_email": user.email, "subject": subject,
                               "body": body, "dedupe_key": f"{key}:{user.id}"[:200],
                               "status": "pending", "attempts": 0, "created_at": now,
                               "next_attempt_at": now})


def send_to_address(session: Session, user: User, address: str, key: str,
                    render: Callable[[], tuple[str, str]]) -> None:
    """One message about a person's account to another of their addresses (a new address to
    confirm, the old one told of the change)."""
    if user.erased_at is not None:
        return
    subject, body = _in_language(_language_of(user), render)
    now = clock.now()
    repo.add_message(session, {"user_id": user.id, "to_email": address, "subject": subject,
                               "body": body, "dedupe_key": f"{key}:{user.id}"[:200],
                               "status": "pending", "attempts": 0, "created_at": now,
                               "next_attempt_at": now})


def notify_followers(session: Session, subject_type: str, subject_id: int, key: str,
                     render: Callable[[], tuple[str, str]],
                     exclude_user_id: int | None = None) -> int:
    """Everyone following the item gets the message in their language; returns how many."""
    now, total = clock.now(), 0
    for lang in i18n.LANGUAGES:
        subject, body = _in_language(lang, render)
        total += repo.fan_out(session, subject_type, subject_id, english=(lang == "en"),
                              subject=subject, body=body, key_prefix=key[:180], now=now,
                              exclude_user_id=exclude_user_id)
    return total


def follow(session: Session, user: User, subject_type: str, subject_id: int) -> None:
    repo.follow(session, [user.id], subject_type, subject_id)


def follow_many(session: Session, user_ids: list[int], subject_type: str, subject_id: int
                ) -> set[int]:
    """Make the people follow the subject; returns those who did not follow it before (whom
    `unfollow_many` may take back when the act that made them follow is undone)."""
    return repo.follow(session, user_ids, subject_type, subject_id) if user_ids else set()


def unfollow_many(session: Session, user_ids: list[int], subject_type: str, subject_id: int
                  ) -> None:
    if user_ids:
        repo.unfollow_many(session, user_ids, subject_type, subject_id)


def unfollow(session: Session, user: User, subject_type: str, subject_id: int) -> None:
    repo.unfollow(session, user.id, subject_type, subject_id)


def is_following(session: Session, user: User | None, subject_type: str, subject_id: int
                 ) -> bool:
    return user is not None and repo.is_following(session, user.id, subject_type, subject_id)


def deliver_due(engine: Engine | None = None, backend: Backend | None = None,
                batch: int = 100) -> int:
    """Deliver what is due. Each message is leased in its own committed claim first."""
    backend = backend or backend_for(get_settings())
    now = clock.now()
    with transaction(engine) as session:
        claimed = repo.claim_due(session, now, now + LEASE, batch)
        for message in claimed:
            session.expunge(message)
    sent = 0
    for message in claimed:
        try:
            backend.send(message)
        except Exception as exc:  # a failed delivery is retried with back-off, then given up
            log.warning("delivery of message %s failed: %s", message.id, exc)
            # claim_due already counted this attempt (its UPDATE also updates the loaded row).
            attempts = message.attempts
            retry = None if attempts >= MAX_ATTEMPTS else clock.now() + timedelta(
                seconds=30 * 2 ** attempts)
            with transaction(engine) as session:
                repo.mark_failed(session, message.id, str(exc), retry)
            continue
        with transaction(engine) as session:
            repo.mark_sent(session, message.id, clock.now())
        sent += 1
    return sent


def messages_to(session: Session, email: str):
    return repo.messages_to(session, email)
