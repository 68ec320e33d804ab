"""The officials' daily digest: one message per official per day, only when something is due."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from app.accountability import digest
from app.notifications.models import Message
from tests.app.accountability.conftest import NOW, utc
from tests.factories import make_official


def messages(db, user) -> list[Message]:
    return list(db.exec(select(Message).where(Message.user_id == user.id)
                        .order_by(Message.id)))


def test_one_digest_per_official_per_day_listing_overdue_and_due_soon(db, region, clock):
    council_a = make_official(db, region.a, region.a.council, language="en")
    department_a = make_official(db, region.a, region.a.department, language="en")
    council_b = make_official(db, region.b, region.b.council)  # Ukrainian by default
    department_b = make_official(db, region.b, region.b.department, language="en")

    assert digest.send_daily_digests(db) == 3
    assert messages(db, council_a) == []  # everything of A's council is answered
    (mail,) = messages(db, department_a)
    assert "Item A3" in mail.body and "Item A4" not in mail.body  # A4 is not due soon
    assert mail.subject == "Obligations needing an answer: 1 overdue, 0 due soon"
    assert "due 17.03.2026" in mail.body
    assert "/inbox" in mail.body  # the digest links to the officials' inbox
    assert mail.dedupe_key == f"accountability-digest:2026-03-20:{department_a.id}"
    (mail,) = messages(db, department_b)
    assert "Item B3" in mail.body and "0 overdue, 1 due soon" in mail.subject
    (mail,) = messages(db, council_b)
    assert "Item B2" in mail.body and "Item B1" not in mail.body
    assert "прострочено" in mail.subject.lower()

    # Again the same day (another worker cycle, another process): nothing new.
    clock.set(NOW + timedelta(hours=8))
    digest.send_daily_digests(db)
    assert len(messages(db, department_a)) == 1
    # The next local day: a new digest.
    clock.set(utc(2026, 3, 20, 22, 30))  # 00:30 on 21 March in Kyiv
    digest.send_daily_digests(db)
    assert len(messages(db, department_a)) == 2
    assert len(messages(db, department_b)) == 2  # B3 is overdue now
    assert "1 overdue, 0 due soon" in messages(db, department_b)[-1].subject


def test_the_worker_runs_the_digest_once_a_day_after_the_morning(engine, monkeypatch):
    from app import worker

    calls = []
    monkeypatch.setattr(digest, "send_daily_digests",
                        lambda session, now=None: calls.append(now) or 0)
    monkeypatch.setattr(digest.service, "compact_stats", lambda session: 0)
    monkeypatch.setattr(worker.notifications, "deliver_due", lambda engine: 0)
    monkeypatch.setattr("app.main.register_modules", lambda: [])
    monkeypatch.setitem(digest._state, "digest_day", None)
    from app import clock as app_clock

    app_clock.set_clock(lambda: utc(2026, 3, 20, 3))  # 05:00 in Kyiv: too early
    worker.run_once()
    assert calls == []
    app_clock.set_clock(lambda: utc(2026, 3, 20, 6))  # 08:00 in Kyiv
    worker.run_once()
    worker.run_once()
    assert len(calls) == 1
    app_clock.set_clock(lambda: utc(2026, 3, 21, 6))
    worker.run_once()
    assert len(calls) == 2
