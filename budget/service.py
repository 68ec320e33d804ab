"""The participatory budget: cycles, projects, review, ballots, results and implementation.

Services flush and never commit: the request (or the CLI/worker unit of work) commits once.

Phases follow the dates (see `phase_of`); every limit and method comes from the rule-set
version the cycle opened under (`rules_of`), or, for an imported Pabulib election, from its
file. Winners are computed by `budget.tally` from the database rows (`compute_results`).

Tie-breaking (documented for residents on the results page): greedy rules fund projects by
higher score, then lower cost, then earlier submission; the Method of Equal Shares picks the
lower price per unit of utility, then more supporters, then lower cost, then earlier
submission. Within a category a ballot counts only with its choices in that category, and a
ballot with no choice there does not count there (for Equal Shares, the category's money is
shared among the voters who chose something in it).
"""

from __future__ import annotations

import hashlib
import hmac
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app import clock
from app.accountability import service as accountability
from app.accountability.models import Obligation, ObligationStatus
from app.audit import service as audit
from app.batch import GroupCommit
from app.communities import repository as communities_repo
from app.communities import service as communities
from app.communities.models import AuthorityKind, Community
from app.exceptions import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from app.identity import repository as identity_repo
from app.identity import service as identity_service
from app.identity.models import User
from app.notifications import service as notifications
from app.rules import calendar
from app.rules import service as rules_service
from app.rules.schema import Period
from app.settings import get_settings
from app.web.i18n import N_, gettext
from budget import pabulib, permissions, tally
from budget import repository as repo
from budget.models import (
    DATE_FIELDS,
    ON_BALLOT,
    BallotSource,
    BudgetBallot,
    BudgetCategory,
    BudgetCycle,
    BudgetImplementationUpdate,
    BudgetPhaseChange,
    BudgetProject,
    CycleCreate,
    ImplementationStatus,
    Phase,
    ProgressCreate,
    ProjectCreate,
    ProjectStatus,
    ReviewCreate,
)

# Dates that mark the start of their day; the others mark its end (the day is included).
START_FIELDS = frozenset({"submission_start", "voting_start", "results_at"})
UNNAMED_CATEGORY = N_("All projects")
# Field messages carry no parameters (the message of the error names the numbers).
COST_OUT_OF_RANGE = N_("The cost is outside the limits of the community's rules.")
COST_OVER_FUNDS = N_("The cost is more than the category's funds.")


# -- small helpers --------------------------------------------------------------------------

def to_moment(field_name: str, day: date) -> datetime:
    """A local calendar day as the instant its phase boundary falls (stored in UTC)."""
    if field_name in START_FIELDS:
        moment = datetime.combine(day, time.min, tzinfo=calendar.LOCAL_TZ)
    else:
        moment = calendar.end_of_local_day(day)
    return moment.astimezone(UTC)


def to_day(field_name: str, moment: datetime) -> date:
    """The local calendar day a stored boundary stands for (the inverse of to_moment)."""
    moment = clock.aware(moment)
    if field_name not in START_FIELDS:
        moment -= timedelta(microseconds=1)
    return calendar.local_date(moment)


def category_name(category: BudgetCategory) -> str:
    return category.name or gettext(UNNAMED_CATEGORY)


def cycle_path(cycle: BudgetCycle) -> str:
    return f"/budget/{cycle.id}"


def project_path(project: BudgetProject) -> str:
    return f"/budget/{project.cycle_id}/projects/{project.id}"


def phase_of(cycle: BudgetCycle, now: datetime | None = None) -> Phase:
    """The phase, read from the dates and the clock (publication starts implementation)."""
    now = now or clock.now()
    if cycle.results_published_at is not None:
        return Phase.implementation
    if now < clock.aware(cycle.submission_start):
        return Phase.upcoming
    if now < clock.aware(cycle.submission_end):
        return Phase.submission
    if now < clock.aware(cycle.voting_start):
        return Phase.review
    if now < clock.aware(cycle.voting_end):
        return Phase.voting
    return Phase.results


def votes_visible(cycle: BudgetCycle, now: datetime | None = None) -> bool:
    """Counts are hidden while voting is open, so early counts do not steer later voters."""
    return phase_of(cycle, now) in (Phase.results, Phase.implementation)


@dataclass(frozen=True)
class CycleRules:
    """The limits and methods a cycle runs by (from its frozen rule set, or its file)."""

    voting_method: str
    aggregation: str
    max_choices: int | None
    max_choices_per_category: bool
    cumulative_points: int | None
    min_vote_threshold: Fraction
    minimum_age: int
    project_cost_min: int
    project_cost_max: int
    review_deadline: Period
    implementation_deadline: Period
    ballot_points: bool = True  # do the stored points carry meaning for the tally

    @property
    def tally_vote_type(self) -> str:
        return "approval" if self.voting_method == "knapsack" else self.voting_method

    @property
    def uses_points(self) -> bool:
        return self.voting_method == "cumulative"


def rules_of(session: Session, cycle: BudgetCycle) -> CycleRules:
    budget = rules_service.version(session, cycle.ruleset_id).rules.budget
    if cycle.source == "pabulib":
        pb = (cycle.meta or {}).get("pabulib", {})
        try:
            aggregation = tally.normalise_rule(pb.get("rule") or "greedy")
        except tally.TallyError:
            aggregation = pb.get("rule") or "greedy"
        vote_type = pb.get("vote_type") or "approval"
        threshold = pb.get("min_project_score_threshold")
        max_length = pb.get("max_length")
        points = pb.get("max_sum_points")
        return CycleRules(
            voting_method=vote_type, aggregation=aggregation,
            max_choices=int(max_length) if max_length else None,
            max_choices_per_category=False,
            cumulative_points=int(Decimal(points)) if points else None,
            min_vote_threshold=Fraction(Decimal(threshold.replace(",", "."))) if threshold
            else Fraction(0),
            minimum_age=budget.minimum_age, project_cost_min=0,
            project_cost_max=max(cycle.total_funds, 1),
            review_deadline=budget.review_deadline,
            implementation_deadline=budget.implementation_deadline,
            ballot_points=bool((cycle.meta or {}).get("points")))
    return CycleRules(
        voting_method=budget.voting_method, aggregation=budget.aggregation,
        max_choices=budget.max_choices,
        max_choices_per_category=budget.max_choices_per_category,
        cumulative_points=budget.cumulative_points if budget.voting_method == "cumulative"
        else None,
        min_vote_threshold=Fraction(budget.min_vote_threshold),
        minimum_age=budget.minimum_age, project_cost_min=budget.project_cost_min,
        project_cost_max=budget.project_cost_max, review_deadline=budget.review_deadline,
        implementation_deadline=budget.implementation_deadline,
        ballot_points=budget.voting_method == "cumulative")


# -- loading --------------------------------------------------------------------------------

@dataclass
class CycleView:
    cycle: BudgetCycle
    community: Community
    authority: Any


def get_cycle(session: Session, cycle_id: int) -> BudgetCycle:
    cycle = repo.cycle(session, cycle_id)
    if cycle is None:
        raise NotFound(N_("There is no such budget cycle."))
    return cycle


def get_cycle_view(session: Session, cycle_id: int) -> CycleView:
    row = repo.cycle_row(session, cycle_id)
    if row is None:
        raise NotFound(N_("There is no such budget cycle."))
    return CycleView(*row)


def get_project(session: Session, cycle: BudgetCycle, project_id: int) -> BudgetProject:
    project = repo.project(session, project_id)
    if project is None or project.cycle_id != cycle.id:
        raise NotFound(N_("There is no such project in this cycle."))
    return project


def categories(session: Session, cycle: BudgetCycle) -> list[BudgetCategory]:
    return repo.categories(session, cycle.id)


def list_cycles(session: Session, community_id: int | None = None, offset: int = 0,
                limit: int = 50):
    return repo.cycles(session, community_id=community_id, offset=offset, limit=limit)


def manageable_communities(session: Session, user: User | None) -> list[Community]:
    """Communities in which this person may create a cycle."""
    if user is None:
        return []
    return [c for c in communities_repo.communities(session)
            if permissions.is_staff(session, user, c.id)]


# -- cycles ---------------------------------------------------------------------------------

def _check_order(moments: dict[str, datetime]) -> None:
    """submission_start < submission_end <= review_end <= voting_start < voting_end <=
    results_at, each broken pair named on the later field."""
    pairs = [("submission_start", "submission_end", False), ("submission_end", "review_end", True),
             ("review_end", "voting_start", True), ("voting_start", "voting_end", False),
             ("voting_end", "results_at", True)]
    for earlier, later, equal_ok in pairs:
        a, b = moments[earlier], moments[later]
        if b < a or (b == a and not equal_ok):
            raise InvalidInput(
                N_("The dates must follow each other: submission, review, voting, results."),
                fields={later: N_("This date must come after the previous one.")})


def create_cycle(session: Session, actor: User | None, data: CycleCreate) -> BudgetCycle:
    community = communities.get(session, data.community_id)
    permissions.check_create(session, actor, community.id)
    authorities = communities_repo.authorities(session, community.id)
    if data.authority_id is not None:
        authority = next((a for a in authorities if a.id == data.authority_id), None)
        if authority is None:
            raise InvalidInput(N_("Choose an authority of this community."),
                               fields={"authority_id": N_("Choose one of the offered options.")})
    else:
        authority = next((a for a in authorities if a.kind == AuthorityKind.council),
                         authorities[0] if authorities else None)
        if authority is None:
            raise Conflict(N_("This community has no authority to run a budget."))
    moments = {name: to_moment(name, getattr(data, name)) for name in DATE_FIELDS}
    _check_order(moments)
    if moments["submission_end"] <= clock.now():
        raise InvalidInput(N_("Submission must close in the future."),
                           fields={"submission_end": N_("This date has passed.")})
    names = [c.name.strip() for c in data.categories]
    if len({n.casefold() for n in names}) != len(names):
        raise InvalidInput(N_("Two categories have the same name."),
                           fields={"categories": N_("Two categories have the same name.")})
    if sum(c.funds for c in data.categories) > data.total_funds:
        raise InvalidInput(N_("The categories' funds add up to more than the total funds."),
                           fields={"categories": N_("The categories' funds add up to more than "
                                                    "the total funds.")})
    pools = [(n, c.funds) for n, c in zip(names, data.categories, strict=True)]
    return insert_cycle(session, actor, community.id, authority.id, data.title,
                        data.description, data.total_funds, moments, pools)


def insert_cycle(session: Session, actor: User | None, community_id: int, authority_id: int,
                 title: str, description: str, total_funds: int,
                 moments: dict[str, datetime], pools: list[tuple[str, int]]) -> BudgetCycle:
    """Store a checked cycle under the community's rules in force (also used by the seed)."""
    version = rules_service.current(session, community_id)
    cycle = BudgetCycle(community_id=community_id, authority_id=authority_id,
                        title=" ".join(title.split()), description=description.strip(),
                        total_funds=total_funds, ruleset_id=version.id,
                        created_by_id=actor.id if actor else None, **moments)
    repo.add(session, cycle)
    pools = pools or [("", total_funds)]
    for position, (name, funds) in enumerate(pools):
        repo.add(session, BudgetCategory(cycle_id=cycle.id, name=name, funds=funds,
                                         position=position))
    audit.append(session, "budget.cycle_created", "budget_cycle", cycle.id,
                 actor.id if actor else None, community_id=community_id,
                 total_funds=cycle.total_funds, ruleset_id=version.id,
                 categories=[{"name": n, "funds": f} for n, f in pools],
                 dates={k: v.isoformat() for k, v in moments.items()})
    return cycle


def move_date(session: Session, actor: User | None, cycle: BudgetCycle, field_name: str,
              day: date, reason: str) -> BudgetPhaseChange:
    """Move one date of a cycle. Only future dates move, and only into the future: what has
    happened (a phase that opened or closed) is never rewritten."""
    permissions.check_move_date(session, actor, cycle)
    if field_name not in DATE_FIELDS:
        raise InvalidInput(N_("Choose one of the offered options."),
                           fields={"field": N_("Choose one of the offered options.")})
    reason = " ".join((reason or "").split())
    if not 3 <= len(reason) <= 500:
        raise InvalidInput(N_("Say why the date moves (3 to 500 characters)."),
                           fields={"reason": N_("Say why the date moves (3 to 500 characters).")})
    cycle = repo.lock_cycle(session, cycle)
    now = clock.now()
    old = clock.aware(getattr(cycle, field_name))
    new = to_moment(field_name, day)
    if old <= now:
        raise Conflict(N_("This date has passed and can no longer be moved."))
    if new <= now:
        raise InvalidInput(N_("A date can be moved only into the future."),
                           fields={"value": N_("This date has passed.")})
    if new == old:
        raise InvalidInput(N_("This is already the date."), fields={"value": N_(
            "This is already the date.")})
    moments = {name: clock.aware(getattr(cycle, name)) for name in DATE_FIELDS}
    moments[field_name] = new
    try:
        _check_order(moments)
    except InvalidInput:
        raise InvalidInput(N_("The dates must follow each other: submission, review, voting, "
                              "results."),
                           fields={"value": N_("This date must fit between the dates before "
                                               "and after it.")}) from None
    setattr(cycle, field_name, new)
    session.add(cycle)
    change = repo.add(session, BudgetPhaseChange(
        cycle_id=cycle.id, field=field_name, old=old, new=new,
        actor_id=actor.id if actor else None, reason=reason, at=now))
    audit.append(session, "budget.date_moved", "budget_cycle", cycle.id,
                 actor.id if actor else None, field=field_name, old=old.isoformat(),
                 new=new.isoformat(), reason=reason)
    return change


def phase_changes(session: Session, cycle: BudgetCycle) -> list[BudgetPhaseChange]:
    return repo.phase_changes(session, cycle.id)


# -- projects -------------------------------------------------------------------------------

def _category_of(session: Session, cycle: BudgetCycle, category_id: int) -> BudgetCategory:
    category = next((c for c in repo.categories(session, cycle.id) if c.id == category_id), None)
    if category is None:
        raise InvalidInput(N_("Choose a category of this cycle."),
                           fields={"category_id": N_("Choose one of the offered options.")})
    return category


def _check_cost(rules: CycleRules, category: BudgetCategory, cost: int,
                field_name: str = "cost") -> None:
    if cost < rules.project_cost_min or cost > rules.project_cost_max:
        raise InvalidInput(N_("A project must cost from {min} to {max}."),
                           fields={field_name: COST_OUT_OF_RANGE},
                           min=rules.project_cost_min, max=rules.project_cost_max)
    if cost > category.funds:
        raise InvalidInput(N_("A project cannot cost more than its category's funds ({funds})."),
                           fields={field_name: COST_OVER_FUNDS}, funds=category.funds)


def submit_project(session: Session, user: User | None, cycle: BudgetCycle,
                   data: ProjectCreate) -> BudgetProject:
    permissions.check_submit(session, user, cycle, phase_of(cycle))
    rules = rules_of(session, cycle)
    category = _category_of(session, cycle, data.category_id)
    _check_cost(rules, category, data.cost)
    now = clock.now()
    project = repo.add(session, BudgetProject(
        cycle_id=cycle.id, category_id=category.id, author_id=user.id,
        title=" ".join(data.title.split()), description=data.description.strip(),
        location=data.location.strip(), cost=data.cost, created_at=now, updated_at=now))
    notifications.follow(session, user, repo.PROJECT_SUBJECT, project.id)
    audit.append(session, "budget.project_submitted", repo.PROJECT_SUBJECT, project.id,
                 user.id, cycle_id=cycle.id, category_id=category.id, cost=data.cost)
    return project


def edit_project(session: Session, user: User | None, cycle: BudgetCycle,
                 project: BudgetProject, data: ProjectCreate) -> BudgetProject:
    permissions.check_edit(session, user, cycle, project, phase_of(cycle))
    rules = rules_of(session, cycle)
    category = _category_of(session, cycle, data.category_id)
    _check_cost(rules, category, data.cost)
    project.category_id = category.id
    project.title = " ".join(data.title.split())
    project.description = data.description.strip()
    project.location = data.location.strip()
    project.cost = data.cost
    project.updated_at = clock.now()
    session.add(project)
    session.flush()
    audit.append(session, "budget.project_edited", repo.PROJECT_SUBJECT, project.id, user.id,
                 cycle_id=cycle.id, category_id=category.id, cost=data.cost)
    return project


def projects(session: Session, cycle: BudgetCycle, statuses: Iterable[str] | None = None
             ) -> list[BudgetProject]:
    return repo.projects(session, cycle.id, statuses)


def ballot_projects(session: Session, cycle: BudgetCycle) -> list[BudgetProject]:
    """The projects on the ballot: those reviewed as feasible (or, after publication, the
    ones that were)."""
    return repo.projects(session, cycle.id, ON_BALLOT)


# -- review ---------------------------------------------------------------------------------

def review_due(session: Session, cycle: BudgetCycle) -> datetime:
    rules = rules_of(session, cycle)
    return rules_service.deadline(session, cycle.community_id,
                                  clock.aware(cycle.submission_end), rules.review_deadline)


@dataclass
class ReviewState:
    """The review obligation as residents see it: computed on read from the dates even before
    the worker has recorded it, so it is overdue the instant it is late."""

    due_at: datetime | None
    status: ObligationStatus | None
    obligation: Obligation | None


def review_state(session: Session, cycle: BudgetCycle) -> ReviewState:
    if cycle.source != "hromada":
        return ReviewState(None, None, None)
    obligation = accountability.find(session, repo.REVIEW_KIND, repo.CYCLE_SUBJECT, cycle.id)
    if obligation is not None:
        return ReviewState(clock.aware(obligation.due_at), accountability.status_of(obligation),
                           obligation)
    if clock.now() < clock.aware(cycle.submission_end):
        return ReviewState(None, None, None)
    due = review_due(session, cycle)
    virtual = Obligation(kind=repo.REVIEW_KIND, community_id=cycle.community_id,
                         authority_id=cycle.authority_id, subject_type=repo.CYCLE_SUBJECT,
                         subject_id=cycle.id, subject_title=cycle.title,
                         subject_path=cycle_path(cycle), opened_at=cycle.submission_end,
                         due_at=due)
    return ReviewState(due, accountability.status_of(virtual), None)


def ensure_review_obligation(session: Session, cycle: BudgetCycle) -> Obligation | None:
    """Record the review obligation once submission has closed (idempotent, race-safe).

    It opens at the moment submission closed, whenever it is recorded; with no project to
    review it is closed at once.
    """
    if cycle.source != "hromada" or clock.now() < clock.aware(cycle.submission_end):
        return None
    existing = accountability.find(session, repo.REVIEW_KIND, repo.CYCLE_SUBJECT, cycle.id)
    if existing is not None:
        return existing
    rules = rules_of(session, cycle)
    opened = clock.aware(cycle.submission_end)
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
    if project.status not in (ProjectStatus.submitted, ProjectStatus.feasible,
                              ProjectStatus.unfeasible):
        raise Conflict(N_("This project can no longer be reviewed."))
    reason = (data.reason or "").strip()
    if not data.feasible and len(reason) < 10:
        message = N_("Explain publicly why the project is not feasible (at least 10 "
                     "characters).")
        raise InvalidInput(message, fields={"reason": message})
    if data.revised_cost is not None and data.feasible:
        category = _category_of(session, cycle, project.category_id)
        if data.revised_cost > category.funds:
            raise InvalidInput(
                N_("A project cannot cost more than its category's funds ({funds})."),
                fields={"revised_cost": COST_OVER_FUNDS}, funds=category.funds)
    obligation = ensure_review_obligation(session, cycle)
    now = clock.now()
    project.status = ProjectStatus.feasible if data.feasible else ProjectStatus.unfeasible
    project.review_reason = reason or None
    project.revised_cost = data.revised_cost if data.feasible else None
    project.reviewed_at = now
    project.reviewed_by_id = official.id
    project.updated_at = now
    session.add(project)
    session.flush()
    audit.append(session, "budget.project_reviewed", repo.PROJECT_SUBJECT, project.id,
                 official.id, cycle_id=cycle.id, feasible=data.feasible,
                 revised_cost=project.revised_cost, reason=project.review_reason)
    _notify_author_of_review(session, project)
    if (obligation is not None and obligation.answered_at is None
            and repo.unreviewed_count(session, cycle.id) == 0):
        accountability.answer(session, repo.REVIEW_KIND, repo.CYCLE_SUBJECT, cycle.id,
                              summary="every project reviewed", answered_at=now)
    return project


def _notify_author_of_review(session: Session, project: BudgetProject) -> None:
    if project.author_id is None:
        return
    author = identity_repo.user_by_id(session, project.author_id)
    if author is None:
        return
    link = f"{get_settings().base_url}{project_path(project)}"
    feasible = project.status == ProjectStatus.feasible

    def render() -> tuple[str, str]:
        if feasible:
            return (gettext("Your budget project was found feasible"),
                    gettext("Your project “{title}” was found feasible and goes to the vote."
                            "\n\n{reason}\n\n{link}").format(
                        title=project.title, reason=project.review_reason or "", link=link))
        return (gettext("Your budget project was found not feasible"),
                gettext("Your project “{title}” was found not feasible and will not be put "
                        "to the vote. The reason:\n\n{reason}\n\n{link}").format(
                    title=project.title, reason=project.review_reason or "", link=link))

    notifications.send_to(session, author,
                          f"budget-review:{project.id}:{clock.now().isoformat()}", render)


# -- ballots --------------------------------------------------------------------------------

@dataclass
class Problem:
    """A ballot error: a msgid and its parameters (translated where shown)."""

    message: str
    params: dict[str, Any] = field(default_factory=dict)

    def text(self) -> str:
        return gettext(self.message).format(**self.params)


@dataclass
class CategoryTotals:
    category: BudgetCategory
    name: str
    chosen: int = 0
    spent: int = 0
    points: int = 0
    choices_left: int | None = None

    @property
    def remaining(self) -> int:
        return self.category.funds - self.spent


@dataclass
class BallotCheck:
    """A ballot checked against the cycle's rules: what it chose, what it leaves, what is
    wrong. The same check serves the live summary (htmx preview) and the final cast."""

    choices: dict[int, int]
    problems: list[Problem]
    categories: list[CategoryTotals]
    chosen: int
    points_used: int
    max_choices: int | None
    points_total: int | None
    method: str

    @property
    def valid(self) -> bool:
        return not self.problems

    @property
    def choices_left(self) -> int | None:
        if self.max_choices is None:
            return None
        return max(self.max_choices - self.chosen, 0)

    @property
    def points_left(self) -> int | None:
        if self.points_total is None:
            return None
        return max(self.points_total - self.points_used, 0)


class BallotRejected(InvalidInput):
    """A ballot that breaks the rules; carries the whole check to re-render the ballot."""

    def __init__(self, check: BallotCheck):
        first = check.problems[0]
        super().__init__(first.message, **first.params)
        self.check = check


def normalise_choices(rules: CycleRules, projects: Iterable[int] | None,
                      points: dict[int, int] | None) -> tuple[dict[int, int], list[Problem]]:
    """Turn what a form or API sent into {project id: points}; a project given 0 points is
    not chosen."""
    problems: list[Problem] = []
    chosen: dict[int, int] = {}
    project_list = list(projects or [])
    if len(set(project_list)) != len(project_list):
        problems.append(Problem(N_("A project appears twice on the ballot.")))
    for project_id in project_list:
        chosen[project_id] = 1
    for project_id, value in (points or {}).items():
        if not rules.uses_points:
            if value not in (0, 1):
                problems.append(Problem(N_("This voting method takes no points: choose "
                                           "projects.")))
                break
            if value == 1:
                chosen[project_id] = 1
            continue
        if value < 0:
            problems.append(Problem(N_("Points must be whole numbers, zero or more.")))
            break
        if value > 0:
            chosen[project_id] = value
        else:
            chosen.pop(project_id, None)
    return chosen, problems


def check_ballot(rules: CycleRules, cats: list[BudgetCategory], on_ballot: list[BudgetProject],
                 choices: dict[int, int], problems: list[Problem] | None = None,
                 *, require_choice: bool = True) -> BallotCheck:
    """Validate a ballot on the server: projects on this ballot, at most k choices (overall or
    per category), within each category's funds (knapsack), within the points (cumulative)."""
    problems = list(problems or [])
    by_id = {p.id: p for p in on_ballot}
    totals = {c.id: CategoryTotals(c, category_name(c)) for c in cats}
    method = rules.voting_method
    for project_id, points in choices.items():
        project = by_id.get(project_id)
        if project is None:
            problems.append(Problem(N_("Project {project} is not on this ballot."),
                                    {"project": project_id}))
            continue
        t = totals[project.category_id]
        t.chosen += 1
        t.spent += project.effective_cost
        t.points += points
    chosen = sum(t.chosen for t in totals.values())
    points_used = sum(t.points for t in totals.values())
    if require_choice and not choices:
        problems.append(Problem(N_("Choose at least one project.")))
    k = rules.max_choices
    if k is not None:
        if rules.max_choices_per_category:
            for t in totals.values():
                t.choices_left = max(k - t.chosen, 0)
                if t.chosen > k:
                    problems.append(Problem(
                        N_("You may choose at most {max} projects in “{category}”."),
                        {"max": k, "category": t.name}))
        elif chosen > k:
            problems.append(Problem(N_("You may choose at most {max} projects."), {"max": k}))
    if method == "knapsack":
        for t in totals.values():
            if t.spent > t.category.funds:
                problems.append(Problem(
                    N_("The projects you chose in “{category}” cost {cost}, more than its "
                       "funds of {funds}."),
                    {"category": t.name, "cost": t.spent, "funds": t.category.funds}))
    points_total = rules.cumulative_points if rules.uses_points else None
    if points_total is not None and points_used > points_total:
        problems.append(Problem(N_("You may give at most {max} points in total; you gave "
                                   "{used}."), {"max": points_total, "used": points_used}))
    return BallotCheck(choices=choices, problems=problems, categories=list(totals.values()),
                       chosen=chosen, points_used=points_used,
                       max_choices=None if rules.max_choices_per_category else k,
                       points_total=points_total, method=method)


def preview_ballot(session: Session, cycle: BudgetCycle, projects_in: Iterable[int] | None,
                   points_in: dict[int, int] | None) -> BallotCheck:
    """The live summary of a ballot being filled in (nothing is written)."""
    rules = rules_of(session, cycle)
    choices, problems = normalise_choices(rules, projects_in, points_in)
    return check_ballot(rules, repo.categories(session, cycle.id),
                        ballot_projects(session, cycle), choices, problems,
                        require_choice=False)


def _valid_ballot(session: Session, cycle: BudgetCycle, rules: CycleRules,
                  projects_in: Iterable[int] | None, points_in: dict[int, int] | None
                  ) -> dict[int, int]:
    choices, problems = normalise_choices(rules, projects_in, points_in)
    result = check_ballot(rules, repo.categories(session, cycle.id),
                          ballot_projects(session, cycle), choices, problems)
    if not result.valid:
        raise BallotRejected(result)
    return result.choices


Deltas = dict[int, tuple[int, int]]  # project id -> (votes, points) a ballot moves


def _write_choices(session: Session, ballot: BudgetBallot, old: dict[int, int],
                   new: dict[int, int]) -> Deltas:
    """Replace a ballot's choices; returns how the projects' counters must move."""
    removed = old.keys() - new.keys()
    added = new.keys() - old.keys()
    changed = {p for p in old.keys() & new.keys() if old[p] != new[p]}
    repo.remove_choices(session, ballot.id, removed)
    for project_id in changed:
        repo.set_choice_points(session, ballot.id, project_id, new[project_id])
    repo.add_choices(session, [{"ballot_id": ballot.id, "project_id": p, "points": new[p],
                                "rank": None} for p in sorted(added)])
    return {project_id: (1 if project_id in added else -1 if project_id in removed else 0,
                         new.get(project_id, 0) - old.get(project_id, 0))
            for project_id in removed | added | changed}


def _bump_projects(session: Session, deltas: Deltas) -> None:
    """Move the projects' counters, in project-id order (a fixed lock order, so concurrent
    ballots cannot deadlock)."""
    for project_id in sorted(deltas):
        votes, points = deltas[project_id]
        if votes or points:
            repo.bump_project(session, project_id, votes, points)


def add_ballot(session: Session, cycle: BudgetCycle, voter: User | None,
               choices: dict[int, int], *, source: str = BallotSource.online,
               recorded_by: User | None = None, identity: str | None = None) -> BudgetBallot:
    """Store a new, checked ballot with its counters (no phase or eligibility check: callers
    do that; the seed uses it for past cycles). A second ballot of the same voter is refused
    by the unique constraints."""
    now = clock.now()
    ballot = BudgetBallot(cycle_id=cycle.id, voter_user_id=voter.id if voter else None,
                          paper_identity_hash=identity, source=source,
                          recorded_by_id=recorded_by.id if recorded_by else None,
                          created_at=now, updated_at=now)
    if not repo.try_insert_ballot(session, ballot):
        raise Conflict(N_("This voter has already voted in this cycle (online or on paper)."))
    _bump_projects(session, _write_choices(session, ballot, {}, choices))
    repo.bump_ballot_count(session, cycle, 1)
    return ballot


def my_ballot(session: Session, user: User | None, cycle: BudgetCycle
              ) -> tuple[BudgetBallot | None, dict[int, int]]:
    if user is None:
        return None, {}
    ballot = repo.ballot_of_user(session, cycle.id, user.id)
    if ballot is None:
        return None, {}
    return ballot, repo.choices(session, ballot.id)


@dataclass(frozen=True)
class _Casting:
    """One online ballot, checked by its request and waiting for the group commit."""

    cycle_id: int
    user_id: int
    choices: tuple[tuple[int, int], ...]  # (project id, points)
    at: datetime


def cast_ballot(session: Session, user: User | None, cycle: BudgetCycle,
                projects_in: Iterable[int] | None = None,
                points_in: dict[int, int] | None = None) -> BudgetBallot:
    """Cast or change the voter's one ballot. Eligibility, the phase and the ballot itself are
    checked here (reads only); the write joins the group commit of ballots."""
    rules = rules_of(session, cycle)
    permissions.check_vote(session, user, cycle, phase_of(cycle), rules.minimum_age)
    choices = _valid_ballot(session, cycle, rules, projects_in, points_in)
    BALLOTS.submit(session, _Casting(cycle.id, user.id, tuple(sorted(choices.items())),
                                     clock.now()))
    ballot = repo.ballot_of_user(session, cycle.id, user.id)
    if ballot is None:  # pragma: no cover - committed before the answer
        raise Conflict(N_("Your ballot could not be saved. Please try again."))
    return ballot


def _write_ballots(session: Session, batch: Iterable[_Casting]) -> list:
    """Write a batch of ballots: each ballot and its choices in a savepoint of its own, then
    each project's and each cycle's counter moved once for the whole batch. Outcome per item:
    the ballot id, or the DomainError it is refused with."""
    outcomes: list = []
    deltas: dict[int, tuple[int, int]] = {}
    new_ballots: dict[int, int] = defaultdict(int)
    voting: dict[int, BudgetCycle | None] = {}
    for item in batch:
        if item.cycle_id not in voting:  # re-read: an official may have closed the vote
            cycle = repo.cycle(session, item.cycle_id)
            voting[item.cycle_id] = cycle if cycle is not None and phase_of(
                cycle, item.at) == Phase.voting else None
        cycle = voting[item.cycle_id]
        if cycle is None:
            outcomes.append(Conflict(N_("Voting is not open.")))
            continue
        try:
            with session.begin_nested():
                ballot, created, moved = _store_ballot(session, item)
        except DomainError as exc:
            outcomes.append(exc)
            continue
        for project_id, (votes, points) in moved.items():
            before = deltas.get(project_id, (0, 0))
            deltas[project_id] = (before[0] + votes, before[1] + points)
        new_ballots[item.cycle_id] += created
        outcomes.append(ballot.id)
    _bump_projects(session, deltas)
    for cycle_id in sorted(new_ballots):
        if new_ballots[cycle_id]:
            repo.bump_ballot_count(session, voting[cycle_id], new_ballots[cycle_id])
    return outcomes


def _store_ballot(session: Session, item: _Casting) -> tuple[BudgetBallot, bool, Deltas]:
    """Insert or change one voter's ballot. One ballot per resident per cycle is a unique
    constraint; when two requests race, the loser finds the winner's ballot and changes it."""
    ballot = repo.ballot_of_user(session, item.cycle_id, item.user_id, lock=True)
    created = False
    if ballot is None:
        fresh = BudgetBallot(cycle_id=item.cycle_id, voter_user_id=item.user_id,
                             source=BallotSource.online, created_at=item.at,
                             updated_at=item.at)
        if repo.try_insert_ballot(session, fresh):
            ballot, created = fresh, True
        else:
            ballot = repo.ballot_of_user(session, item.cycle_id, item.user_id, lock=True)
            if ballot is None:  # pragma: no cover - the constraint said it exists
                raise Conflict(N_("Your ballot could not be saved. Please try again."))
    if ballot.source != BallotSource.online:
        raise Conflict(N_("Your paper ballot from a service centre is already counted; it "
                          "cannot be changed online."))
    old = {} if created else repo.choices(session, ballot.id)
    moved = _write_choices(session, ballot, old, dict(item.choices))
    if not created:
        repo.touch_ballot(session, ballot, item.at)
    audit.append(session, "budget.ballot_cast" if created else "budget.ballot_changed",
                 "budget_cycle", item.cycle_id, item.user_id, ballot_id=ballot.id,
                 source="online")
    return ballot, created, moved


BALLOTS = GroupCommit("budget-ballots", _write_ballots)


def identity_hash(document: str) -> str:
    """A keyed hash of an identity document number (normalised), never the number itself."""
    normal = "".join(ch for ch in document.upper() if ch.isalnum())
    key = (get_settings().secret_key + ":budget-paper").encode()
    return hmac.new(key, normal.encode(), hashlib.sha256).hexdigest()


def record_paper_ballot(session: Session, official: User | None, cycle: BudgetCycle, *,
                        projects_in: Iterable[int] | None = None,
                        points_in: dict[int, int] | None = None,
                        voter_email: str | None = None, identity_document: str | None = None,
                        birth_date: date | None = None) -> BudgetBallot:
    """A paper ballot from a service centre. A voter with an account is named by e-mail (and
    then counted against their online ballot: a second ballot is refused); one without is
    named by a keyed hash of their document number, after the official checked their age."""
    permissions.check_paper(session, official, cycle, phase_of(cycle))
    rules = rules_of(session, cycle)
    voter: User | None = None
    digest: str | None = None
    email = (voter_email or "").strip()
    document = (identity_document or "").strip()
    if email:
        voter = identity_repo.user_by_canonical_email(
            session, identity_service.canonical_email(email))
        if voter is None:
            message = N_("No account has this e-mail address. Leave it empty and enter the "
                         "identity document instead.")
            raise InvalidInput(message, fields={"voter_email": message})
        problem = permissions.voter_problem(session, voter, cycle.community_id,
                                            rules.minimum_age)
        if problem is not None:
            raise Forbidden(problem, age=rules.minimum_age)
    elif len("".join(ch for ch in document if ch.isalnum())) >= 4:
        if birth_date is None:
            message = N_("Enter the voter's date of birth.")
            raise InvalidInput(message, fields={"birth_date": message})
        from app.communities.permissions import age_on

        if age_on(birth_date, clock.today()) < rules.minimum_age:
            raise Forbidden(N_("Voting in the budget is open from the age of {age}."),
                            age=rules.minimum_age)
        digest = identity_hash(document)
    else:
        message = N_("Name the voter: their e-mail address, or their identity document.")
        raise InvalidInput(message, fields={"identity_document": message})
    choices = _valid_ballot(session, cycle, rules, projects_in, points_in)
    existing = (repo.ballot_of_user(session, cycle.id, voter.id) if voter is not None
                else repo.ballot_of_identity(session, cycle.id, digest))
    if existing is not None:
        raise Conflict(N_("This voter has already voted in this cycle (online or on paper)."))
    ballot = add_ballot(session, cycle, voter, choices, source=BallotSource.paper,
                        recorded_by=official, identity=digest)
    audit.append(session, "budget.paper_ballot_recorded", "budget_cycle", cycle.id,
                 official.id, ballot_id=ballot.id, source="paper",
                 registered_voter=voter is not None)
    return ballot


# -- results --------------------------------------------------------------------------------

@dataclass
class ProjectResult:
    project: BudgetProject
    votes: int
    score: Fraction
    selected: bool
    greedy_selected: bool | None = None


@dataclass
class CategoryResult:
    category: BudgetCategory
    name: str
    projects: list[ProjectResult]
    spent: int
    greedy_spent: int | None = None

    @property
    def winners(self) -> list[ProjectResult]:
        return [r for r in self.projects if r.selected]

    @property
    def remaining(self) -> int:
        return self.category.funds - self.spent

    @property
    def differs_from_greedy(self) -> bool:
        return any(r.greedy_selected is not None and r.greedy_selected != r.selected
                   for r in self.projects)


@dataclass
class Results:
    cycle: BudgetCycle
    rules: CycleRules
    categories: list[CategoryResult]
    published: bool
    ballot_count: int

    @property
    def compares_with_greedy(self) -> bool:
        return self.rules.aggregation == "equal-shares"

    def winner_ids(self) -> list[int]:
        return [r.project.id for c in self.categories for r in c.winners]


def _category_budget(cycle: BudgetCycle, category: BudgetCategory, single: bool) -> Fraction:
    """The money of a category. An imported election keeps its exact (maybe fractional)
    budget from its file."""
    if cycle.source == "pabulib" and single:
        raw = (cycle.meta or {}).get("pabulib", {}).get("budget")
        if raw:
            return Fraction(Decimal(raw.replace(",", ".")))
    return Fraction(category.funds)


def elections(session: Session, cycle: BudgetCycle, rules: CycleRules | None = None
              ) -> list[tuple[BudgetCategory, list[BudgetProject], tally.Election]]:
    """Per category, the election the tally counts, built from the database rows."""
    rules = rules or rules_of(session, cycle)
    cats = repo.categories(session, cycle.id)
    on_ballot = ballot_projects(session, cycle)
    by_category: dict[int, list[BudgetProject]] = defaultdict(list)
    for project in on_ballot:
        by_category[project.category_id].append(project)
    category_of = {p.id: p.category_id for p in on_ballot}
    # ballot id -> category id -> [(rank, project id, points)]
    per_ballot: dict[int, dict[int, list[tuple[int, int, int]]]] = defaultdict(
        lambda: defaultdict(list))
    for ballot_id, project_id, points, rank in repo.cycle_choices(session, cycle.id):
        if project_id in category_of:
            per_ballot[ballot_id][category_of[project_id]].append(
                (rank if rank is not None else 0, project_id, points))
    with_points = rules.tally_vote_type in ("cumulative", "scoring") or (
        rules.tally_vote_type == "ordinal" and rules.ballot_points)
    vote_type = rules.tally_vote_type if rules.tally_vote_type in tally.VOTE_TYPES \
        else "approval"
    out = []
    for category in cats:
        members = sorted(by_category.get(category.id, []), key=lambda p: p.id)
        ballots = []
        for ballot_id in sorted(per_ballot):
            chosen = per_ballot[ballot_id].get(category.id)
            if not chosen:
                continue
            chosen.sort()
            ballots.append(tally.Ballot(
                tuple(str(c[1]) for c in chosen),
                tuple(Fraction(c[2]) for c in chosen) if with_points else None))
        threshold = rules.min_vote_threshold if rules.aggregation == "greedy-threshold" \
            else None
        election = tally.Election(
            budget=_category_budget(cycle, category, len(cats) == 1),
            projects=tuple(tally.Candidate(str(p.id), Fraction(p.effective_cost))
                           for p in members),
            ballots=tuple(ballots), vote_type=vote_type, rule=rules.aggregation,
            min_project_score=threshold, max_length=rules.max_choices)
        out.append((category, members, election))
    return out


def compute_results(session: Session, cycle: BudgetCycle) -> Results:
    """Count the cycle by its rule, per category, from the ballots in the database."""
    rules = rules_of(session, cycle)
    result_categories = []
    for category, members, election in elections(session, cycle, rules):
        outcome = tally.tally(election, rules.aggregation)
        winners = set(outcome.selected)
        greedy = None
        if outcome.rule == "equal-shares":
            greedy = set(tally.tally(election, "greedy").selected)
        rows = [ProjectResult(project=p, votes=p.vote_count,
                              score=outcome.scores.get(str(p.id), Fraction(0)),
                              selected=str(p.id) in winners,
                              greedy_selected=None if greedy is None else str(p.id) in greedy)
                for p in members]
        rows.sort(key=lambda r: (not r.selected, -r.score, r.project.effective_cost,
                                 r.project.id))
        spent = sum(r.project.effective_cost for r in rows if r.selected)
        greedy_spent = None if greedy is None else sum(
            r.project.effective_cost for r in rows if r.greedy_selected)
        result_categories.append(CategoryResult(category, category_name(category), rows, spent,
                                                greedy_spent))
    return Results(cycle, rules, result_categories, cycle.results_published_at is not None,
                   cycle.ballot_count)


def _snapshot(results: Results) -> dict:
    return {"rule": results.rules.aggregation, "voting_method": results.rules.voting_method,
            "categories": [{
                "id": c.category.id,
                "winners": [r.project.id for r in c.projects if r.selected],
                "greedy": None if c.greedy_spent is None else [
                    r.project.id for r in c.projects if r.greedy_selected],
                "scores": {str(r.project.id): str(r.score) for r in c.projects},
            } for c in results.categories]}


def stored_results(session: Session, cycle: BudgetCycle) -> Results:
    """Published results from what publication recorded and the counters: no recount."""
    rules = rules_of(session, cycle)
    snapshot = cycle.results or {"categories": []}
    by_cat = {c["id"]: c for c in snapshot.get("categories", [])}
    on_ballot = ballot_projects(session, cycle)
    result_categories = []
    for category in repo.categories(session, cycle.id):
        snap = by_cat.get(category.id, {})
        scores = snap.get("scores", {})
        greedy = snap.get("greedy")
        rows = [ProjectResult(project=p, votes=p.vote_count,
                              score=Fraction(scores.get(str(p.id), p.score)),
                              selected=p.status == ProjectStatus.selected,
                              greedy_selected=None if greedy is None else p.id in greedy)
                for p in on_ballot if p.category_id == category.id]
        rows.sort(key=lambda r: (not r.selected, -r.score, r.project.effective_cost,
                                 r.project.id))
        spent = sum(r.project.effective_cost for r in rows if r.selected)
        greedy_spent = None if greedy is None else sum(
            r.project.effective_cost for r in rows if r.greedy_selected)
        result_categories.append(CategoryResult(category, category_name(category), rows, spent,
                                                greedy_spent))
    return Results(cycle, rules, result_categories, True, cycle.ballot_count)


def results_for_display(session: Session, cycle: BudgetCycle) -> Results | None:
    """Published results, or the provisional count once voting has ended; None before."""
    if cycle.results_published_at is not None:
        return stored_results(session, cycle)
    if phase_of(cycle) == Phase.results:
        return compute_results(session, cycle)
    return None


def publish_results(session: Session, official: User | None, cycle: BudgetCycle) -> Results:
    """Publish the count: winners are selected, the rest not; one implementation obligation
    opens per winner; authors and followers are told."""
    permissions.check_publish(session, official, cycle, phase_of(cycle))
    results = compute_results(session, cycle)
    now = clock.now()
    if not repo.mark_published(session, cycle, now):
        raise Conflict(N_("The results are already published."))
    cycle.results = _snapshot(results)
    session.add(cycle)
    winners = results.winner_ids()
    others = [r.project.id for c in results.categories for r in c.projects if not r.selected]
    repo.set_results(session, cycle.id, winners, others)
    rules = results.rules
    for c in results.categories:
        for r in c.winners:
            accountability.open_obligation(
                session, kind=repo.IMPLEMENTATION_KIND, community_id=cycle.community_id,
                authority_id=cycle.authority_id, subject_type=repo.PROJECT_SUBJECT,
                subject_id=r.project.id, subject_title=r.project.title,
                subject_path=project_path(r.project), period=rules.implementation_deadline,
                ruleset_id=cycle.ruleset_id, opened_at=now)
    session.flush()
    for c in results.categories:
        for r in c.projects:
            r.selected = r.project.status == ProjectStatus.selected
            _notify_result(session, r.project)
    audit.append(session, "budget.results_published", "budget_cycle", cycle.id, official.id,
                 rule=rules.aggregation, ballots=cycle.ballot_count, winners=winners)
    results.published = True
    return results


def _notify_result(session: Session, project: BudgetProject) -> None:
    link = f"{get_settings().base_url}{project_path(project)}"
    selected = project.status == ProjectStatus.selected

    def render() -> tuple[str, str]:
        if selected:
            return (gettext("A budget project you follow will be funded"),
                    gettext("“{title}” won the vote and will be funded. Follow its "
                            "implementation:\n\n{link}").format(title=project.title,
                                                                 link=link))
        return (gettext("Budget results: a project you follow was not selected"),
                gettext("“{title}” was not selected for funding this time.\n\n{link}").format(
                    title=project.title, link=link))

    notifications.notify_followers(session, repo.PROJECT_SUBJECT, project.id,
                                   f"budget-result:{project.id}", render)


# -- implementation -------------------------------------------------------------------------

def post_progress(session: Session, official: User | None, cycle: BudgetCycle,
                  project: BudgetProject, data: ProgressCreate) -> BudgetImplementationUpdate:
    permissions.check_progress(session, official, cycle, project)
    today = clock.today()
    happened = data.happened_on or today
    if happened > today:
        message = N_("The date cannot be in the future.")
        raise InvalidInput(message, fields={"happened_on": message})
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
        obligation = accountability.find(session, repo.IMPLEMENTATION_KIND,
                                         repo.PROJECT_SUBJECT, project.id)
        if obligation is not None and obligation.answered_at is None:
            accountability.answer(session, repo.IMPLEMENTATION_KIND, repo.PROJECT_SUBJECT,
                                  project.id, summary=data.text.strip()[:500])
    audit.append(session, "budget.implementation_update", repo.PROJECT_SUBJECT, project.id,
                 official.id, status=str(data.status), percent=percent,
                 happened_on=happened.isoformat())
    link = f"{get_settings().base_url}{project_path(project)}"

    def render() -> tuple[str, str]:
        from budget.models import IMPLEMENTATION_LABELS

        return (gettext("News on a budget project you follow"),
                gettext("“{title}”: {status}, progress {percent}%.\n\n{text}\n\n{link}").format(
                    title=project.title, status=gettext(IMPLEMENTATION_LABELS[data.status]),
                    percent=percent, text=update.text, link=link))

    notifications.notify_followers(session, repo.PROJECT_SUBJECT, project.id,
                                   f"budget-progress:{update.id}", render,
                                   exclude_user_id=official.id)
    return update


def updates(session: Session, project: BudgetProject) -> list[BudgetImplementationUpdate]:
    return repo.updates(session, project.id)


def obligation_status(obligation: Obligation | None) -> ObligationStatus | None:
    return accountability.status_of(obligation) if obligation is not None else None


def author_of(session: Session, project: BudgetProject) -> User | None:
    if project.author_id is None:
        return None
    return identity_repo.user_by_id(session, project.author_id)


def implementation_obligation(session: Session, project: BudgetProject) -> Obligation | None:
    return accountability.find(session, repo.IMPLEMENTATION_KIND, repo.PROJECT_SUBJECT,
                               project.id)


def follow(session: Session, user: User | None, project: BudgetProject, on: bool) -> None:
    permissions.check_follow(user)
    if on:
        notifications.follow(session, user, repo.PROJECT_SUBJECT, project.id)
    else:
        notifications.unfollow(session, user, repo.PROJECT_SUBJECT, project.id)


def is_following(session: Session, user: User | None, project: BudgetProject) -> bool:
    return notifications.is_following(session, user, repo.PROJECT_SUBJECT, project.id)


# -- anonymous exports ----------------------------------------------------------------------

def anonymous_order(ballots: Iterable[int]) -> list[int]:
    """Ballot ids in an order that reveals nothing of when (or by whom) they were cast: sorted
    by a keyed hash. Position n in an export is voter n."""
    key = (get_settings().secret_key + ":budget-export").encode()
    return sorted(ballots, key=lambda b: hmac.new(key, str(b).encode(), hashlib.sha256)
                  .hexdigest())


def check_export(cycle: BudgetCycle) -> None:
    """Ballots are published only once voting has ended."""
    if not votes_visible(cycle):
        raise Conflict(N_("Ballots and results are published once voting has ended."))


def anonymous_ballots(session: Session, cycle: BudgetCycle
                      ) -> list[tuple[int, str, list[tuple[int, int, int | None]]]]:
    """(voter number, source, [(project id, points, rank)]) for every ballot, anonymous."""
    check_export(cycle)
    sources = {b.id: b.source for b in repo.ballots(session, cycle.id)}
    grouped: dict[int, list[tuple[int, int, int | None]]] = defaultdict(list)
    for ballot_id, project_id, points, rank in repo.cycle_choices(session, cycle.id):
        grouped[ballot_id].append((project_id, points, rank))
    return [(n, sources[b], grouped.get(b, []))
            for n, b in enumerate(anonymous_order(sources), start=1)]


# -- Pabulib --------------------------------------------------------------------------------

def _pabulib_day(value: str | None) -> date | None:
    if not value:
        return None
    for fmt in ("%d.%m.%Y", "%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(value.strip(), fmt).date()
        except ValueError:
            continue
    return None


def _whole(value: Decimal, message: str, **params: Any) -> int:
    if value != value.to_integral_value():
        raise InvalidInput(message, **params)
    return int(value)


def import_pabulib(session: Session, instance: pabulib.Instance, community: Community, *,
                   actor: User | None = None, name: str = "") -> BudgetCycle:
    """Load a real election as a historical cycle of `community`: its projects (one pool with
    the file's budget), its votes as anonymous ballots, and its official result (the
    `selected` column) as published results. Nothing of the voters but their choices is kept.
    """
    meta = dict(instance.meta)
    rule = meta.get("rule")
    # Only voting is known: the other dates of an imported cycle are placeholders before it,
    # and the pages show only the voting dates.
    if rule:
        try:
            tally.normalise_rule(rule)
        except tally.TallyError:
            raise InvalidInput(N_("The file's rule {rule} is not one Hromada can count."),
                               rule=rule) from None
    version = rules_service.current(session, community.id)
    authorities = communities_repo.authorities(session, community.id)
    authority = next((a for a in authorities if a.kind == AuthorityKind.council),
                     authorities[0] if authorities else None)
    if authority is None:
        raise Conflict(N_("This community has no authority to run a budget."))
    costs = {p.project_id: _whole(p.cost, N_("Project {project} costs {cost}: only whole "
                                              "amounts are supported."),
                                  project=p.project_id, cost=p.cost)
             for p in instance.projects}
    for p in instance.projects:
        if len(p.project_id) > 64:
            raise InvalidInput(N_("Project id {project} is longer than 64 characters."),
                               project=p.project_id[:70])
    has_points = "points" in instance.vote_columns
    votes: list[list[tuple[str, int]]] = []
    for vote in instance.votes:
        row = []
        for position, project_id in enumerate(vote.projects):
            points = 1
            if vote.points is not None:
                points = _whole(vote.points[position], N_("Voter {voter} gives {points} points: "
                                                          "only whole points are supported."),
                                voter=vote.voter_id, points=vote.points[position])
            row.append((project_id, points))
        votes.append(row)
    now = clock.now()
    end_day = _pabulib_day(meta.get("date_end"))
    begin_day = _pabulib_day(meta.get("date_begin"))
    voting_end = to_moment("voting_end", end_day) if end_day else now
    voting_start = to_moment("voting_start", begin_day) if begin_day and \
        to_moment("voting_start", begin_day) < voting_end else voting_end - timedelta(days=14)
    title = meta.get("description") or " ".join(
        x for x in (meta.get("unit"), meta.get("subunit"), meta.get("instance")) if x) or name
    budget = instance.budget
    cycle = repo.add(session, BudgetCycle(
        community_id=community.id, authority_id=authority.id,
        title=(title or "Pabulib")[:200],
        description=meta.get("comment", ""), total_funds=int(budget),
        currency=(meta.get("currency") or "")[:8], ruleset_id=version.id, source="pabulib",
        meta={"pabulib": meta, "points": has_points, "file": name[:200]},
        submission_start=voting_start - timedelta(days=60),
        submission_end=voting_start - timedelta(days=30),
        review_end=voting_start - timedelta(days=1), voting_start=voting_start,
        voting_end=voting_end, results_at=voting_end,
        # Published as voting closed: on the file's last day, not at the midnight after it.
        results_published_at=voting_end - timedelta(seconds=1),
        ballot_count=len(votes), created_by_id=actor.id if actor else None, created_at=now))
    category = repo.add(session, BudgetCategory(
        cycle_id=cycle.id, name=(meta.get("subunit") or meta.get("district") or "")[:120],
        funds=int(budget)))
    counts: dict[str, list[int]] = {p.project_id: [0, 0] for p in instance.projects}
    for row in votes:
        for project_id, points in row:
            counts[project_id][0] += 1
            counts[project_id][1] += points
    has_selected = any(p.selected is not None for p in instance.projects)
    ids: dict[str, int] = {}
    for p in instance.projects:
        status = ProjectStatus.feasible
        if has_selected:
            status = ProjectStatus.selected if p.selected in (1, 2) else \
                ProjectStatus.not_selected
        project = repo.add(session, BudgetProject(
            cycle_id=cycle.id, category_id=category.id, external_id=p.project_id,
            title=(p.name or p.project_id)[:300],
            description=p.extra.get("description", ""), cost=costs[p.project_id],
            status=status, vote_count=counts[p.project_id][0],
            score=counts[p.project_id][1], created_at=now, updated_at=now))
        ids[p.project_id] = project.id
    ballot_ids = repo.bulk_ballots(session, cycle.id, len(votes), BallotSource.imported,
                                   voting_end)
    repo.add_choices(session, [
        {"ballot_id": ballot_id, "project_id": ids[project_id], "points": points,
         "rank": position}
        for ballot_id, row in zip(ballot_ids, votes, strict=True)
        for position, (project_id, points) in enumerate(row, start=1)])
    session.flush()
    try:
        results = compute_results(session, cycle)
    except tally.TallyError:
        results = None
    if results is not None:
        cycle.results = _snapshot(results)
        if not has_selected:
            repo.set_results(session, cycle.id, results.winner_ids(),
                             [r.project.id for c in results.categories for r in c.projects
                              if not r.selected])
        session.add(cycle)
        session.flush()
    audit.append(session, "budget.pabulib_imported", "budget_cycle", cycle.id,
                 actor.id if actor else None, file=name[:200], projects=len(ids),
                 ballots=len(votes), rule=rule, vote_type=instance.vote_type)
    return cycle


def _pb_date(field_name: str, moment: datetime) -> str:
    return to_day(field_name, moment).strftime("%d.%m.%Y")


PABULIB_RULE_NAMES = {"equal-shares": "equalshares/add1"}


def export_pabulib(session: Session, cycle: BudgetCycle, category_id: int | None = None) -> str:
    """The cycle as a Pabulib file (one category, or the whole cycle), with anonymous votes."""
    check_export(cycle)
    rules = rules_of(session, cycle)
    cats = repo.categories(session, cycle.id)
    if category_id is not None:
        cats = [c for c in cats if c.id == category_id]
        if not cats:
            raise NotFound(N_("There is no such category in this cycle."))
    names = {c.id: c.name for c in cats}
    members = [p for p in ballot_projects(session, cycle) if p.category_id in names]
    published = cycle.results_published_at is not None
    imported = cycle.source == "pabulib"
    with_points = rules.uses_points or (imported and bool((cycle.meta or {}).get("points")))
    scored = rules.voting_method in ("cumulative", "scoring", "ordinal")
    pb_id = {p.id: p.external_id or str(p.id) for p in members}
    show_category = category_id is None and len(cats) > 1
    projects_out = [pabulib.Project(
        project_id=pb_id[p.id], cost=Decimal(p.effective_cost), name=p.title,
        categories=(names[p.category_id],) if show_category and names[p.category_id] else (),
        votes=p.vote_count, score=Decimal(p.score) if scored else None,
        selected=(1 if p.status == ProjectStatus.selected else 0) if published else None)
        for p in members]
    votes_out = []
    for number, _source, chosen in anonymous_ballots(session, cycle):
        mine = [c for c in chosen if c[0] in pb_id]
        if not mine:
            continue
        mine.sort(key=lambda c: (c[2] if c[2] is not None else 0, c[0]))
        votes_out.append(pabulib.Vote(
            voter_id=str(number), projects=tuple(pb_id[c[0]] for c in mine),
            points=tuple(Decimal(c[1]) for c in mine) if with_points else None))
    if imported:
        meta = dict((cycle.meta or {}).get("pabulib", {}))
    else:
        community = communities.get(session, cycle.community_id)
        funds = cats[0].funds if category_id is not None else cycle.total_funds
        meta = {"description": cycle.title, "country": "Ukraine", "unit": community.name,
                "instance": str(to_day("voting_end", cycle.voting_end).year),
                "budget": str(funds),
                "vote_type": "approval" if rules.voting_method == "knapsack"
                else rules.voting_method,
                "rule": PABULIB_RULE_NAMES.get(rules.aggregation, rules.aggregation),
                "date_begin": _pb_date("voting_start", cycle.voting_start),
                "date_end": _pb_date("voting_end", cycle.voting_end), "language": "uk",
                "currency": cycle.currency, "min_length": "1"}
        if category_id is not None and cats[0].name:
            meta["subunit"] = cats[0].name
        if rules.max_choices is not None and not rules.max_choices_per_category:
            meta["max_length"] = str(rules.max_choices)
        if rules.voting_method == "knapsack":
            meta["max_sum_cost"] = str(funds)
        if rules.uses_points and rules.cumulative_points is not None:
            meta["max_sum_points"] = str(rules.cumulative_points)
        if rules.aggregation == "greedy-threshold":
            meta["min_project_score_threshold"] = str(rules.min_vote_threshold)
    meta["num_projects"] = str(len(projects_out))
    meta["num_votes"] = str(len(votes_out))
    return pabulib.dump(pabulib.Instance.create(meta, projects_out, votes_out))


# -- personal data --------------------------------------------------------------------------

def personal_data(session: Session, user: User) -> dict[str, Any]:
    """Everything the budget module holds about a person (for the personal data download)."""
    def iso(value: datetime | None) -> str | None:
        value = clock.aware(value)
        return value.isoformat() if value else None

    ballots = []
    for ballot in repo.ballots_of_user(session, user.id):
        ballots.append({"cycle_id": ballot.cycle_id, "source": ballot.source,
                        "choices": repo.choices(session, ballot.id),
                        "created_at": iso(ballot.created_at),
                        "updated_at": iso(ballot.updated_at)})
    return {
        "projects": [{"id": p.id, "cycle_id": p.cycle_id, "title": p.title,
                      "description": p.description, "location": p.location, "cost": p.cost,
                      "status": p.status, "created_at": iso(p.created_at)}
                     for p in repo.projects_of_author(session, user.id)],
        "ballots": ballots,
        "paper_ballots_recorded": repo.paper_ballots_recorded_by(session, user.id),
        "implementation_updates": [
            {"project_id": u.project_id, "status": u.status, "percent": u.percent,
             "text": u.text, "happened_on": u.happened_on.isoformat()}
            for u in repo.updates_by_author(session, user.id)],
    }


def erase_user(session: Session, user: User) -> None:
    """On account erasure: the person's ballots stay counted but no longer point to them
    (the account can never vote again, so the one-ballot rule still holds); the projects they
    proposed stay public, shown under the erased account's placeholder name."""
    repo.detach_voter(session, user.id)


def purge(session: Session, now: datetime) -> int:
    """Ballots of cycles whose results were published longer ago than the retention period
    become anonymous: voter accounts and paper identity hashes are removed (they exist only
    to keep one ballot per person while voting is open). Counts never change."""
    months = get_settings().signer_retention_months
    return repo.anonymise_ballots(session, now - timedelta(days=30 * months))
