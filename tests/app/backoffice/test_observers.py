"""NGO observers: follow an authority or a community, a weekly report of new, answered and
overdue obligations, saved views of the tracker; nothing that is not public."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlmodel import select

from app import clock
from app.accountability import observers
from app.accountability import service as accountability
from app.exceptions import Forbidden, InvalidInput
from app.notifications.models import Message
from app.rules.schema import Period
from tests.factories import make_community, make_observer, make_official, make_resident

_subjects = iter(range(700_000, 800_000))


def obligation(db, place, title, *, authority=None, days=10, opened_days_ago=0):
    return accountability.open_obligation(
        db, kind="petition_answer", community_id=place.community.id,
        authority_id=(authority or place.council).id, subject_type="petition",
        subject_id=next(_subjects), subject_title=title, subject_path="/petitions/1",
        period=Period(days=days, unit="calendar"), ruleset_id=place.rules.id,
        opened_at=clock.now() - timedelta(days=opened_days_ago))


def test_follow_and_the_weekly_report(client, db):
    place, other = make_community(db), make_community(db)
    watcher = make_observer(db, name="Центр громадського моніторингу")
    client.login(watcher)
    assert client.submit("/observer/follow", {"subject_type": "authority",
                                              "subject_id": str(place.council.id)}
                         ).status_code == 303
    assert client.submit("/observer/follow", {"subject_type": "community",
                                              "subject_id": str(other.community.id)}
                         ).status_code == 303
    page = client.get("/observer")
    assert place.council.name in page.text and other.community.name in page.text

    obligation(db, place, "Нове звернення")
    late = obligation(db, place, "Прострочене звернення", days=2, opened_days_ago=20)
    answered = obligation(db, other, "Відповіли вчасно", opened_days_ago=2)
    accountability.answer(db, "petition_answer", "petition", answered.subject_id)
    obligation(db, place, "Чужий орган", authority=place.department)
    assert late is not None

    assert observers.send_weekly_reports(db) == 1
    assert observers.send_weekly_reports(db) == 1  # the same week: the same message, once
    mails = db.exec(select(Message).where(Message.user_id == watcher.id)).all()
    assert len(mails) == 1
    body = mails[0].body
    assert "Нове звернення" in body and "Прострочене звернення" in body
    assert "Відповіли вчасно" in body and "Чужий орган" not in body
    # Opened this week: two (one of them answered already); answered: one; overdue: one.
    assert re.search(r"\b2\D+1\D+1\b", mails[0].subject), mails[0].subject

    assert client.submit("/observer/follow", {"subject_type": "authority",
                                              "subject_id": str(place.council.id), "on": "no"}
                         ).status_code == 303
    assert place.council.name not in client.get("/observer").text


def test_only_observers_follow_and_only_what_exists(client, db):
    place = make_community(db)
    for person in (make_resident(db, place), make_official(db, place)):
        with pytest.raises(Forbidden):
            observers.follow(db, person, "authority", place.council.id)
    watcher = make_observer(db)
    with pytest.raises(InvalidInput):
        observers.follow(db, watcher, "authority", 999_999)
    with pytest.raises(InvalidInput):
        observers.follow(db, watcher, "petition", 1)


def test_saved_views_keep_only_the_trackers_filters(client, db):
    place = make_community(db)
    watcher = make_observer(db)
    client.login(watcher)
    saved = client.submit("/observer/views", {
        "name": "Прострочене в раді",
        "address": f"https://hromada.example/communities/{place.community.slug}/obligations"
                   "?status=overdue&q=%D0%B4%D0%BE%D1%80&utm_source=mail"})
    assert saved.status_code == 303
    view = observers.saved_views(db, watcher)[0]
    assert view.path == f"/communities/{place.community.slug}/obligations"
    assert view.query == "status=overdue&q=%D0%B4%D0%BE%D1%80"
    assert f'href="{view.path}?{view.query}"' in client.get("/observer").text.replace(
        "&amp;", "&")
    refused = client.submit("/observer/views", {"name": "Інше", "address": "/account"})
    assert refused.status_code == 422
    assert client.submit(f"/observer/views/{view.id}/delete", {}).status_code == 303
    assert observers.saved_views(db, watcher) == []
