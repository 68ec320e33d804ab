"""Load and authorise: what a budget route works on, found (404) and checked (401, 403, 409)
before the route runs, so views and API routes neither load nor check inline.

`VisibleCycle` and `VisibleProject` load (every cycle is public); `CyclePage` is the visible
cycle with its community and authority (one query), for pages. The acts of a person are
checked through `Acts`, made once per way of knowing the person: pages by the session cookie
(`PAGES`), the API by the Bearer token only (`API`). Each names a target after the act it is
authorised for (`PAGES.ReviewableCycle`, `API.EditableProject`...); the check is the named
permission of budget.permissions, which the service calls again before it writes (for the
CLI, the seed and tests, which reach the service without a route).

Two acts are authorised by their service only, after the route's rate limit (a refused
request must not learn before the limit whether it would be allowed): submitting a project
and casting a ballot. Creating a cycle names its community in the body, so its service checks
it too.

No `from __future__ import annotations` here: the dependencies are made in a closure per
kind of person, and FastAPI reads their parameters' types from the live annotations.
"""

from typing import Annotated

from fastapi import Depends

from app.communities.models import Community
from app.exceptions import Conflict, NotFound, raises
from app.web.auth import ApiUser, CurrentUser
from app.web.deps import DbSession
from app.web.i18n import N_
from budget import cycles, permissions
from budget.ballots import my_ballot
from budget.cycles import CycleView
from budget.models import BudgetBallot, BudgetCycle, BudgetProject
from budget.projects import get_project


def visible_cycle(cycle_id: int, session: DbSession) -> BudgetCycle:
    return cycles.get_cycle(session, cycle_id)


def cycle_page(cycle_id: int, session: DbSession) -> CycleView:
    return cycles.get_cycle_view(session, cycle_id)


VisibleCycle = Annotated[BudgetCycle, Depends(visible_cycle)]
CyclePage = Annotated[CycleView, Depends(cycle_page)]


def visible_project(cycle: VisibleCycle, project_id: int, session: DbSession) -> BudgetProject:
    return get_project(session, cycle, project_id)


VisibleProject = Annotated[BudgetProject, Depends(visible_project)]


@raises(Conflict)
def exportable_cycle(cycle: VisibleCycle) -> BudgetCycle:
    """A cycle whose ballots and count are published (voting has ended)."""
    permissions.check_export(cycle)
    return cycle


ExportableCycle = Annotated[BudgetCycle, Depends(exportable_cycle)]


def cycle_places(user: CurrentUser, session: DbSession) -> list[Community]:
    """The communities in which the person may create a cycle (the new-cycle form's choice);
    none is refused."""
    places = cycles.manageable_communities(session, user)
    permissions.check_create_somewhere(user, places)
    return places


CyclePlaces = Annotated[list[Community], Depends(cycle_places)]


def own_ballot(user: ApiUser, cycle: VisibleCycle, session: DbSession) -> BudgetBallot:
    """The person's ballot in the cycle (404 when they have not voted)."""
    ballot, _ = my_ballot(session, user, cycle)
    if ballot is None:
        raise NotFound(N_("You have not voted in this cycle."))
    return ballot


OwnBallot = Annotated[BudgetBallot, Depends(own_ballot)]


def _cycle_act(check, person):
    """A cycle on which the person may do what `check(session, user, cycle)` allows."""
    def authorised(user: person, cycle: VisibleCycle, session: DbSession) -> BudgetCycle:
        check(session, user, cycle)
        return cycle
    return Annotated[BudgetCycle, Depends(authorised)]


def _project_act(check, person):
    """A project on which the person may do what `check(session, user, cycle, project)`
    allows."""
    def authorised(user: person, cycle: VisibleCycle, project: VisibleProject,
                   session: DbSession) -> BudgetProject:
        check(session, user, cycle, project)
        return project
    return Annotated[BudgetProject, Depends(authorised)]


class Acts:
    """The load-and-authorise dependencies of one way of knowing the person (`person`:
    CurrentUser or ApiUser). The person is known first: not logged in is 401 even where the
    cycle does not exist, as everywhere else."""

    def __init__(self, person) -> None:
        self.DatableCycle = _cycle_act(permissions.check_move_date, person)
        self.SubmittableCycle = _cycle_act(permissions.check_submit, person)
        self.ReviewableCycle = _cycle_act(permissions.check_review, person)
        self.PaperCycle = _cycle_act(permissions.check_paper, person)
        self.PublishableCycle = _cycle_act(permissions.check_publish, person)
        self.InvalidatableCycle = _cycle_act(permissions.check_invalidate_ballots, person)
        self.EditableProject = _project_act(permissions.check_edit, person)
        self.ReportableProject = _project_act(permissions.check_progress, person)


PAGES = Acts(CurrentUser)
API = Acts(ApiUser)
