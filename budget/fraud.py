"""The moderators' fraud tools of a budget cycle: how its ballots arrived (per hour, bursts
flagged by the community's deliberation rules; by the voters' e-mail domain; by the keyed
hash of their client network) and the invalidation of a set of online ballots.

An invalidation deletes the matching ballots with their choices and lowers every counter the
cycle keeps (each project's votes and score, the cycle's ballot count) by exactly what the
deleted rows held, holding the cycle's ballots lock alone (repository.own_ballots: the group
commit of ballots holds it shared, so the invalidation waits for the batches in progress and
the next ones wait for it), so every counter stays equal to its rows. There is
no per-district counter to move: a pot's voters are counted from the rows when the results
are published. The voters are told, and may vote again while voting is open; the act is on
the audit log and its reason and count are public on the cycle's page.

When: from the opening of voting until the results are published (budget.permissions
.check_invalidate_ballots). Published results are final (409). Paper ballots, checked in
person by an official, are never matched by a filter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from app import clock
from app.audit import service as audit
from app.deliberation import invalidation
from app.deliberation.arrivals import Arrivals, arrivals_of
from app.identity.models import User
from app.rules import service as rules_service
from app.settings import get_settings
from app.web.i18n import N_
from budget import permissions
from budget import repository as repo
from budget.cycles import cycle_path
from budget.models import BallotInvalidationCreate, BudgetBallotInvalidation, BudgetCycle, Phase
from budget.phases import phase_of


def _deliberation_rules(session: Session, cycle: BudgetCycle):
    return rules_service.version(session, cycle.ruleset_id).rules.deliberation


# -- arrivals -------------------------------------------------------------------------------

def arrivals(session: Session, user: User | None, cycle: BudgetCycle) -> Arrivals:
    """Ballots per hour (bursts flagged), by e-mail domain, by network."""
    permissions.check_see_arrivals(session, user, cycle)
    times = repo.ballot_times(session, cycle.id)
    return arrivals_of(cycle, times, repo.ballot_domains(session, cycle.id),
                       repo.ballot_networks(session, cycle.id), len(times),
                       _deliberation_rules(session, cycle))


def public_invalidations(session: Session, cycle: BudgetCycle
                         ) -> list[BudgetBallotInvalidation]:
    """Every invalidation of the cycle's ballots (its reason and count are public)."""
    return repo.invalidations(session, cycle.id)


# -- invalidation ---------------------------------------------------------------------------

NOTHING = N_("Choose which ballots to invalidate: a domain, a network or a time window.")
NONE_MATCH = N_("No online ballot matches this filter; nothing was invalidated.")
VOTERS_TOLD = invalidation.Notice(
    subject=N_("Your ballot was invalidated"),
    text=N_("Your ballot in the participatory budget \u201c{title}\u201d was invalidated by a "
            "moderator.\n\nReason: {reason}"),
    again=N_("If you voted yourself, vote again to confirm: {link}"))
ALL_MATCH = N_("This filter matches every ballot of the cycle; narrow it down (a vote is "
               "cancelled by the authority, not emptied by a moderator).")


@dataclass(frozen=True)
class Invalidated:
    cycle: BudgetCycle
    invalidation: BudgetBallotInvalidation


def invalidate(session: Session, user: User | None, cycle: BudgetCycle,
               data: BallotInvalidationCreate) -> Invalidated:
    """Invalidate the online ballots the filter matches (every given criterion must hold),
    with a public reason. Refused, with nothing written: a malformed filter or reason, or one
    that matches no ballot or every ballot of the cycle (422); outside voting and counting,
    published results included (409)."""
    permissions.check_invalidate_ballots(session, user, cycle)
    checked = invalidation.criteria(
        email_domain=data.email_domain, network=data.network, start=data.cast_from,
        end=data.cast_until, reason=data.reason, end_field="cast_until", nothing=NOTHING)
    criteria = {"email_domain": checked.email_domain, "network": checked.network,
                "cast_from": checked.start, "cast_until": checked.end}
    now = clock.now()
    repo.own_ballots(session, cycle.id)  # no ballot is written meanwhile
    locked = repo.lock_cycle(session, cycle)
    permissions.check_invalidate_ballots(session, user, locked, phase_of(locked, now))
    matched = repo.matching_ballots(session, cycle.id, **criteria)
    invalidation.check_matched(len(matched), repo.count_ballots(session, cycle.id),
                               none=NONE_MATCH, every=ALL_MATCH)
    ids = [ballot_id for ballot_id, _voter in matched]
    totals = repo.choice_totals(session, ids)
    removed = repo.delete_ballots(session, ids)
    repo.bump_projects(session, {project_id: (-votes, -points)
                                 for project_id, (votes, points) in totals.items()})
    repo.bump_ballot_count(session, locked, -removed)
    record = repo.add(session, BudgetBallotInvalidation(
        cycle_id=cycle.id, moderator_id=user.id, reason=checked.reason, created_at=now,
        count=removed, **{"email_domain": checked.email_domain,
                          "network_hash": checked.network, "cast_from": checked.start,
                          "cast_until": checked.end}))
    audit.append(session, "budget.ballots_invalidated", repo.CYCLE_SUBJECT, cycle.id, user.id,
                 count=removed, reason=checked.reason, invalidation_id=record.id,
                 ballots=locked.ballot_count)
    invalidation.tell(
        session, [voter for _id, voter in matched if voter is not None],
        f"budget-invalidation:{record.id}", VOTERS_TOLD, title=locked.title,
        reason=checked.reason, again=phase_of(locked, now) == Phase.voting,
        link=get_settings().base_url.rstrip("/") + cycle_path(locked) + "/ballot")
    return Invalidated(locked, record)


def forget_networks(session: Session, now: datetime | None = None) -> int:
    """Drop the keyed network hashes of ballots past each community's retention (the
    worker's job)."""
    return invalidation.forget_networks(session, repo.forget_networks, now)
