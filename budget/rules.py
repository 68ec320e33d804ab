"""The participatory-budget section of a community's rules (`rules.budget`), and the
obligations those rules put on the authority: to review the projects, and to deliver the
winners."""

from __future__ import annotations

from typing import Literal

from pydantic import model_validator

from app.accountability.service import ObligationKind
from app.rules.schema import (
    AssuranceLevel,
    Compared,
    DayUnit,
    ModuleRules,
    Period,
    level_rule,
    rule,
)
from app.web.i18n import N_

REVIEW = ObligationKind("budget_review", N_("Review of participatory-budget projects"),
                        "budget")
IMPLEMENTATION = ObligationKind("budget_implementation",
                                N_("Implementation of a winning budget project"), "budget")

VotingMethod = Literal["approval", "knapsack", "cumulative"]
AggregationRule = Literal["greedy", "greedy-no-skip", "greedy-threshold", "equal-shares",
                          "equal-shares-comparison"]

METHODS = [("approval", N_("approval")), ("knapsack", N_("knapsack (within the funds)")),
           ("cumulative", N_("cumulative points"))]
AGGREGATIONS = [("greedy", N_("greedy by votes")),
                ("greedy-no-skip", N_("greedy without skipping")),
                ("greedy-threshold", N_("greedy with a vote threshold")),
                ("equal-shares", N_("method of equal shares")),
                ("equal-shares-comparison",
                 N_("method of equal shares, compared with counting by votes"))]


class BudgetRules(ModuleRules):
    minimum_age: int = rule(16, N_("Minimum age to vote in the budget"), ge=0, le=120)
    voting_method: VotingMethod = rule("approval", N_("Voting method"), choices=METHODS)
    vote_level: AssuranceLevel = level_rule(AssuranceLevel.resident,
                                            N_("Who may vote in the budget"))
    max_choices: int = rule(5, N_("Most projects a voter may choose"), ge=1, le=100)
    max_choices_per_category: bool = False
    cumulative_points: int = rule(10, N_("Points each voter distributes (cumulative voting)"),
                                  ge=1, le=1000)
    aggregation: AggregationRule = rule("greedy", N_("Rule that selects the winners"),
                                        choices=AGGREGATIONS)
    min_vote_threshold: int = rule(0, N_("Minimum votes for a project to win"), ge=0)
    project_cost_min: int = rule(1, N_("Lowest project cost"), ge=0)
    project_cost_max: int = rule(1_000_000, N_("Highest project cost"), ge=1)
    review_deadline: Period = rule(Period(days=20, unit=DayUnit.working),
                                   N_("Days to review projects"),
                                   unit=N_("Review deadline counted in"))
    implementation_deadline: Period = rule(Period(days=365, unit=DayUnit.calendar),
                                           N_("Days to implement a winning project"),
                                           unit=N_("Implementation deadline counted in"))

    section_error = ("project_cost_max",
                     N_("The highest project cost must not be lower than the lowest."))
    compared = (
        Compared(N_("Budget vote"), lambda r, _: f"{r.choice_label('voting_method')}, "
                                                 f"{r.choice_label('aggregation')}",
                 numeric=False),
    )

    @model_validator(mode="after")
    def _cost_range(self) -> BudgetRules:
        if self.project_cost_min > self.project_cost_max:
            raise ValueError("project_cost_min exceeds project_cost_max")
        return self
