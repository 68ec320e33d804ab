"""A ballot checked against its cycle's rules, before anything is written: projects on this
ballot, at most k choices (overall or per category), within each category's funds (knapsack),
within the points (cumulative). The same check serves the live summary of a ballot being
filled in (htmx preview, API check) and the final cast (budget.ballots).

Each problem is the kernel's invalid-input error (a msgid and its parameters, translated where
shown); a ballot refused for them raises `BallotRejected`, which carries the whole check so
the page shows the ballot again with its totals.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlmodel import Session

from app.exceptions import InvalidInput
from app.web.i18n import N_
from budget import repository as repo
from budget.cycles import CycleRules, category_name, rules_of
from budget.models import BudgetCategory, BudgetCycle, BudgetProject
from budget.projects import ballot_projects

BAD_POINTS = N_("Points must be whole numbers, zero or more.")


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
    wrong."""

    choices: dict[int, int]
    problems: list[InvalidInput]
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
                      points: dict[int, int] | None) -> tuple[dict[int, int], list[InvalidInput]]:
    """Turn what a form or API sent into {project id: points}; a project given 0 points is
    not chosen."""
    problems: list[InvalidInput] = []
    chosen: dict[int, int] = {}
    project_list = list(projects or [])
    if len(set(project_list)) != len(project_list):
        problems.append(InvalidInput(N_("A project appears twice on the ballot.")))
    for project_id in project_list:
        chosen[project_id] = 1
    for project_id, value in (points or {}).items():
        if not rules.uses_points:
            if value not in (0, 1):
                problems.append(InvalidInput(N_("This voting method takes no points: choose "
                                                "projects.")))
                break
            if value == 1:
                chosen[project_id] = 1
            continue
        if value < 0:
            problems.append(InvalidInput(BAD_POINTS))
            break
        if value > 0:
            chosen[project_id] = value
        else:
            chosen.pop(project_id, None)
    return chosen, problems


def check_ballot(rules: CycleRules, cats: list[BudgetCategory], on_ballot: list[BudgetProject],
                 choices: dict[int, int], problems: list[InvalidInput] | None = None,
                 *, require_choice: bool = True) -> BallotCheck:
    """Validate a ballot on the server (see the module's docstring)."""
    problems = list(problems or [])
    totals = _totals(cats, on_ballot, choices, problems)
    chosen = sum(t.chosen for t in totals)
    points_used = sum(t.points for t in totals)
    if require_choice and not choices:
        problems.append(InvalidInput(N_("Choose at least one project.")))
    problems += _choice_problems(rules, totals, chosen)
    if rules.voting_method == "knapsack":
        problems += [InvalidInput(
            N_("The projects you chose in “{category}” cost {cost}, more than its funds of "
               "{funds}."), category=t.name, cost=t.spent, funds=t.category.funds)
            for t in totals if t.spent > t.category.funds]
    points_total = rules.cumulative_points if rules.uses_points else None
    if points_total is not None and points_used > points_total:
        problems.append(InvalidInput(N_("You may give at most {max} points in total; you gave "
                                        "{used}."), max=points_total, used=points_used))
    return BallotCheck(choices=choices, problems=problems, categories=totals,
                       chosen=chosen, points_used=points_used,
                       max_choices=None if rules.max_choices_per_category else rules.max_choices,
                       points_total=points_total, method=rules.voting_method)


def _totals(cats: list[BudgetCategory], on_ballot: list[BudgetProject],
            choices: dict[int, int], problems: list[InvalidInput]) -> list[CategoryTotals]:
    """What the ballot chose, spent and gave per category; a project not on this ballot is a
    problem."""
    by_id = {p.id: p for p in on_ballot}
    totals = {c.id: CategoryTotals(c, category_name(c)) for c in cats}
    for project_id, points in choices.items():
        project = by_id.get(project_id)
        if project is None:
            problems.append(InvalidInput(N_("Project {project} is not on this ballot."),
                                         project=project_id))
            continue
        t = totals[project.category_id]
        t.chosen += 1
        t.spent += project.effective_cost
        t.points += points
    return list(totals.values())


def _choice_problems(rules: CycleRules, totals: list[CategoryTotals], chosen: int
                     ) -> list[InvalidInput]:
    """At most k choices: overall, or in each category (which then shows what it has left)."""
    k = rules.max_choices
    problems = []
    if k is not None and not rules.max_choices_per_category and chosen > k:
        problems.append(InvalidInput(N_("You may choose at most {max} projects."), max=k))
    for t in totals:  # per pot: the pot's own limit, or the rules' limit per category
        own = t.category.max_choices
        pot_limit = own if own is not None else k if rules.max_choices_per_category else None
        if pot_limit is None:
            continue
        t.choices_left = max(pot_limit - t.chosen, 0)
        if t.chosen > pot_limit:
            problems.append(InvalidInput(
                N_("You may choose at most {max} projects in “{category}”."),
                max=pot_limit, category=t.name))
    return problems


def preview_ballot(session: Session, cycle: BudgetCycle, projects_in: Iterable[int] | None,
                   points_in: dict[int, int] | None,
                   cats: list[BudgetCategory] | None = None) -> BallotCheck:
    """The live summary of a ballot being filled in (nothing is written), over the pots
    `cats` (by default every pot of the cycle)."""
    rules = rules_of(session, cycle)
    choices, problems = normalise_choices(rules, projects_in, points_in)
    cats = repo.categories(session, cycle.id) if cats is None else cats
    ids = {c.id for c in cats}
    return check_ballot(rules, cats, [p for p in ballot_projects(session, cycle)
                                      if p.category_id in ids], choices, problems,
                        require_choice=False)
