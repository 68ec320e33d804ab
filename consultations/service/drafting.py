"""Drafting: an official writes the consultation (text, dates, questionnaire, attachments) and
publishes it, which fixes the rule version it runs under. Flushes, never commits."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from sqlmodel import Session

from app import clock
from app.audit import service as audit
from app.communities import service as communities
from app.communities.models import Authority
from app.exceptions import InvalidInput, NotFound
from app.identity.models import User
from app.rules import calendar
from app.rules import service as rules_service
from app.web.i18n import N_
from consultations import permissions, text, uploads
from consultations import repository as repo
from consultations.models import (
    OPTION_KINDS,
    SCALE,
    SUBJECT_TYPE,
    Consultation,
    ConsultationAttachment,
    ConsultationCreate,
    ConsultationOption,
    ConsultationQuestion,
    ConsultationSection,
    ConsultationUpdate,
    Phase,
    QuestionCreate,
    QuestionKind,
    Stage,
    Status,
)
from consultations.rules import ConsultationRules
from consultations.service import invitations, reading

TITLE = N_("Enter a title (5 to 200 characters).")


def bounds(start_date: date, end_date: date) -> tuple[datetime, datetime]:
    """The consultation runs from the start of its local start day to the end of its end day."""
    starts = datetime.combine(start_date, time.min, tzinfo=calendar.LOCAL_TZ)
    return starts.astimezone(UTC), calendar.end_of_local_day(end_date).astimezone(UTC)


def duration_days(start_date: date, end_date: date) -> int:
    """Calendar days, both ends included (1 to 14 March lasts 14 days)."""
    return (end_date - start_date).days + 1


# -- validation ---------------------------------------------------------------------------

def minimum_days(stage: str, rules: ConsultationRules) -> int:
    """The shortest a stage may last: a call for evidence its own minimum where the rules ask
    for one (else the general one), a consultation on a draft the general one."""
    if stage == Stage.evidence and rules.evidence_minimum_days:
        return rules.evidence_minimum_days
    return rules.minimum_duration_days


def _check_period(start_date: date, end_date: date, rules: ConsultationRules,
                  stage: str = Stage.draft) -> None:
    if end_date < start_date:
        message = N_("The end date must not be before the start date.")
        raise InvalidInput(message, fields={"end_date": message})
    if start_date < clock.today():
        message = N_("The start date cannot be in the past.")
        raise InvalidInput(message, fields={"start_date": message})
    days = minimum_days(stage, rules)
    if duration_days(start_date, end_date) < days:
        message = (N_("A call for evidence must last at least {days} days under this "
                      "community's rules.") if stage == Stage.evidence else
                   N_("A consultation must last at least {days} days under this community's "
                      "rules."))
        raise InvalidInput(message, fields={"end_date": message}, days=days)


def _title(value: str) -> str:
    title = text.clean_line(value)
    if len(title) < 5:
        raise InvalidInput(TITLE, fields={"title": TITLE})
    return title


def _stakeholders(values: list[str]) -> list[str]:
    seen: list[str] = []
    for value in values:
        item = text.clean_line(value)[:120]
        if item and item not in seen:
            seen.append(item)
    return seen[:20]


def _evidence(session: Session, data: ConsultationCreate) -> Consultation | None:
    """The call for evidence a consultation on a draft follows: of the same authority."""
    if data.evidence_id is None:
        return None
    message = N_("Choose a call for evidence of the same authority.")
    evidence = repo.consultation(session, data.evidence_id)
    if (data.stage != Stage.draft or evidence is None or evidence.stage != Stage.evidence
            or evidence.authority_id != data.authority_id):
        raise InvalidInput(message, fields={"evidence_id": message})
    return evidence


def _check_two_stages(session: Session, c: Consultation, rules: ConsultationRules) -> None:
    """Where the rules ask for the two stages, a draft is consulted on only after its call
    for evidence has closed."""
    if c.stage != Stage.draft or not rules.evidence_minimum_days:
        return
    evidence = repo.consultation(session, c.evidence_id) if c.evidence_id else None
    if evidence is None or reading.phase(evidence) not in (Phase.closed, Phase.reported):
        message = N_("This community's rules ask for a call for evidence, closed before the "
                     "consultation on the draft is published.")
        raise InvalidInput(message, fields={"evidence_id": message})


def _authority(session: Session, data: ConsultationCreate) -> Authority:
    authority = communities.get_authority(session, data.authority_id)
    if authority.community_id != data.community_id:
        message = N_("This authority does not belong to the community.")
        raise InvalidInput(message, fields={"authority_id": message})
    return authority


# -- the draft ----------------------------------------------------------------------------

def _write_sections(session: Session, c: Consultation) -> None:
    parts = text.split_sections(c.body)
    if not parts:
        message = N_("The draft text is empty.")
        raise InvalidInput(message, fields={"body": message})
    repo.delete_sections(session, c.id)
    session.flush()
    for part in parts:
        session.add(ConsultationSection(consultation_id=c.id, number=part.number,
                                        title=part.title, body=part.body,
                                        html=text.render(part.body)))
    session.flush()


def create(session: Session, user: User, data: ConsultationCreate) -> Consultation:
    """A draft, seen only by the authority's officials until it is published."""
    authority = _authority(session, data)
    permissions.check_create(session, user, authority)
    rules = rules_service.current(session, data.community_id).rules.consultations
    title = _title(data.title)
    evidence = _evidence(session, data)
    _check_period(data.start_date, data.end_date, rules, data.stage)
    named = repo.organisations_by_ids(session, set(data.organisation_ids))
    if len(named) != len(set(data.organisation_ids)) or any(
            o.community_id != data.community_id or not o.verified for o in named):
        message = N_("Invite only verified organisations of the community.")
        raise InvalidInput(message, fields={"organisation_ids": message})
    starts_at, ends_at = bounds(data.start_date, data.end_date)
    c = Consultation(community_id=data.community_id, authority_id=authority.id,
                     author_id=user.id, title=title, summary=data.summary.strip(),
                     body=data.body.strip(), stakeholders=_stakeholders(data.stakeholders),
                     stage=data.stage, evidence_id=evidence.id if evidence else None,
                     topics=sorted(set(data.topics)), invited_ids=[o.id for o in named],
                     start_date=data.start_date, end_date=data.end_date,
                     starts_at=starts_at, ends_at=ends_at)
    session.add(c)
    session.flush()
    _write_sections(session, c)
    for q in data.questions:
        _add_question(session, c, q)
    audit.append(session, "consultation.created", SUBJECT_TYPE, c.id, user.id)
    return c


def update(session: Session, user: User, c: Consultation, data: ConsultationUpdate
           ) -> Consultation:
    permissions.check_edit(session, user, c, reading.phase(c))
    changes = data.model_dump(exclude_unset=True)
    if changes.get("title") is not None:
        c.title = _title(changes["title"])
    if changes.get("summary") is not None:
        c.summary = changes["summary"].strip()
    if changes.get("stakeholders") is not None:
        c.stakeholders = _stakeholders(changes["stakeholders"])
    start = changes.get("start_date") or c.start_date
    end = changes.get("end_date") or c.end_date
    if (start, end) != (c.start_date, c.end_date):
        _check_period(start, end, reading.rules_of(session, c), c.stage)
        c.start_date, c.end_date = start, end
        c.starts_at, c.ends_at = bounds(start, end)
    body_changed = changes.get("body") is not None and changes["body"].strip() != c.body
    if body_changed:
        c.body = changes["body"].strip()
    c.updated_at = clock.now()
    session.add(c)
    session.flush()
    if body_changed:
        _write_sections(session, c)
    return c


def publish(session: Session, user: User, c: Consultation) -> Consultation:
    """From now on the text and questionnaire are fixed and the current rules apply to it."""
    permissions.check_edit(session, user, c, reading.phase(c))
    if not repo.questions(session, c.id):
        message = N_("Add at least one question before publishing.")
        raise InvalidInput(message, fields={"questions": message})
    version = rules_service.current(session, c.community_id)
    rules = version.rules.consultations
    _check_period(c.start_date, c.end_date, rules, c.stage)
    _check_two_stages(session, c, rules)
    c.ruleset_id = version.id
    c.status = Status.published
    c.published_at = c.updated_at = clock.now()
    c.priority_days = rules.priority_days
    if c.public_at >= c.ends_at:
        message = N_("The priority window of the rules would take the whole consultation.")
        raise InvalidInput(message, fields={"end_date": message})
    session.add(c)
    session.flush()
    invitations.invite(session, c)
    audit.append(session, "consultation.published", SUBJECT_TYPE, c.id, user.id,
                 ruleset_id=version.id, start_date=c.start_date.isoformat(),
                 end_date=c.end_date.isoformat())
    return c


# -- the questionnaire --------------------------------------------------------------------

def _option_labels(data: QuestionCreate) -> list[str]:
    if data.kind == QuestionKind.scale:
        return [str(v) for v in SCALE]
    if data.kind not in OPTION_KINDS:
        return []
    labels: list[str] = []
    for raw in data.options:
        label = text.clean_line(raw)[:200]
        if label and label not in labels:
            labels.append(label)
    if len(labels) < 2:
        message = N_("A choice, ranking or matrix question needs at least two different "
                     "options (rows).")
        raise InvalidInput(message, fields={"options": message})
    return labels


def _condition(session: Session, c: Consultation, data: QuestionCreate) -> int | None:
    """The option of an earlier choice question after which this one is shown."""
    if data.shown_if_question is None and data.shown_if_option is None:
        return None
    message = N_("A question can depend only on an option of an earlier single or multiple "
                 "choice question.")
    views = {v.question.position: v for v in reading.questions(session, c)}
    view = views.get(data.shown_if_question or 0)
    if (view is None or data.shown_if_option is None
            or view.question.kind not in (QuestionKind.single, QuestionKind.multiple)
            or not 1 <= data.shown_if_option <= len(view.options)):
        raise InvalidInput(message, fields={"shown_if_question": message})
    return view.options[data.shown_if_option - 1].id


def _add_question(session: Session, c: Consultation, data: QuestionCreate
                  ) -> ConsultationQuestion:
    prompt = text.clean_line(data.prompt)
    if len(prompt) < 3:
        message = N_("Enter the question (3 to 500 characters).")
        raise InvalidInput(message, fields={"prompt": message})
    labels = _option_labels(data)
    question = ConsultationQuestion(consultation_id=c.id, kind=data.kind, prompt=prompt,
                                    # a paper is uploaded after the answers: never required
                                    required=data.required and data.kind != QuestionKind.paper,
                                    condition_option_id=_condition(session, c, data),
                                    position=repo.next_question_position(session, c.id))
    session.add(question)
    session.flush()
    for position, label in enumerate(labels, start=1):
        session.add(ConsultationOption(question_id=question.id, position=position, label=label))
    session.flush()
    return question


def add_question(session: Session, user: User, c: Consultation, data: QuestionCreate
                 ) -> ConsultationQuestion:
    permissions.check_edit(session, user, c, reading.phase(c))
    return _add_question(session, c, data)


def delete_question(session: Session, user: User, c: Consultation, question_id: int) -> None:
    permissions.check_edit(session, user, c, reading.phase(c))
    question = repo.question(session, question_id)
    if question is None or question.consultation_id != c.id:
        raise NotFound(reading.NO_SUCH_QUESTION)
    repo.delete_question(session, question_id)
    session.flush()


# -- attachments --------------------------------------------------------------------------

def add_attachment(session: Session, user: User, c: Consultation, filename: str, data: bytes
                   ) -> ConsultationAttachment:
    permissions.check_edit(session, user, c, reading.phase(c))
    if len(repo.attachments(session, c.id)) >= uploads.MAX_PER_CONSULTATION:
        message = N_("A consultation can have at most {n} attachments.")
        raise InvalidInput(message, fields={"file": message}, n=uploads.MAX_PER_CONSULTATION)
    name, content_type = uploads.check(filename, data)
    stored = uploads.store(session, data, name, content_type)
    attachment = ConsultationAttachment(consultation_id=c.id, filename=name,
                                        stored_name=stored, content_type=content_type,
                                        size=len(data))
    session.add(attachment)
    session.flush()
    return attachment


def delete_attachment(session: Session, user: User, c: Consultation, attachment_id: int
                      ) -> None:
    permissions.check_edit(session, user, c, reading.phase(c))
    attachment = reading.attachment(session, c, attachment_id)
    repo.delete_attachment(session, attachment.id)
    uploads.remove(session, attachment.stored_name)
    session.flush()
