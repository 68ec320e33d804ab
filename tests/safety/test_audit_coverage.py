"""Every act that counts appends to the audit chain in the same transaction: signature,
withdrawal, ballot, paper entry, answer, rating and rule change (through the real services)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from app.audit import service as audit
from app.audit.models import AuditEntry
from app.rules import service as rules
from tests.factories import DEFAULT_RULES, make_admin, make_community, make_official, make_resident
from tests.safety.helpers import HIGH_THRESHOLD


def last_id(db: Session) -> int:
    return db.exec(select(func.coalesce(func.max(AuditEntry.id), 0))).one()


def actions_during(db: Session, act) -> list[str]:
    before = last_id(db)
    act()
    db.flush()
    return [e.action for e in db.exec(select(AuditEntry).where(AuditEntry.id > before)
                                      .order_by(AuditEntry.id))]


def sealed_and_verified(db: Session) -> bool:
    audit.seal(db)
    result = audit.verify(db)
    return result.ok and result.unsealed == 0


def test_a_rule_change_is_audited(db):
    place = make_community(db)
    admin = make_admin(db)
    assert "rules.changed" in actions_during(db, lambda: rules.change(
        db, place.community.id, DEFAULT_RULES, admin, "A new version for the test."))


def test_petition_acts_are_audited(app, db, clock):
    signing = pytest.importorskip("petitions.service.signing")
    outcome = pytest.importorskip("petitions.service.outcome")
    factories = pytest.importorskip("tests.petitions.factories")
    from petitions.models import AnswerCreate, Decision

    place = make_community(db, rules_override={"petitions": {"threshold": 2}})
    petition = factories.make_petition(db, place, "open")
    first, second = make_resident(db, place), make_resident(db, place)
    official = make_official(db, place)
    assert "petition.signed" in actions_during(db, lambda: signing.sign(db, first, petition.id))
    assert "petition.signature_withdrawn" in actions_during(
        db, lambda: signing.withdraw(db, first, petition.id))
    assert "petition.paper_signature_recorded" in actions_during(
        db, lambda: signing.record_paper(db, official, petition.id, signing.PaperSigner(
            full_name="Ганна Паперова", birth_date=date(1950, 2, 3),
            address="с. Лугове, вул. Миру, 4")))
    assert "petition.signed" in actions_during(db, lambda: signing.sign(db, second,
                                                                        petition.id))
    assert "petition.answered" in actions_during(db, lambda: outcome.answer(
        db, official, petition.id, AnswerCreate(
            decision=Decision.supported, text="Рада підтримує петицію і виконає її цього року.")))
    assert "petition.rated" in actions_during(db, lambda: outcome.rate(db, second, petition.id,
                                                                       "yes"))
    assert sealed_and_verified(db)


def test_a_failed_act_leaves_neither_record_nor_entry(app, db):
    signing = pytest.importorskip("petitions.service.signing")
    factories = pytest.importorskip("tests.petitions.factories")
    from petitions.models import PetitionSignature

    place = make_community(db, rules_override=HIGH_THRESHOLD)
    petition = factories.make_petition(db, place, "open")
    signer = make_resident(db, place)
    entries = audit.count(db)
    savepoint = db.begin_nested()  # what a request's transaction does when it fails later
    signing.sign(db, signer, petition.id)
    assert audit.count(db) == entries + 1
    savepoint.rollback()
    assert audit.count(db) == entries
    assert db.exec(select(func.count()).select_from(PetitionSignature)).one() == 0


def test_budget_ballots_and_paper_ballots_are_audited(app, db, clock):
    ballots = pytest.importorskip("budget.ballots")
    factories = pytest.importorskip("tests.budget.factories")
    place = make_community(db)
    cycle, projects = factories.make_voting_cycle(db, place, clock, [(0, 100_000)])
    voter = make_resident(db, place)
    official = make_official(db, place)
    assert any(a.startswith("budget.ballot") for a in actions_during(
        db, lambda: ballots.cast_ballot(db, voter, cycle, [projects[0].id])))
    assert "budget.paper_ballot_recorded" in actions_during(
        db, lambda: ballots.record_paper_ballot(
            db, official, cycle, projects_in=[projects[0].id],
            identity_document="АА123456", birth_date=date(1960, 1, 1)))
    assert sealed_and_verified(db)


def test_consultation_responses_reports_and_ratings_are_audited(app, db, clock):
    service = pytest.importorskip("consultations.service.outcome")
    factories = pytest.importorskip("tests.consultations.factories")
    from consultations.models import Rating

    place = make_community(db)
    c = factories.make_consultation(db, place)
    resident = make_resident(db, place)
    assert "consultation.response_submitted" in actions_during(
        db, lambda: factories.respond(db, c, resident))
    factories.close(clock, c)
    service.close_expired(db)
    assert "consultation.report_published" in actions_during(
        db, lambda: service.publish_report(db, factories.official_of(db, c), c,
                                           factories.report_in(db, c)))
    rating = next(iter(Rating))
    assert "consultation.rated" in actions_during(db, lambda: service.rate(db, resident, c,
                                                                           rating))
    assert sealed_and_verified(db)
