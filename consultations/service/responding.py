"""Responding: a verified resident (or an organisation's owner) answers the questionnaire once
per respondent and may change the answers until the end date. The counters that results read
move in the same transaction. Flushes, never commits."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app import clock, storage
from app.audit import service as audit
from app.exceptions import Conflict, FieldMessage, InvalidInput, NotFound
from app.identity.models import User
from app.notifications import service as notifications
from app.web.i18n import N_
from consultations import permissions, uploads
from consultations import repository as repo
from consultations.models import (
    SCALE,
    SUBJECT_TYPE,
    AnswerIn,
    Category,
    Consultation,
    ConsultationAnswer,
    ConsultationOption,
    ConsultationOrganisation,
    ConsultationQuestion,
    ConsultationResponse,
    Phase,
    Publication,
    QuestionKind,
    ResponseEdit,
    ResponseIn,
)
from consultations.service import invitations, reading
from consultations.service.reading import CleanAnswer, QuestionView

ALREADY_ANSWERED = N_("This consultation has already been answered by this respondent. You "
                      "can change the answer until it closes.")


# -- checking answers against the questionnaire -------------------------------------------

def answer_field(question_id: int) -> str:
    """The form field (and error key) of a question's answer."""
    return f"q{question_id}"


def _chosen(view: QuestionView, a: AnswerIn) -> CleanAnswer | FieldMessage:
    chosen = list(dict.fromkeys(a.option_ids))
    offered = {o.id for o in view.options}
    if any(o not in offered for o in chosen):
        return N_("Choose one of the offered options.")
    if view.question.kind == QuestionKind.single and len(chosen) > 1:
        return N_("Choose only one option.")
    return CleanAnswer(option_ids=tuple(chosen))


def _on_scale(view: QuestionView, a: AnswerIn) -> CleanAnswer | FieldMessage:
    value = a.value
    if value is None and a.option_ids:  # a form sends the option of the value
        by_option = {o.id: o.position for o in view.options}
        value = by_option.get(a.option_ids[0], -1) if len(a.option_ids) == 1 else -1
    if value is None:
        return CleanAnswer()
    if value not in SCALE:
        return N_("Choose a value from {low} to {high}."), {"low": SCALE[0], "high": SCALE[-1]}
    option = next(o for o in view.options if o.position == value)
    return CleanAnswer(option_ids=(option.id,))


def _ranked(view: QuestionView, a: AnswerIn) -> CleanAnswer | FieldMessage:
    """Options in order of preference: each at most once; the first ones may be enough."""
    offered = {o.id for o in view.options}
    if any(o not in offered for o in a.option_ids):
        return N_("Choose one of the offered options.")
    if len(set(a.option_ids)) != len(a.option_ids):
        return N_("Give each option one place in the ranking.")
    return CleanAnswer(option_ids=tuple(a.option_ids),
                       values=tuple(range(1, len(a.option_ids) + 1)))


def _rows(view: QuestionView, a: AnswerIn) -> CleanAnswer | FieldMessage:
    """A value on the scale for some or all rows of a matrix; a required matrix needs all."""
    offered = [o.id for o in view.options]
    given: dict[int, int] = {}
    for row in a.rows:
        if row.option_id not in offered or row.option_id in given:
            return N_("Answer each row of the table once.")
        if row.value not in SCALE:
            return N_("Choose a value from {low} to {high}."), {"low": SCALE[0],
                                                                "high": SCALE[-1]}
        given[row.option_id] = row.value
    if given and view.question.required and len(given) < len(offered):
        return N_("Answer every row of the table.")
    ordered = [o for o in offered if o in given]
    return CleanAnswer(option_ids=tuple(ordered), values=tuple(given[o] for o in ordered))


def _written(a: AnswerIn) -> CleanAnswer | FieldMessage:
    body = (a.text or "").strip()
    if len(body) > 5000:
        return N_("The answer is too long (at most 5,000 characters).")
    return CleanAnswer(text=body or None)


def _clean(view: QuestionView, a: AnswerIn) -> CleanAnswer | FieldMessage:
    """One question's answer, or what is wrong with it."""
    kind = view.question.kind
    if kind in (QuestionKind.single, QuestionKind.multiple):
        result = _chosen(view, a)
    elif kind == QuestionKind.scale:
        result = _on_scale(view, a)
    elif kind == QuestionKind.ranking:
        result = _ranked(view, a)
    elif kind == QuestionKind.matrix:
        result = _rows(view, a)
    elif kind == QuestionKind.number:
        result = CleanAnswer(number=a.number)
    elif kind == QuestionKind.date:
        result = CleanAnswer(day=a.day)
    elif kind == QuestionKind.paper:  # uploaded on its own (attach_paper), never in answers
        if not _clean_empty(view, a):
            return N_("Upload the position paper as a PDF file.")
        return CleanAnswer()
    else:
        result = _written(a)
    if (isinstance(result, CleanAnswer) and result.empty and view.question.required
            and kind != QuestionKind.paper):
        return N_("This question requires an answer.")
    return result


def _given(views: list[QuestionView], answers: list[AnswerIn],
           errors: dict[str, FieldMessage]) -> dict[int, AnswerIn]:
    """The answers by question; an answer to no question of the consultation, or a second
    answer to one, is an error of its own."""
    by_id = {v.question.id for v in views}
    given: dict[int, AnswerIn] = {}
    for a in answers:
        if a.question_id not in by_id:
            errors[answer_field(a.question_id)] = N_(
                "This question is not part of the consultation.")
        elif a.question_id in given:
            errors[answer_field(a.question_id)] = N_("The question is answered twice.")
        else:
            given[a.question_id] = a
    return given


def _clean_empty(view: QuestionView, a: AnswerIn) -> bool:
    return not (a.option_ids or a.rows or a.value is not None or a.number is not None
                or a.day is not None or (a.text or "").strip())


def shown(view: QuestionView, answered: dict[int, CleanAnswer]) -> bool:
    """A conditional question is shown once its condition's option was chosen."""
    option_id = view.question.condition_option_id
    return option_id is None or any(option_id in a.option_ids for a in answered.values())


def validate_answers(views: list[QuestionView], answers: list[AnswerIn], *, partial: bool,
                     existing: dict[int, CleanAnswer] | None = None
                     ) -> dict[int, CleanAnswer]:
    """Check answers against the questionnaire. Returns the clean answer of every question that
    was given (partial) or of every question (complete; unanswered optional ones are empty).
    A question whose condition is not met takes no answer (and an empty one when complete).
    Every problem is reported at once, per question."""
    errors: dict[str, FieldMessage] = {}
    given = _given(views, answers, errors)
    clean: dict[int, CleanAnswer] = {}
    answered = dict(existing or {})
    for view in views:
        q = view.question
        if not shown(view, answered):
            if q.id in given and not _clean_empty(view, given[q.id]):
                errors[answer_field(q.id)] = N_(
                    "This question applies only after another answer, which was not given.")
            elif not partial or q.id in answered:  # an earlier answer no longer applies
                clean[q.id] = CleanAnswer()
            answered.pop(q.id, None)
            continue
        if partial and q.id not in given:
            continue
        result = _clean(view, given.get(q.id) or AnswerIn(question_id=q.id))
        if isinstance(result, CleanAnswer):
            clean[q.id] = answered[q.id] = result
        else:
            errors[answer_field(q.id)] = result
    if errors:
        raise InvalidInput(N_("Some answers are missing or not valid."), fields=errors)
    return clean


# -- storing them, with the counters ------------------------------------------------------

def _store_answer(session: Session, response: ConsultationResponse,
                  question: ConsultationQuestion, answer: CleanAnswer) -> None:
    for option_id, value in answer.chosen().items():
        session.add(ConsultationAnswer(response_id=response.id, question_id=question.id,
                                       option_id=option_id, value=value))
    if answer.text or answer.number is not None or answer.day is not None:
        session.add(ConsultationAnswer(response_id=response.id, question_id=question.id,
                                       text=answer.text, number=answer.number,
                                       day=answer.day))


def _option_moves(old: CleanAnswer, new: CleanAnswer, count: dict[int, int],
                  total: dict[int, int]) -> None:
    """The option counters' moves from `old` to `new`: `count` of those chosen, `total` of
    the ranks or values they were given."""
    before, after = old.chosen(), new.chosen()
    for option_id in before.keys() - after.keys():
        count[option_id] = -1
    for option_id in after.keys() - before.keys():
        count[option_id] = 1
    for option_id in before.keys() | after.keys():
        delta = (after.get(option_id) or 0) - (before.get(option_id) or 0)
        if delta:
            total[option_id] = delta


def _apply_counts(session: Session, c: Consultation, question_deltas: dict[int, int],
                  option_deltas: dict[int, int], option_totals: dict[int, int] | None = None,
                  **consultation_deltas: int) -> None:
    """Move the counters, always in the same order (questions, options, then the
    consultation, each by id), so that concurrent writers never wait on each other in a
    circle."""
    totals = option_totals or {}
    for question_id in sorted(question_deltas):
        repo.bump(session, ConsultationQuestion, question_id,
                  answer_count=question_deltas[question_id])
    for option_id in sorted(option_deltas.keys() | totals.keys()):
        repo.bump(session, ConsultationOption, option_id, count=option_deltas.get(option_id, 0),
                  total=totals.get(option_id, 0))
    repo.bump(session, Consultation, c.id, **consultation_deltas)


# -- a response ---------------------------------------------------------------------------

def respondent_key(user: User, org: ConsultationOrganisation | None) -> str:
    """Who answers: a person for themselves, or for one of their organisations (one response
    each)."""
    return f"o:{org.id}" if org else f"u:{user.id}"


def _respondent(session: Session, user: User | None, c: Consultation, ph: Phase,
                organisation_id: int | None
                ) -> tuple[str, str, ConsultationOrganisation | None]:
    """Who answers (its key, category and organisation), once allowed to."""
    if organisation_id is None:
        permissions.check_respond(session, user, c, ph,
                                  reading.rules_of(session, c).answer_level)
        return respondent_key(user, None), Category.resident, None
    org = repo.organisation(session, organisation_id)
    permissions.check_respond_for(session, user, c, ph, org)
    return respondent_key(user, org), org.category, org


def _insert_response(session: Session, user: User, c: Consultation, key: str, category: str,
                     org: ConsultationOrganisation | None, publication: Publication
                     ) -> ConsultationResponse:
    now = clock.now()
    response = ConsultationResponse(consultation_id=c.id, user_id=user.id,
                                    organisation_id=org.id if org else None,
                                    respondent_key=key, category=category,
                                    publication=publication, submitted_at=now,
                                    updated_at=now)
    session.add(response)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:  # the same respondent, at the same moment
        raise Conflict(ALREADY_ANSWERED) from None
    return response


def _store_answers(session: Session, c: Consultation, response: ConsultationResponse,
                   views: list[QuestionView], clean: dict[int, CleanAnswer]) -> None:
    question_deltas: dict[int, int] = {}
    option_deltas: dict[int, int] = {}
    option_totals: dict[int, int] = {}
    for view in views:
        answer = clean[view.question.id]
        if answer.empty:
            continue
        _store_answer(session, response, view.question, answer)
        question_deltas[view.question.id] = 1
        _option_moves(CleanAnswer(), answer, option_deltas, option_totals)
    _apply_counts(session, c, question_deltas, option_deltas, option_totals, response_count=1,
                  **{f"{response.category}_count": 1})
    session.flush()


@dataclass(frozen=True)
class Responded:
    """A response as submitted, and the respondent's receipt of its entry in the audit log."""

    response: ConsultationResponse
    receipt: audit.Receipt


def respond(session: Session, user: User | None, c: Consultation, data: ResponseIn
            ) -> Responded:
    """Answer the questionnaire, for oneself or for an organisation; once each."""
    key, category, org = _respondent(session, user, c, reading.phase(c), data.organisation_id)
    if repo.response_by_key(session, c.id, key) is not None:
        raise Conflict(ALREADY_ANSWERED)
    views = reading.questions(session, c)
    clean = validate_answers(views, data.answers, partial=False)
    # An organisation's contribution is always public and signed with its name.
    publication = Publication.named if org is not None else data.publication
    response = _insert_response(session, user, c, key, category, org, publication)
    invitations.mark_answered(session, c, response)
    _store_answers(session, c, response, views, clean)
    event = audit.append(session, "consultation.response_submitted", SUBJECT_TYPE, c.id,
                         user.id, response_id=response.id, category=category)
    notifications.follow(session, user, SUBJECT_TYPE, c.id)
    return Responded(response, audit.receipt_for(event))


def _replace_answers(session: Session, c: Consultation, response: ConsultationResponse,
                     views: list[QuestionView], clean: dict[int, CleanAnswer]) -> list[int]:
    """Put the changed answers in place of the old ones; the counters move with them (old
    choices are taken off, new ones added). Returns the ids of the questions changed."""
    existing = answers_by_question(session, response)
    changed: list[int] = []
    question_deltas: dict[int, int] = {}
    option_deltas: dict[int, int] = {}
    option_totals: dict[int, int] = {}
    for view in views:
        q = view.question
        if q.id not in clean or q.kind == QuestionKind.paper:  # papers: attach_paper
            continue
        new, old = clean[q.id], existing.get(q.id, CleanAnswer())
        if new.same_as(old):
            continue
        changed.append(q.id)
        repo.delete_answers(session, response.id, q.id)
        session.flush()
        _store_answer(session, response, q, new)
        _option_moves(old, new, option_deltas, option_totals)
        if (q.id in existing) != (not new.empty):
            question_deltas[q.id] = -1 if new.empty else 1
    _apply_counts(session, c, question_deltas, option_deltas, option_totals)
    return changed


def edit_response(session: Session, user: User | None, c: Consultation, response_id: int,
                  data: ResponseEdit) -> ConsultationResponse:
    """Change some answers (and/or the publication choice) until the end date."""
    response = repo.response(session, response_id)
    permissions.check_edit_response(session, user, c, reading.phase(c), response)
    views = reading.questions(session, c)
    clean = validate_answers(views, data.answers, partial=True,
                             existing=answers_by_question(session, response))
    changed = _replace_answers(session, c, response, views, clean)
    publication_changed = (data.publication is not None and response.organisation_id is None
                           and data.publication != response.publication)
    if publication_changed:
        response.publication = data.publication
    if changed or publication_changed:
        response.updated_at = clock.now()
        session.add(response)
        session.flush()
        audit.append(session, "consultation.response_edited", SUBJECT_TYPE, c.id, user.id,
                     response_id=response.id, questions=changed,
                     publication_changed=publication_changed)
    return response


# -- reading one's own --------------------------------------------------------------------

def own_response(session: Session, user: User | None, c: Consultation, response_id: int
                 ) -> ConsultationResponse:
    response = repo.response(session, response_id)
    permissions.check_own_response(session, user, c, response)
    return response


def answers_by_question(session: Session, response: ConsultationResponse
                        ) -> dict[int, CleanAnswer]:
    return reading.by_question(repo.answers(session, response.id))


def responses_of(session: Session, user: User | None, c: Consultation
                 ) -> list[ConsultationResponse]:
    return repo.responses_of_user(session, c.id, user.id) if user else []


# -- position papers ----------------------------------------------------------------------

PAPER_NAMESPACE = "consultation-papers"


def attach_paper(session: Session, user: User | None, c: Consultation, response_id: int,
                 question_id: int, filename: str, data: bytes) -> ConsultationAnswer:
    """Upload (or replace) the position paper of one's response: a PDF of at most the
    attachments' size, kept in the kernel's file store."""
    response = repo.response(session, response_id)
    permissions.check_edit_response(session, user, c, reading.phase(c), response)
    view = reading.question_of(reading.questions(session, c), question_id)
    if view.question.kind != QuestionKind.paper:
        message = N_("This question does not take a file.")
        raise InvalidInput(message, fields={"file": message})
    name, content_type = uploads.check(filename, data)
    if content_type != "application/pdf":
        message = N_("A position paper must be a PDF file.")
        raise InvalidInput(message, fields={"file": message})
    old = next((a for a in repo.answers(session, response.id)
                if a.question_id == question_id), None)
    key = storage.put(session, PAPER_NAMESPACE, data, ext="pdf", content_type=content_type)
    if old is not None:
        if old.file_key:
            storage.remove(session, PAPER_NAMESPACE, old.file_key)
        repo.delete_answers(session, response.id, question_id)
        session.flush()
    else:
        repo.bump(session, ConsultationQuestion, question_id, answer_count=1)
    answer = ConsultationAnswer(response_id=response.id, question_id=question_id, text=name,
                                file_key=key)
    session.add(answer)
    response.updated_at = clock.now()
    session.add(response)
    session.flush()
    audit.append(session, "consultation.paper_uploaded", SUBJECT_TYPE, c.id, user.id,
                 response_id=response.id, question_id=question_id, size=len(data))
    return answer


def paper(session: Session, user: User | None, c: Consultation, answer_id: int
          ) -> tuple[ConsultationAnswer, bytes]:
    """A position paper's file: public once its contribution is published; before that, its
    author's and the authority's."""
    answer = repo.answer(session, answer_id)
    response = repo.response(session, answer.response_id) if answer is not None else None
    if (answer is None or not answer.file_key or response is None
            or response.consultation_id != c.id):
        raise NotFound(N_("No such position paper."))
    public = (reading.phase(c) in (Phase.closed, Phase.reported)
              and response.publication != Publication.none)
    if not (public or (user is not None and response.user_id == user.id)
            or permissions.sees_unpublished(session, user, c)):
        raise NotFound(N_("No such position paper."))
    return answer, storage.read(session, PAPER_NAMESPACE, answer.file_key)
