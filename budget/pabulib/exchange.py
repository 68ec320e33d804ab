"""Pabulib files in and out of Hromada: a real election read in as a historical cycle, and a
cycle written out as a file with anonymous votes (the format itself: budget.pabulib.format).

An imported cycle keeps its file's META (`cycle.meta["pabulib"]`): its rule and vote type
decide how it is counted (budget.cycles.rules_of) and it is written back unchanged.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from app import clock
from app.audit import service as audit
from app.communities import repository as communities_repo
from app.communities import service as communities
from app.communities.models import Authority, Community
from app.exceptions import InvalidInput, NotFound
from app.identity.models import User
from app.rules import service as rules_service
from app.web.i18n import N_
from budget import permissions, tally
from budget import repository as repo
from budget.cycles import CycleRules, rules_of, running_authority
from budget.exports import anonymous_ballots
from budget.models import (
    BallotSource,
    BudgetCategory,
    BudgetCycle,
    BudgetProject,
    CycleSource,
    ProjectStatus,
)
from budget.pabulib.format import Instance, Project, Vote, dump
from budget.phases import to_day, to_moment
from budget.projects import ballot_projects
from budget.results import compute_results, record_results

# META dates: written as the first; read in any of them.
DATE_FORMATS = ("%d.%m.%Y", "%Y-%m-%d", "%d/%m/%Y")

Votes = list[list[tuple[str, int]]]  # per voter: (project id, points) in the file's order


# -- reading a file into a historical cycle -------------------------------------------------

def import_pabulib(session: Session, actor: User | None, community: Community,
                   instance: Instance, *, name: str = "") -> BudgetCycle:
    """Load a real election as a historical cycle of `community`: its projects (one pool with
    the file's budget), its votes as anonymous ballots, and its official result (the
    `selected` column) as published results. Nothing of the voters but their choices is kept.
    """
    rule = instance.meta.get("rule")
    _check_rule(rule)
    version = rules_service.current(session, community.id)
    authority = running_authority(session, community.id)
    costs = _whole_costs(instance)
    votes = _whole_votes(instance)
    now = clock.now()
    cycle = _add_cycle(session, actor, community, authority, version.id, instance, votes, name,
                       now)
    category = repo.add(session, BudgetCategory(
        cycle_id=cycle.id, name=(instance.meta.get("subunit") or instance.meta.get("district")
                                 or "")[:120],
        funds=int(instance.budget)))
    has_selected = any(p.selected is not None for p in instance.projects)
    ids = _add_projects(session, cycle, category, instance, costs, votes, has_selected, now)
    _add_ballots(session, cycle, votes, ids)
    _count(session, cycle, has_selected)
    audit.append(session, "budget.pabulib_imported", repo.CYCLE_SUBJECT, cycle.id,
                 actor.id if actor else None, file=name[:200], projects=len(ids),
                 ballots=len(votes), rule=rule, vote_type=instance.vote_type,
                 warnings=len(instance.warnings))
    return cycle


def _check_rule(rule: str | None) -> None:
    if rule:
        try:
            tally.normalise_rule(rule)
        except tally.TallyError:
            raise InvalidInput(N_("The file's rule {rule} is not one Hromada can count."),
                               rule=rule) from None


def _whole(value: Decimal, message: str, **params: Any) -> int:
    if value != value.to_integral_value():
        raise InvalidInput(message, **params)
    return int(value)


def _whole_costs(instance: Instance) -> dict[str, int]:
    """Each project's cost, a whole amount, under an id Hromada can store."""
    costs = {p.project_id: _whole(p.cost, N_("Project {project} costs {cost}: only whole "
                                              "amounts are supported."),
                                  project=p.project_id, cost=p.cost)
             for p in instance.projects}
    for p in instance.projects:
        if len(p.project_id) > 64:
            raise InvalidInput(N_("Project id {project} is longer than 64 characters."),
                               project=p.project_id[:70])
    return costs


def _whole_votes(instance: Instance) -> Votes:
    """Each vote as (project id, points): whole points, or 1 where the file gives none."""
    votes: Votes = []
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
    return votes


def _file_day(value: str | None) -> date | None:
    if not value:
        return None
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(value.strip(), fmt).date()
        except ValueError:
            continue
    return None


def _voting(meta: dict[str, str], now: datetime) -> tuple[datetime, datetime]:
    """When voting opened and closed, from the file's dates: closed now and open two weeks
    when it does not say."""
    end_day = _file_day(meta.get("date_end"))
    begin_day = _file_day(meta.get("date_begin"))
    voting_end = to_moment("voting_end", end_day) if end_day else now
    voting_start = to_moment("voting_start", begin_day) if begin_day and \
        to_moment("voting_start", begin_day) < voting_end else voting_end - timedelta(days=14)
    return voting_start, voting_end


def _add_cycle(session: Session, actor: User | None, community: Community,
               authority: Authority, ruleset_id: int, instance: Instance, votes: Votes,
               name: str, now: datetime) -> BudgetCycle:
    """The cycle, published as voting closed. Only voting is known: the other dates of an
    imported cycle are placeholders before it, and the pages show only the voting dates."""
    meta = dict(instance.meta)
    voting_start, voting_end = _voting(meta, now)
    title = meta.get("description") or " ".join(
        x for x in (meta.get("unit"), meta.get("subunit"), meta.get("instance")) if x) or name
    return repo.add(session, BudgetCycle(
        community_id=community.id, authority_id=authority.id,
        title=(title or "Pabulib")[:200],
        description=meta.get("comment", ""), total_funds=int(instance.budget),
        currency=(meta.get("currency") or "")[:8], ruleset_id=ruleset_id,
        source=CycleSource.pabulib,
        meta={"pabulib": meta, "points": "points" in instance.vote_columns,
              "file": name[:200]},
        submission_start=voting_start - timedelta(days=60),
        submission_end=voting_start - timedelta(days=30),
        review_end=voting_start - timedelta(days=1), voting_start=voting_start,
        voting_end=voting_end, results_at=voting_end,
        # Published as voting closed: on the file's last day, not at the midnight after it.
        results_published_at=voting_end - timedelta(seconds=1),
        ballot_count=len(votes), created_by_id=actor.id if actor else None, created_at=now))


def _add_projects(session: Session, cycle: BudgetCycle, category: BudgetCategory,
                  instance: Instance, costs: dict[str, int], votes: Votes, has_selected: bool,
                  now: datetime) -> dict[str, int]:
    """The file's projects with their counters (and their official result, when the file
    has one); returns file id -> project id."""
    counts: dict[str, list[int]] = {p.project_id: [0, 0] for p in instance.projects}
    for row in votes:
        for project_id, points in row:
            counts[project_id][0] += 1
            counts[project_id][1] += points
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
    return ids


def _add_ballots(session: Session, cycle: BudgetCycle, votes: Votes, ids: dict[str, int]
                 ) -> None:
    """The votes as anonymous ballots, their choices ranked in the file's order."""
    ballot_ids = repo.bulk_ballots(session, cycle.id, len(votes), BallotSource.imported,
                                   cycle.voting_end)
    repo.add_choices(session, [
        {"ballot_id": ballot_id, "project_id": ids[project_id], "points": points,
         "rank": position}
        for ballot_id, row in zip(ballot_ids, votes, strict=True)
        for position, (project_id, points) in enumerate(row, start=1)])
    session.flush()


def _count(session: Session, cycle: BudgetCycle, has_selected: bool) -> None:
    """Count the election by its rule, as the results page shows it; the file's own result,
    when it has one, stays the official one."""
    try:
        results = compute_results(session, cycle)
    except tally.TallyError:
        return
    record_results(session, cycle, results, select=not has_selected)
    session.flush()


# -- writing a cycle as a file --------------------------------------------------------------

def export_pabulib(session: Session, cycle: BudgetCycle, category_id: int | None = None) -> str:
    """The cycle as a Pabulib file (one category, or the whole cycle), with anonymous votes."""
    permissions.check_export(cycle)
    rules = rules_of(session, cycle)
    cats = _categories(session, cycle, category_id)
    names = {c.id: c.name for c in cats}
    members = [p for p in ballot_projects(session, cycle) if p.category_id in names]
    pb_id = {p.id: p.external_id or str(p.id) for p in members}
    show_category = category_id is None and len(cats) > 1
    projects_out = [_project_out(cycle, rules, p, pb_id[p.id],
                                 names[p.category_id] if show_category else "")
                    for p in members]
    votes_out = _votes_out(session, cycle, rules, pb_id)
    if cycle.source == CycleSource.pabulib:
        meta = dict((cycle.meta or {}).get("pabulib", {}))
    else:
        meta = _own_meta(session, cycle, rules, cats[0] if category_id is not None else None)
    meta["num_projects"] = str(len(projects_out))
    meta["num_votes"] = str(len(votes_out))
    return dump(Instance.create(meta, projects_out, votes_out))


def _categories(session: Session, cycle: BudgetCycle, category_id: int | None
                ) -> list[BudgetCategory]:
    cats = repo.categories(session, cycle.id)
    if category_id is None:
        return cats
    cats = [c for c in cats if c.id == category_id]
    if not cats:
        raise NotFound(N_("There is no such category in this cycle."))
    return cats


def _project_out(cycle: BudgetCycle, rules: CycleRules, project: BudgetProject, pb_id: str,
                 category: str) -> Project:
    scored = rules.voting_method in ("cumulative", "scoring", "ordinal")
    published = cycle.results_published_at is not None
    return Project(
        project_id=pb_id, cost=Decimal(project.effective_cost), name=project.title,
        categories=(category,) if category else (), votes=project.vote_count,
        score=Decimal(project.score) if scored else None,
        selected=(1 if project.status == ProjectStatus.selected else 0) if published
        else None)


def _votes_out(session: Session, cycle: BudgetCycle, rules: CycleRules, pb_id: dict[int, str]
               ) -> list[Vote]:
    """The anonymous ballots that chose a project of the file, in preference order."""
    with_points = rules.uses_points or (cycle.source == CycleSource.pabulib
                                        and bool((cycle.meta or {}).get("points")))
    votes = []
    for number, _source, chosen in anonymous_ballots(session, cycle):
        mine = [c for c in chosen if c[0] in pb_id]
        if not mine:
            continue
        mine.sort(key=lambda c: (c[2] if c[2] is not None else 0, c[0]))
        votes.append(Vote(
            voter_id=str(number), projects=tuple(pb_id[c[0]] for c in mine),
            points=tuple(Decimal(c[1]) for c in mine) if with_points else None))
    return votes


def _own_meta(session: Session, cycle: BudgetCycle, rules: CycleRules,
              category: BudgetCategory | None) -> dict[str, str]:
    """META of a cycle run here (of its one `category`, or of the whole cycle)."""
    community = communities.get(session, cycle.community_id)
    funds = category.funds if category is not None else cycle.total_funds
    rule = (category.aggregation if category is not None else None) or rules.aggregation
    meta = {"description": cycle.title, "country": "Ukraine", "unit": community.name,
            "instance": str(to_day("voting_end", cycle.voting_end).year),
            "budget": str(funds), "vote_type": rules.tally_vote_type,
            "rule": tally.PABULIB_NAMES.get(rule, rule),
            "date_begin": _file_date("voting_start", cycle.voting_start),
            "date_end": _file_date("voting_end", cycle.voting_end), "language": "uk",
            "currency": cycle.currency, "min_length": "1"}
    if category is not None and category.name:
        meta["subunit"] = category.name
    if category is not None and category.district_id is not None:
        district = communities_repo.district(session, category.district_id)
        if district is not None:
            meta["district"] = district.name
    return meta | _limits(rules, funds, rule, category)


def _limits(rules: CycleRules, funds: int, rule: str,
            category: BudgetCategory | None = None) -> dict[str, str]:
    """The META keys of the limits the cycle's rules (and the pot's own) set."""
    limits = {}
    if category is not None and category.max_choices is not None:
        limits["max_length"] = str(category.max_choices)
    elif rules.max_choices is not None and (not rules.max_choices_per_category
                                            or category is not None):
        limits["max_length"] = str(rules.max_choices)
    if rules.voting_method == "knapsack":
        limits["max_sum_cost"] = str(funds)
    if rules.uses_points and rules.cumulative_points is not None:
        limits["max_sum_points"] = str(rules.cumulative_points)
    if rule == "greedy-threshold":
        limits["min_project_score_threshold"] = str(rules.min_vote_threshold)
    return limits


def _file_date(field_name: str, moment: datetime) -> str:
    return to_day(field_name, moment).strftime(DATE_FORMATS[0])
