"""The petitions section of a community's rules (`rules.petitions`), and the obligation those
rules put on the authority: to answer a petition that reached its threshold."""

from __future__ import annotations

import math
from decimal import Decimal

from pydantic import model_validator

from app.accountability.service import ObligationKind
from app.rules.schema import (
    AssuranceLevel,
    Compared,
    DayUnit,
    KeyRules,
    ModuleRules,
    Period,
    level_rule,
    rule,
)
from app.web.i18n import N_

ANSWER = ObligationKind("petition_answer", N_("Petition answer"), "petitions",
                        council_session=True)


class PetitionRules(ModuleRules):
    # Exactly one of the two: an absolute number, or signatures per 1,000 residents.
    threshold: int | None = rule(None, N_("Signatures needed (absolute number)"),
                                 ge=1, le=10_000_000)
    threshold_per_1000: float | None = rule(None, N_("Signatures needed per 1,000 residents"),
                                            gt=0, le=1000)
    collection_days: int = rule(..., N_("Days to collect signatures"), ge=1, le=365)
    answer_deadline: Period = rule(..., N_("Days to answer a petition"),
                                   unit=N_("Answer deadline counted in"))
    sponsors_required: int = rule(0, N_("Sponsors needed before moderation (0: none)"),
                                  ge=0, le=1000)
    minimum_age: int = rule(14, N_("Minimum age to sign"), ge=0, le=120)
    moderation_deadline: Period = rule(Period(days=3, unit=DayUnit.working),
                                       N_("Days to moderate a petition"),
                                       unit=N_("Moderation deadline counted in"))
    sign_level: AssuranceLevel = level_rule(AssuranceLevel.resident, N_("Who may sign"))
    sponsor_level: AssuranceLevel = level_rule(AssuranceLevel.resident, N_("Who may sponsor"))
    title_max: int = rule(200, ge=20, le=500)
    text_max: int = rule(10_000, ge=200, le=100_000)

    section_error = ("threshold", N_("Give either the number of signatures or the number per "
                                     "1,000 residents, not both."))
    compared = (
        Compared(N_("Signatures needed"), lambda r, population: r.threshold_for(population)),
        Compared(N_("per 1,000 residents"), lambda r, population: r.per_1000(population)),
        Compared(N_("Days to collect"), lambda r, _: r.collection_days),
        Compared(N_("Answer deadline"), lambda r, _: r.answer_deadline, numeric=False),
        Compared(N_("Minimum age"), lambda r, _: r.minimum_age),
    )

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

    def key_rules(self, population: int) -> KeyRules:
        """A petition's threshold and answer deadline are the community's key rules."""
        return KeyRules(self.threshold_for(population), self.per_1000(population),
                        self.answer_deadline)
