"""The allotments section of a community's rules, and the obligation it puts on authorities."""

from __future__ import annotations

from app.accountability.service import ObligationKind
from app.rules.schema import Compared, DayUnit, ModuleRules, Period, rule

REQUEST = ObligationKind("allotment_answer", "Answer to an allotment request", "allotments")


class AllotmentRules(ModuleRules):
    threshold: int = rule(12, "Neighbours needed to ask for a plot", ge=1, le=1000)
    answer_deadline: Period = rule(Period(days=7, unit=DayUnit.working),
                                   "Days to answer an allotment request",
                                   unit="Allotment answer counted in")

    compared = (Compared("Neighbours needed for a plot", lambda r, _: r.threshold),
                Compared("Allotment answer due", lambda r, _: r.answer_deadline,
                         numeric=False))
