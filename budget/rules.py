"""The participatory-budget section of a community's rules (`rules.budget`), and the
obligations those rules put on the authority: to review the projects, and to deliver the
winners."""

from __future__ import annotations

from typing import Literal

from pydantic import ValidationInfo, field_validator, model_validator

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


SupportSelection = Literal["threshold", "top"]
SELECTIONS = [("threshold", N_("those with at least the number of supports")),
              ("top", N_("the number most supported in each pot"))]


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
    # Supports (pre-selection): after submission, verified residents support proposals; those
    # that pass go to the officials' review, the others are not reviewed.
    supports: bool = rule(False, N_("Residents support proposals before the review"))
    support_selection: SupportSelection = rule("threshold",
                                               N_("Proposals that go to the review"),
                                               choices=SELECTIONS)
    support_number: int = rule(10, N_("Supports needed, or how many proposals go on"),
                               ge=1, le=1_000_000)
    # Pictures and documents of a project.
    image_max_mb: int = rule(10, N_("Largest image of a project (MB)"), ge=1, le=20)
    images_per_project: int = rule(8, N_("Most images of a project"), ge=0, le=50)
    document_max_mb: int = rule(10, N_("Largest document of a project (MB)"), ge=1, le=20)
    documents_per_project: int = rule(5, N_("Most documents of a project"), ge=0, le=50)
    # The community's area on the map (degrees, WGS 84): a project's point must lie in it.
    area_south: float | None = rule(None, N_("Southern edge of the community's area"),
                                    ge=-90, le=90)
    area_north: float | None = rule(None, N_("Northern edge of the community's area"),
                                    ge=-90, le=90)
    area_west: float | None = rule(None, N_("Western edge of the community's area"),
                                   ge=-180, le=180)
    area_east: float | None = rule(None, N_("Eastern edge of the community's area"),
                                   ge=-180, le=180, validate_default=True)
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

    @field_validator("area_east")
    @classmethod
    def _area(cls, east: float | None, info: ValidationInfo) -> float | None:
        """Four edges or none, the south below the north, the west west of the east."""
        south, north, west = (info.data.get(k) for k in ("area_south", "area_north",
                                                           "area_west"))
        edges = (south, north, west, east)
        if any(e is not None for e in edges) and (
                None in edges or south >= north or west >= east):
            raise ValueError("the area needs four edges, south below north, west of east")
        return east
