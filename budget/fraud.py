"""The moderators' view of how a cycle's ballots arrived: per hour (bursts flagged by the
community's deliberation rules) and by the voters' e-mail domain."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from app.deliberation.arrivals import Hour, per_hour
from app.identity.models import User
from app.rules import service as rules_service
from budget import permissions
from budget import repository as repo
from budget.models import BudgetCycle


@dataclass(frozen=True)
class BallotArrivals:
    cycle: BudgetCycle
    hours: list[Hour]
    domains: list[tuple[str, int]]
    total: int


def arrivals(session: Session, user: User | None, cycle: BudgetCycle) -> BallotArrivals:
    permissions.check_see_arrivals(session, user, cycle)
    rules = rules_service.version(session, cycle.ruleset_id).rules.deliberation
    hours = per_hour(repo.ballot_times(session, cycle.id), rules)
    return BallotArrivals(cycle, hours, repo.ballot_domains(session, cycle.id),
                          sum(h.count for h in hours))
