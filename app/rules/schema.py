"""The shape of a community's rules, validated with pydantic.

Every threshold, period, deadline, age limit and voting method in Hromada is read from here.
"""

from __future__ import annotations

import math
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class DayUnit(StrEnum):
    working = "working"
    calendar = "calendar"


class Period(BaseModel):
    model_config = ConfigDict(frozen=True)

    days: int = Field(ge=1, le=365)
    unit: DayUnit = DayUnit.working


class PetitionRules(BaseModel):
    model_config = ConfigDict(frozen=True)

    # Exactly one of the two: an absolute number, or signatures per 1,000 residents.
    threshold: int | None = Field(default=None, ge=1, le=10_000_000)
    threshold_per_1000: float | None = Field(default=None, gt=0, le=1000)
    collection_days: int = Field(ge=1, le=365)
    answer_deadline: Period
    sponsors_required: int = Field(default=0, ge=0, le=1000)
    minimum_age: int = Field(default=14, ge=0, le=120)
    moderation_deadline: Period = Period(days=3, unit=DayUnit.working)
    title_max: int = Field(default=200, ge=20, le=500)
    text_max: int = Field(default=10_000, ge=200, le=100_000)

    @model_validator(mode="after")
    def _one_threshold(self) -> PetitionRules:
        if (self.threshold is None) == (self.threshold_per_1000 is None):
            raise ValueError("give either threshold or threshold_per_1000, not both")
        return self

    def threshold_for(self, population: int) -> int:
        """Signatures needed in a community of this population (at least 1)."""
        if self.threshold is not None:
            return self.threshold
        # Decimal arithmetic on the figure as written: in binary floating point 100,000 x 1.1
        # / 1,000 is 110.00000000000001, which would round up to 111.
        needed = Decimal(population) * Decimal(str(self.threshold_per_1000)) / 1000
        return max(1, math.ceil(needed))

    def per_1000(self, population: int) -> float:
        if population <= 0:
            return 0.0
        return round(self.threshold_for(population) * 1000 / population, 2)


VotingMethod = Literal["approval", "knapsack", "cumulative"]
AggregationRule = Literal["greedy", "greedy-no-skip", "greedy-threshold", "equal-shares"]


class BudgetRules(BaseModel):
    model_config = ConfigDict(frozen=True)

    minimum_age: int = Field(default=16, ge=0, le=120)
    voting_method: VotingMethod = "approval"
    max_choices: int = Field(default=5, ge=1, le=100)
    max_choices_per_category: bool = False
    cumulative_points: int = Field(default=10, ge=1, le=1000)
    aggregation: AggregationRule = "greedy"
    min_vote_threshold: int = Field(default=0, ge=0)
    project_cost_min: int = Field(default=1, ge=0)
    project_cost_max: int = Field(default=1_000_000, ge=1)
    review_deadline: Period = Period(days=20, unit=DayUnit.working)
    implementation_deadline: Period = Period(days=365, unit=DayUnit.calendar)

    @model_validator(mode="after")
    def _cost_range(self) -> BudgetRules:
        if self.project_cost_min > self.project_cost_max:
            raise ValueError("project_cost_min exceeds project_cost_max")
        return self


class ConsultationRules(BaseModel):
    model_config = ConfigDict(frozen=True)

    minimum_duration_days: int = Field(default=15, ge=1, le=365)
    report_deadline: Period = Period(days=14, unit=DayUnit.calendar)


class RuleSet(BaseModel):
    model_config = ConfigDict(frozen=True)

    petitions: PetitionRules
    budget: BudgetRules = BudgetRules()
    consultations: ConsultationRules = ConsultationRules()


class RuleVersion(BaseModel):
    """A stored rule set together with its identity; what items keep when they open."""

    model_config = ConfigDict(frozen=True)

    id: int
    community_id: int
    version: int
    rules: RuleSet
