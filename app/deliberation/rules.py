"""The kernel's section of every community's rules: who may comment, how long a comment may
be, how many reports hide a thing until a moderator looks, how long an appeal may wait and how
long the keyed hashes of client networks are kept for the fraud views."""

from __future__ import annotations

from app.rules.schema import AssuranceLevel, ModuleRules, level_rule, rule
from app.web.i18n import N_

SECTION = "deliberation"


class DeliberationRules(ModuleRules):
    comment_level: AssuranceLevel = level_rule(AssuranceLevel.resident, N_("Who may comment"))
    comment_max_length: int = rule(4000, N_("Longest comment (characters)"), ge=100,
                                   le=20_000)
    reports_to_hide: int = rule(3, N_("Reports that hide a comment until a moderator "
                                      "decides"), ge=1, le=100)
    appeal_days: int = rule(14, N_("Days an author has to appeal a moderator's decision"),
                            ge=1, le=365)
    network_retention_days: int = rule(90, N_("Days the keyed hashes of signers' networks "
                                              "are kept"), ge=1, le=730)
    burst_factor: float = rule(5.0, N_("A burst of signatures: an hour with this many times "
                                       "the median hour"), ge=1.5, le=100)
    burst_minimum: int = rule(20, N_("A burst of signatures: an hour with at least this many"),
                              ge=2, le=100_000)
