"""Who may do what in a budget cycle, in which phase: named permissions built from the
kernel's predicates (app.communities.permissions).

Each `check_*` raises the error a person should see (401 not logged in, 403 wrong role or not
eligible, 409 wrong phase); the kernel's `allowed(check, ...)` turns one into a yes/no for
templates. For what residents do (submit, edit, vote) the phase is checked first: "voting is
not open" is the useful answer for everyone. For what staff do (create, move dates, review,
record paper ballots, publish, report progress) the role is checked first. A check that depends
on the phase takes it, or reads the phase of the moment when given none (budget.phases), so
the routes' dependencies (budget.dependencies) call every check of a cycle the same way.
"""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from app import clock
from app.communities import permissions as p
from app.deliberation.permissions import check_not_blocked
from app.deliberation.permissions import is_moderator as moderates
from app.exceptions import Conflict, Forbidden
from app.identity.models import User
from app.rules.schema import AssuranceLevel
from app.web.i18n import N_
from budget.models import (
    BudgetCategory,
    BudgetCycle,
    BudgetProject,
    CycleSource,
    Phase,
    ProjectStatus,
)
from budget.phases import phase_of, votes_visible

CREATE_REFUSED = N_("Only the community's officials and administrators create budget cycles.")
TOO_YOUNG = N_("Voting in the budget is open from the age of {age}.")
ALREADY_PUBLISHED = N_("The results are already published.")
VOTING_CLOSED = N_("Voting is not open.")


def is_staff(session: Session, user: User | None, community_id: int) -> bool:
    """Runs the community's budget: its officials, and the deployment's administrators."""
    return p.is_admin(user) or p.is_official_in(session, user, community_id)


def is_official(session: Session, user: User | None, cycle: BudgetCycle) -> bool:
    return p.is_official_in(session, user, cycle.community_id)


def is_author(user: User | None, project: BudgetProject) -> bool:
    return user is not None and project.author_id is not None and project.author_id == user.id


def _own_cycle(cycle: BudgetCycle) -> None:
    if cycle.source != CycleSource.hromada:
        raise Conflict(N_("This is an imported historical cycle; it cannot be changed."))


def _phase(cycle: BudgetCycle, phase: Phase | None) -> Phase:
    return phase_of(cycle) if phase is None else phase


# -- staff ----------------------------------------------------------------------------------

def check_create(session: Session, user: User | None, community_id: int) -> None:
    p.logged_in(user)
    if not is_staff(session, user, community_id):
        raise Forbidden(CREATE_REFUSED)


def check_create_somewhere(user: User | None, places: list) -> None:
    """The new-cycle form: open to whoever may create a cycle in one of `places` (the
    communities they run, see budget.cycles.manageable_communities)."""
    p.logged_in(user)
    if not places:
        raise Forbidden(CREATE_REFUSED)


def check_move_date(session: Session, user: User | None, cycle: BudgetCycle) -> None:
    p.logged_in(user)
    if not is_staff(session, user, cycle.community_id):
        raise Forbidden(N_("Only the community's officials and administrators move the dates "
                           "of a budget cycle."))
    _own_cycle(cycle)
    if cycle.results_published_at is not None:
        raise Conflict(N_("The results are published; the dates can no longer change."))


def check_review(session: Session, user: User | None, cycle: BudgetCycle,
                 phase: Phase | None = None) -> None:
    p.logged_in(user)
    if not is_official(session, user, cycle):
        raise Forbidden(N_("Only the community's officials review projects."))
    _own_cycle(cycle)
    if _phase(cycle, phase) != Phase.review:
        raise Conflict(N_("Projects are reviewed between the close of submission and the start "
                          "of voting."))


def check_paper(session: Session, user: User | None, cycle: BudgetCycle,
                phase: Phase | None = None) -> None:
    p.logged_in(user)
    if not is_official(session, user, cycle):
        raise Forbidden(N_("Only the community's officials record paper ballots."))
    _own_cycle(cycle)
    if _phase(cycle, phase) != Phase.voting:
        raise Conflict(VOTING_CLOSED)


def check_publish(session: Session, user: User | None, cycle: BudgetCycle,
                  phase: Phase | None = None) -> None:
    p.logged_in(user)
    if not is_official(session, user, cycle):
        raise Forbidden(N_("Only the community's officials publish the results."))
    _own_cycle(cycle)
    if cycle.results_published_at is not None:
        raise Conflict(ALREADY_PUBLISHED)
    if _phase(cycle, phase) != Phase.results:
        raise Conflict(N_("The results can be published only after voting ends."))


def check_progress(session: Session, user: User | None, cycle: BudgetCycle,
                   project: BudgetProject) -> None:
    p.logged_in(user)
    if not is_official(session, user, cycle):
        raise Forbidden(N_("Only the community's officials report on implementation."))
    _own_cycle(cycle)
    if project.status != ProjectStatus.selected:
        raise Conflict(N_("Only projects selected for funding are implemented."))


# -- residents ------------------------------------------------------------------------------

def check_submit(session: Session, user: User | None, cycle: BudgetCycle,
                 phase: Phase | None = None) -> None:
    _own_cycle(cycle)
    if _phase(cycle, phase) != Phase.submission:
        raise Conflict(N_("Projects can be submitted only while submission is open."))
    p.logged_in(user)
    check_not_blocked(session, user, cycle.community_id)
    if not p.is_verified_resident(session, user, cycle.community_id):
        raise Forbidden(N_("Only verified residents of the community submit projects."))


def check_edit(session: Session, user: User | None, cycle: BudgetCycle, project: BudgetProject,
               phase: Phase | None = None) -> None:
    _own_cycle(cycle)
    if _phase(cycle, phase) != Phase.submission:
        raise Conflict(N_("Projects can be changed only while submission is open."))
    p.logged_in(user)
    if not is_author(user, project):
        raise Forbidden(N_("Only the author changes a project."))


def voter_problem(session: Session, user: User | None, community_id: int, minimum_age: int,
                  level: str = AssuranceLevel.resident) -> str | None:
    """Why this person may not vote (a msgid that says what is missing), or None when they
    may: the level of assurance the rules ask for, and the age."""
    problem = p.level_problem(session, user, community_id, level)
    if problem is not None:
        return problem
    if not p.meets_minimum_age(user, minimum_age):
        return TOO_YOUNG
    return None


def check_voter(session: Session, user: User | None, cycle: BudgetCycle, minimum_age: int,
                level: str = AssuranceLevel.resident) -> None:
    """This person may vote in the cycle's community (whatever the phase): online, or on
    paper when an official names them by their account."""
    problem = voter_problem(session, user, cycle.community_id, minimum_age, level)
    if problem is not None:
        raise Forbidden(problem, age=minimum_age)


def check_voter_age(birth_date: date, minimum_age: int) -> None:
    """A paper voter without an account is old enough (the official checked their date of
    birth in their document)."""
    if p.age_on(birth_date, clock.today()) < minimum_age:
        raise Forbidden(TOO_YOUNG, age=minimum_age)


def check_vote(session: Session, user: User | None, cycle: BudgetCycle, phase: Phase,
               minimum_age: int, level: str = AssuranceLevel.resident) -> None:
    _own_cycle(cycle)
    if phase != Phase.voting:
        raise Conflict(VOTING_CLOSED)
    p.logged_in(user)
    check_not_blocked(session, user, cycle.community_id)
    check_voter(session, user, cycle, minimum_age, level)


# -- district pots --------------------------------------------------------------------------

OTHER_DISTRICT = N_("This project is in another district's pot: you take part in the "
                    "city-wide pots and in your own district's.")


def district_of(session: Session, user: User | None, community_id: int) -> int | None:
    """The district of the person's verified residency in the community (None: none known)."""
    if not p.is_verified_resident(session, user, community_id):
        return None
    return p.memberships(session, user).district_in.get(community_id)


def pot_open(category: BudgetCategory, district_id: int | None) -> bool:
    """A pot is open to a resident when it is city-wide or their district's."""
    return category.district_id is None or category.district_id == district_id


def open_pots(session: Session, user: User | None, cycle: BudgetCycle,
              cats: list[BudgetCategory]) -> list[BudgetCategory]:
    """The pots a person's ballot covers (and whose proposals they may support)."""
    district = district_of(session, user, cycle.community_id)
    return [c for c in cats if pot_open(c, district)]


# -- supports -------------------------------------------------------------------------------

SUPPORTS_CLOSED = N_("Proposals are supported only while the supports phase is open.")


def check_support(session: Session, user: User | None, cycle: BudgetCycle,
                  project: BudgetProject, category: BudgetCategory,
                  phase: Phase | None = None) -> None:
    """A verified resident supports a proposal of a pot open to them, during supports."""
    _own_cycle(cycle)
    if _phase(cycle, phase) != Phase.supports:
        raise Conflict(SUPPORTS_CLOSED)
    p.logged_in(user)
    if not p.is_verified_resident(session, user, cycle.community_id):
        raise Forbidden(N_("Only verified residents of the community support proposals."))
    if not pot_open(category, district_of(session, user, cycle.community_id)):
        raise Forbidden(OTHER_DISTRICT)
    if project.status != ProjectStatus.submitted:
        raise Conflict(N_("This proposal cannot be supported."))


# -- pictures and documents -----------------------------------------------------------------

def check_attach(session: Session, user: User | None, cycle: BudgetCycle,
                 project: BudgetProject, phase: Phase | None = None) -> None:
    """The author adds pictures and documents while submission is open; the community's
    officials at any time (a photo of the works during implementation)."""
    p.logged_in(user)
    _own_cycle(cycle)
    if is_official(session, user, cycle):
        return
    if not is_author(user, project):
        raise Forbidden(N_("Only the author or an official adds files to a project."))
    if _phase(cycle, phase) != Phase.submission:
        raise Conflict(N_("Projects can be changed only while submission is open."))


def check_follow(user: User | None) -> None:
    p.logged_in(user)


# -- everyone -------------------------------------------------------------------------------

def check_export(cycle: BudgetCycle) -> None:
    """Ballots (and the count) are published only once voting has ended."""
    if not votes_visible(cycle):
        raise Conflict(N_("Ballots and results are published once voting has ended."))


def check_see_arrivals(session: Session, user: User | None, cycle: BudgetCycle) -> None:
    """How the ballots arrived: the community's moderators and the administrators."""
    p.logged_in(user)
    if not moderates(session, user, cycle.community_id):
        raise Forbidden(N_("Only a moderator of the community can see how ballots arrived."))


def check_invalidate_ballots(session: Session, user: User | None, cycle: BudgetCycle,
                             phase: Phase | None = None) -> None:
    """Invalidate a set of ballots: a moderator of the community (or an administrator), once
    voting has opened and until the results are published. Published results are final: the
    winners were announced and the obligations to implement them follow, so a late
    invalidation would change what people were told (409; a recount is a matter for the
    authority, not a moderator's act). An imported historical cycle cannot be changed."""
    check_see_arrivals(session, user, cycle)
    _own_cycle(cycle)
    phase = _phase(cycle, phase)
    if phase == Phase.implementation:
        raise Conflict(N_("The results are published and final; their ballots can no longer "
                          "be invalidated."))
    if phase not in (Phase.voting, Phase.results):
        raise Conflict(N_("Voting has not opened: there are no ballots to invalidate."))
