"""The officials' inbox: what waits for their authority, soonest due first; assignment to a
department (public on the tracker) or a colleague; the decision document and the council
session behind an answer."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app import clock
from app.accountability import inbox
from app.accountability import service as accountability
from app.accountability.models import Decision
from app.exceptions import Forbidden, InvalidInput
from app.rules.schema import Period
from tests.factories import make_community, make_official, make_resident

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
_subjects = iter(range(500_000, 600_000))


def obligation(db, place, *, kind="petition_answer", days=10, title="Освітлення вулиці",
               authority=None, opened_days_ago=0):
    return accountability.open_obligation(
        db, kind=kind, community_id=place.community.id,
        authority_id=(authority or place.council).id, subject_type="petition",
        subject_id=next(_subjects), subject_title=title, subject_path="/petitions/1",
        period=Period(days=days, unit="calendar"), ruleset_id=place.rules.id,
        opened_at=clock.now() - timedelta(days=opened_days_ago))


def test_the_inbox_lists_the_authoritys_open_items_soonest_due_first(db):
    place, other = make_community(db), make_community(db)
    official = make_official(db, place)
    later = obligation(db, place, days=30, title="Пізніше")
    overdue = obligation(db, place, days=2, opened_days_ago=5, title="Прострочене")
    obligation(db, place, days=5, authority=place.department, title="Іншого органу")
    obligation(db, other, days=1, title="Іншої громади")

    items, total = inbox.inbox(db, official)
    assert total == 2
    assert [i.obligation.id for i in items] == [overdue.id, later.id]
    assert items[0].overdue and items[0].days_left < 0
    assert not items[1].overdue and items[1].days_left > 0
    only_overdue, _ = inbox.inbox(db, official, overdue=True)
    assert [i.obligation.id for i in only_overdue] == [overdue.id]
    found, _ = inbox.inbox(db, official, q="зніш")
    assert [i.obligation.id for i in found] == [later.id]
    with pytest.raises(Forbidden):
        inbox.inbox(db, make_resident(db, place))


def test_assignment_to_a_department_is_public_on_the_tracker(client, db):
    place, other = make_community(db), make_community(db)
    official = make_official(db, place)
    colleague = make_official(db, place, authority=place.department)
    item = obligation(db, place, title="Ремонт тротуару")
    with pytest.raises(InvalidInput):
        inbox.assign(db, official, item.id, department_id=other.department.id, user_id=None)
    with pytest.raises(InvalidInput):
        inbox.assign(db, official, item.id, department_id=None,
                     user_id=make_resident(db, place).id)
    with pytest.raises(Forbidden):
        inbox.assign(db, make_official(db, other), item.id, department_id=None, user_id=None)

    client.login(official)
    done = client.submit(f"/inbox/{item.id}/assign", {
        "department_id": str(place.department.id), "user_id": str(colleague.id)})
    assert done.status_code == 303
    assert item.assigned_authority_id == place.department.id
    assert item.assigned_user_id == colleague.id
    tracker = client.get(f"/communities/{place.community.slug}/obligations")
    assert "Опрацьовує: " + place.department.name in tracker.text
    assert place.department.name in client.get("/inbox").text


def test_the_decision_document_and_the_council_session(client, make_client, db):
    place = make_community(db)
    official = make_official(db, place)
    item = obligation(db, place, title="Сквер біля школи", opened_days_ago=3)
    client.login(official)

    not_pdf = client.post(f"/inbox/{item.id}/decision",
                          data={"csrf_token": client.csrf()},
                          files={"document": ("decision.pdf", b"GIF89a", "application/pdf")})
    assert not_pdf.status_code == 422
    future = client.submit(f"/inbox/{item.id}/decision", {
        "session_on": (clock.today() + timedelta(days=2)).isoformat(),
        "decision_number": "5/12", "votes_for": "1", "votes_against": "0",
        "votes_abstained": "0"})
    assert future.status_code == 422
    missing_votes = client.submit(f"/inbox/{item.id}/decision", {
        "session_on": clock.today().isoformat(), "decision_number": "5/12"})
    assert missing_votes.status_code == 422
    assert db.get(Decision, 1) is None or inbox.repo.decision_of(db, item.id) is None

    recorded = client.post(f"/inbox/{item.id}/decision", data={
        "csrf_token": client.csrf(), "session_on": clock.today().isoformat(),
        "decision_number": "5/12", "votes_for": "18", "votes_against": "3",
        "votes_abstained": "2"}, files={"document": ("рішення.pdf", PDF, "application/pdf")})
    assert recorded.status_code == 303, recorded.text
    decision = inbox.repo.decision_of(db, item.id)
    assert (decision.decision_number, decision.votes_for, decision.votes_against,
            decision.votes_abstained) == ("5/12", 18, 3, 2)

    anyone = make_client()
    document = anyone.get(f"/obligations/{item.id}/decision.pdf")
    assert document.status_code == 200
    assert document.content == PDF
    assert document.headers["content-type"] == "application/pdf"
    tracker = anyone.get(f"/communities/{place.community.slug}/obligations")
    assert f"/obligations/{item.id}/decision.pdf" in tracker.text
    assert "№ 5/12" in tracker.text


def test_only_a_petition_has_a_council_session(db):
    place = make_community(db)
    official = make_official(db, place)
    report = obligation(db, place, kind="consultation_report")
    with pytest.raises(InvalidInput):
        inbox.record_decision(db, official, report.id, session_on=clock.today(),
                              decision_number="1", votes_for=1, votes_against=0,
                              votes_abstained=0)
    assert inbox.record_decision(db, official, report.id, document=PDF).document_key
