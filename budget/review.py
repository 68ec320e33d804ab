"""Review of the projects: between the close of submission and the start of voting, officials
find each project feasible or not, with a public reason. The authority owes the review by a
deadline of the community's rules: an obligation in the ledger, open from the moment
submission closed, answered when the last project is reviewed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app import clock
from app.accountability import service as accountability
from app.accountability.models import Obligation, ObligationStatus
from app.audit import service as audit
from app.exceptions import Conflict, InvalidInput
from app.identity.models import User
from app.notifications import service as notifications
from app.rules import service as rules_service
from app.web.i18n import N_
from budget import permissions, supports
from budget import repository as repo
from budget.cycles import cycle_path, rules_of
from budget.models import BudgetCycle, BudgetProject, CycleSource, ProjectStatus, ReviewCreate
from budget.phases import phase_of, review_opens
from budget.projects import (
    author_of,
    category_of,
    check_within_funds,
    project_link,
    project_notice,
)

REVIEWABLE = (ProjectStatus.submitted, ProjectStatus.feasible, ProjectStatus.unfeasible)


def review_due(session: Session, cycle: BudgetCycle) -> datetime:
    rules = rules_of(session, cycle)
    return rules_service.deadline(session, cycle.community_id, review_opens(cycle),
                                  rules.review_deadline)


@dataclass
class ReviewState:
    """The review obligation as residents see it: computed on read from the dates even before
    the worker has recorded it, so it is overdue the instant it is late."""

    due_at: datetime | None
    status: ObligationStatus | None
    obligation: Obligation | None


def review_state(session: Session, cycle: BudgetCycle) -> ReviewState:
    if cycle.source != CycleSource.hromada:
        return ReviewState(None, None, None)
    obligation = accountability.find(session, repo.REVIEW_KIND, repo.CYCLE_SUBJECT, cycle.id)
    if obligation is not None:
        return ReviewState(clock.aware(obligation.due_at), accountability.status_of(obligation),
                           obligation)
    if clock.now() < review_opens(cycle):
        return ReviewState(None, None, None)
    due = review_due(session, cycle)
    virtual = Obligation(kind=repo.REVIEW_KIND, community_id=cycle.community_id,
                         authority_id=cycle.authority_id, subject_type=repo.CYCLE_SUBJECT,
                         subject_id=cycle.id, subject_title=cycle.title,
                         subject_path=cycle_path(cycle), opened_at=review_opens(cycle),
                         due_at=due)
    return ReviewState(due, accountability.status_of(virtual), None)


def ensure_review_obligation(session: Session, cycle: BudgetCycle) -> Obligation | None:
    """Record the review obligation once submission has closed (idempotent, race-safe).

    It opens at the moment submission (or, with supports, the supports phase) closed,
    whenever it is recorded; the proposals without enough supports are marked then; with no
    project to review it is closed at once.
    """
    if cycle.source != CycleSource.hromada or clock.now() < review_opens(cycle):
        return None
    supports.close_supports(session, cycle)
    existing = accountability.find(session, repo.REVIEW_KIND, repo.CYCLE_SUBJECT, cycle.id)
    if existing is not None:
        return existing
    rules = rules_of(session, cycle)
    opened = review_opens(cycle)
    try:
        with session.begin_nested():
            obligation = accountability.open_obligation(
                session, kind=repo.REVIEW_KIND, community_id=cycle.community_id,
                authority_id=cycle.authority_id, subject_type=repo.CYCLE_SUBJECT,
                subject_id=cycle.id, subject_title=cycle.title, subject_path=cycle_path(cycle),
                period=rules.review_deadline, ruleset_id=cycle.ruleset_id, opened_at=opened)
    except (IntegrityError, Conflict):
        return accountability.find(session, repo.REVIEW_KIND, repo.CYCLE_SUBJECT, cycle.id)
    if repo.unreviewed_count(session, cycle.id) == 0:
        accountability.answer(session, repo.REVIEW_KIND, repo.CYCLE_SUBJECT, cycle.id,
                              summary="no projects to review", answered_at=opened)
    return obligation


def open_due_review_obligations(session: Session) -> int:
    """Periodic (worker): record the review obligation of every cycle whose submission closed."""
    count = 0
    for cycle in repo.cycles_awaiting_review_obligation(session, clock.now()):
        if ensure_review_obligation(session, cycle) is not None:
            count += 1
    return count


def review_project(session: Session, official: User | None, cycle: BudgetCycle,
                   project: BudgetProject, data: ReviewCreate) -> BudgetProject:
    permissions.check_review(session, official, cycle, phase_of(cycle))
    obligation = ensure_review_obligation(session, cycle)
    reason = _checked_reason(session, cycle, project, data)
    now = clock.now()
    _record_review(session, official, project, data, reason, now)
    _notify_author_of_review(session, project)
    if (obligation is not None and obligation.answered_at is None
            and repo.unreviewed_count(session, cycle.id) == 0):
        accountability.answer(session, repo.REVIEW_KIND, repo.CYCLE_SUBJECT, cycle.id,
                              summary="every project reviewed", answered_at=now)
    return project


def _checked_reason(session: Session, cycle: BudgetCycle, project: BudgetProject,
                    data: ReviewCreate) -> str:
    """The decision may be taken: the project is still open to review, a refusal says why,
    a revised cost fits the category. Returns the public reason."""
    if project.status not in REVIEWABLE:
        raise Conflict(N_("This project can no longer be reviewed."))
    reason = (data.reason or "").strip()
    if not data.feasible and len(reason) < 10:
        message = N_("Explain publicly why the project is not feasible (at least 10 "
                     "characters).")
        raise InvalidInput(message, fields={"reason": message})
    if data.revised_cost is not None and data.feasible:
        category = category_of(session, cycle, project.category_id)
        check_within_funds(category, data.revised_cost, "revised_cost")
    return reason


def _record_review(session: Session, official: User, project: BudgetProject,
                   data: ReviewCreate, reason: str, now: datetime) -> None:
    project.status = ProjectStatus.feasible if data.feasible else ProjectStatus.unfeasible
    project.review_reason = reason or None
    project.revised_cost = data.revised_cost if data.feasible else None
    project.reviewed_at = now
    project.reviewed_by_id = official.id
    project.updated_at = now
    session.add(project)
    session.flush()
    audit.append(session, "budget.project_reviewed", repo.PROJECT_SUBJECT, project.id,
                 official.id, cycle_id=project.cycle_id, feasible=data.feasible,
                 revised_cost=project.revised_cost, reason=project.review_reason)


def _notify_author_of_review(session: Session, project: BudgetProject) -> None:
    author = author_of(session, project)
    if author is None:
        return
    render = project_notice(
        project.status == ProjectStatus.feasible,
        (N_("Your budget project was found feasible"),
         N_("Your project “{title}” was found feasible and goes to the vote.\n\n{reason}\n\n"
            "{link}")),
        (N_("Your budget project was found not feasible"),
         N_("Your project “{title}” was found not feasible and will not be put to the vote. "
            "The reason:\n\n{reason}\n\n{link}")),
        title=project.title, reason=project.review_reason or "", link=project_link(project))
    notifications.send_to(session, author,
                          f"budget-review:{project.id}:{clock.now().isoformat()}", render)
