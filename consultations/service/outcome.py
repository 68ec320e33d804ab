"""The outcome: closing (which opens the report obligation in the ledger), the authority's
outcome report ("you said, we did") and the participants' rating of it. Flushes, never commits.

The only durable step in time is `close_expired`, which the worker or CLI runs to open the
report obligation. Publishing the report closes the consultation durably first if the worker
has not yet, so the ledger never misses it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlparse

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app import clock
from app.accountability import service as accountability
from app.accountability.models import Obligation
from app.audit import service as audit
from app.exceptions import Conflict, FieldMessage, InvalidInput
from app.identity.models import User
from app.notifications import service as notifications
from app.rules import calendar
from app.rules import service as rules_service
from app.settings import get_settings
from app.web.i18n import N_
from app.web.i18n import gettext as _
from consultations import permissions, text
from consultations import repository as repo
from consultations.models import (
    OBLIGATION_KIND,
    SUBJECT_TYPE,
    Category,
    Consultation,
    ConsultationRating,
    ConsultationReport,
    ConsultationReportItem,
    Outcome,
    Rating,
    ReportIn,
    ReportItemIn,
    Status,
)
from consultations.service import invitations, mapping, reading

# -- closing ------------------------------------------------------------------------------

def _obligation_opened_at(c: Consultation) -> datetime:
    """The last moment of the end date: the report deadline counts from the end date."""
    return clock.aware(c.ends_at) - timedelta(seconds=1)


def _close(session: Session, c: Consultation, now: datetime) -> None:
    if accountability.find(session, OBLIGATION_KIND, SUBJECT_TYPE, c.id) is None:
        accountability.open_obligation(
            session, kind=OBLIGATION_KIND, community_id=c.community_id,
            authority_id=c.authority_id, subject_type=SUBJECT_TYPE, subject_id=c.id,
            subject_title=c.title, subject_path=reading.path_of(c),
            period=reading.rules_of(session, c).report_deadline, ruleset_id=c.ruleset_id,
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


def report_obligation(session: Session, c: Consultation) -> Obligation | None:
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
                                  reading.rules_of(session, c).report_deadline)


def _on_time(obligation: Obligation) -> bool:
    return clock.aware(obligation.answered_at) <= clock.aware(obligation.due_at)


# -- the outcome report -------------------------------------------------------------------

def _valid_url(url: str) -> bool:
    parsed = urlparse(url)
    return parsed.scheme in ("http", "https") and bool(parsed.netloc) and " " not in url


def item_field(section_id: int | None = None, question_id: int | None = None,
               statement_id: int | None = None) -> str:
    """The form field (and error key) of one outcome: s<section id>, r<question id> or
    p<statement id> (a proposal)."""
    if statement_id:
        return f"p{statement_id}"
    return f"s{section_id}" if section_id else f"r{question_id}"


def _item_errors(session: Session, c: Consultation, items: list[ReportItemIn]
                 ) -> dict[str, FieldMessage]:
    """Each section and each question has exactly one outcome, explained."""
    errors: dict[str, FieldMessage] = {}
    section_ids = {s.id for s in repo.sections(session, c.id)}
    question_ids = {q.id for q in repo.questions(session, c.id)}
    statement_ids = {s.id for s in repo.statements(session, c.id)}
    seen_s: set[int] = set()
    seen_q: set[int] = set()
    seen_p: set[int] = set()
    for item in items:
        key = item_field(item.section_id, item.question_id, item.statement_id)
        targets = [item.section_id, item.question_id, item.statement_id]
        if sum(t is not None for t in targets) != 1:
            errors["items"] = N_("Each outcome is about one section, one question or one "
                                 "proposal.")
        elif item.statement_id is not None:
            if item.statement_id not in statement_ids or item.statement_id in seen_p:
                errors[key] = N_("Unknown or repeated proposal.")
            seen_p.add(item.statement_id)
        elif item.section_id is not None:
            if item.section_id not in section_ids or item.section_id in seen_s:
                errors[key] = N_("Unknown or repeated section.")
            seen_s.add(item.section_id)
        else:
            if item.question_id not in question_ids or item.question_id in seen_q:
                errors[key] = N_("Unknown or repeated question.")
            seen_q.add(item.question_id)
        if not text.clean_line(item.explanation):
            errors[key] = N_("Explain the outcome.")
    for sid in section_ids - seen_s:
        errors[item_field(section_id=sid)] = N_(
            "Give the outcome for this section and explain it.")
    for qid in question_ids - seen_q:
        errors[item_field(question_id=qid)] = N_(
            "Give the outcome for this question and explain it.")
    return errors


def _validate_report(session: Session, c: Consultation, data: ReportIn) -> None:
    errors: dict[str, FieldMessage] = {}
    if len(data.summary.strip()) < 10:
        errors["summary"] = N_("Summarise the outcome (at least 10 characters).")
    if not _valid_url(data.decision_url.strip()):
        errors["decision_url"] = N_("Enter the link to the final decision (http or https).")
    errors.update(_item_errors(session, c, data.items))
    if errors:
        raise InvalidInput(N_("The report needs an outcome and an explanation for every "
                              "section and question, a summary and the link to the decision."),
                           fields=errors)


def synopsis_figures(session: Session, c: Consultation) -> dict:
    """The synopsis's figures, frozen into the report when it is published: who took part
    by stakeholder category, the invitations answered and not, per option how many chose it
    and per section of the text how many commented on it, by category (invited
    organisations apart), and the opinion map's common ground and divides."""
    session.refresh(c)
    by_option: dict[str, dict[str, int]] = {}
    for option_id, category, invited, n in repo.option_counts_by_category(session, c.id):
        cell = by_option.setdefault(str(option_id), {})
        key = "invited" if invited else category
        cell[key] = cell.get(key, 0) + n
    by_section: dict[str, dict[str, int]] = {}
    for section_id, category, invited, n in repo.comment_counts_by_category(
            session, c.id, c.authority_id):
        cell = by_section.setdefault(str(section_id), {})
        key = "invited" if invited else category
        cell[key] = cell.get(key, 0) + n
    invitations_ = invitations.invitations(session, c)
    view = mapping.opinion_map(session, c)

    def standing(items) -> list[dict]:
        return [{"statement_id": s.statement_id, "body": view.bodies.get(s.statement_id, ""),
                 "agree_by_group": list(s.agree_by_group)} for s in items]

    return {
        "categories": {cat.value: c.category_count(cat) for cat in Category},
        "invited": [{"organisation_id": i.organisation.id, "name": i.organisation.name,
                     "category": i.organisation.category, "answered": i.answered}
                    for i in invitations_],
        "options": by_option,
        "sections": by_section,
        "map": {"participants": view.result.participants,
                "groups": [g.size for g in view.result.groups],
                "consensus": standing(view.result.consensus),
                "divisive": standing(view.result.divisive)},
    }


def _store_report(session: Session, user: User, c: Consultation, data: ReportIn,
                  now: datetime) -> ConsultationReport:
    report = ConsultationReport(consultation_id=c.id, author_id=user.id,
                                summary=data.summary.strip(),
                                decision_url=data.decision_url.strip(), published_at=now,
                                synopsis=synopsis_figures(session, c))
    session.add(report)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:  # another official, at the same moment
        raise Conflict(permissions.REPORT_PUBLISHED) from None
    for item in data.items:
        session.add(ConsultationReportItem(report_id=report.id, section_id=item.section_id,
                                           question_id=item.question_id,
                                           statement_id=item.statement_id, outcome=item.outcome,
                                           explanation=item.explanation.strip()))
    c.status = Status.reported
    c.reported_at = now
    session.add(c)
    session.flush()
    return report


def _tell_followers(session: Session, user: User, c: Consultation) -> None:
    """Participants (who follow the consultation) learn that the report is out."""
    link = f"{get_settings().base_url}{reading.path_of(c)}/report"
    title = c.title

    def render_mail() -> tuple[str, str]:
        return (_("The outcome report of a consultation is published"),
                _("The authority has published what it did with the contributions to the "
                  "consultation \u201c{title}\u201d.\n\nRead the report and tell us whether your "
                  "input was considered:\n{link}").format(title=title, link=link))

    notifications.notify_followers(session, SUBJECT_TYPE, c.id, f"consultation-report:{c.id}",
                                   render_mail, exclude_user_id=user.id)


def publish_report(session: Session, user: User | None, c: Consultation, data: ReportIn
                   ) -> ConsultationReport:
    """Publish what the authority did with every section and question, answering the report
    obligation (closing the consultation first if the worker has not yet)."""
    permissions.check_publish_report(session, user, c, reading.phase(c))
    _validate_report(session, c, data)
    now = clock.now()
    if c.closed_at is None:
        _close(session, c, now)
    report = _store_report(session, user, c, data, now)
    obligation = accountability.answer(session, OBLIGATION_KIND, SUBJECT_TYPE, c.id,
                                       summary=report.summary, answered_at=now)
    audit.append(session, "consultation.report_published", SUBJECT_TYPE, c.id, user.id,
                 report_id=report.id, on_time=_on_time(obligation),
                 outcomes={o.value: sum(1 for i in data.items if i.outcome == o)
                           for o in Outcome})
    _tell_followers(session, user, c)
    return report


@dataclass
class ReportView:
    report: ConsultationReport
    items: list[ConsultationReportItem]
    on_time: bool | None


def report_of(session: Session, c: Consultation) -> ReportView | None:
    report = repo.report(session, c.id)
    if report is None:
        return None
    obligation = report_obligation(session, c)
    on_time = None
    if obligation is not None and obligation.answered_at is not None:
        on_time = _on_time(obligation)
    return ReportView(report, repo.report_items(session, report.id), on_time)


# -- rating -------------------------------------------------------------------------------

def rating_of(session: Session, user: User | None, c: Consultation
              ) -> ConsultationRating | None:
    return repo.rating(session, c.id, user.id) if user else None


def rate(session: Session, user: User | None, c: Consultation, value: Rating | str
         ) -> ConsultationRating:
    """A participant's one rating of whether their input was considered."""
    if value not in tuple(Rating):
        message = N_("Choose yes, partly or no.")
        raise InvalidInput(message, fields={"value": message})
    permissions.check_rate(session, user, c, reading.phase(c))
    value = Rating(value)
    row = ConsultationRating(consultation_id=c.id, user_id=user.id, value=value)
    session.add(row)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict(permissions.ALREADY_RATED) from None
    repo.bump(session, Consultation, c.id, **{f"rating_{value}": 1})
    accountability.record_rating(session, OBLIGATION_KIND, SUBJECT_TYPE, c.id, str(value))
    audit.append(session, "consultation.rated", SUBJECT_TYPE, c.id, user.id, value=str(value))
    return row
