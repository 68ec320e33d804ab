"""Consultations: drafting, publication, responses, comments, closing, the outcome report and
its rating. Flushes, never commits.

Phases are computed from the stored status, the dates and the clock (see `phase`); the only
durable step in time is `close_expired`, which the worker or CLI runs to open the report
obligation in the ledger. Publishing the report closes the consultation durably first if the
worker has not yet, so the ledger never misses it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlparse

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app import clock
from app.accountability import service as accountability
from app.audit import service as audit
from app.communities import service as communities
from app.exceptions import Conflict, Forbidden, InvalidInput, NotAuthenticated, NotFound
from app.identity.models import User
from app.notifications import service as notifications
from app.rules import calendar
from app.rules import service as rules_service
from app.settings import get_settings
from app.web.i18n import N_
from app.web.i18n import gettext as _
from consultations import export, permissions, text, uploads
from consultations import repository as repo
from consultations.models import (
    OBLIGATION_KIND,
    ORGANISATION_CATEGORIES,
    SCALE,
    SUBJECT_TYPE,
    Answer,
    AnswerIn,
    Attachment,
    Category,
    CategoryCount,
    Comment,
    CommentIn,
    Consultation,
    ConsultationCreate,
    ConsultationRating,
    ConsultationResponse,
    ConsultationUpdate,
    Option,
    OptionResult,
    Organisation,
    OrganisationIn,
    Outcome,
    Phase,
    Publication,
    Question,
    QuestionCreate,
    QuestionKind,
    QuestionResult,
    Rating,
    RatingSummary,
    Report,
    ReportIn,
    ReportItem,
    ResponseEdit,
    ResponseIn,
    ResultsPublic,
    Section,
    SectionActivity,
    Status,
)
from consultations.rules import ConsultationRules


def _invalid(message: str, field_name: str | None = None, **params) -> InvalidInput:
    return InvalidInput(message, fields={field_name: message} if field_name else None,
                        **params)


# -- time and phase -----------------------------------------------------------------------

def phase(c: Consultation, now: datetime | None = None) -> Phase:
    if c.status == Status.draft:
        return Phase.draft
    if c.status == Status.reported:
        return Phase.reported
    now = now or clock.now()
    if now < clock.aware(c.starts_at):
        return Phase.scheduled
    if now < clock.aware(c.ends_at):
        return Phase.open
    return Phase.closed


def bounds(start_date: date, end_date: date) -> tuple[datetime, datetime]:
    """The consultation runs from the start of its local start day to the end of its end day."""
    starts = datetime.combine(start_date, time.min, tzinfo=calendar.LOCAL_TZ)
    return starts.astimezone(UTC), calendar.end_of_local_day(end_date).astimezone(UTC)


def duration_days(start_date: date, end_date: date) -> int:
    """Calendar days, both ends included (1 to 14 March lasts 14 days)."""
    return (end_date - start_date).days + 1


def rules_of(session: Session, c: Consultation) -> ConsultationRules:
    """The version the consultation was published under, or, for a draft, the current one."""
    if c.ruleset_id is not None:
        return rules_service.version(session, c.ruleset_id).rules.consultations
    return rules_service.current(session, c.community_id).rules.consultations


def _check_period(start_date: date, end_date: date, rules: ConsultationRules) -> None:
    if end_date < start_date:
        raise _invalid(N_("The end date must not be before the start date."), "end_date")
    if start_date < calendar.local_date(clock.now()):
        raise _invalid(N_("The start date cannot be in the past."), "start_date")
    if duration_days(start_date, end_date) < rules.minimum_duration_days:
        raise _invalid(N_("A consultation must last at least {days} days under this "
                          "community's rules."), "end_date", days=rules.minimum_duration_days)


# -- loading ------------------------------------------------------------------------------

def get(session: Session, consultation_id: int) -> Consultation:
    c = repo.consultation(session, consultation_id)
    if c is None:
        raise NotFound(N_("No such consultation."))
    return c


def get_visible(session: Session, user: User | None, consultation_id: int) -> Consultation:
    """A consultation the user may see; a draft is 'not found' to everyone else."""
    c = get(session, consultation_id)
    if not permissions.can_view(session, user, c, phase(c)):
        raise NotFound(N_("No such consultation."))
    return c


def get_editable(session: Session, user: User, consultation_id: int) -> Consultation:
    c = get_visible(session, user, consultation_id)
    if not permissions.can_edit(session, user, c, phase(c)):
        if phase(c) != Phase.draft:
            raise Conflict(N_("Only a draft can be changed; this consultation is published."))
        raise Forbidden(N_("Only an official of the consultation's authority can change it."))
    return c


def listing(session: Session, user: User | None, *, community_id: int | None = None,
            phase_filter: str | None = None, page: int = 1, per_page: int | None = None
            ) -> tuple[list[Consultation], int]:
    from app.communities import permissions as cp

    per_page = per_page or get_settings().page_size
    drafts = sorted(cp.memberships(session, user).official_of) if user else []
    return repo.listing(session, community_id=community_id, phase=phase_filter,
                        now=clock.now(), draft_authority_ids=drafts,
                        offset=(max(page, 1) - 1) * per_page, limit=per_page)


@dataclass
class QuestionView:
    question: Question
    options: list[Option]


def questions(session: Session, c: Consultation) -> list[QuestionView]:
    rows = repo.questions(session, c.id)
    options = repo.options_for(session, [q.id for q in rows])
    return [QuestionView(q, options[q.id]) for q in rows]


def sections(session: Session, c: Consultation) -> list[Section]:
    return repo.sections(session, c.id)


def attachments(session: Session, c: Consultation) -> list[Attachment]:
    return repo.attachments(session, c.id)


# -- drafting -----------------------------------------------------------------------------

def _clean_line(value: str) -> str:
    return " ".join((value or "").split())


def _clean_stakeholders(values: list[str]) -> list[str]:
    seen: list[str] = []
    for value in values:
        item = _clean_line(value)[:120]
        if item and item not in seen:
            seen.append(item)
    return seen[:20]


def _write_sections(session: Session, c: Consultation) -> None:
    parts = text.split_sections(c.body)
    if not parts:
        raise _invalid(N_("The draft text is empty."), "body")
    repo.delete_sections(session, c.id)
    session.flush()
    for part in parts:
        session.add(Section(consultation_id=c.id, number=part.number, title=part.title,
                            body=part.body, html=text.render(part.body)))
    session.flush()


def create(session: Session, user: User, data: ConsultationCreate) -> Consultation:
    authority = communities.get_authority(session, data.authority_id)
    if authority.community_id != data.community_id:
        raise _invalid(N_("This authority does not belong to the community."), "authority_id")
    if not permissions.can_create(session, user, authority.id):
        raise Forbidden(N_("Only an official of this authority can open a consultation."))
    rules = rules_service.current(session, data.community_id).rules.consultations
    title, summary = _clean_line(data.title), data.summary.strip()
    if len(title) < 5:
        raise _invalid(N_("Enter a title (5 to 200 characters)."), "title")
    _check_period(data.start_date, data.end_date, rules)
    starts_at, ends_at = bounds(data.start_date, data.end_date)
    c = Consultation(community_id=data.community_id, authority_id=authority.id,
                     author_id=user.id, title=title, summary=summary, body=data.body.strip(),
                     stakeholders=_clean_stakeholders(data.stakeholders),
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
    get_editable(session, user, c.id)
    changes = data.model_dump(exclude_unset=True)
    if "title" in changes and changes["title"] is not None:
        c.title = _clean_line(changes["title"])
        if len(c.title) < 5:
            raise _invalid(N_("Enter a title (5 to 200 characters)."), "title")
    if changes.get("summary") is not None:
        c.summary = changes["summary"].strip()
    if changes.get("stakeholders") is not None:
        c.stakeholders = _clean_stakeholders(changes["stakeholders"])
    start = changes.get("start_date") or c.start_date
    end = changes.get("end_date") or c.end_date
    if (start, end) != (c.start_date, c.end_date):
        _check_period(start, end, rules_of(session, c))
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


def _add_question(session: Session, c: Consultation, data: QuestionCreate) -> Question:
    prompt = _clean_line(data.prompt)
    if len(prompt) < 3:
        raise _invalid(N_("Enter the question (3 to 500 characters)."), "prompt")
    labels: list[str] = []
    if data.kind in (QuestionKind.single, QuestionKind.multiple):
        for raw in data.options:
            label = _clean_line(raw)[:200]
            if label and label not in labels:
                labels.append(label)
        if len(labels) < 2:
            raise _invalid(N_("A choice question needs at least two different options."),
                           "options")
    elif data.kind == QuestionKind.scale:
        labels = [str(v) for v in SCALE]
    question = Question(consultation_id=c.id, kind=data.kind, prompt=prompt,
                        required=data.required,
                        position=repo.next_question_position(session, c.id))
    session.add(question)
    session.flush()
    for position, label in enumerate(labels, start=1):
        session.add(Option(question_id=question.id, position=position, label=label))
    session.flush()
    return question


def add_question(session: Session, user: User, c: Consultation, data: QuestionCreate
                 ) -> Question:
    get_editable(session, user, c.id)
    return _add_question(session, c, data)


def delete_question(session: Session, user: User, c: Consultation, question_id: int) -> None:
    get_editable(session, user, c.id)
    question = repo.question(session, question_id)
    if question is None or question.consultation_id != c.id:
        raise NotFound(N_("No such question."))
    repo.delete_question(session, question_id)
    session.flush()


def add_attachment(session: Session, user: User, c: Consultation, filename: str, data: bytes
                   ) -> Attachment:
    get_editable(session, user, c.id)
    if len(repo.attachments(session, c.id)) >= uploads.MAX_PER_CONSULTATION:
        raise _invalid(N_("A consultation can have at most {n} attachments."), "file",
                       n=uploads.MAX_PER_CONSULTATION)
    try:
        name, content_type = uploads.check(filename, data)
    except InvalidInput as exc:
        raise _invalid(exc.message, "file", **exc.params) from None
    stored = uploads.store(data, uploads.extension(name))
    attachment = Attachment(consultation_id=c.id, filename=name, stored_name=stored,
                            content_type=content_type, size=len(data))
    session.add(attachment)
    try:
        session.flush()
    except Exception:
        uploads.remove(stored)
        raise
    return attachment


def delete_attachment(session: Session, user: User, c: Consultation, attachment_id: int
                      ) -> None:
    get_editable(session, user, c.id)
    attachment = repo.attachment(session, attachment_id)
    if attachment is None or attachment.consultation_id != c.id:
        raise NotFound(N_("No such attachment."))
    repo.delete_attachment(session, attachment.id)
    session.flush()
    uploads.remove(attachment.stored_name)


def attachment_for_download(session: Session, user: User | None, consultation_id: int,
                            attachment_id: int) -> Attachment:
    c = get_visible(session, user, consultation_id)
    attachment = repo.attachment(session, attachment_id)
    if attachment is None or attachment.consultation_id != c.id:
        raise NotFound(N_("No such attachment."))
    return attachment


def publish(session: Session, user: User, c: Consultation) -> Consultation:
    get_editable(session, user, c.id)
    if not repo.questions(session, c.id):
        raise _invalid(N_("Add at least one question before publishing."), "questions")
    version = rules_service.current(session, c.community_id)
    _check_period(c.start_date, c.end_date, version.rules.consultations)
    c.ruleset_id = version.id
    c.status = Status.published
    c.published_at = c.updated_at = clock.now()
    session.add(c)
    session.flush()
    audit.append(session, "consultation.published", SUBJECT_TYPE, c.id, user.id,
                 ruleset_id=version.id, start_date=c.start_date.isoformat(),
                 end_date=c.end_date.isoformat())
    return c


# -- organisations ------------------------------------------------------------------------

CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,19}$")


def register_organisation(session: Session, user: User, data: OrganisationIn) -> Organisation:
    if not user.email_verified:
        raise Forbidden(N_("Confirm your e-mail address first."))
    community = communities.get(session, data.community_id)
    if data.category not in ORGANISATION_CATEGORIES:
        raise _invalid(N_("Choose the kind of organisation."), "category")
    name = _clean_line(data.name)
    code = re.sub(r"\s+", "", data.code).upper()
    if len(name) < 2:
        raise _invalid(N_("Enter the organisation's name."), "name")
    if not CODE_RE.match(code):
        raise _invalid(N_("Enter the registration code (letters, digits and hyphens)."), "code")
    if repo.organisation_by_code(session, community.id, code) is not None:
        raise Conflict(N_("An organisation with this registration code is already registered "
                          "in this community."),
                       fields={"code": N_("This registration code is already registered.")})
    org = Organisation(user_id=user.id, community_id=community.id, name=name,
                       category=data.category, code=code)
    session.add(org)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict(N_("An organisation with this registration code is already registered "
                          "in this community.")) from None
    return org


def organisations_of(session: Session, user: User | None) -> list[Organisation]:
    return repo.organisations_of(session, user.id) if user else []


def verify_organisation(session: Session, user: User, organisation_id: int) -> Organisation:
    org = repo.organisation(session, organisation_id)
    if org is None:
        raise NotFound(N_("No such organisation."))
    if not permissions.can_verify_organisation(session, user, org):
        raise Forbidden(N_("Only an official of the organisation's community can verify it."))
    if org.verified:
        raise Conflict(N_("This organisation is already verified."))
    org.verified = True
    org.verified_at = clock.now()
    org.verified_by_id = user.id
    session.add(org)
    session.flush()
    audit.append(session, "consultation.organisation_verified", "consultation_organisation",
                 org.id, user.id, category=org.category)
    return org


def organisations_to_verify(session: Session, user: User) -> list[Organisation]:
    from app.communities import permissions as cp

    if cp.is_admin(user):
        return repo.unverified_organisations(session, None)
    return repo.unverified_organisations(session, cp.memberships(session, user).official_in)


# -- answers ------------------------------------------------------------------------------

@dataclass(frozen=True)
class CleanAnswer:
    option_ids: tuple[int, ...] = ()
    text: str | None = None

    @property
    def empty(self) -> bool:
        return not self.option_ids and not self.text


def _answer_field(question_id: int) -> str:
    return f"q{question_id}"


def validate_answers(views: list[QuestionView], answers: list[AnswerIn], *, partial: bool
                     ) -> dict[int, CleanAnswer]:
    """Check answers against the questionnaire. Returns the clean answer of every question that
    was given (partial) or of every question (complete; unanswered optional ones are empty).
    Every problem is reported at once, per question."""
    by_id = {v.question.id: v for v in views}
    given: dict[int, AnswerIn] = {}
    errors: dict[str, tuple[str, dict]] = {}
    for a in answers:
        if a.question_id not in by_id:
            errors[_answer_field(a.question_id)] = (
                N_("This question is not part of the consultation."), {})
        elif a.question_id in given:
            errors[_answer_field(a.question_id)] = (N_("The question is answered twice."), {})
        else:
            given[a.question_id] = a
    clean: dict[int, CleanAnswer] = {}
    for view in views:
        q = view.question
        if partial and q.id not in given:
            continue
        a = given.get(q.id) or AnswerIn(question_id=q.id)
        key = _answer_field(q.id)
        option_ids = set(view_option.id for view_option in view.options)
        result = CleanAnswer()
        if q.kind in (QuestionKind.single, QuestionKind.multiple):
            chosen = list(dict.fromkeys(a.option_ids))
            if any(o not in option_ids for o in chosen):
                errors[key] = (N_("Choose one of the offered options."), {})
                continue
            if q.kind == QuestionKind.single and len(chosen) > 1:
                errors[key] = (N_("Choose only one option."), {})
                continue
            result = CleanAnswer(option_ids=tuple(chosen))
        elif q.kind == QuestionKind.scale:
            value = a.value
            if value is None and a.option_ids:
                by_option = {o.id: o.position for o in view.options}
                value = by_option.get(a.option_ids[0], -1) if len(a.option_ids) == 1 else -1
            if value is not None:
                if value not in SCALE:
                    errors[key] = (N_("Choose a value from {low} to {high}."),
                                   {"low": SCALE[0], "high": SCALE[-1]})
                    continue
                option = next(o for o in view.options if o.position == value)
                result = CleanAnswer(option_ids=(option.id,))
        else:
            body = (a.text or "").strip()
            if len(body) > 5000:
                errors[key] = (N_("The answer is too long (at most 5,000 characters)."), {})
                continue
            result = CleanAnswer(text=body or None)
        if result.empty and q.required:
            errors[key] = (N_("This question requires an answer."), {})
            continue
        clean[q.id] = result
    if errors:
        raise InvalidInput(N_("Some answers are missing or not valid."), fields=errors)
    return clean


def _store_answer(session: Session, response: ConsultationResponse, question: Question,
                  answer: CleanAnswer) -> None:
    for option_id in answer.option_ids:
        session.add(Answer(response_id=response.id, question_id=question.id,
                           option_id=option_id))
    if answer.text:
        session.add(Answer(response_id=response.id, question_id=question.id, text=answer.text))


def _not_open(c: Consultation, ph: Phase) -> Conflict:
    if ph == Phase.scheduled:
        return Conflict(N_("This consultation opens on {date}; answers are not accepted yet."),
                        date=c.start_date.strftime("%d.%m.%Y"))
    if ph == Phase.draft:
        return Conflict(N_("This consultation has not been published."))
    return Conflict(N_("This consultation closed on {date}; answers and comments are no "
                       "longer accepted."), date=c.end_date.strftime("%d.%m.%Y"))


def _respondent(session: Session, user: User, c: Consultation, ph: Phase,
                organisation_id: int | None) -> tuple[str, str, Organisation | None]:
    if organisation_id is not None:
        org = repo.organisation(session, organisation_id)
        if not permissions.can_respond_as_organisation(user, c, ph, org):
            raise Forbidden(N_("You can answer only for a verified organisation of this "
                               "community that you registered."))
        return f"o:{org.id}", org.category, org
    if not permissions.can_respond_as_resident(session, user, c, ph):
        raise Forbidden(N_("Only verified residents of the community and registered "
                           "organisations can answer."))
    return f"u:{user.id}", Category.resident, None


def respond(session: Session, user: User | None, c: Consultation, data: ResponseIn
            ) -> ConsultationResponse:
    if user is None:
        raise NotAuthenticated()
    ph = phase(c)
    if ph != Phase.open:
        raise _not_open(c, ph)
    key, category, org = _respondent(session, user, c, ph, data.organisation_id)
    if repo.response_by_key(session, c.id, key) is not None:
        raise Conflict(N_("This consultation has already been answered by this respondent. "
                          "You can change the answer until it closes."))
    views = questions(session, c)
    clean = validate_answers(views, data.answers, partial=False)
    now = clock.now()
    response = ConsultationResponse(consultation_id=c.id, user_id=user.id,
                                    organisation_id=org.id if org else None,
                                    respondent_key=key, category=category,
                                    publication=data.publication, submitted_at=now,
                                    updated_at=now)
    session.add(response)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict(N_("This consultation has already been answered by this respondent. "
                          "You can change the answer until it closes.")) from None
    question_deltas: dict[int, int] = {}
    option_deltas: dict[int, int] = {}
    for view in views:
        answer = clean[view.question.id]
        if answer.empty:
            continue
        _store_answer(session, response, view.question, answer)
        question_deltas[view.question.id] = 1
        for option_id in answer.option_ids:
            option_deltas[option_id] = 1
    _apply_counts(session, c, question_deltas, option_deltas, response_count=1,
                  **{f"{category}_count": 1})
    session.flush()
    audit.append(session, "consultation.response_submitted", SUBJECT_TYPE, c.id, user.id,
                 response_id=response.id, category=category)
    notifications.follow(session, user, SUBJECT_TYPE, c.id)
    return response


def _apply_counts(session: Session, c: Consultation, question_deltas: dict[int, int],
                  option_deltas: dict[int, int], **consultation_deltas: int) -> None:
    """Move the counters, always in the same order (questions, options, then the
    consultation, each by id), so that concurrent writers never wait on each other in a
    circle."""
    for question_id in sorted(question_deltas):
        repo.bump(session, Question, question_id, answer_count=question_deltas[question_id])
    for option_id in sorted(option_deltas):
        repo.bump(session, Option, option_id, count=option_deltas[option_id])
    repo.bump(session, Consultation, c.id, **consultation_deltas)


def own_response(session: Session, user: User | None, c: Consultation, response_id: int
                 ) -> ConsultationResponse:
    response = repo.response(session, response_id)
    if response is None or response.consultation_id != c.id or user is None \
            or response.user_id != user.id:
        raise NotFound(N_("No such response."))
    return response


def edit_response(session: Session, user: User | None, c: Consultation, response_id: int,
                  data: ResponseEdit) -> ConsultationResponse:
    """Change some answers (and/or the publication choice) until the end date; the counters
    move with them: old choices are taken off, new ones added, in this transaction."""
    response = own_response(session, user, c, response_id)
    ph = phase(c)
    if ph != Phase.open:
        raise Conflict(N_("The consultation closed on {date}; answers can no longer be "
                          "changed."), date=c.end_date.strftime("%d.%m.%Y"))
    views = questions(session, c)
    clean = validate_answers(views, data.answers, partial=True)
    existing: dict[int, list[Answer]] = {}
    for answer in repo.answers(session, response.id):
        existing.setdefault(answer.question_id, []).append(answer)
    changed: list[int] = []
    question_deltas: dict[int, int] = {}
    option_deltas: dict[int, int] = {}
    for view in views:
        q = view.question
        if q.id not in clean:
            continue
        new = clean[q.id]
        old_rows = existing.get(q.id, [])
        old_options = {a.option_id for a in old_rows if a.option_id is not None}
        old_text = next((a.text for a in old_rows if a.text), None)
        if old_options == set(new.option_ids) and old_text == new.text:
            continue
        changed.append(q.id)
        repo.delete_answers(session, response.id, q.id)
        session.flush()
        _store_answer(session, response, q, new)
        for option_id in old_options - set(new.option_ids):
            option_deltas[option_id] = -1
        for option_id in set(new.option_ids) - old_options:
            option_deltas[option_id] = 1
        was, now_answered = bool(old_rows), not new.empty
        if was != now_answered:
            question_deltas[q.id] = 1 if now_answered else -1
    _apply_counts(session, c, question_deltas, option_deltas)
    publication_changed = (data.publication is not None
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


def answers_by_question(session: Session, response: ConsultationResponse
                        ) -> dict[int, CleanAnswer]:
    grouped: dict[int, list[Answer]] = {}
    for answer in repo.answers(session, response.id):
        grouped.setdefault(answer.question_id, []).append(answer)
    return {qid: CleanAnswer(option_ids=tuple(a.option_id for a in rows if a.option_id),
                             text=next((a.text for a in rows if a.text), None))
            for qid, rows in grouped.items()}


def responses_of(session: Session, user: User | None, c: Consultation
                 ) -> list[ConsultationResponse]:
    return repo.responses_of_user(session, c.id, user.id) if user else []


# -- comments -----------------------------------------------------------------------------

def _clean_body(value: str) -> str:
    lines = [" ".join(line.split()) for line in (value or "").replace("\r", "").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def add_comment(session: Session, user: User | None, c: Consultation, data: CommentIn
                ) -> Comment:
    if user is None:
        raise NotAuthenticated()
    ph = phase(c)
    if ph != Phase.open:
        raise _not_open(c, ph)
    if not permissions.can_comment(session, user, c, ph, organisations_of(session, user)):
        raise Forbidden(N_("Only verified residents, registered organisations and the "
                           "authority's officials can comment."))
    section = repo.section(session, data.section_id)
    if section is None or section.consultation_id != c.id:
        raise _invalid(N_("No such section in this consultation."), "section_id")
    parent_id = None
    if data.parent_id is not None:
        parent = repo.comment(session, data.parent_id)
        if parent is None or parent.section_id != section.id:
            raise _invalid(N_("The comment you reply to is not in this section."), "parent_id")
        # Replies are one level deep: a reply to a reply joins its thread.
        parent_id = parent.parent_id or parent.id
    body = _clean_body(data.body)
    if not 2 <= len(body) <= 4000:
        raise _invalid(N_("Write a comment of 2 to 4,000 characters."), "body")
    comment = Comment(consultation_id=c.id, section_id=section.id, parent_id=parent_id,
                      user_id=user.id, publication=data.publication, body=body)
    session.add(comment)
    session.flush()
    repo.bump(session, Section, section.id, comment_count=1)
    repo.bump(session, Consultation, c.id, comment_count=1)
    notifications.follow(session, user, SUBJECT_TYPE, c.id)
    return comment


@dataclass
class CommentView:
    comment: Comment
    author: str | None  # None: anonymous, or not public
    own: bool = False
    replies: list[CommentView] = field(default_factory=list)

    @property
    def hidden(self) -> bool:
        return self.comment.hidden_at is not None


def comment_threads(session: Session, user: User | None, c: Consultation,
                    section_id: int | None = None) -> dict[int, list[CommentView]]:
    """Threads per section id: top-level comments with their replies, oldest first.

    Comments their authors chose not to publish are shown only to their authors, the
    authority's officials and moderators."""
    privileged = permissions.can_see_unpublished(session, user, c)
    rows = repo.comments(session, c.id, section_id=section_id, include_unpublished=privileged,
                         viewer_id=user.id if user else None)
    tops: dict[int, CommentView] = {}
    threads: dict[int, list[CommentView]] = {}
    for comment, name, erased in rows:
        author = name if comment.publication == Publication.named and not erased else None
        view = CommentView(comment, author, own=user is not None and comment.user_id == user.id)
        if comment.parent_id is None:
            tops[comment.id] = view
            threads.setdefault(comment.section_id, []).append(view)
        elif comment.parent_id in tops:
            tops[comment.parent_id].replies.append(view)
    return threads


def hide_comment(session: Session, user: User | None, c: Consultation, comment_id: int,
                 reason: str) -> Comment:
    if user is None:
        raise NotAuthenticated()
    if not permissions.can_moderate(session, user, c, phase(c)):
        raise Forbidden(N_("Only a moderator of the community can hide comments."))
    comment = repo.comment(session, comment_id)
    if comment is None or comment.consultation_id != c.id:
        raise NotFound(N_("No such comment."))
    if comment.hidden_at is not None:
        raise Conflict(N_("This comment is already hidden."))
    reason = _clean_line(reason)
    if not 5 <= len(reason) <= 500:
        raise _invalid(N_("Give the reason for hiding (5 to 500 characters)."), "reason")
    comment.hidden_at = clock.now()
    comment.hidden_by_id = user.id
    comment.hidden_reason = reason
    session.add(comment)
    session.flush()
    repo.bump(session, Section, comment.section_id, comment_count=-1)
    repo.bump(session, Consultation, c.id, comment_count=-1)
    audit.append(session, "consultation.comment_hidden", SUBJECT_TYPE, c.id, user.id,
                 comment_id=comment.id)
    author = session.get(User, comment.user_id) if comment.user_id else None
    if author is not None:
        link = f"{get_settings().base_url}/consultations/{c.id}#comment-{comment.id}"
        title = c.title

        def render_mail() -> tuple[str, str]:
            return (_("Your comment was hidden by a moderator"),
                    _("Your comment on the consultation \u201c{title}\u201d was hidden by a "
                      "moderator.\n\nReason: {reason}\n\n{link}").format(
                        title=title, reason=reason, link=link))

        notifications.send_to(session, author, f"consultation-comment-hidden:{comment.id}",
                              render_mail)
    return comment


# -- results and export -------------------------------------------------------------------

def rating_summary(c: Consultation) -> RatingSummary:
    return RatingSummary(yes=c.rating_yes, partly=c.rating_partly, no=c.rating_no,
                         total=c.rating_yes + c.rating_partly + c.rating_no)


def results(session: Session, c: Consultation) -> ResultsPublic:
    """Every number from counters: O(questions + options + sections), never a COUNT(*)."""
    out: list[QuestionResult] = []
    for view in questions(session, c):
        q = view.question
        base = q.answer_count
        opts = [OptionResult(option_id=o.id, label=o.label, count=o.count,
                             percent=round(100 * o.count / base, 1) if base else 0.0)
                for o in view.options]
        average = None
        if q.kind == QuestionKind.scale and base:
            average = round(sum(o.position * o.count for o in view.options) / base, 2)
        out.append(QuestionResult(question_id=q.id, prompt=q.prompt, kind=q.kind,
                                  answer_count=base, options=opts, average=average))
    return ResultsPublic(
        consultation_id=c.id, phase=phase(c), response_count=c.response_count,
        categories=[CategoryCount(category=cat, count=c.category_count(cat)) for cat in Category],
        questions=out,
        most_discussed=[SectionActivity(section_id=s.id, number=s.number, title=s.title,
                                        comment_count=s.comment_count)
                        for s in repo.most_discussed(session, c.id)],
        ratings=rating_summary(c))


def _cell_for(view: QuestionView, answer: CleanAnswer | None) -> str:
    if answer is None or answer.empty:
        return ""
    if view.question.kind == QuestionKind.text:
        return answer.text or ""
    labels = {o.id: o.label for o in view.options}
    return "; ".join(labels[o] for o in answer.option_ids if o in labels)


def contributions_csv(session: Session, c: Consultation) -> str:
    views = questions(session, c)
    rows = repo.published_contributions(session, c.id)
    answers = repo.answers_of_responses(session, [r.id for r, _, _ in rows])
    items = []
    for response, person, org_name in rows:
        grouped: dict[int, list[Answer]] = {}
        for a in answers[response.id]:
            grouped.setdefault(a.question_id, []).append(a)
        clean = {qid: CleanAnswer(tuple(a.option_id for a in rs if a.option_id),
                                  next((a.text for a in rs if a.text), None))
                 for qid, rs in grouped.items()}
        items.append(export.Contribution(
            publication=response.publication, category=response.category,
            name=org_name if response.organisation_id else person,
            answers={v.question.id: _cell_for(v, clean.get(v.question.id)) for v in views}))
    return export.contributions_csv(
        [export.QuestionColumn(v.question.id, v.question.prompt) for v in views], items)


# -- closing ------------------------------------------------------------------------------

def _obligation_opened_at(c: Consultation) -> datetime:
    """The last moment of the end date: the report deadline counts from the end date."""
    return clock.aware(c.ends_at) - timedelta(seconds=1)


def _close(session: Session, c: Consultation, now: datetime) -> None:
    if accountability.find(session, OBLIGATION_KIND, SUBJECT_TYPE, c.id) is None:
        rules = rules_of(session, c)
        accountability.open_obligation(
            session, kind=OBLIGATION_KIND, community_id=c.community_id,
            authority_id=c.authority_id, subject_type=SUBJECT_TYPE, subject_id=c.id,
            subject_title=c.title, subject_path=f"/consultations/{c.id}",
            period=rules.report_deadline, ruleset_id=c.ruleset_id,
            opened_at=_obligation_opened_at(c))
    c.closed_at = now
    session.add(c)
    session.flush()
    audit.append(session, "consultation.closed", SUBJECT_TYPE, c.id, None,
                 responses=c.response_count, comments=c.comment_count)


def close_expired(session: Session, now: datetime | None = None) -> int:
    """Close every consultation whose end has passed: open its report obligation. Idempotent;
    the worker and `hromada consultations close-expired` call it."""
    now = now or clock.now()
    closed = 0
    for c in repo.expired_unclosed(session, now):
        _close(session, c, now)
        closed += 1
    return closed


def report_obligation(session: Session, c: Consultation):
    return accountability.find(session, OBLIGATION_KIND, SUBJECT_TYPE, c.id)


def last_day(due: datetime | None) -> date | None:
    """The last local day of a deadline that ends at midnight (what people read as 'by')."""
    if due is None:
        return None
    return calendar.local_date(clock.aware(due) - timedelta(seconds=1))


def report_due(session: Session, c: Consultation) -> datetime | None:
    """When the report is due: from the ledger, or as the ledger will compute it."""
    obligation = report_obligation(session, c)
    if obligation is not None:
        return clock.aware(obligation.due_at)
    if c.status == Status.draft:
        return None
    return rules_service.deadline(session, c.community_id, _obligation_opened_at(c),
                                  rules_of(session, c).report_deadline)


# -- outcome report -----------------------------------------------------------------------

def _valid_url(url: str) -> bool:
    parsed = urlparse(url)
    return parsed.scheme in ("http", "https") and bool(parsed.netloc) and " " not in url


def publish_report(session: Session, user: User | None, c: Consultation, data: ReportIn
                   ) -> Report:
    if user is None:
        raise NotAuthenticated()
    ph = phase(c)
    if ph == Phase.reported:
        raise Conflict(N_("The outcome report has already been published."))
    if not permissions.is_staff_of(session, user, c):
        raise Forbidden(N_("Only an official of the consultation's authority can publish "
                           "the outcome report."))
    if ph != Phase.closed:
        raise Conflict(N_("The outcome report can be published once the consultation has "
                          "closed (after {date})."), date=c.end_date.strftime("%d.%m.%Y"))
    errors: dict[str, tuple[str, dict]] = {}
    summary = data.summary.strip()
    url = data.decision_url.strip()
    if len(summary) < 10:
        errors["summary"] = (N_("Summarise the outcome (at least 10 characters)."), {})
    if not _valid_url(url):
        errors["decision_url"] = (N_("Enter the link to the final decision (http or https)."),
                                  {})
    section_ids = {s.id for s in repo.sections(session, c.id)}
    question_ids = {q.id for q in repo.questions(session, c.id)}
    seen_s: set[int] = set()
    seen_q: set[int] = set()
    for item in data.items:
        if (item.section_id is None) == (item.question_id is None):
            errors["items"] = (N_("Each outcome is about one section or one question."), {})
        elif item.section_id is not None:
            if item.section_id not in section_ids or item.section_id in seen_s:
                errors[f"s{item.section_id}"] = (N_("Unknown or repeated section."), {})
            seen_s.add(item.section_id)
        else:
            if item.question_id not in question_ids or item.question_id in seen_q:
                errors[f"r{item.question_id}"] = (N_("Unknown or repeated question."), {})
            seen_q.add(item.question_id)
        if not _clean_line(item.explanation):
            key = f"s{item.section_id}" if item.section_id else f"r{item.question_id}"
            errors[key] = (N_("Explain the outcome."), {})
    for sid in section_ids - seen_s:
        errors[f"s{sid}"] = (N_("Give the outcome for this section and explain it."), {})
    for qid in question_ids - seen_q:
        errors[f"r{qid}"] = (N_("Give the outcome for this question and explain it."), {})
    if errors:
        raise InvalidInput(N_("The report needs an outcome and an explanation for every "
                              "section and question, a summary and the link to the decision."),
                           fields=errors)
    now = clock.now()
    if c.closed_at is None:
        _close(session, c, now)
    report = Report(consultation_id=c.id, author_id=user.id, summary=summary,
                    decision_url=url, published_at=now)
    session.add(report)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict(N_("The outcome report has already been published.")) from None
    for item in data.items:
        session.add(ReportItem(report_id=report.id, section_id=item.section_id,
                               question_id=item.question_id, outcome=item.outcome,
                               explanation=item.explanation.strip()))
    c.status = Status.reported
    c.reported_at = now
    session.add(c)
    session.flush()
    obligation = accountability.answer(session, OBLIGATION_KIND, SUBJECT_TYPE, c.id,
                                       summary=summary, answered_at=now)
    on_time = clock.aware(obligation.answered_at) <= clock.aware(obligation.due_at)
    audit.append(session, "consultation.report_published", SUBJECT_TYPE, c.id, user.id,
                 report_id=report.id, on_time=on_time,
                 outcomes={o.value: sum(1 for i in data.items if i.outcome == o)
                           for o in Outcome})
    link = f"{get_settings().base_url}/consultations/{c.id}/report"
    title = c.title

    def render_mail() -> tuple[str, str]:
        return (_("The outcome report of a consultation is published"),
                _("The authority has published what it did with the contributions to the "
                  "consultation \u201c{title}\u201d.\n\nRead the report and tell us whether your "
                  "input was considered:\n{link}").format(title=title, link=link))

    notifications.notify_followers(session, SUBJECT_TYPE, c.id, f"consultation-report:{c.id}",
                                   render_mail, exclude_user_id=user.id)
    return report


@dataclass
class ReportView:
    report: Report
    items: list[ReportItem]
    on_time: bool | None


def report_of(session: Session, c: Consultation) -> ReportView | None:
    report = repo.report(session, c.id)
    if report is None:
        return None
    obligation = report_obligation(session, c)
    on_time = None
    if obligation is not None and obligation.answered_at is not None:
        on_time = clock.aware(obligation.answered_at) <= clock.aware(obligation.due_at)
    return ReportView(report, repo.report_items(session, report.id), on_time)


# -- rating -------------------------------------------------------------------------------

def is_participant(session: Session, user: User | None, c: Consultation) -> bool:
    return user is not None and repo.is_participant(session, c.id, user.id)


def rating_of(session: Session, user: User | None, c: Consultation) -> ConsultationRating | None:
    return repo.rating(session, c.id, user.id) if user else None


def rate(session: Session, user: User | None, c: Consultation, value: Rating
         ) -> ConsultationRating:
    if user is None:
        raise NotAuthenticated()
    if value not in tuple(Rating):
        raise _invalid(N_("Choose yes, partly or no."), "value")
    if phase(c) != Phase.reported:
        raise Conflict(N_("You can rate the consultation once its outcome report is "
                          "published."))
    if not is_participant(session, user, c):
        raise Forbidden(N_("Only people who answered or commented can rate the report."))
    if repo.rating(session, c.id, user.id) is not None:
        raise Conflict(N_("You have already rated this report."))
    row = ConsultationRating(consultation_id=c.id, user_id=user.id, value=value)
    session.add(row)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict(N_("You have already rated this report.")) from None
    repo.bump(session, Consultation, c.id, **{f"rating_{value}": 1})
    accountability.record_rating(session, OBLIGATION_KIND, SUBJECT_TYPE, c.id, str(value))
    audit.append(session, "consultation.rated", SUBJECT_TYPE, c.id, user.id, value=str(value))
    return row


# -- personal data (app.privacy hooks) ----------------------------------------------------

def personal_data(session: Session, user: User) -> dict:
    """Everything the module holds about a person: organisations, responses with their
    answers, comments and ratings."""
    responses = []
    for r in repo.responses_by_user(session, user.id):
        answers = [{"question_id": a.question_id, "option_id": a.option_id, "text": a.text}
                   for a in repo.answers(session, r.id)]
        responses.append({"consultation_id": r.consultation_id,
                          "organisation_id": r.organisation_id, "category": r.category,
                          "publication": r.publication, "submitted_at": r.submitted_at,
                          "updated_at": r.updated_at, "answers": answers})
    return {
        "organisations": [{"id": o.id, "community_id": o.community_id, "name": o.name,
                           "category": o.category, "code": o.code, "verified": o.verified,
                           "created_at": o.created_at}
                          for o in repo.organisations_of(session, user.id)],
        "responses": responses,
        "comments": [{"consultation_id": c.consultation_id, "section_id": c.section_id,
                      "parent_id": c.parent_id, "body": c.body, "publication": c.publication,
                      "created_at": c.created_at, "hidden_reason": c.hidden_reason}
                     for c in repo.comments_of_user(session, user.id)],
        "ratings": [{"consultation_id": r.consultation_id, "value": r.value,
                     "created_at": r.created_at}
                    for r in repo.ratings_of_user(session, user.id)],
    }


def erase_user(session: Session, user: User) -> None:
    """On account erasure: contributions stay counted and readable, but no longer name the
    person (the kernel replaces the account's name too)."""
    repo.unname_contributions(session, user.id)
    session.flush()
