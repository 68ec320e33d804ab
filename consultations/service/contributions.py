"""Every contribution public: once the consultation closes, each response is published, an
organisation's with its name, a person's without it unless they chose otherwise (or not at
all if they asked so). Before that a moderator may take personal data out of the free text;
the published text is the moderated one. Flushes, never commits."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from app import clock
from app.audit import service as audit
from app.exceptions import InvalidInput, NotFound
from app.identity.models import User
from app.web.i18n import N_
from consultations import permissions, text
from consultations import repository as repo
from consultations.models import (
    SUBJECT_TYPE,
    Consultation,
    ConsultationResponse,
    Phase,
    Publication,
    QuestionKind,
    RedactIn,
)
from consultations.service import reading
from consultations.service.reading import CleanAnswer, QuestionView

PUBLISHED_PHASES = (Phase.closed, Phase.reported)


@dataclass(frozen=True)
class Contribution:
    response: ConsultationResponse
    author: str | None  # the organisation's name, the person's if they chose it, or None
    organisation: str | None
    answers: dict[int, CleanAnswer]


def published(c: Consultation) -> bool:
    """Contributions are published once the consultation has closed."""
    return reading.phase(c) in PUBLISHED_PHASES


def contributions(session: Session, c: Consultation, *, offset: int = 0,
                  limit: int | None = None) -> list[Contribution]:
    """The published contributions (none before the consultation closes), with the text as
    the moderator left it."""
    if not published(c):
        return []
    rows = repo.published_contributions(session, c.id)
    rows = rows[offset:offset + limit] if limit is not None else rows[offset:]
    answers = repo.answers_of_responses(session, [r.id for r, _, _ in rows])
    out = []
    for response, person, org_name in rows:
        if response.organisation_id is not None:
            author = org_name
        else:
            author = person if response.publication == Publication.named else None
        out.append(Contribution(response, author, org_name,
                                reading.by_question(answers[response.id], public=True)))
    return out


def to_moderate(session: Session, user: User | None, c: Consultation
                ) -> list[tuple[ConsultationResponse, dict[int, CleanAnswer]]]:
    """Responses with free text, for a moderator to check before publication."""
    permissions.check_moderate_contributions(session, user, c, reading.phase(c))
    rows = repo.published_contributions(session, c.id)
    answers = repo.answers_of_responses(session, [r.id for r, _, _ in rows])
    out = []
    for response, _, _ in rows:
        clean = reading.by_question(answers[response.id], public=True)
        if any(a.text for a in clean.values()):
            out.append((response, clean))
    return out


def redact(session: Session, user: User | None, c: Consultation, response_id: int,
           data: RedactIn) -> ConsultationResponse:
    """Replace the published text of one free-text answer (its author's own text is kept for
    them and the authority). Only removal: the new text may not be longer."""
    permissions.check_moderate_contributions(session, user, c, reading.phase(c))
    response = repo.response(session, response_id)
    if response is None or response.consultation_id != c.id:
        raise NotFound(N_("No such response."))
    row = next((a for a in repo.answers(session, response.id)
                if a.question_id == data.question_id and a.text), None)
    if row is None:
        raise NotFound(N_("This response has no free-text answer to that question."))
    cleaned = text.clean_body(data.text)
    if len(cleaned) > len(row.text):
        message = N_("A moderator can only take text out, not add to it.")
        raise InvalidInput(message, fields={"text": message})
    row.public_text = cleaned
    response.moderated_at = clock.now()
    session.add_all([row, response])
    session.flush()
    audit.append(session, "consultation.contribution_moderated", SUBJECT_TYPE, c.id, user.id,
                 response_id=response.id, question_id=data.question_id)
    return response


def text_questions(views: list[QuestionView]) -> list[QuestionView]:
    return [v for v in views if v.question.kind == QuestionKind.text]



def paper_ids(session: Session, c: Consultation) -> dict[tuple[int, int], int]:
    """(response, question) -> the answer holding a published position paper."""
    if not published(c):
        return {}
    return repo.published_papers(session, c.id)
