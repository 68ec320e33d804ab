"""Implementation of the winning projects: officials report progress until delivery, which
answers the authority's obligation; followers hear of every update."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from app import clock
from app.accountability import service as accountability
from app.accountability.models import Obligation, ObligationStatus
from app.audit import service as audit
from app.exceptions import InvalidInput
from app.identity.models import User
from app.notifications import service as notifications
from app.web.i18n import N_, gettext
from budget import permissions
from budget import repository as repo
from budget.models import (
    IMPLEMENTATION_LABELS,
    BudgetCycle,
    BudgetImplementationUpdate,
    BudgetProject,
    ImplementationStatus,
    ProgressCreate,
)
from budget.projects import project_link


def updates(session: Session, project: BudgetProject) -> list[BudgetImplementationUpdate]:
    return repo.updates(session, project.id)


def implementation_obligation(session: Session, project: BudgetProject) -> Obligation | None:
    return accountability.find(session, repo.IMPLEMENTATION_KIND, repo.PROJECT_SUBJECT,
                               project.id)


def obligation_status(obligation: Obligation | None) -> ObligationStatus | None:
    return accountability.status_of(obligation) if obligation is not None else None


def post_progress(session: Session, official: User | None, cycle: BudgetCycle,
                  project: BudgetProject, data: ProgressCreate) -> BudgetImplementationUpdate:
    permissions.check_progress(session, official, cycle, project)
    happened = _happened_on(data)
    percent = 100 if data.status == ImplementationStatus.delivered else data.percent
    update = repo.add(session, BudgetImplementationUpdate(
        project_id=project.id, author_id=official.id, status=data.status, percent=percent,
        text=data.text.strip(), happened_on=happened, created_at=clock.now()))
    project.implementation_status = data.status
    project.implementation_percent = percent
    project.updated_at = clock.now()
    session.add(project)
    session.flush()
    if data.status == ImplementationStatus.delivered:
        _answer_obligation(session, project, data.text.strip()[:500])
    audit.append(session, "budget.implementation_update", repo.PROJECT_SUBJECT, project.id,
                 official.id, status=str(data.status), percent=percent,
                 happened_on=happened.isoformat())
    _notify_progress(session, official, project, update)
    return update


def _happened_on(data: ProgressCreate) -> date:
    """The day the update reports (today unless said), never in the future."""
    today = clock.today()
    happened = data.happened_on or today
    if happened > today:
        message = N_("The date cannot be in the future.")
        raise InvalidInput(message, fields={"happened_on": message})
    return happened


def _answer_obligation(session: Session, project: BudgetProject, summary: str) -> None:
    """Delivery answers the implementation obligation (once)."""
    obligation = implementation_obligation(session, project)
    if obligation is not None and obligation.answered_at is None:
        accountability.answer(session, repo.IMPLEMENTATION_KIND, repo.PROJECT_SUBJECT,
                              project.id, summary=summary)


def _notify_progress(session: Session, official: User, project: BudgetProject,
                     update: BudgetImplementationUpdate) -> None:
    link = project_link(project)

    def render() -> tuple[str, str]:
        return (gettext("News on a budget project you follow"),
                gettext("“{title}”: {status}, progress {percent}%.\n\n{text}\n\n{link}").format(
                    title=project.title, status=gettext(IMPLEMENTATION_LABELS[update.status]),
                    percent=update.percent, text=update.text, link=link))

    notifications.notify_followers(session, repo.PROJECT_SUBJECT, project.id,
                                   f"budget-progress:{update.id}", render,
                                   exclude_user_id=official.id)
