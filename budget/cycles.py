"""Budget cycles: the rules a cycle runs by, finding cycles, creating one, moving its dates.

Services flush and never commit: the request (or the CLI/worker unit of work) commits once.
Phases follow the dates (budget.phases); every limit and method comes from the rule-set
version the cycle opened under (`rules_of`), or, for an imported Pabulib election, from its
file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlmodel import Session

from app import clock
from app.audit import service as audit
from app.communities import repository as communities_repo
from app.communities import service as communities
from app.communities.models import Authority, AuthorityKind, Community
from app.exceptions import Conflict, InvalidInput, NotFound
from app.identity.models import User
from app.rules import service as rules_service
from app.rules.schema import Period
from app.web.i18n import N_, gettext
from budget import permissions, tally
from budget import repository as repo
from budget.models import (
    DATE_FIELDS,
    BudgetCategory,
    BudgetCycle,
    BudgetPhaseChange,
    CycleCreate,
    CycleSource,
)
from budget.phases import to_moment

UNNAMED_CATEGORY = N_("All projects")
NO_CYCLE = N_("There is no such budget cycle.")
OUT_OF_ORDER = N_("The dates must follow each other: submission, review, voting, results.")
CHOOSE_OFFERED = N_("Choose one of the offered options.")
DATE_PASSED = N_("This date has passed.")


def category_name(category: BudgetCategory) -> str:
    return category.name or gettext(UNNAMED_CATEGORY)


def cycle_path(cycle: BudgetCycle) -> str:
    return f"/budget/{cycle.id}"


# -- rules ----------------------------------------------------------------------------------

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
    vote_level: str = "resident"  # the level of assurance a voter needs
    supports: bool = False  # a supports phase after submission
    support_selection: str = "threshold"  # "threshold" or "top" (per pot)
    support_number: int = 0
    image_max_mb: int = 10
    images_per_project: int = 8
    document_max_mb: int = 10
    documents_per_project: int = 5
    area: tuple[float, float, float, float] | None = None  # south, west, north, east

    @property
    def tally_vote_type(self) -> str:
        return "approval" if self.voting_method == "knapsack" else self.voting_method

    @property
    def uses_points(self) -> bool:
        return self.voting_method == "cumulative"


def rules_of(session: Session, cycle: BudgetCycle) -> CycleRules:
    budget = rules_service.version(session, cycle.ruleset_id).rules.budget
    if cycle.source == CycleSource.pabulib:
        return _file_rules(cycle, budget)
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
        ballot_points=budget.voting_method == "cumulative", vote_level=budget.vote_level,
        supports=budget.support_selection != "none",
        support_selection=budget.support_selection,
        support_number=budget.support_number, image_max_mb=budget.image_max_mb,
        images_per_project=budget.images_per_project, document_max_mb=budget.document_max_mb,
        documents_per_project=budget.documents_per_project, area=area_of(budget))


def area_of(budget: Any) -> tuple[float, float, float, float] | None:
    if budget.area_south is None:
        return None
    return (budget.area_south, budget.area_west, budget.area_north, budget.area_east)


def _file_rules(cycle: BudgetCycle, budget: Any) -> CycleRules:
    """An imported election counts by its file's META; the community's rules give only what
    the file cannot say (the deadlines, the age)."""
    pb = (cycle.meta or {}).get("pabulib", {})
    try:
        aggregation = tally.normalise_rule(pb.get("rule") or "greedy")
    except tally.TallyError:
        aggregation = pb.get("rule") or "greedy"
    threshold = pb.get("min_project_score_threshold")
    max_length = pb.get("max_length")
    points = pb.get("max_sum_points")
    return CycleRules(
        voting_method=pb.get("vote_type") or "approval", aggregation=aggregation,
        max_choices=int(max_length) if max_length else None,
        max_choices_per_category=False,
        cumulative_points=int(Decimal(points)) if points else None,
        min_vote_threshold=Fraction(Decimal(threshold.replace(",", "."))) if threshold
        else Fraction(0),
        minimum_age=budget.minimum_age, project_cost_min=0,
        project_cost_max=max(cycle.total_funds, 1),
        review_deadline=budget.review_deadline,
        implementation_deadline=budget.implementation_deadline,
        ballot_points=bool((cycle.meta or {}).get("points")), vote_level=budget.vote_level,
        area=area_of(budget))


# -- finding --------------------------------------------------------------------------------

@dataclass
class CycleView:
    cycle: BudgetCycle
    community: Community
    authority: Any


def get_cycle(session: Session, cycle_id: int) -> BudgetCycle:
    cycle = repo.cycle(session, cycle_id)
    if cycle is None:
        raise NotFound(NO_CYCLE)
    return cycle


def get_cycle_view(session: Session, cycle_id: int) -> CycleView:
    row = repo.cycle_row(session, cycle_id)
    if row is None:
        raise NotFound(NO_CYCLE)
    return CycleView(*row)


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


def phase_changes(session: Session, cycle: BudgetCycle) -> list[BudgetPhaseChange]:
    return repo.phase_changes(session, cycle.id)


def running_authority(session: Session, community_id: int) -> Authority:
    """The authority that runs a community's budget unless one is named: its council, or
    else its first authority."""
    authorities = communities_repo.authorities(session, community_id)
    authority = next((a for a in authorities if a.kind == AuthorityKind.council),
                     authorities[0] if authorities else None)
    if authority is None:
        raise Conflict(N_("This community has no authority to run a budget."))
    return authority


# -- creating -------------------------------------------------------------------------------

def create_cycle(session: Session, actor: User | None, data: CycleCreate) -> BudgetCycle:
    community = communities.get(session, data.community_id)
    permissions.check_create(session, actor, community.id)
    authority = _authority(session, community.id, data.authority_id)
    supports = rules_service.current(session, community.id).rules.budget.support_selection \
        != "none"
    if supports and data.supports_end is None:
        message = N_("This community's rules have a supports phase: enter when it closes.")
        raise InvalidInput(message, fields={"supports_end": message})
    if not supports and data.supports_end is not None:
        message = N_("This community's rules have no supports phase.")
        raise InvalidInput(message, fields={"supports_end": message})
    moments = {name: to_moment(name, getattr(data, name)) for name in DATE_FIELDS
               if getattr(data, name) is not None}
    _check_order(moments)
    if moments["submission_end"] <= clock.now():
        raise InvalidInput(N_("Submission must close in the future."),
                           fields={"submission_end": DATE_PASSED})
    pools = _pools(session, community.id, data)
    return insert_cycle(session, actor, community.id, authority.id, data.title,
                        data.description, data.total_funds, moments, pools)


def _authority(session: Session, community_id: int, authority_id: int | None) -> Authority:
    if authority_id is None:
        return running_authority(session, community_id)
    authority = next((a for a in communities_repo.authorities(session, community_id)
                      if a.id == authority_id), None)
    if authority is None:
        raise InvalidInput(N_("Choose an authority of this community."),
                           fields={"authority_id": CHOOSE_OFFERED})
    return authority


def _check_order(moments: dict[str, datetime]) -> None:
    """submission_start < submission_end <= review_end <= voting_start < voting_end <=
    results_at, each broken pair named on the later field."""
    pairs = [("submission_start", "submission_end", False), ("submission_end", "review_end", True),
             ("review_end", "voting_start", True), ("voting_start", "voting_end", False),
             ("voting_end", "results_at", True)]
    if moments.get("supports_end") is not None:  # supports come between submission and review
        pairs[1:2] = [("submission_end", "supports_end", False),
                      ("supports_end", "review_end", True)]
    for earlier, later, equal_ok in pairs:
        a, b = moments[earlier], moments[later]
        if b < a or (b == a and not equal_ok):
            raise InvalidInput(OUT_OF_ORDER,
                               fields={later: N_("This date must come after the previous one.")})


Pot = tuple[str, int, dict[str, Any]]  # name, funds, district_id / aggregation / max_choices


def _pools(session: Session, community_id: int, data: CycleCreate) -> list[Pot]:
    """The pots as (name, funds, their own settings): names unique, funds within the total,
    each district of this community with at most one pot."""
    names = [c.name.strip() for c in data.categories]
    if len({n.casefold() for n in names}) != len(names):
        message = N_("Two categories have the same name.")
        raise InvalidInput(message, fields={"categories": message})
    if sum(c.funds for c in data.categories) > data.total_funds:
        message = N_("The categories' funds add up to more than the total funds.")
        raise InvalidInput(message, fields={"categories": message})
    districts = {d.id for d in communities_repo.districts(session, community_id)}
    chosen = [c.district_id for c in data.categories if c.district_id is not None]
    if any(d not in districts for d in chosen):
        message = N_("Choose a district of this community.")
        raise InvalidInput(message, fields={"categories": message})
    if len(set(chosen)) != len(chosen):
        message = N_("A district can have only one pot.")
        raise InvalidInput(message, fields={"categories": message})
    return [(n, c.funds, {"district_id": c.district_id, "aggregation": c.aggregation,
                          "max_choices": c.max_choices})
            for n, c in zip(names, data.categories, strict=True)]


def insert_cycle(session: Session, actor: User | None, community_id: int, authority_id: int,
                 title: str, description: str, total_funds: int,
                 moments: dict[str, datetime], pools: list[Pot] | list[tuple[str, int]]
                 ) -> BudgetCycle:
    """Store a checked cycle under the community's rules in force (also used by the seed)."""
    version = rules_service.current(session, community_id)
    cycle = BudgetCycle(community_id=community_id, authority_id=authority_id,
                        title=" ".join(title.split()), description=description.strip(),
                        total_funds=total_funds, ruleset_id=version.id,
                        created_by_id=actor.id if actor else None, **moments)
    repo.add(session, cycle)
    pots = [(p[0], p[1], p[2] if len(p) > 2 else {}) for p in (pools or [("", total_funds)])]
    for position, (name, funds, own) in enumerate(pots):
        repo.add(session, BudgetCategory(cycle_id=cycle.id, name=name, funds=funds,
                                         position=position, **own))
    audit.append(session, "budget.cycle_created", repo.CYCLE_SUBJECT, cycle.id,
                 actor.id if actor else None, community_id=community_id,
                 total_funds=cycle.total_funds, ruleset_id=version.id,
                 categories=[{"name": n, "funds": f, **{k: v for k, v in own.items() if v}}
                             for n, f, own in pots],
                 dates={k: v.isoformat() for k, v in moments.items()})
    return cycle


# -- moving a date --------------------------------------------------------------------------

def move_date(session: Session, actor: User | None, cycle: BudgetCycle, field_name: str,
              day: date, reason: str) -> BudgetPhaseChange:
    """Move one date of a cycle. Only future dates move, and only into the future: what has
    happened (a phase that opened or closed) is never rewritten."""
    permissions.check_move_date(session, actor, cycle)
    reason = _move_reason(field_name, reason)
    cycle = repo.lock_cycle(session, cycle)
    now = clock.now()
    if getattr(cycle, field_name) is None:
        message = N_("This cycle has no supports phase.")
        raise InvalidInput(message, fields={"field": message})
    old = clock.aware(getattr(cycle, field_name))
    new = to_moment(field_name, day)
    _check_move(cycle, field_name, old, new, now)
    setattr(cycle, field_name, new)
    session.add(cycle)
    change = repo.add(session, BudgetPhaseChange(
        cycle_id=cycle.id, field=field_name, old=old, new=new,
        actor_id=actor.id if actor else None, reason=reason, at=now))
    audit.append(session, "budget.date_moved", repo.CYCLE_SUBJECT, cycle.id,
                 actor.id if actor else None, field=field_name, old=old.isoformat(),
                 new=new.isoformat(), reason=reason)
    return change


def _move_reason(field_name: str, reason: str) -> str:
    """The request itself: a date of the cycle, and why it moves (the reason, tidied)."""
    if field_name not in DATE_FIELDS:
        raise InvalidInput(CHOOSE_OFFERED, fields={"field": CHOOSE_OFFERED})
    reason = " ".join((reason or "").split())
    if not 3 <= len(reason) <= 500:
        message = N_("Say why the date moves (3 to 500 characters).")
        raise InvalidInput(message, fields={"reason": message})
    return reason


def _check_move(cycle: BudgetCycle, field_name: str, old: datetime, new: datetime,
                now: datetime) -> None:
    """A date still ahead moves to another day still ahead, between its neighbours."""
    if old <= now:
        raise Conflict(N_("This date has passed and can no longer be moved."))
    if new <= now:
        raise InvalidInput(N_("A date can be moved only into the future."),
                           fields={"value": DATE_PASSED})
    if new == old:
        message = N_("This is already the date.")
        raise InvalidInput(message, fields={"value": message})
    moments = {name: clock.aware(getattr(cycle, name)) for name in DATE_FIELDS
               if getattr(cycle, name) is not None}
    moments[field_name] = new
    try:
        _check_order(moments)
    except InvalidInput:
        raise InvalidInput(OUT_OF_ORDER,
                           fields={"value": N_("This date must fit between the dates before "
                                               "and after it.")}) from None
