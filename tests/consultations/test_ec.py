"""Consultations at the European Commission's standard: the register of organisations and its
members, the two stages, invitations and the priority window, the richer questionnaire,
public contributions and their moderation, the opinion map and the synopsis."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from app import clock as app_clock
from app.accountability import service as accountability
from app.deliberation import service as deliberation
from app.exceptions import Conflict, Forbidden, InvalidInput, NotFound
from app.notifications.models import Message
from consultations import opinion
from consultations import repository as repo
from consultations.models import (
    SUBJECT_TYPE,
    AnswerIn,
    Category,
    ConsultationAnswer,
    ConsultationCreate,
    ConsultationOption,
    ConsultationQuestion,
    OrganisationIn,
    Publication,
    QuestionCreate,
    QuestionKind,
    RedactIn,
    ResponseEdit,
    ResponseIn,
    RowIn,
    Stage,
    StatementIn,
    Topic,
    Vote,
)
from consultations.service import (
    contributions,
    discussion,
    drafting,
    invitations,
    mapping,
    organisations,
    outcome,
    reading,
    responding,
)
from consultations.service.organisations import valid_edrpou
from tests.consultations.factories import (
    BODY,
    close,
    edrpou,
    make_consultation,
    make_organisation,
    official_of,
    report_in,
    today,
)
from tests.consultations.factories import (
    comment as make_comment,
)
from tests.factories import make_community, make_moderator, make_official, make_resident

EC_RULES = {"consultations": {"minimum_duration_days": 84, "evidence_minimum_days": 28,
                              "priority_days": 7}}


@pytest.fixture
def place(db):
    return make_community(db)


def test_edrpou_check_digit():
    assert all(valid_edrpou(code) for code in ("14360570", "00032129", "21560766"))
    assert not any(valid_edrpou(code) for code in ("14360571", "1436057", "1436057O",
                                                   "143605700", "٠٠٠٣٢١٢٩"))


# -- the register: members confirmed by the contact ---------------------------------------

def test_a_member_acts_for_the_organisation_only_once_confirmed(db, clock, place):
    c = make_consultation(db, place)
    contact = make_resident(db, place)
    org = make_organisation(db, place, contact)
    member = make_resident(db, place)
    organisations.join(db, member, org.id)
    with pytest.raises(Conflict):  # asking twice
        organisations.join(db, member, org.id)
    with pytest.raises(Forbidden, match="not confirmed"):
        responding.respond(db, member, c, ResponseIn(
            organisation_id=org.id, answers=_simple_answers(db, c)))
    assert c.response_count == 0
    with pytest.raises(Forbidden):  # only the contact confirms
        organisations.confirm_member(db, member, org.id, member.id)
    mail = db.exec(select(Message).where(Message.user_id == contact.id)).all()
    assert any(org.name in m.subject for m in mail)
    organisations.confirm_member(db, contact, org.id, member.id)
    response = responding.respond(db, member, c, ResponseIn(
        organisation_id=org.id, publication=Publication.none,
        answers=_simple_answers(db, c))).response
    # An organisation's contribution is public and signed with its name, whatever was asked.
    assert response.publication == Publication.named and response.category == Category.ngo
    assert org in organisations.organisations_of(db, member)


def test_register_lists_verified_organisations_with_their_fields(db, clock, place):
    owner = make_resident(db, place)
    org = organisations.register_organisation(db, owner, OrganisationIn(
        community_id=place.community.id, name="Профспілка освітян", category=Category.union,
        code=edrpou(4242), topics=[Topic.education, Topic.education, Topic.youth]))
    assert org.topics == ["education", "youth"]
    assert organisations.public_register(db, place.community.id) == []
    organisations.verify_organisation(db, make_official(db, place), org.id)
    assert organisations.public_register(db, place.community.id) == [org]


# -- two stages ---------------------------------------------------------------------------

def _create(db, place, official, *, stage=Stage.draft, days, evidence=None, topics=(),
            organisation_ids=(), questions=None, start=None):
    start = start or today()
    return drafting.create(db, official, ConsultationCreate(
        community_id=place.community.id, authority_id=place.council.id,
        title=f"Stage {stage.value} of the park rules", summary="The problem and the options.",
        body=BODY, stage=stage, evidence_id=evidence.id if evidence else None,
        topics=list(topics), organisation_ids=list(organisation_ids), start_date=start,
        end_date=start + timedelta(days=days - 1),
        questions=questions or [QuestionCreate(kind=QuestionKind.text, prompt="Evidence?")]))


def test_two_stages_with_the_commissions_four_and_twelve_weeks(db, clock):
    place = make_community(db, rules_override=EC_RULES)
    official = make_official(db, place)
    with pytest.raises(InvalidInput, match="call for evidence must last at least"):
        _create(db, place, official, stage=Stage.evidence, days=27)
    evidence = _create(db, place, official, stage=Stage.evidence, days=28)
    drafting.publish(db, official, evidence)
    with pytest.raises(InvalidInput, match="at least"):  # 12 weeks for the draft
        _create(db, place, official, days=83, evidence=evidence,
                start=today() + timedelta(days=30))
    draft = _create(db, place, official, days=84, evidence=evidence,
                    start=today() + timedelta(days=30))
    with pytest.raises(InvalidInput, match="call for evidence, closed"):
        drafting.publish(db, official, draft)  # the call for evidence is still open
    alone = _create(db, place, official, days=84, start=today() + timedelta(days=30))
    close(clock, evidence)
    with pytest.raises(InvalidInput, match="call for evidence, closed"):
        drafting.publish(db, official, alone)  # no call for evidence at all
    drafting.publish(db, official, draft)
    assert draft.evidence_id == evidence.id and draft.priority_days == 7
    assert repo.evidence_followers(db, evidence.id) == [draft]


# -- invitations and the priority window --------------------------------------------------

def test_invited_organisations_answer_first_and_everyone_sees_who_answered(db, clock):
    place = make_community(db, rules_override={"consultations": {"priority_days": 7}})
    official = make_official(db, place)
    green = make_organisation(db, place, make_resident(db, place), name="Green")
    green.topics = [Topic.environment]
    named = make_organisation(db, place, make_resident(db, place), name="Named",
                              category=Category.business)
    other = make_organisation(db, place, make_resident(db, place), name="Other",
                              category=Category.academic)
    other.topics = [Topic.transport]
    db.add_all([green, other])
    db.flush()
    c = _create(db, place, official, days=30, topics=[Topic.environment],
                organisation_ids=[named.id])
    drafting.publish(db, official, c)
    listed = invitations.invitations(db, c)
    assert [(i.organisation.name, i.answered) for i in listed] == [("Green", False),
                                                                   ("Named", False)]
    assert c.invitation_count == 2
    mail = db.exec(select(Message).where(Message.user_id == green.user_id)).all()
    assert any(c.title in m.subject for m in mail)

    resident = make_resident(db, place)
    with pytest.raises(Conflict, match="only invited stakeholders"):
        responding.respond(db, resident, c, ResponseIn(answers=_simple_answers(db, c)))
    with pytest.raises(Conflict, match="only invited stakeholders"):
        responding.respond(db, _user(db, other), c, ResponseIn(
            organisation_id=other.id, answers=_simple_answers(db, c)))
    response = responding.respond(db, _user(db, green), c, ResponseIn(
        organisation_id=green.id, answers=_simple_answers(db, c))).response
    assert response.invited
    assert [(i.organisation.name, i.answered) for i in invitations.invitations(db, c)] == [
        ("Green", True), ("Named", False)]
    clock.set(app_clock.aware(c.starts_at) + timedelta(days=7, minutes=1))
    responding.respond(db, resident, c, ResponseIn(answers=_simple_answers(db, c)))


def test_only_verified_organisations_of_the_community_are_invited_by_name(db, clock, place):
    official = make_official(db, place)
    pending = make_organisation(db, place, make_resident(db, place), verified=False)
    with pytest.raises(InvalidInput, match="verified organisations"):
        _create(db, place, official, days=14, organisation_ids=[pending.id])


def _user(db, org):
    from app.identity.models import User

    return db.get(User, org.user_id)


def _simple_answers(db, c) -> list[AnswerIn]:
    return [AnswerIn(question_id=v.question.id, text="Evidence from our members.")
            if v.question.kind == QuestionKind.text else
            AnswerIn(question_id=v.question.id, option_ids=[v.options[0].id])
            for v in reading.questions(db, c)
            if v.question.kind in (QuestionKind.text, QuestionKind.single,
                                   QuestionKind.multiple)]


# -- the richer questionnaire --------------------------------------------------------------

RICH = [
    QuestionCreate(kind=QuestionKind.single, prompt="Do you own a car?", options=["Yes", "No"]),
    QuestionCreate(kind=QuestionKind.number, prompt="How many cars?", shown_if_question=1,
                   shown_if_option=1),
    QuestionCreate(kind=QuestionKind.ranking, prompt="Rank the priorities",
                   options=["Trees", "Lanes", "Lights"]),
    QuestionCreate(kind=QuestionKind.matrix, prompt="Rate each street",
                   options=["Shevchenka", "Franka"]),
    QuestionCreate(kind=QuestionKind.date, prompt="When should works start?", required=False),
]


def _rich_answers(views, *, car=True, cars=2.0, ranking=(2, 0, 1), rows=(5, 3), day=None):
    single, number, rank, matrix, date_q = views
    out = [AnswerIn(question_id=single.question.id,
                    option_ids=[single.options[0 if car else 1].id]),
           AnswerIn(question_id=rank.question.id,
                    option_ids=[rank.options[i].id for i in ranking]),
           AnswerIn(question_id=matrix.question.id,
                    rows=[RowIn(option_id=o.id, value=v)
                          for o, v in zip(matrix.options, rows, strict=True)])]
    if cars is not None:
        out.append(AnswerIn(question_id=number.question.id, number=cars))
    if day is not None:
        out.append(AnswerIn(question_id=date_q.question.id, day=day))
    return out


def test_ranking_matrix_number_date_and_a_conditional_question(db, clock, place):
    c = make_consultation(db, place, questions=RICH)
    views = reading.questions(db, c)
    assert views[1].question.condition_option_id == views[0].options[0].id
    first, second = make_resident(db, place), make_resident(db, place)
    responding.respond(db, first, c, ResponseIn(
        answers=_rich_answers(views, day=today() + timedelta(days=40))))
    # No car: the number of cars is not asked, and may not be answered.
    with pytest.raises(InvalidInput) as refused:
        responding.respond(db, second, c, ResponseIn(answers=_rich_answers(views, car=False)))
    assert f"q{views[1].question.id}" in refused.value.fields
    assert repo.responses_of_user(db, c.id, second.id) == []
    responding.respond(db, second, c, ResponseIn(
        answers=_rich_answers(views, car=False, cars=None, ranking=(0, 2, 1), rows=(1, 1))))
    results = {r.question_id: r for r in reading.results(db, c).questions}
    ranking = results[views[2].question.id]
    # Lights: ranked 1st and 2nd (1.5); Trees: 2nd and 1st (1.5); Lanes: 3rd twice (3.0).
    assert [(o.label, o.average) for o in ranking.options] == [
        ("Trees", 1.5), ("Lights", 1.5), ("Lanes", 3.0)]
    matrix = results[views[3].question.id]
    assert [(o.label, o.average) for o in matrix.options] == [("Shevchenka", 3.0),
                                                                ("Franka", 2.0)]
    assert results[views[1].question.id].answer_count == 1
    cars = results[views[1].question.id]
    assert (cars.lowest, cars.median, cars.highest) == ("2", "2", "2")
    assert [(r.label, r.count) for r in cars.ranges] == [("2–2", 1)]
    starts = results[views[4].question.id]
    day = today() + timedelta(days=40)
    assert [(r.label, r.count) for r in starts.ranges] == [(f"{day.year}-{day.month:02d}", 1)]
    stored = db.exec(select(ConsultationAnswer).where(
        ConsultationAnswer.question_id == views[1].question.id)).all()
    assert [a.number for a in stored] == [2.0]


def test_changing_a_ranking_moves_the_totals_and_a_dropped_condition_clears_its_answer(
        db, clock, place):
    c = make_consultation(db, place, questions=RICH)
    views = reading.questions(db, c)
    person = make_resident(db, place)
    response = responding.respond(db, person, c, ResponseIn(
        answers=_rich_answers(views))).response
    single, number, rank, _, _ = views
    responding.edit_response(db, person, c, response.id, ResponseEdit(answers=[
        AnswerIn(question_id=rank.question.id, option_ids=[o.id for o in rank.options]),
        AnswerIn(question_id=single.question.id, option_ids=[single.options[1].id])]))
    totals = [db.get(ConsultationOption, o.id) for o in rank.options]
    for o in totals:
        db.refresh(o)
    assert [(o.count, o.total) for o in totals] == [(1, 1), (1, 2), (1, 3)]
    assert db.get(ConsultationQuestion, number.question.id).answer_count == 0
    assert number.question.id not in responding.answers_by_question(db, response)


@pytest.mark.parametrize("answer, message", [
    (lambda v: AnswerIn(question_id=v[2].question.id,
                        option_ids=[v[2].options[0].id, v[2].options[0].id]), "one place"),
    (lambda v: AnswerIn(question_id=v[3].question.id,
                        rows=[RowIn(option_id=v[3].options[0].id, value=4)]), "every row"),
])
def test_a_bad_ranking_or_matrix_is_refused(db, clock, place, answer, message):
    c = make_consultation(db, place, questions=RICH)
    views = reading.questions(db, c)
    answers = [a for a in _rich_answers(views) if a.question_id != answer(views).question_id]
    with pytest.raises(InvalidInput) as refused:
        responding.respond(db, make_resident(db, place), c,
                           ResponseIn(answers=[*answers, answer(views)]))
    assert message in str(refused.value.fields)
    assert c.response_count == 0


# -- public contributions ------------------------------------------------------------------

def test_contributions_are_published_after_the_close_with_personal_data_removed(
        db, clock, place):
    c = make_consultation(db, place)
    named = make_resident(db, place, name="Named Person")
    anonymous = make_resident(db, place, name="Quiet Person")
    org = make_organisation(db, place, make_resident(db, place), name="River Keepers")
    answers = _simple_answers(db, c)
    text_q = next(v for v in reading.questions(db, c) if v.question.kind == QuestionKind.text)
    responding.respond(db, named, c, ResponseIn(publication=Publication.named,
                                                answers=answers))
    secret = responding.respond(db, anonymous, c, ResponseIn(answers=[
        *[a for a in answers if a.question_id != text_q.question.id],
        AnswerIn(question_id=text_q.question.id, text="Call me at +380 67 123 45 67.")]))
    responding.respond(db, _user(db, org), c, ResponseIn(organisation_id=org.id,
                                                         answers=answers))
    assert contributions.contributions(db, c) == []  # not before the close
    moderator = make_moderator(db, place)
    with pytest.raises(Forbidden):
        contributions.redact(db, named, c, secret.response.id,
                             RedactIn(question_id=text_q.question.id, text="Call me."))
    with pytest.raises(InvalidInput):
        contributions.redact(db, moderator, c, secret.response.id, RedactIn(
            question_id=text_q.question.id, text="Call me at +380 67 123 45 67 please!"))
    contributions.redact(db, moderator, c, secret.response.id,
                         RedactIn(question_id=text_q.question.id, text="Call me at [removed]."))
    close(clock, c)
    published = contributions.contributions(db, c)
    assert [(p.author, p.response.category) for p in published] == [
        ("Named Person", "resident"), (None, "resident"), ("River Keepers", "ngo")]
    assert published[1].answers[text_q.question.id].text == "Call me at [removed]."
    # The author still sees their own words.
    assert responding.answers_by_question(db, secret.response)[text_q.question.id].text == (
        "Call me at +380 67 123 45 67.")
    assert "+380" not in reading.contributions_csv(db, c)


# -- the opinion map -----------------------------------------------------------------------

def test_statements_and_votes(db, clock, place):
    c = make_consultation(db, place)
    author, voter = make_resident(db, place), make_resident(db, place)
    s = mapping.add_statement(db, author, c, StatementIn(body="More trees near  schools."))
    with pytest.raises(Conflict, match="already been made"):
        mapping.add_statement(db, voter, c, StatementIn(body="more trees near schools. "))
    with pytest.raises(InvalidInput, match="5 to {n}"):
        mapping.add_statement(db, voter, c, StatementIn(body="x" * 2000))
    with pytest.raises(Forbidden):
        mapping.add_statement(db, make_official(db, make_community(db)), c,
                              StatementIn(body="An outsider's statement."))
    mapping.vote(db, voter, c, s.id, Vote.agree)
    with pytest.raises(Conflict, match="already voted"):
        mapping.vote(db, voter, c, s.id, Vote.disagree)
    with pytest.raises(NotFound):
        mapping.vote(db, voter, c, s.id + 1000, Vote.agree)
    db.refresh(s)
    assert (s.agree_count, s.disagree_count, c.statement_count, c.vote_count) == (1, 0, 1, 1)
    assert mapping.next_statement(db, author, c) is None  # not one's own
    close(clock, c)
    with pytest.raises(Conflict, match="closed"):
        mapping.vote(db, author, c, s.id, Vote.agree)


def test_the_map_finds_the_groups_the_divides_and_the_common_ground():
    # Two camps of 30: statement 1 all agree; 2 and 3 split the camps; 4 mostly passed.
    users, statements, values = [], [], []
    for person in range(60):
        camp = 1 if person < 30 else -1
        for statement, value in ((1, 1), (2, camp), (3, -camp), (4, 0)):
            users.append(person)
            statements.append(statement)
            values.append(value)
    result = opinion.compute(users, statements, values)
    assert result.participants == 60 and sorted(g.size for g in result.groups) == [30, 30]
    assert result.consensus[0].statement_id == 1
    assert {s.statement_id for s in result.divisive[:2]} == {2, 3}
    assert all(s.statement_id != 1 for s in result.divisive)
    same_camp = {p[3] for p in result.places if p[0] < 30}
    assert len(same_camp) == 1
    assert opinion.compute([], [], []) == opinion.EMPTY


def test_the_map_follows_the_votes(db, clock, place):
    c = make_consultation(db, place)
    people = [make_resident(db, place) for _ in range(6)]
    ids = [mapping.add_statement(db, people[0], c, StatementIn(body=f"Statement {n}")).id
           for n in range(3)]
    assert mapping.opinion_map(db, c).result.participants == 0
    for n, person in enumerate(people):
        for sid in ids:
            mapping.vote(db, person, c, sid, Vote.agree if (n < 3) == (sid != ids[2])
                         else Vote.disagree)
    view = mapping.opinion_map(db, c)
    assert view.result.participants == 6 and len(view.result.groups) == 2
    assert view.bodies[ids[0]] == "Statement 0"


# -- the synopsis --------------------------------------------------------------------------

def test_the_synopsis_counts_who_said_what_by_category_with_invited_apart(db, clock, place):
    official = make_official(db, place)
    invited = make_organisation(db, place, make_resident(db, place), name="Invited")
    c = _create(db, place, official, days=14, organisation_ids=[invited.id], questions=[
        QuestionCreate(kind=QuestionKind.single, prompt="Support?", options=["Yes", "No"])])
    drafting.publish(db, official, c)
    yes, no = reading.questions(db, c)[0].options
    for person, option in ((make_resident(db, place), yes), (make_resident(db, place), no)):
        responding.respond(db, person, c, ResponseIn(answers=[
            AnswerIn(question_id=option.question_id, option_ids=[option.id])]))
    responding.respond(db, _user(db, invited), c, ResponseIn(
        organisation_id=invited.id,
        answers=[AnswerIn(question_id=yes.question_id, option_ids=[yes.id])]))
    close(clock, c, days_after=1)
    report = outcome.publish_report(db, official_of(db, c), c, report_in(db, c))
    figures = report.synopsis
    assert figures["options"][str(yes.id)] == {"resident": 1, "invited": 1}
    assert figures["options"][str(no.id)] == {"resident": 1}
    assert figures["categories"]["resident"] == 2 and figures["categories"]["ngo"] == 1
    assert figures["invited"] == [{"organisation_id": invited.id, "name": "Invited",
                                   "category": "ngo", "answered": True}]
    obligation = accountability.find(db, "consultation_report", "consultation", c.id)
    assert obligation.answered_at is not None


def test_the_synopsis_counts_each_sections_comments_by_category(db, clock, place):
    official = make_official(db, place)
    invited = make_organisation(db, place, make_resident(db, place), name="Invited")
    union = make_organisation(db, place, make_resident(db, place), category=Category.union,
                              name="Union")
    stranger = make_organisation(db, place, make_resident(db, place), name="Not mine")
    c = _create(db, place, official, days=14, organisation_ids=[invited.id])
    drafting.publish(db, official, c)
    first, second = reading.sections(db, c)[:2]
    alice, bob = make_resident(db, place), make_resident(db, place)

    def comment(user, section, org=None, parent=None, publication="named"):
        return make_comment(db, c, user, section.id if parent is None else None,
                            "A view on this part.", parent_id=parent,
                            voice_id=org.id if org else None, publication=publication)

    top = comment(alice, first)
    comment(bob, first, parent=top.id, publication="unpublished")
    comment(_user(db, invited), first, invited)
    for_union = comment(_user(db, union), first, union, publication="anonymous")
    assert for_union.publication == "named"  # an organisation signs by name
    comment(_user(db, union), second, union)
    comment(official_of(db, c), first, parent=top.id)  # the authority's reply: not counted
    hidden = comment(bob, second)
    discussion.hide_comment(db, make_moderator(db, place), c, hidden.id, "Personal data.")
    with pytest.raises(Forbidden, match="organisation you act for"):
        comment(alice, first, stranger)
    with pytest.raises(Forbidden):
        comment(alice, first, type("Unknown", (), {"id": 999_999})())
    assert deliberation.comment_of(db, for_union.id).voice_id == union.id
    threads = deliberation.discussion(db, None, SUBJECT_TYPE, c.id, anchor_id=first.id).threads
    author = {v.comment.id: v.author for v in threads}
    assert author[for_union.id] == "Union"

    close(clock, c, days_after=1)
    report = outcome.publish_report(db, official_of(db, c), c, report_in(db, c))
    assert report.synopsis["sections"] == {
        str(first.id): {"resident": 2, "invited": 1, "union": 1},
        str(second.id): {"union": 1}}
    # Later changes leave the frozen figures be.
    db.delete(deliberation.comment_of(db, for_union.id))
    db.flush()
    assert repo.comment_counts_by_category(db, c.id, c.authority_id) != []
    db.expire_all()
    assert repo.report(db, c.id).synopsis["sections"][str(first.id)]["union"] == 1
    from consultations.api import _section_contributions

    shown = _section_contributions(db, c, repo.report(db, c.id).synopsis)
    assert [(s.section_id, s.comments) for s in shown][:2] == [(first.id, 4), (second.id, 1)]
    assert _section_contributions(db, c, {"options": {}}) == []  # frozen before: no zeros


def test_the_benchmarks_camps_are_found_at_a_small_size():
    from bench import bench_opinion

    users, items, values, camp = bench_opinion.votes(300, 40, 0.6)
    result = opinion.compute(users, items, values)
    assert len(result.groups) == 3 and bench_opinion.camps_found(result, camp)


# -- position papers -------------------------------------------------------------------------

PDF = b"%PDF-1.4\n% a position paper\n%%EOF\n"


def test_a_position_paper_is_a_pdf_of_at_most_ten_megabytes(db, clock, place, uploads_dir):
    c = make_consultation(db, place, questions=[
        QuestionCreate(kind=QuestionKind.text, prompt="Your view", required=False),
        QuestionCreate(kind=QuestionKind.paper, prompt="Your position paper")])
    paper_q = reading.questions(db, c)[1].question
    assert not paper_q.required
    org = make_organisation(db, place, make_resident(db, place), name="Think Tank")
    author = _user(db, org)
    response = responding.respond(db, author, c, ResponseIn(organisation_id=org.id)).response
    with pytest.raises(InvalidInput, match="too large"):
        responding.attach_paper(db, author, c, response.id, paper_q.id, "big.pdf",
                                PDF + b"0" * (20 * 1024 * 1024))
    with pytest.raises(InvalidInput, match="PDF"):
        responding.attach_paper(db, author, c, response.id, paper_q.id, "paper.png",
                                b"\x89PNG\r\n\x1a\n" + b"0" * 10)
    with pytest.raises(InvalidInput):  # a paper is a file, not an answer
        responding.edit_response(db, author, c, response.id, ResponseEdit(answers=[
            AnswerIn(question_id=paper_q.id, text="see attached")]))
    assert db.get(ConsultationQuestion, paper_q.id).answer_count == 0
    responding.attach_paper(db, author, c, response.id, paper_q.id, "first.pdf", PDF)
    answer = responding.attach_paper(db, author, c, response.id, paper_q.id, "Позиція.pdf",
                                     PDF + b"v2")
    db.refresh(db.get(ConsultationQuestion, paper_q.id))
    assert db.get(ConsultationQuestion, paper_q.id).answer_count == 1
    stranger = make_resident(db, place)
    with pytest.raises(NotFound):  # not before the contribution is published
        responding.paper(db, stranger, c, answer.id)
    assert responding.paper(db, author, c, answer.id)[1] == PDF + b"v2"
    close(clock, c)
    assert responding.paper(db, stranger, c, answer.id)[0].text == "Позиція.pdf"
    assert contributions.paper_ids(db, c) == {(response.id, paper_q.id): answer.id}
    with pytest.raises(Conflict):  # closed
        responding.attach_paper(db, author, c, response.id, paper_q.id, "late.pdf", PDF)


def test_personal_data_holds_memberships_statements_and_votes(db, clock, place):
    from consultations.service import privacy

    c = make_consultation(db, place)
    person = make_resident(db, place)
    org = make_organisation(db, place, make_resident(db, place))
    organisations.join(db, person, org.id)
    s = mapping.add_statement(db, make_resident(db, place), c,
                              StatementIn(body="Benches for the elderly"))
    mapping.add_statement(db, person, c, StatementIn(body="Water fountains in parks"))
    mapping.vote(db, person, c, s.id, Vote.disagree)
    data = privacy.personal_data(db, person)
    assert [m["status"] for m in data["memberships"]] == ["pending"]
    assert [x["body"] for x in data["statements"]] == ["Water fountains in parks"]
    assert [(v["statement_id"], v["value"]) for v in data["votes"]] == [(s.id, -1)]


def test_the_report_may_answer_the_proposals_of_the_map(db, clock, place):
    from consultations.models import Outcome, ReportItemIn
    from consultations.service import outcome as outcomes

    c = make_consultation(db, place)
    s = mapping.add_statement(db, make_resident(db, place), c,
                              StatementIn(body="Drinking fountains in every park"))
    close(clock, c, days_after=1)
    data = report_in(db, c)
    unknown = data.model_copy(update={"items": [*data.items, ReportItemIn(
        statement_id=s.id + 99, outcome=Outcome.rejected, explanation="No.")]})
    with pytest.raises(InvalidInput) as refused:
        outcomes.publish_report(db, official_of(db, c), c, unknown)
    assert f"p{s.id + 99}" in refused.value.fields
    answered = data.model_copy(update={"items": [*data.items, ReportItemIn(
        statement_id=s.id, outcome=Outcome.accepted, explanation="Ten fountains in 2027.")]})
    outcomes.publish_report(db, official_of(db, c), c, answered)
    items = outcomes.report_of(db, c).items
    assert [(i.statement_id, i.outcome) for i in items if i.statement_id] == [(s.id, "accepted")]
