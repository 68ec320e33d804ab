"""The consultation's life through the service: drafting, answering, commenting, closing,
reporting and rating, with the clock moved by the test."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError
from sqlmodel import select

from app import clock as app_clock
from app.accountability import service as accountability
from app.accountability.models import ObligationStatus
from app.audit.models import AuditEntry
from app.deliberation import service as deliberation
from app.deliberation.models import COMMENT
from app.exceptions import Conflict, Forbidden, InvalidInput, NotFound
from app.notifications.models import Message
from app.rules import calendar
from app.rules import service as rules_service
from consultations import repository as repo
from consultations.dependencies import load
from consultations.models import (
    OBLIGATION_KIND,
    SUBJECT_TYPE,
    AnswerIn,
    Category,
    Consultation,
    ConsultationCreate,
    ConsultationOption,
    ConsultationQuestion,
    ConsultationResponse,
    ConsultationUpdate,
    Outcome,
    Phase,
    Publication,
    QuestionCreate,
    QuestionKind,
    Rating,
    ResponseEdit,
    ResponseIn,
)
from consultations.service import discussion, drafting, outcome, reading, responding
from tests.consultations.factories import (
    answers,
    close,
    comment,
    edrpou,
    make_consultation,
    make_organisation,
    official_of,
    report_in,
    respond,
    today,
)
from tests.factories import (
    DEFAULT_RULES,
    make_community,
    make_moderator,
    make_official,
    make_resident,
    make_user,
    merge,
)


def audit_actions(db, subject_id: int) -> list[str]:
    return [e.action for e in db.exec(select(AuditEntry).where(
        AuditEntry.subject_type == "consultation", AuditEntry.subject_id == subject_id)
        .order_by(AuditEntry.id))]


def option_counts(db, c) -> dict[str, int]:
    out = {}
    for view in reading.questions(db, c):
        for o in view.options:
            db.refresh(o)
            out[f"{view.question.kind}:{o.label}"] = o.count
    return out


@pytest.fixture
def place(db):
    return make_community(db)


# -- creation and publication -------------------------------------------------------------

def test_draft_text_is_split_into_numbered_sections(db, clock, place):
    c = make_consultation(db, place, publish=False)
    sections = reading.sections(db, c)
    assert [(s.number, s.title) for s in sections] == [
        (1, ""), (2, "Загальні положення"), (3, "Деталі"), (4, "Прикінцеві положення")]
    assert "<strong>виділенням</strong>" in sections[2].html
    assert reading.phase(c) == Phase.draft


def test_period_shorter_than_the_rules_is_refused_naming_the_minimum(db, clock, place):
    official = make_official(db, place)
    data = ConsultationCreate(community_id=place.community.id, authority_id=place.council.id,
                              title="Too short a consultation", summary="A summary text.",
                              body="# One\n\nThe text of part one.", start_date=today(),
                              end_date=today() + timedelta(days=12))  # 13 days < 14
    with pytest.raises(InvalidInput) as exc:
        drafting.create(db, official, data)
    assert exc.value.params == {"days": 14}
    assert "end_date" in exc.value.fields
    assert db.exec(select(Consultation)).first() is None
    # Exactly the minimum is accepted.
    data.end_date = today() + timedelta(days=13)
    assert drafting.create(db, official, data).id


def test_start_in_the_past_and_end_before_start_are_refused(db, clock, place):
    official = make_official(db, place)
    base = dict(community_id=place.community.id, authority_id=place.council.id,
                title="Dates that make no sense", summary="A summary text.",
                body="The body of the draft text.")
    with pytest.raises(InvalidInput) as exc:
        drafting.create(db, official, ConsultationCreate(
            **base, start_date=today() - timedelta(days=1), end_date=today() + timedelta(30)))
    assert "start_date" in exc.value.fields
    with pytest.raises(InvalidInput) as exc:
        drafting.create(db, official, ConsultationCreate(
            **base, start_date=today() + timedelta(days=5), end_date=today()))
    assert "end_date" in exc.value.fields


def test_only_an_official_of_the_authority_creates(db, clock, place):
    data = ConsultationCreate(community_id=place.community.id, authority_id=place.council.id,
                              title="Not mine to open", summary="A summary text.",
                              body="The body of the draft text.", start_date=today(),
                              end_date=today() + timedelta(days=30))
    for outsider in (make_resident(db, place), make_official(db, place, place.department),
                     make_moderator(db, place)):
        with pytest.raises(Forbidden):
            drafting.create(db, outsider, data)
    other = make_community(db)
    data.authority_id = other.council.id  # not of this community
    with pytest.raises(InvalidInput):
        drafting.create(db, make_official(db, other), data)


def test_publication_freezes_the_rule_version_and_validates_against_it(db, clock, place):
    c = make_consultation(db, place, publish=False, days=14)
    official = official_of(db, c)
    # The community raises its minimum before publication: the draft no longer qualifies.
    rules_service.change(db, place.community.id, merge(DEFAULT_RULES, {
        "consultations": {"minimum_duration_days": 20}}), None, "longer consultations")
    with pytest.raises(InvalidInput) as exc:
        drafting.publish(db, official, c)
    assert exc.value.params == {"days": 20}
    drafting.update(db, official, c, ConsultationUpdate(end_date=c.start_date + timedelta(19)))
    drafting.publish(db, official, c)
    version = rules_service.current(db, place.community.id)
    assert c.ruleset_id == version.id
    # A later change does not apply backwards: the report deadline stays the published one.
    rules_service.change(db, place.community.id, merge(DEFAULT_RULES, {
        "consultations": {"minimum_duration_days": 20,
                          "report_deadline": {"days": 60, "unit": "calendar"}}}), None,
        "slower reports")
    assert reading.rules_of(db, c).report_deadline.days == 14
    assert "consultation.published" in audit_actions(db, c.id)


def test_publishing_needs_a_question_and_a_draft(db, clock, place):
    c = make_consultation(db, place, publish=False, questions=[])
    with pytest.raises(InvalidInput):
        drafting.publish(db, official_of(db, c), c)
    drafting.add_question(db, official_of(db, c), c, QuestionCreate(
        kind=QuestionKind.text, prompt="Anything to add?"))
    drafting.publish(db, official_of(db, c), c)
    with pytest.raises(Conflict):
        drafting.publish(db, official_of(db, c), c)
    with pytest.raises(Conflict):
        drafting.update(db, official_of(db, c), c, ConsultationUpdate(title="Changed later"))


def test_choice_questions_need_two_options_and_scales_get_five(db, clock, place):
    c = make_consultation(db, place, publish=False, questions=[])
    official = official_of(db, c)
    with pytest.raises(InvalidInput):
        drafting.add_question(db, official, c, QuestionCreate(
            kind=QuestionKind.single, prompt="Pick one", options=["Only", " Only "]))
    q = drafting.add_question(db, official, c, QuestionCreate(
        kind=QuestionKind.scale, prompt="Rate it", options=["ignored"]))
    assert [o.label for o in reading.questions(db, c)[0].options] == ["1", "2", "3", "4", "5"]
    drafting.delete_question(db, official, c, q.id)
    assert reading.questions(db, c) == []


def test_drafts_are_hidden_from_everyone_but_the_authority(db, clock, place):
    c = make_consultation(db, place, publish=False)
    assert load(db, official_of(db, c), c.id).id == c.id
    for outsider in (None, make_resident(db, place), make_moderator(db, place),
                     make_official(db, place, place.department)):
        with pytest.raises(NotFound):
            load(db, outsider, c.id)


# -- phases -------------------------------------------------------------------------------

def test_phase_follows_the_dates_and_the_clock(db, clock, place):
    c = make_consultation(db, place, start=today() + timedelta(days=3))
    assert reading.phase(c) == Phase.scheduled
    clock.set(app_clock.aware(c.starts_at) - timedelta(seconds=1))
    assert reading.phase(c) == Phase.scheduled
    clock.set(app_clock.aware(c.starts_at))
    assert reading.phase(c) == Phase.open
    clock.set(app_clock.aware(c.ends_at) - timedelta(seconds=1))
    assert reading.phase(c) == Phase.open
    clock.set(app_clock.aware(c.ends_at))
    assert reading.phase(c) == Phase.closed


# -- answering ----------------------------------------------------------------------------

def test_a_response_updates_every_counter_in_the_same_transaction(db, clock, place):
    c = make_consultation(db, place)
    respond(db, c, make_resident(db, place), single=0, multiple=(0, 2), scale=4, text="More")
    respond(db, c, make_resident(db, place), single=1, multiple=(2,))
    db.refresh(c)
    assert c.response_count == 2 and c.resident_count == 2
    counts = option_counts(db, c)
    assert counts["single:Yes"] == 1 and counts["single:Partly"] == 1
    assert counts["multiple:Trees"] == 1 and counts["multiple:Lighting"] == 2
    assert counts["scale:4"] == 1
    questions = {v.question.kind: v.question for v in reading.questions(db, c)}
    for q in questions.values():
        db.refresh(q)
    assert questions["single"].answer_count == 2
    assert questions["scale"].answer_count == 1
    assert questions["text"].answer_count == 1
    results = reading.results(db, c)
    single = next(q for q in results.questions if q.kind == "single")
    assert [o.percent for o in single.options] == [50.0, 50.0, 0.0]
    scale = next(q for q in results.questions if q.kind == "scale")
    assert scale.average == 4.0
    assert audit_actions(db, c.id).count("consultation.response_submitted") == 2


@pytest.mark.parametrize("case", ["missing_required", "outside_options", "scale_range",
                                  "two_for_single", "unknown_question", "text_too_long"])
def test_bad_answers_are_refused_and_nothing_is_written(db, clock, place, case):
    c = make_consultation(db, place)
    views = {v.question.kind: v for v in reading.questions(db, c)}
    good = answers(db, c)
    bad = [a.model_copy() for a in good]
    key = None
    if case == "missing_required":
        bad = [a for a in bad if a.question_id != views["multiple"].question.id]
        key = f"q{views['multiple'].question.id}"
    elif case == "outside_options":
        bad[0].option_ids = [views["multiple"].options[0].id]  # an option of another question
        key = f"q{views['single'].question.id}"
    elif case == "scale_range":
        # The schema refuses it (1 to 5); the service too, for whatever reaches it.
        with pytest.raises(ValidationError):
            AnswerIn(question_id=views["scale"].question.id, value=6)
        bad.append(AnswerIn.model_construct(question_id=views["scale"].question.id, value=6,
                                            option_ids=[], text=None))
        key = f"q{views['scale'].question.id}"
    elif case == "two_for_single":
        bad[0].option_ids = [o.id for o in views["single"].options[:2]]
        key = f"q{views['single'].question.id}"
    elif case == "unknown_question":
        bad.append(AnswerIn(question_id=999_999, text="?"))
        key = "q999999"
    elif case == "text_too_long":
        bad.append(AnswerIn.model_construct(question_id=views["text"].question.id,
                                            option_ids=[], value=None, text="x" * 5001))
        key = f"q{views['text'].question.id}"
    resident = make_resident(db, place)
    with pytest.raises(InvalidInput) as exc:
        responding.respond(db, resident, c, ResponseIn(answers=bad))
    assert key in exc.value.fields
    db.refresh(c)
    assert c.response_count == 0
    assert db.exec(select(ConsultationResponse)).first() is None
    assert all(n == 0 for n in option_counts(db, c).values())


def test_answering_before_the_start_and_after_the_end_is_refused(db, clock, place):
    c = make_consultation(db, place, start=today() + timedelta(days=2))
    resident = make_resident(db, place)
    with pytest.raises(Conflict) as exc:
        respond(db, c, resident)
    assert "opens" in exc.value.message
    close(clock, c)
    with pytest.raises(Conflict) as exc:
        respond(db, c, resident)
    assert "closed" in exc.value.message
    db.refresh(c)
    assert c.response_count == 0


def test_a_second_response_is_a_conflict(db, clock, place):
    c = make_consultation(db, place)
    resident = make_resident(db, place)
    respond(db, c, resident)
    with pytest.raises(Conflict):
        respond(db, c, resident, single=2)
    db.refresh(c)
    assert c.response_count == 1
    assert option_counts(db, c)["single:No"] == 0


def test_only_verified_residents_and_organisations_answer(db, clock, place):
    c = make_consultation(db, place)
    other_place = make_community(db)
    outsiders = [make_user(db), make_resident(db, other_place), make_official(db, place),
                 make_moderator(db, place), make_user(db, verified=False)]
    for person in outsiders:
        with pytest.raises(Forbidden):
            respond(db, c, person)
    # An organisation that is not verified, or not one's own, cannot answer either.
    owner = make_user(db)
    pending = make_organisation(db, place, owner, verified=False)
    with pytest.raises(Forbidden):
        respond(db, c, owner, organisation=pending)
    verified = make_organisation(db, place, make_user(db), code=edrpou(7001))
    with pytest.raises(Forbidden):
        respond(db, c, owner, organisation=verified)


def test_organisations_answer_in_their_category_once_each(db, clock, place):
    c = make_consultation(db, place)
    person = make_resident(db, place)
    ngo = make_organisation(db, place, person, category=Category.ngo)
    business = make_organisation(db, place, person, category=Category.business,
                                 code=edrpou(7002))
    respond(db, c, person)
    respond(db, c, person, organisation=ngo)
    respond(db, c, person, organisation=business)
    with pytest.raises(Conflict):
        respond(db, c, person, organisation=ngo)
    db.refresh(c)
    assert (c.response_count, c.resident_count, c.ngo_count, c.business_count) == (3, 1, 1, 1)
    categories = {cc.category: cc.count for cc in reading.results(db, c).categories}
    assert categories == {"resident": 1, "ngo": 1, "business": 1, "academic": 0,
                          "public_body": 0, "union": 0, "other": 0}


def test_editing_moves_the_counters_and_is_audited(db, clock, place):
    c = make_consultation(db, place)
    resident = make_resident(db, place)
    r = respond(db, c, resident, single=0, multiple=(0, 1), scale=2)
    views = {v.question.kind: v for v in reading.questions(db, c)}
    responding.edit_response(db, resident, c, r.id, ResponseEdit(answers=[
        AnswerIn(question_id=views["single"].question.id,
                 option_ids=[views["single"].options[2].id]),
        AnswerIn(question_id=views["multiple"].question.id,
                 option_ids=[views["multiple"].options[1].id, views["multiple"].options[2].id]),
        AnswerIn(question_id=views["scale"].question.id),  # cleared (optional)
        AnswerIn(question_id=views["text"].question.id, text="Added later"),
    ], publication=Publication.anonymous))
    counts = option_counts(db, c)
    assert counts["single:Yes"] == 0 and counts["single:No"] == 1
    assert (counts["multiple:Trees"], counts["multiple:Bike lanes"],
            counts["multiple:Lighting"]) == (0, 1, 1)
    assert counts["scale:2"] == 0
    for v in views.values():
        db.refresh(v.question)
    assert views["scale"].question.answer_count == 0
    assert views["text"].question.answer_count == 1
    db.refresh(c)
    assert c.response_count == 1
    assert r.publication == Publication.anonymous
    assert responding.answers_by_question(db, r)[views["text"].question.id].text == "Added later"
    assert "consultation.response_edited" in audit_actions(db, c.id)
    # A required answer cannot be cleared, nor can anyone else's response be edited.
    with pytest.raises(InvalidInput):
        responding.edit_response(db, resident, c, r.id, ResponseEdit(answers=[
            AnswerIn(question_id=views["single"].question.id)]))
    with pytest.raises(NotFound):
        responding.edit_response(db, make_resident(db, place), c, r.id, ResponseEdit(
            publication=Publication.none))
    # After the end date, answers are frozen.
    close(clock, c)
    with pytest.raises(Conflict):
        responding.edit_response(db, resident, c, r.id, ResponseEdit(
            publication=Publication.named))


# -- comments and moderation --------------------------------------------------------------

def _threads(db, user, c, section_id=None):
    return deliberation.discussion(db, user, SUBJECT_TYPE, c.id, anchor_id=section_id).threads


def test_comments_with_one_level_of_replies(db, clock, place):
    c = make_consultation(db, place)
    sections = reading.sections(db, c)
    resident = make_resident(db, place)
    top = comment(db, c, resident, sections[1].id, "Too vague.")
    official = official_of(db, c)
    reply = comment(db, c, official, parent_id=top.id, body="We will clarify.")
    assert reply.parent_id == top.id and reply.anchor_id == sections[1].id
    with pytest.raises(InvalidInput, match="one level deep"):
        comment(db, c, resident, parent_id=reply.id, body="Thank you.")
    comment(db, c, resident, parent_id=top.id, body="Thank you.")
    threads = _threads(db, None, c, sections[1].id)
    assert [len(t.replies) for t in threads] == [2]
    assert _threads(db, None, c, sections[2].id) == []
    db.refresh(sections[1])
    db.refresh(c)
    assert sections[1].comment_count == 3 and c.comment_count == 3
    with pytest.raises(InvalidInput):  # the parent is in another section
        comment(db, c, resident, sections[2].id, "Misplaced", parent_id=top.id)
    with pytest.raises(InvalidInput):  # a first comment names its section of this text
        comment(db, c, resident, None, "Nowhere")
    other = make_consultation(db, place)
    with pytest.raises(InvalidInput):
        comment(db, c, resident, reading.sections(db, other)[0].id, "Elsewhere")
    with pytest.raises(Forbidden):
        comment(db, c, make_user(db), sections[1].id, "Outsider")
    most = reading.results(db, c).most_discussed
    assert [m.section_id for m in most] == [sections[1].id]


def test_comment_publication_choices_are_respected(db, clock, place):
    c = make_consultation(db, place)
    section = reading.sections(db, c)[0]
    named_author = make_resident(db, place, name="Olena Named")
    hidden_author = make_resident(db, place, name="Petro Private")
    anonymous = make_resident(db, place, name="Anon Ymous")
    comment(db, c, named_author, section.id, "Named")
    comment(db, c, anonymous, section.id, "Anonymous one", publication="anonymous")
    comment(db, c, hidden_author, section.id, "Only for the authority",
            publication="unpublished")
    public = _threads(db, None, c)
    assert [(v.author, v.comment.body) for v in reversed(public)] == [
        ("Olena Named", "Named"), (None, "Anonymous one")]
    assert [v.anonymous for v in reversed(public)] == [False, True]
    assert len(_threads(db, make_resident(db, place), c)) == 2
    staff = _threads(db, official_of(db, c), c)
    assert len(staff) == 3
    assert len(_threads(db, make_moderator(db, place), c)) == 3
    own = _threads(db, hidden_author, c)
    assert any(v.own and v.comment.body == "Only for the authority" for v in own)
    # The page and the API do not reveal who wrote anonymously or did not publish.
    page = deliberation.public_comment(public[0])
    assert page["author"] is None and page["publication"] == "anonymous"


def test_a_moderator_hides_a_comment_and_its_author_is_told_why(db, clock, place):
    c = make_consultation(db, place)
    section = reading.sections(db, c)[0]
    author = make_resident(db, place)
    written = comment(db, c, author, section.id, "Offensive words")
    with pytest.raises(Forbidden):
        discussion.hide_comment(db, official_of(db, c), c, written.id, "Not allowed here")
    moderator = make_moderator(db, place)
    with pytest.raises(InvalidInput):
        discussion.hide_comment(db, moderator, c, written.id, "no")
    with pytest.raises(NotFound):  # a comment of another consultation
        discussion.hide_comment(db, moderator, make_consultation(db, place), written.id,
                                "Insults other participants")
    case = discussion.hide_comment(db, moderator, c, written.id, "Insults other participants")
    assert case.decision == "hide" and case.public_reason == "Insults other participants"
    assert written.state == "hidden" and written.public_reason == "Insults other participants"
    db.refresh(section)
    db.refresh(c)
    assert section.comment_count == 0 and c.comment_count == 0
    mail = db.exec(select(Message).where(Message.user_id == author.id)).all()
    assert len(mail) == 1 and "Insults other participants" in mail[0].body
    with pytest.raises(Conflict):
        discussion.hide_comment(db, moderator, c, written.id, "Again and again")
    view = _threads(db, None, c)[0]
    assert not view.shown and deliberation.public_comment(view)["body"] is None


def test_reports_hide_a_comment_until_a_moderator_decides(db, clock, place):
    c = make_consultation(db, place)
    section = reading.sections(db, c)[0]
    author = make_resident(db, place)
    written = comment(db, c, author, section.id, "Call the number 0501234567")
    with pytest.raises(Conflict):  # not one's own
        deliberation.report(db, author, COMMENT, written.id, "personal_data")
    for n in range(3):  # the default rules: three reports hide it
        case = deliberation.report(db, make_resident(db, place), COMMENT, written.id,
                                   "personal_data")
        assert case.hidden == (n == 2)
    assert written.state == "pending"
    db.refresh(section)
    assert section.comment_count == 0
    view = _threads(db, None, c)[0]
    assert deliberation.public_comment(view)["body"] is None
    moderator = make_moderator(db, place)
    queue = deliberation.queue(db, moderator, c.community_id)
    assert [item.comment.id for item in queue] == [written.id]
    assert queue[0].path == f"/consultations/{c.id}#comment-{written.id}"
    deliberation.decide(db, moderator, case.id, "keep")
    db.refresh(section)
    assert written.state == "visible" and section.comment_count == 1


# -- closing, report, rating --------------------------------------------------------------

def test_close_expired_opens_the_report_obligation_once(db, clock, place):
    c = make_consultation(db, place)
    assert outcome.close_expired(db) == 0
    close(clock, c, days_after=3)
    assert reading.phase(c) == Phase.closed
    assert outcome.close_expired(db) == 1
    assert outcome.close_expired(db) == 0
    obligation = accountability.find(db, OBLIGATION_KIND, "consultation", c.id)
    assert obligation.subject_path == f"/consultations/{c.id}"
    assert obligation.ruleset_id == c.ruleset_id
    # Due 14 calendar days after the end date, at the end of that local day.
    assert outcome.report_due(db, c) == app_clock.aware(obligation.due_at)
    db.expire(obligation)  # as stored
    due_day = calendar.local_date(app_clock.aware(obligation.due_at)
                                          - timedelta(seconds=1))
    assert due_day == c.end_date + timedelta(days=14)


def test_report_validation_and_who_may_publish(db, clock, place):
    c = make_consultation(db, place)
    resident = make_resident(db, place)
    respond(db, c, resident)
    data = report_in(db, c)
    with pytest.raises(Forbidden):
        outcome.publish_report(db, resident, c, data)
    with pytest.raises(Conflict):  # still open
        outcome.publish_report(db, official_of(db, c), c, data)
    close(clock, c)
    for outsider in (resident, make_moderator(db, place),
                     make_official(db, place, place.department)):
        with pytest.raises(Forbidden):
            outcome.publish_report(db, outsider, c, data)
    incomplete = data.model_copy(update={"items": data.items[1:],
                                         "decision_url": "javascript:alert(1)"})
    with pytest.raises(InvalidInput) as exc:
        outcome.publish_report(db, official_of(db, c), c, incomplete)
    first_section = reading.sections(db, c)[0]
    assert f"s{first_section.id}" in exc.value.fields
    assert "decision_url" in exc.value.fields
    assert repo.report(db, c.id) is None


def test_report_on_time_closes_the_obligation_and_notifies_participants(db, clock, place):
    c = make_consultation(db, place)
    participant = make_resident(db, place)
    commenter = make_resident(db, place)
    respond(db, c, participant)
    comment(db, c, commenter, reading.sections(db, c)[0].id, "A remark")
    close(clock, c, days_after=5)  # the worker has not run: the report closes it itself
    outcome.publish_report(db, official_of(db, c), c, report_in(db, c))
    assert reading.phase(c) == Phase.reported
    obligation = accountability.find(db, OBLIGATION_KIND, "consultation", c.id)
    assert accountability.status_of(obligation) == ObligationStatus.answered_on_time
    view = outcome.report_of(db, c)
    assert view.on_time is True and len(view.items) == 4 + 4
    for person in (participant, commenter):
        messages = db.exec(select(Message).where(Message.user_id == person.id)).all()
        assert any(f"/consultations/{c.id}/report" in m.body for m in messages)
    assert "consultation.report_published" in audit_actions(db, c.id)
    with pytest.raises(Conflict):
        outcome.publish_report(db, official_of(db, c), c, report_in(db, c))


def test_a_late_report_counts_as_late(db, clock, place):
    c = make_consultation(db, place)
    close(clock, c)
    outcome.close_expired(db)
    close(clock, c, days_after=20)
    outcome.publish_report(db, official_of(db, c), c, report_in(db, c, Outcome.rejected))
    obligation = accountability.find(db, OBLIGATION_KIND, "consultation", c.id)
    assert accountability.status_of(obligation) == ObligationStatus.answered_late
    assert outcome.report_of(db, c).on_time is False


def test_overdue_while_no_report(db, clock, place):
    c = make_consultation(db, place)
    close(clock, c)
    outcome.close_expired(db)
    close(clock, c, days_after=15)
    obligation = accountability.find(db, OBLIGATION_KIND, "consultation", c.id)
    assert accountability.status_of(obligation) == ObligationStatus.overdue


def test_participants_rate_once_and_the_ledger_counts_it(db, clock, place):
    c = make_consultation(db, place)
    participant, commenter, bystander = (make_resident(db, place) for _ in range(3))
    respond(db, c, participant)
    comment(db, c, commenter, reading.sections(db, c)[0].id, "A remark")
    with pytest.raises(Conflict):
        outcome.rate(db, participant, c, Rating.yes)  # no report yet
    close(clock, c)
    outcome.publish_report(db, official_of(db, c), c, report_in(db, c))
    outcome.rate(db, participant, c, Rating.yes)
    outcome.rate(db, commenter, c, Rating.partly)
    with pytest.raises(Conflict):
        outcome.rate(db, participant, c, Rating.no)
    with pytest.raises(Forbidden):
        outcome.rate(db, bystander, c, Rating.no)
    db.refresh(c)
    assert reading.rating_summary(c).model_dump() == {"yes": 1, "partly": 1, "no": 0,
                                                      "total": 2}
    obligation = accountability.find(db, OBLIGATION_KIND, "consultation", c.id)
    db.refresh(obligation)
    assert (obligation.rating_yes, obligation.rating_partly, obligation.rating_no) == (1, 1, 0)
    assert audit_actions(db, c.id).count("consultation.rated") == 2


def test_audit_entries_hold_no_personal_data(db, clock, place):
    c = make_consultation(db, place)
    resident = make_resident(db, place, name="Very Private Name")
    respond(db, c, resident, text="my secret text")
    entries = db.exec(select(AuditEntry).where(AuditEntry.subject_type == "consultation")).all()
    assert entries
    for entry in entries:
        assert "Very Private Name" not in entry.data and "secret" not in entry.data
        assert resident.email not in entry.data


def test_counters_match_the_rows(db, clock, place):
    """The counters that pages read equal what a full count would give."""
    c = make_consultation(db, place)
    people = [make_resident(db, place) for _ in range(5)]
    for n, person in enumerate(people):
        respond(db, c, person, single=n % 3, multiple=tuple(range(n % 3 + 1)),
                scale=(n % 5) + 1 if n % 2 else None)
    r = repo.responses_of_user(db, c.id, people[0].id)[0]
    views = {v.question.kind: v for v in reading.questions(db, c)}
    responding.edit_response(db, people[0], c, r.id, ResponseEdit(answers=[AnswerIn(
        question_id=views["multiple"].question.id,
        option_ids=[views["multiple"].options[2].id])]))
    from sqlalchemy import func

    from consultations.models import ConsultationAnswer

    for option in db.exec(select(ConsultationOption)).all():
        db.refresh(option)
        real = db.exec(select(func.count()).select_from(ConsultationAnswer)
                       .where(ConsultationAnswer.option_id == option.id)).one()
        assert option.count == real
    for question in db.exec(select(ConsultationQuestion)).all():
        db.refresh(question)
        real = db.exec(select(func.count(func.distinct(ConsultationAnswer.response_id)))
                       .where(ConsultationAnswer.question_id == question.id)).one()
        assert question.answer_count == real
