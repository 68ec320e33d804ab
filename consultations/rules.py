"""The consultations section of a community's rules (`rules.consultations`), and the
obligation those rules put on the authority: to publish the outcome report."""

from __future__ import annotations

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

REPORT = ObligationKind("consultation_report", N_("Consultation outcome report"),
                        "consultations")


class ConsultationRules(ModuleRules):
    minimum_duration_days: int = rule(15, N_("Shortest consultation, in days"), ge=1, le=365)
    # Above 0, the rules ask for the two stages: a consultation on a draft must follow a call
    # for evidence that lasted at least this long (the Commission: 4 weeks, then 12).
    evidence_minimum_days: int = rule(0, N_("Call for evidence before a draft, shortest in "
                                            "days (0: not required)"), ge=0, le=365)
    priority_days: int = rule(0, N_("Days invited stakeholders answer before the public"),
                              ge=0, le=60)
    report_deadline: Period = rule(Period(days=14, unit=DayUnit.calendar),
                                   N_("Days to publish the outcome report"),
                                   unit=N_("Report deadline counted in"))
    answer_level: AssuranceLevel = level_rule(AssuranceLevel.resident,
                                              N_("Who may answer a consultation"))

    compared = (
        Compared(N_("Consultation report due"), lambda r, _: r.report_deadline, numeric=False),
    )
