"""The petition loop at the service level: every transition, its rules and its errors."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from app.accountability import service as accountability
from app.exceptions import Conflict, Forbidden, InvalidInput, NotAuthenticated, NotFound
from app.rules import service as rules_service
from petitions.models import (
    AnswerCreate,
    Category,
    Decision,
    Petition,
    PublicStatus,
    Rating,
    RejectionReason,
    UpdateCreate,
    UpdateStatus,
    public_status,
)
from petitions.service import drafting, outcome, reading, signing
from tests.factories import (
    DEFAULT_RULES,
    make_community,
    make_moderator,
    make_official,
    make_resident,
    make_user,
    merge,
)
from tests.petitions.factories import make_petition, petition_data, sign_to_threshold
from tests.petitions.helpers import (
    audit_actions,
    audit_data,
    count,
    follows,
    mails,
    obligation,
    signatures,
    sponsors,
    stored,
)


@pytest.fixture
def place(db):
    return make_community(db)


# -- drafting -------------------------------------------------------------------------------

def test_draft_keeps_nothing_fixed_until_submission(db, clock):
    place = make_community(db, population=20_000, rules_override={
        "petitions": {"threshold": None, "threshold_per_1000": 0.5}})
    author = make_resident(db, place)
    petition = drafting.create(db, author, petition_data(place, title="  Безпечний   перехід "
                                                                      "біля школи  "))
    assert petition.status == "draft"
    assert petition.title == "Безпечний перехід біля школи"
    assert petition.threshold is None and petition.submitted_at is None
    assert follows(db, author, petition.id)
    drafting.submit(db, author, petition.id)
    row = stored(db, petition.id)
    assert row.status == "moderation"
    assert row.threshold == 10  # 0.5 per 1,000 of 20,000
    assert row.ruleset_id == place.rules.id
    # 3 working days from Monday 2 March end with Thursday 5 March, at Kyiv midnight (UTC+2).
    assert clock_aware(row.moderation_due_at) == datetime(2026, 3, 5, 22, 0, tzinfo=UTC)
    assert audit_actions(db, petition.id) == ["petition.submitted"]


def clock_aware(value):
    from app import clock

    return clock.aware(value)


def test_later_rule_changes_do_not_apply_backwards(db, clock, place):
    petition = make_petition(db, place, "moderation")
    rules_service.change(db, place.community.id, merge(DEFAULT_RULES, {"petitions": {
        "threshold": 500, "collection_days": 5, "answer_deadline": {"days": 1,
                                                                  "unit": "calendar"}}}),
        None, "stricter rules")
    drafting.publish(db, make_moderator(db, place), petition.id)
    row = stored(db, petition.id)
    assert row.threshold == 3
    # 30 calendar days from 2 March: the end of 1 April in Kyiv, summer time (UTC+3) by then.
    assert clock_aware(row.collection_ends_at) == datetime(2026, 4, 1, 21, 0, tzinfo=UTC)
    sign_to_threshold(db, place, petition)
    o = obligation(db, petition.id)
    assert o.ruleset_id == place.rules.id
    # 10 working days from Monday 2 March: Monday 16 March, not one calendar day.
    assert clock_aware(stored(db, petition.id).answer_due_at) == datetime(
        2026, 3, 16, 22, 0, tzinfo=UTC)


def test_submit_goes_to_sponsoring_when_the_rules_ask_for_sponsors(db, clock):
    place = make_community(db, rules_override={"petitions": {"sponsors_required": 2}})
    petition = make_petition(db, place, "sponsoring")
    assert petition.sponsors_required == 2 and petition.moderation_due_at is None


@pytest.mark.parametrize("field,title,text", [
    ("title", "", "x" * 60),
    ("title", "Короткий", "x" * 60),
    ("title", "Т" * 31, "x" * 60),
    ("text", "Нормальна назва петиції", ""),
    ("text", "Нормальна назва петиції", "закоротко"),
    ("text", "Нормальна назва петиції", "x" * 201),
])
def test_length_limits_come_from_the_rules(db, clock, field, title, text):
    place = make_community(db, rules_override={"petitions": {"title_max": 30,
                                                             "text_max": 200}})
    author = make_resident(db, place)
    before = count(db, Petition)
    with pytest.raises(InvalidInput) as err:
        drafting.create(db, author, petition_data(place, title=title, text=text))
    assert field in err.value.fields
    assert count(db, Petition) == before


def test_a_foreign_authority_or_unknown_category_is_refused(db, place):
    other = make_community(db)
    author = make_resident(db, place)
    data = petition_data(place, authority_id=other.council.id)
    with pytest.raises(InvalidInput) as err:
        drafting.create(db, author, data)
    assert set(err.value.fields) == {"authority_id"}
    data = petition_data(place).model_copy(update={"category": "weather"})
    with pytest.raises(InvalidInput) as err:
        drafting.create(db, author, data)
    assert set(err.value.fields) == {"category"}


def test_only_verified_residents_of_age_draft(db, place):
    other = make_community(db)
    with pytest.raises(Forbidden):
        drafting.create(db, make_resident(db, other), petition_data(place))
    with pytest.raises(Forbidden):
        drafting.create(db, make_resident(db, place, verified=False), petition_data(place))
    young = make_resident(db, place, birth_date=date(2015, 1, 1))
    with pytest.raises(Forbidden):
        drafting.create(db, young, petition_data(place))
    with pytest.raises(NotAuthenticated):
        drafting.create(db, None, petition_data(place))


def test_only_the_author_edits_and_only_a_draft(db, clock, place):
    petition = make_petition(db, place, "draft")
    author = db.get(type(make_user(db)), petition.author_id)
    drafting.edit(db, author, petition.id, title="Нова назва для петиції", text="т" * 80,
                  category="education", authority_id=place.department.id)
    row = stored(db, petition.id)
    assert (row.title, row.category, row.authority_id) == (
        "Нова назва для петиції", "education", place.department.id)
    with pytest.raises(Forbidden):
        drafting.edit(db, make_resident(db, place), petition.id, title="Чужа назва петиції",
                      text="т" * 80, category="education", authority_id=place.council.id)
    drafting.submit(db, author, petition.id)
    with pytest.raises(Conflict):
        drafting.edit(db, author, petition.id, title="Пізня назва петиції", text="т" * 80,
                      category="education", authority_id=place.council.id)
    with pytest.raises(Conflict):
        drafting.submit(db, author, petition.id)


# -- sponsors -------------------------------------------------------------------------------

def test_sponsors_move_it_to_moderation(db, clock):
    place = make_community(db, rules_override={"petitions": {"sponsors_required": 2}})
    petition = make_petition(db, place, "sponsoring")
    author = db.get(type(make_user(db)), petition.author_id)
    with pytest.raises(Forbidden):
        drafting.sponsor(db, author, petition.id)
    with pytest.raises(Forbidden):
        drafting.sponsor(db, make_resident(db, make_community(db)), petition.id)
    first = make_resident(db, place)
    drafting.sponsor(db, first, petition.id)
    with pytest.raises(Conflict):
        drafting.sponsor(db, first, petition.id)
    assert sponsors(db, petition.id) == 1 and stored(db, petition.id).sponsor_count == 1
    drafting.sponsor(db, make_resident(db, place), petition.id)
    row = stored(db, petition.id)
    assert row.status == "moderation" and row.sponsor_count == 2
    assert row.moderation_due_at is not None
    with pytest.raises(Conflict):
        drafting.sponsor(db, make_resident(db, place), petition.id)
    assert "petition.sponsors_gathered" in audit_actions(db, petition.id)


# -- moderation -----------------------------------------------------------------------------

def test_publish_opens_collection_and_tells_the_author(db, clock, place):
    petition = make_petition(db, place, "moderation")
    author = db.get(type(make_user(db)), petition.author_id)
    moderator = make_moderator(db, place)
    with pytest.raises(Forbidden):
        drafting.publish(db, make_moderator(db, make_community(db)), petition.id)
    with pytest.raises(Forbidden):
        drafting.publish(db, make_official(db, place), petition.id)
    drafting.publish(db, moderator, petition.id)
    row = stored(db, petition.id)
    assert row.status == "open" and row.moderator_id == moderator.id
    assert clock_aware(row.published_at) == clock.current
    assert any("оприлюднено" in m.subject.lower() for m in mails(db, author))
    with pytest.raises(Conflict):
        drafting.publish(db, moderator, petition.id)


def test_a_moderator_does_not_moderate_their_own_petition(db, clock, place):
    moderator = make_moderator(db, place)
    from app.communities import service as communities

    communities.set_verified_resident(db, moderator, place.community)
    petition = make_petition(db, place, "moderation", author=moderator)
    with pytest.raises(Forbidden):
        drafting.publish(db, moderator, petition.id)


@pytest.mark.parametrize("reason", list(RejectionReason))
def test_rejection_carries_a_coded_reason(db, clock, place, reason):
    petition = make_petition(db, place, "moderation")
    moderator = make_moderator(db, place)
    with pytest.raises(InvalidInput) as err:
        drafting.reject(db, moderator, petition.id, reason, "коротко")
    assert "explanation" in err.value.fields
    with pytest.raises(InvalidInput):
        drafting.reject(db, moderator, petition.id, "because", "Пояснення достатньої довжини.")
    assert stored(db, petition.id).status == "moderation"
    drafting.reject(db, moderator, petition.id, reason, "Пояснення достатньої довжини.")
    row = stored(db, petition.id)
    assert (row.status, row.rejection_reason) == ("rejected", reason.value)
    assert json.loads(audit_data(db, petition.id, "petition.rejected")[0]) == {
        "reason": reason.value}
    public = reading.to_public(reading.detail(db, None, petition.id))
    if reason == RejectionReason.offensive:
        assert public.rejection.reason is None and public.rejection.explanation is None
        assert public.title is None and public.text is None
    else:
        assert public.rejection.reason == reason
        assert public.rejection.explanation == "Пояснення достатньої довжини."
        assert public.title == petition.title
        assert (public.text is None) == (reason == RejectionReason.personal_data)
    author = db.get(type(make_user(db)), petition.author_id)
    mine = reading.to_public(reading.detail(db, author, petition.id))
    assert mine.rejection.reason == reason and mine.text == petition.text


# -- signing --------------------------------------------------------------------------------

def test_signing_counts_exactly_and_follows(db, clock, place):
    petition = make_petition(db, place, "open")
    signer = make_resident(db, place)
    assert signing.sign(db, signer, petition.id, public_name=True).count == 1
    row = stored(db, petition.id)
    assert (row.signature_count, row.public_signer_count) == (1, 1)
    assert follows(db, signer, petition.id)
    assert audit_actions(db, petition.id)[-1] == "petition.signed"
    assert json.loads(audit_data(db, petition.id, "petition.signed")[0]) == {"source": "online"}
    assert signing.sign(db, make_resident(db, place), petition.id).count == 2
    row = stored(db, petition.id)
    assert (row.signature_count, row.public_signer_count) == (2, 1)
    view = reading.detail(db, None, petition.id)
    assert [name for name, _ in view.signers] == [signer.display_name]


def test_a_second_signature_is_refused_and_writes_nothing(db, clock, place):
    petition = make_petition(db, place, "open")
    signer = make_resident(db, place)
    signing.sign(db, signer, petition.id)
    entries = len(audit_actions(db, petition.id))
    with pytest.raises(Conflict) as err:
        signing.sign(db, signer, petition.id, public_name=True)
    assert err.value.message == "You have already signed this petition."
    row = stored(db, petition.id)
    assert (row.signature_count, row.public_signer_count) == (1, 0)
    assert signatures(db, petition.id) == 1
    assert len(audit_actions(db, petition.id)) == entries


@pytest.mark.parametrize("state", ["draft", "moderation"])
def test_an_unpublished_petition_cannot_be_signed(db, clock, place, state):
    petition = make_petition(db, place, state)
    with pytest.raises(NotFound):
        signing.sign(db, make_resident(db, place), petition.id)
    author = db.get(type(make_user(db)), petition.author_id)
    with pytest.raises(Conflict):
        signing.sign(db, author, petition.id)
    assert signatures(db, petition.id) == 0


@pytest.mark.parametrize("state", ["rejected", "awaiting_answer", "answered", "closed"])
def test_a_petition_that_is_not_collecting_cannot_be_signed(db, clock, place, state):
    petition = make_petition(db, place, state, clock=clock)
    before = stored(db, petition.id).signature_count
    with pytest.raises(Conflict):
        signing.sign(db, make_resident(db, place), petition.id)
    assert stored(db, petition.id).signature_count == before == signatures(db, petition.id)


def test_who_may_sign(db, clock, place):
    petition = make_petition(db, place, "open")
    with pytest.raises(NotAuthenticated):
        signing.sign(db, None, petition.id)
    with pytest.raises(Forbidden, match="verified resident of the community: claim"):
        signing.sign(db, make_resident(db, make_community(db)), petition.id)
    # A verified resident whose e-mail address is unconfirmed is told what is missing.
    with pytest.raises(Forbidden, match="Confirm your e-mail address first"):
        signing.sign(db, make_resident(db, place, verified=False), petition.id)
    with pytest.raises(Forbidden):
        signing.sign(db, make_official(db, place), petition.id)  # staff, not a resident
    with pytest.raises(Forbidden) as err:
        signing.sign(db, make_resident(db, place, birth_date=date(2013, 3, 3)), petition.id)
    assert err.value.params == {"age": 14}
    with pytest.raises(Forbidden, match="date of birth"):
        signing.sign(db, make_resident(db, place, birth_date=None), petition.id)
    # 14 years old today: may sign.
    assert signing.sign(db, make_resident(db, place, birth_date=date(2012, 3, 2)),
                        petition.id).count == 1
    assert signatures(db, petition.id) == 1


def test_signing_ends_with_the_period_even_before_any_job_runs(db, clock, place):
    petition = make_petition(db, place, "open")
    signing.sign(db, make_resident(db, place), petition.id)
    clock.set(clock_aware(petition.collection_ends_at) - timedelta(seconds=1))
    assert public_status(petition, clock.current) == PublicStatus.open
    clock.advance(seconds=1)
    assert public_status(petition, clock.current) == PublicStatus.closed
    with pytest.raises(Conflict):
        signing.sign(db, make_resident(db, place), petition.id)
    assert stored(db, petition.id).status == "open"  # shown closed, stored open
    listed = reading.listing(db, status=PublicStatus.closed)
    assert [p.id for p, _, _ in listed.rows] == [petition.id]
    assert signing.close_expired(db) == 1
    row = stored(db, petition.id)
    assert row.status == "closed" and clock_aware(row.closed_at) == clock_aware(
        row.collection_ends_at)
    assert obligation(db, petition.id) is None
    assert signing.close_expired(db) == 0
    assert audit_actions(db, petition.id)[-1] == "petition.closed"


def test_withdrawal_while_open(db, clock, place):
    petition = make_petition(db, place, "open")
    signer, other = make_resident(db, place), make_resident(db, place)
    signing.sign(db, signer, petition.id, public_name=True)
    signing.sign(db, other, petition.id)
    assert signing.withdraw(db, signer, petition.id) == 1
    row = stored(db, petition.id)
    assert (row.signature_count, row.public_signer_count) == (1, 0)
    assert signatures(db, petition.id) == 1
    assert "petition.signature_withdrawn" in audit_actions(db, petition.id)
    with pytest.raises(NotFound):
        signing.withdraw(db, signer, petition.id)
    assert signing.sign(db, signer, petition.id).count == 2  # may sign again
    clock.set(clock_aware(petition.collection_ends_at))
    with pytest.raises(Conflict):
        signing.withdraw(db, signer, petition.id)
    assert signatures(db, petition.id) == 2


# -- paper signatures -----------------------------------------------------------------------

def _paper(**kw):
    values = {"full_name": "Олена Петрівна Шевчук", "birth_date": date(1970, 1, 2),
              "address": "вул. Шевченка, 5, кв. 7", "email": ""}
    values.update(kw)
    return signing.PaperSigner(**values)


def test_paper_signatures_are_deduplicated(db, clock, place):
    petition = make_petition(db, place, "open", title="Паперова петиція для перевірки")
    official = make_official(db, place, authority=place.department)
    assert signing.record_paper(db, official, petition.id, _paper()) == 1
    # The same person, typed differently.
    with pytest.raises(Conflict):
        signing.record_paper(db, official, petition.id, _paper(
            full_name=" олена  ПЕТРІВНА шевчук ", address="Вул Шевченка 5 кв 7"))
    # A resident who signed online cannot also sign on paper under their account.
    online = make_resident(db, place, email="maria@example.org")
    signing.sign(db, online, petition.id)
    with pytest.raises(Conflict):
        signing.record_paper(db, official, petition.id, _paper(
            full_name="Марія Коваль", email="Maria@Example.org"))
    # A paper signer with an account cannot sign online afterwards.
    later = make_resident(db, place, email="ivan@example.org")
    signing.record_paper(db, official, petition.id, _paper(full_name="Іван Мельник",
                                                           email="ivan@example.org"))
    with pytest.raises(Conflict):
        signing.sign(db, later, petition.id)
    assert stored(db, petition.id).signature_count == 3 == signatures(db, petition.id)
    assert follows(db, later, petition.id)
    data = audit_data(db, petition.id, "petition.paper_signature_recorded")
    assert [json.loads(d) for d in data] == [{"with_account": False}, {"with_account": True}]
    assert not any("Шевчук" in d or "Шевченка" in d for d in data)


def test_paper_signature_input_and_roles(db, clock, place):
    petition = make_petition(db, place, "open")
    official = make_official(db, place)
    with pytest.raises(InvalidInput) as err:
        signing.record_paper(db, official, petition.id, _paper(
            full_name="", address="", birth_date=date(2015, 1, 1), email="nobody@example.org"))
    assert set(err.value.fields) == {"full_name", "address", "birth_date", "email"}
    with pytest.raises(Forbidden):
        signing.record_paper(db, make_resident(db, place), petition.id, _paper())
    with pytest.raises(Forbidden):
        signing.record_paper(db, make_official(db, make_community(db)), petition.id, _paper())
    assert signatures(db, petition.id) == 0


def test_paper_signatures_can_reach_the_threshold(db, clock, place):
    petition = make_petition(db, place, "open")
    official = make_official(db, place)
    for n in range(3):
        signing.record_paper(db, official, petition.id, _paper(full_name=f"Підписант {n}"))
    assert stored(db, petition.id).status == "awaiting_answer"


# -- threshold ------------------------------------------------------------------------------

def test_threshold_opens_an_obligation_and_notifies(db, clock, place):
    petition = make_petition(db, place, "open")
    follower = make_user(db)
    outcome.follow(db, follower, petition.id)
    first, second = make_resident(db, place), make_resident(db, place)
    signing.sign(db, first, petition.id)
    signing.sign(db, second, petition.id)
    assert obligation(db, petition.id) is None
    clock.advance(hours=1)
    last = make_resident(db, place)
    assert signing.sign(db, last, petition.id).count == 3
    row = stored(db, petition.id)
    assert row.status == "awaiting_answer"
    assert clock_aware(row.threshold_reached_at) == clock.current
    o = obligation(db, petition.id)
    assert (o.kind, o.authority_id, o.subject_path) == (
        "petition_answer", place.council.id, f"/petitions/{petition.id}")
    for person in (first, second, last, follower):
        assert any("набрала" in m.subject for m in mails(db, person)), person.email
    actions = audit_actions(db, petition.id)
    assert actions[-2:] == ["petition.signed", "petition.threshold_reached"]


def test_the_obligation_falls_due_with_the_petition(db, clock, place):
    petition = make_petition(db, place, "awaiting_answer")
    due = clock_aware(stored(db, petition.id).answer_due_at)
    assert clock_aware(obligation(db, petition.id).due_at) == due
    clock.set(due)
    assert accountability.status_of(obligation(db, petition.id), due).value == "overdue"


def test_overdue_is_derived_from_the_due_date(db, clock, place):
    petition = make_petition(db, place, "awaiting_answer")
    due = clock_aware(stored(db, petition.id).answer_due_at)
    clock.set(due - timedelta(seconds=1))
    assert public_status(petition, clock.current) == PublicStatus.awaiting_answer
    assert [p.id for p, _, _ in reading.listing(db, status=PublicStatus.overdue).rows] == []
    clock.set(due)
    assert public_status(petition, clock.current) == PublicStatus.overdue
    assert [p.id for p, _, _ in reading.listing(db, status=PublicStatus.overdue).rows] == [
        petition.id]
    assert reading.listing(db, status=PublicStatus.awaiting_answer).total == 0


# -- answer ---------------------------------------------------------------------------------

def _answer(**kw):
    values = {"decision": Decision.supported,
              "text": "Рада підтримує петицію: перехід облаштують до вересня."}
    values.update(kw)
    return AnswerCreate(**values)


def test_only_an_official_of_the_addressed_authority_answers(db, clock, place):
    petition = make_petition(db, place, "awaiting_answer")
    for person in (make_official(db, place, authority=place.department),
                   make_official(db, make_community(db)), make_moderator(db, place),
                   make_resident(db, place)):
        with pytest.raises(Forbidden):
            outcome.answer(db, person, petition.id, _answer())
    with pytest.raises(NotAuthenticated):
        outcome.answer(db, None, petition.id, _answer())
    assert stored(db, petition.id).status == "awaiting_answer"
    assert obligation(db, petition.id).answered_at is None


@pytest.mark.parametrize("state", ["open", "answered", "closed", "rejected"])
def test_answer_only_when_awaiting(db, clock, place, state):
    official = make_official(db, place)
    petition = make_petition(db, place, state, clock=clock, official=official)
    with pytest.raises(Conflict):
        outcome.answer(db, official, petition.id, _answer())


def test_answer_input(db, clock, place):
    petition = make_petition(db, place, "awaiting_answer")
    official = make_official(db, place)
    with pytest.raises(InvalidInput) as err:
        outcome.answer(db, official, petition.id, _answer(
            decision=Decision.forwarded, text="ні", planned_by=date(2026, 3, 1)))
    assert set(err.value.fields) == {"text", "forwarded_to", "planned_by"}
    assert stored(db, petition.id).status == "awaiting_answer"


def test_answer_on_time_and_late(db, clock, place):
    on_time = make_petition(db, place, "awaiting_answer")
    late = make_petition(db, place, "awaiting_answer")
    official = make_official(db, place)
    outcome.answer(db, official, on_time.id, _answer(
        planned_steps="Проєкт; закупівля; монтаж.", planned_by=date(2026, 9, 1)))
    o = obligation(db, on_time.id)
    assert accountability.status_of(o, clock.current).value == "answered_on_time"
    clock.set(clock_aware(stored(db, late.id).answer_due_at) + timedelta(days=1))
    assert public_status(late, clock.current) == PublicStatus.overdue
    outcome.answer(db, official, late.id, _answer(decision=Decision.forwarded,
                                                  forwarded_to="Обласна адміністрація"))
    o = obligation(db, late.id)
    assert accountability.status_of(o, clock.current).value == "answered_late"
    public = reading.to_public(reading.detail(db, None, late.id))
    assert public.status == PublicStatus.answered
    assert public.answer.on_time is False
    assert public.answer.forwarded_to == "Обласна адміністрація"
    assert json.loads(audit_data(db, late.id, "petition.answered")[0]) == {
        "decision": "forwarded", "on_time": False}
    with pytest.raises(Conflict):
        outcome.answer(db, official, late.id, _answer())


def test_signers_and_followers_hear_of_the_answer(db, clock, place):
    petition = make_petition(db, place, "open")
    signers = sign_to_threshold(db, place, petition)
    outcome.unfollow(db, signers[0], petition.id)
    outcome.answer(db, make_official(db, place), petition.id, _answer())
    assert not any("відповів" in m.subject for m in mails(db, signers[0]))
    for signer in signers[1:]:
        assert any("відповів" in m.subject for m in mails(db, signer))


# -- rating and updates ---------------------------------------------------------------------

def test_each_signer_rates_once(db, clock, place):
    petition = make_petition(db, place, "open")
    signers = sign_to_threshold(db, place, petition)
    with pytest.raises(Conflict):
        outcome.rate(db, signers[0], petition.id, Rating.yes)  # no answer yet
    outcome.answer(db, make_official(db, place), petition.id, _answer())
    outcome.rate(db, signers[0], petition.id, Rating.yes)
    outcome.rate(db, signers[1], petition.id, Rating.no)
    with pytest.raises(Conflict):
        outcome.rate(db, signers[0], petition.id, Rating.no)
    with pytest.raises(Forbidden):
        outcome.rate(db, make_resident(db, place), petition.id, Rating.yes)
    with pytest.raises(InvalidInput):
        outcome.rate(db, signers[2], petition.id, "maybe")
    o = obligation(db, petition.id)
    assert (o.rating_yes, o.rating_partly, o.rating_no) == (1, 0, 1)
    ratings = reading.detail(db, None, petition.id).ratings
    assert (ratings.yes, ratings.partly, ratings.no, ratings.total) == (1, 0, 1, 2)
    assert [json.loads(d) for d in audit_data(db, petition.id, "petition.rated")] == [
        {"value": "yes"}, {"value": "no"}]


def test_a_paper_signer_with_an_account_may_rate(db, clock, place):
    petition = make_petition(db, place, "open")
    official = make_official(db, place)
    resident = make_resident(db, place, email="paper.signer@example.org")
    signing.record_paper(db, official, petition.id, _paper(email="paper.signer@example.org"))
    sign_to_threshold(db, place, petition)
    outcome.answer(db, official, petition.id, _answer())
    outcome.rate(db, resident, petition.id, Rating.partly)
    assert obligation(db, petition.id).rating_partly == 1


def test_implementation_updates(db, clock, place):
    official = make_official(db, place)
    petition = make_petition(db, place, "open")
    signers = sign_to_threshold(db, place, petition)
    update = UpdateCreate(status=UpdateStatus.in_progress, text="Роботи почалися сьогодні.")
    with pytest.raises(Conflict):
        outcome.post_update(db, official, petition.id, update)
    outcome.answer(db, official, petition.id, _answer())
    with pytest.raises(Forbidden):
        outcome.post_update(db, make_official(db, place, authority=place.department),
                            petition.id, update)
    with pytest.raises(InvalidInput):
        outcome.post_update(db, official, petition.id, UpdateCreate(
            status=UpdateStatus.done, text="Готово.", happened_on=date(2026, 3, 3)))
    outcome.post_update(db, official, petition.id, update)
    view = reading.detail(db, None, petition.id)
    assert [(u.status, u.text) for u in view.updates] == [("in_progress",
                                                           "Роботи почалися сьогодні.")]
    assert view.answer.decision == "supported"
    for signer in signers:
        assert any("Роботи почалися" in m.body for m in mails(db, signer))


def test_an_update_dated_today_in_kyiv_is_taken_late_in_the_utc_evening(db, clock, place):
    """At 22:30 UTC it is already the next day in Kyiv: an official who reports work done
    today dates it with that day, and the default date is that day too (app.clock.today is
    the communities' date, not UTC's)."""
    official = make_official(db, place)
    petition = make_petition(db, place, "open")
    sign_to_threshold(db, place, petition)
    outcome.answer(db, official, petition.id, _answer())
    clock.set(datetime(2026, 3, 5, 22, 30, tzinfo=UTC))
    outcome.post_update(db, official, petition.id, UpdateCreate(
        status=UpdateStatus.done, text="Тротуар відремонтовано повністю.",
        happened_on=date(2026, 3, 6)))
    outcome.post_update(db, official, petition.id, UpdateCreate(
        status=UpdateStatus.in_progress, text="Фарбування розмітки триває."))
    with pytest.raises(InvalidInput):
        outcome.post_update(db, official, petition.id, UpdateCreate(
            status=UpdateStatus.done, text="Розмітку нанесено повністю.",
            happened_on=date(2026, 3, 7)))
    dates = [u.happened_on for u in reading.detail(db, None, petition.id).updates]
    assert sorted(dates) == [date(2026, 3, 6), date(2026, 3, 6)]


def test_no_updates_for_a_petition_that_was_not_supported(db, clock, place):
    official = make_official(db, place)
    petition = make_petition(db, place, "answered", official=official,
                             decision=Decision.not_supported)
    with pytest.raises(Conflict):
        outcome.post_update(db, official, petition.id, UpdateCreate(
            status=UpdateStatus.done, text="Нічого не зроблено."))


# -- reading --------------------------------------------------------------------------------

def test_visibility_of_unpublished_petitions(db, clock, place):
    draft = make_petition(db, place, "draft")
    queued = make_petition(db, place, "moderation")
    author = db.get(type(make_user(db)), draft.author_id)
    moderator = make_moderator(db, place)
    assert reading.detail(db, author, draft.id).petition.id == draft.id
    for viewer in (None, make_resident(db, place), moderator):
        with pytest.raises(NotFound):
            reading.detail(db, viewer, draft.id)
    assert reading.detail(db, moderator, queued.id).petition.id == queued.id
    with pytest.raises(NotFound):
        reading.detail(db, make_resident(db, place), queued.id)
    with pytest.raises(NotFound):
        reading.detail(db, None, 999_999)
    assert reading.listing(db).total == 0


def test_listing_filters_sorts_and_pages(db, clock):
    lviv, other = make_community(db, slug="lviv-test"), make_community(db)
    a = make_petition(db, lviv, "open", title="Ремонт дороги на вулиці Зеленій",
                      category=Category.transport)
    clock.advance(minutes=5)
    b = make_petition(db, lviv, "open", title="Новий сквер біля ринку",
                      category=Category.urban)
    clock.advance(minutes=5)
    c = make_petition(db, other, "awaiting_answer", title="Дорога до лікарні в селі",
                      category=Category.transport)
    signing.sign(db, make_resident(db, lviv), b.id)
    ids = lambda listing: [p.id for p, _, _ in listing.rows]  # noqa: E731
    assert ids(reading.listing(db)) == [c.id, b.id, a.id]
    assert ids(reading.listing(db, community="lviv-test")) == [b.id, a.id]
    assert ids(reading.listing(db, category="transport")) == [c.id, a.id]
    assert ids(reading.listing(db, status=PublicStatus.open)) == [b.id, a.id]
    assert ids(reading.listing(db, status=PublicStatus.awaiting_answer)) == [c.id]
    assert ids(reading.listing(db, sort="signatures")) == [c.id, b.id, a.id]
    assert ids(reading.listing(db, sort="deadline"))[0] == c.id  # answer due before collection
    assert ids(reading.listing(db, q="дорог")) == [c.id, a.id]
    assert ids(reading.listing(db, q="ДОРОГА лікарні")) == [c.id]
    assert ids(reading.listing(db, q="сквер", community="lviv-test")) == [b.id]
    first = reading.listing(db, size=2)
    second = reading.listing(db, size=2, page=2)
    assert (first.total, first.pages, ids(first), ids(second)) == (3, 2, [c.id, b.id], [a.id])
    with pytest.raises(NotFound):
        reading.listing(db, community="nowhere")
    with pytest.raises(InvalidInput):
        reading.listing(db, status=PublicStatus.draft)


def test_similar_petitions_while_typing(db, clock, place):
    text = "Просимо розглянути це питання на найближчій сесії ради та ухвалити рішення."
    a = make_petition(db, place, "open", title="Освітлення у парку Шевченка вночі", text=text)
    make_petition(db, place, "draft", title="Освітлення у дворі, чернетка автора", text=text)
    make_petition(db, place, "open", title="Ремонт даху школи номер три", text=text)
    other = make_community(db)
    make_petition(db, other, "open", title="Освітлення вулиці в іншій громаді", text=text)
    found = reading.similar(db, "освітлення парку", place.community.id)
    assert [p.id for p in found] == [a.id]
    assert reading.similar(db, "ой", place.community.id) == []
    assert len(reading.similar(db, "Освітлення", None)) == 2


def test_export_has_no_personal_data(db, clock, place):
    petition = make_petition(db, place, "answered")
    rejected = make_petition(db, place, "moderation")
    drafting.reject(db, make_moderator(db, place), rejected.id, RejectionReason.offensive,
                    "Образливий зміст петиції.")
    make_petition(db, place, "draft")
    rows = list(reading.export(db))
    assert [r.id for r in rows] == [petition.id, rejected.id]
    first = rows[0]
    assert (first.status, first.decision, first.answered_on_time, first.signature_count) == (
        PublicStatus.answered, Decision.supported, True, 3)
    assert rows[1].title is None and rows[1].rejection_reason is None
    dumped = json.dumps([r.model_dump(mode="json") for r in rows], ensure_ascii=False)
    author = db.get(type(make_user(db)), petition.author_id)
    assert author.display_name not in dumped and author.email not in dumped


def test_sign_returns_the_count_for_the_benchmark(db, clock, place):
    petition = make_petition(db, place, "open",
                             )
    counts = [signing.sign(db, make_resident(db, place), petition.id).count for _ in range(2)]
    assert counts == [1, 2]
