"""Projects of a budget cycle: residents propose them while submission is open, change them
until it closes, and anyone follows them."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlmodel import Session

from app import clock
from app.audit import service as audit
from app.exceptions import InvalidInput, NotFound
from app.identity import repository as identity_repo
from app.identity.models import User
from app.notifications import service as notifications
from app.settings import get_settings
from app.web.i18n import N_, gettext
from budget import permissions
from budget import repository as repo
from budget.cycles import CHOOSE_OFFERED, rules_of
from budget.media import checked_point
from budget.models import ON_BALLOT, BudgetCategory, BudgetCycle, BudgetProject, ProjectCreate
from budget.phases import phase_of

# Field messages carry no parameters (the message of the error names the numbers).
COST_OUT_OF_RANGE = N_("The cost is outside the limits of the community's rules.")
COST_OVER_FUNDS = N_("The cost is more than the category's funds.")
OVER_FUNDS = N_("A project cannot cost more than its category's funds ({funds}).")


def project_path(project: BudgetProject) -> str:
    return f"/budget/{project.cycle_id}/projects/{project.id}"


def project_link(project: BudgetProject) -> str:
    """The project's page, as a link in a message."""
    return f"{get_settings().base_url}{project_path(project)}"


Notice = tuple[str, str]  # the msgids of a message's subject and body


def project_notice(which: bool, if_so: Notice, if_not: Notice, **params: str
                   ) -> Callable[[], tuple[str, str]]:
    """A message about a project that went one of two ways, rendered in the language of
    whoever receives it (the body is formatted with `params`)."""
    def render() -> tuple[str, str]:
        subject, body = if_so if which else if_not
        return gettext(subject), gettext(body).format(**params)
    return render


def get_project(session: Session, cycle: BudgetCycle, project_id: int) -> BudgetProject:
    project = repo.project(session, project_id)
    if project is None or project.cycle_id != cycle.id:
        raise NotFound(N_("There is no such project in this cycle."))
    return project


def list_projects(session: Session, cycle: BudgetCycle, statuses: Iterable[str] | None = None
             ) -> list[BudgetProject]:
    return repo.projects(session, cycle.id, statuses)


def ballot_projects(session: Session, cycle: BudgetCycle) -> list[BudgetProject]:
    """The projects on the ballot: those reviewed as feasible (or, after publication, the
    ones that were)."""
    return repo.projects(session, cycle.id, ON_BALLOT)


def author_of(session: Session, project: BudgetProject) -> User | None:
    if project.author_id is None:
        return None
    return identity_repo.user_by_id(session, project.author_id)


def category_of(session: Session, cycle: BudgetCycle, category_id: int) -> BudgetCategory:
    category = next((c for c in repo.categories(session, cycle.id) if c.id == category_id), None)
    if category is None:
        raise InvalidInput(N_("Choose a category of this cycle."),
                           fields={"category_id": CHOOSE_OFFERED})
    return category


def check_within_funds(category: BudgetCategory, cost: int, field_name: str) -> None:
    if cost > category.funds:
        raise InvalidInput(OVER_FUNDS, fields={field_name: COST_OVER_FUNDS},
                           funds=category.funds)


def _checked_category(session: Session, cycle: BudgetCycle, data: ProjectCreate
                      ) -> BudgetCategory:
    """The project's category, once its cost is within the rules and the category's funds."""
    rules = rules_of(session, cycle)
    category = category_of(session, cycle, data.category_id)
    if data.cost < rules.project_cost_min or data.cost > rules.project_cost_max:
        raise InvalidInput(N_("A project must cost from {min} to {max}."),
                           fields={"cost": COST_OUT_OF_RANGE},
                           min=rules.project_cost_min, max=rules.project_cost_max)
    check_within_funds(category, data.cost, "cost")
    return category


def _texts(data: ProjectCreate) -> dict[str, str]:
    return {"title": " ".join(data.title.split()), "description": data.description.strip(),
            "location": data.location.strip()}


def _point(session: Session, cycle: BudgetCycle, data: ProjectCreate) -> dict[str, Any]:
    latitude, longitude = checked_point(rules_of(session, cycle), data.latitude,
                                        data.longitude)
    return {"latitude": latitude, "longitude": longitude}


def submit_project(session: Session, user: User | None, cycle: BudgetCycle,
                   data: ProjectCreate) -> BudgetProject:
    permissions.check_submit(session, user, cycle, phase_of(cycle))
    category = _checked_category(session, cycle, data)
    point = _point(session, cycle, data)
    now = clock.now()
    project = repo.add(session, BudgetProject(
        cycle_id=cycle.id, category_id=category.id, author_id=user.id, **_texts(data),
        **point, cost=data.cost, created_at=now, updated_at=now))
    notifications.follow(session, user, repo.PROJECT_SUBJECT, project.id)
    audit.append(session, "budget.project_submitted", repo.PROJECT_SUBJECT, project.id,
                 user.id, cycle_id=cycle.id, category_id=category.id, cost=data.cost)
    return project


def edit_project(session: Session, user: User | None, cycle: BudgetCycle,
                 project: BudgetProject, data: ProjectCreate) -> BudgetProject:
    permissions.check_edit(session, user, cycle, project, phase_of(cycle))
    category = _checked_category(session, cycle, data)
    point = _point(session, cycle, data)
    project.category_id = category.id
    for name, value in (_texts(data) | point).items():
        setattr(project, name, value)
    project.cost = data.cost
    project.updated_at = clock.now()
    session.add(project)
    session.flush()
    audit.append(session, "budget.project_edited", repo.PROJECT_SUBJECT, project.id, user.id,
                 cycle_id=cycle.id, category_id=category.id, cost=data.cost)
    return project


def follow(session: Session, user: User | None, project: BudgetProject, on: bool) -> None:
    permissions.check_follow(user)
    if on:
        notifications.follow(session, user, repo.PROJECT_SUBJECT, project.id)
    else:
        notifications.unfollow(session, user, repo.PROJECT_SUBJECT, project.id)


def is_following(session: Session, user: User | None, project: BudgetProject) -> bool:
    return notifications.is_following(session, user, repo.PROJECT_SUBJECT, project.id)
