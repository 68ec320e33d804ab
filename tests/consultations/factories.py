"""Factories for consultations tests: consultations in every phase, answers, organisations."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import Session

from app import clock
from app.deliberation import service as deliberation
from app.deliberation.models import Comment, CommentCreate
from app.identity.models import User
from consultations.models import (
    SUBJECT_TYPE,
    AnswerIn,
    Category,
    Consultation,
    ConsultationCreate,
    ConsultationOrganisation,
    OrganisationIn,
    Outcome,
    Publication,
    QuestionCreate,
    QuestionKind,
    ReportIn,
    ReportItemIn,
    ResponseIn,
)
from consultations.service import drafting, organisations, reading, responding
from tests.factories import Place, make_official

BODY = """Вступ до проєкту.

# Загальні положення

Текст першого розділу.

## Деталі

Текст другого розділу з **виділенням**.

# Прикінцеві положення

Останній розділ.
"""


def default_questions() -> list[QuestionCreate]:
    return [
        QuestionCreate(kind=QuestionKind.single, prompt="Do you support the draft?",
                       options=["Yes", "Partly", "No"]),
        QuestionCreate(kind=QuestionKind.multiple, prompt="What matters most?",
                       options=["Trees", "Bike lanes", "Lighting"]),
        QuestionCreate(kind=QuestionKind.scale, prompt="How clear is the text?",
                       required=False),
        QuestionCreate(kind=QuestionKind.text, prompt="Your proposals", required=False),
    ]


def today() -> date:
    return clock.today()


def make_consultation(db: Session, place: Place, official: User | None = None, *,
                      start: date | None = None, days: int | None = None,
                      publish: bool = True, questions: list[QuestionCreate] | None = None,
                      authority=None, title: str = "Draft rules for parks") -> Consultation:
    """A consultation of the place's council: published (scheduled or open) or a draft."""
    authority = authority or place.council
    official = official or make_official(db, place, authority)
    minimum = place.rules.rules.consultations.minimum_duration_days
    start = start or today()
    end = start + timedelta(days=(days or minimum) - 1)
    c = drafting.create(db, official, ConsultationCreate(
        community_id=place.community.id, authority_id=authority.id, title=title,
        summary="What we plan for the parks, and why.", body=BODY,
        stakeholders=["Residents", "NGOs"], start_date=start, end_date=end,
        questions=default_questions() if questions is None else questions))
    if publish:
        drafting.publish(db, official, c)
    return c


def official_of(db: Session, c: Consultation) -> User:
    return db.get(User, c.author_id)


def answers(db: Session, c: Consultation, *, single: int = 0, multiple: tuple[int, ...] = (0,),
            scale: int | None = None, text: str | None = None) -> list[AnswerIn]:
    views = reading.questions(db, c)
    by_kind = {v.question.kind: v for v in views}
    out = []
    if QuestionKind.single in by_kind:
        v = by_kind[QuestionKind.single]
        out.append(AnswerIn(question_id=v.question.id, option_ids=[v.options[single].id]))
    if QuestionKind.multiple in by_kind:
        v = by_kind[QuestionKind.multiple]
        out.append(AnswerIn(question_id=v.question.id,
                            option_ids=[v.options[i].id for i in multiple]))
    if scale is not None and QuestionKind.scale in by_kind:
        out.append(AnswerIn(question_id=by_kind[QuestionKind.scale].question.id, value=scale))
    if text is not None and QuestionKind.text in by_kind:
        out.append(AnswerIn(question_id=by_kind[QuestionKind.text].question.id, text=text))
    return out


def respond(db: Session, c: Consultation, user: User, *,
            publication: Publication = Publication.named,
            organisation: ConsultationOrganisation | None = None, **kw):
    return responding.respond(db, user, c, ResponseIn(
        organisation_id=organisation.id if organisation else None, publication=publication,
        answers=answers(db, c, **kw))).response


def edrpou(n: int) -> str:
    """A well-formed EDRPOU code: the 7 digits of `n` and their check digit."""
    first = f"{n % 10_000_000:07d}"
    return first + str(organisations.edrpou_check_digit(first))


def make_organisation(db: Session, place: Place, owner: User, *, category: Category = Category.ngo,
                      verified: bool = True, name: str = "Green City NGO",
                      code: str | None = None) -> ConsultationOrganisation:
    org = organisations.register_organisation(db, owner, OrganisationIn(
        community_id=place.community.id, name=name, category=category,
        code=code or edrpou(owner.id * 10 + len(category.value))))
    if verified:
        organisations.verify_organisation(db, make_official(db, place), org.id)
    return org


def close(clock_fixture, c: Consultation, *, days_after: int = 0) -> None:
    """Move the clock past the consultation's end."""
    clock_fixture.set(clock.aware(c.ends_at) + timedelta(days=days_after, minutes=1))


def report_in(db: Session, c: Consultation, outcome: Outcome = Outcome.accepted) -> ReportIn:
    items = [ReportItemIn(section_id=s.id, outcome=outcome, explanation=f"Section {s.number}.")
             for s in reading.sections(db, c)]
    items += [ReportItemIn(question_id=v.question.id, outcome=Outcome.partly_accepted,
                           explanation="Taken into account in part.")
              for v in reading.questions(db, c)]
    return ReportIn(summary="We accepted most proposals about the parks.",
                    decision_url="https://rada.example.org/decisions/145", items=items)


def comment(db: Session, c: Consultation, user: User | None, section_id: int | None = None,
            body: str = "A comment on the text", *, parent_id: int | None = None,
            publication: str | None = None, voice_id: int | None = None) -> Comment:
    """A comment on a section of the text, through the kernel's discussion."""
    return deliberation.add_comment(db, user, SUBJECT_TYPE, c.id, CommentCreate(
        anchor_id=section_id, parent_id=parent_id, body=body, publication=publication,
        voice_id=voice_id))
