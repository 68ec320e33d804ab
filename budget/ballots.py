"""Ballots: a resident's one online ballot, cast or changed until voting closes, and the
paper ballots officials record at a service centre.

An online ballot is checked by its request (eligibility, the phase, the ballot itself: reads
only) and written by the group commit of ballots (app.batch): each ballot and its choices in a
savepoint of its own, the counters of projects and cycles moved once per batch, in a fixed
order. One ballot per resident per cycle is a unique constraint.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session

from app import clock
from app.audit import service as audit
from app.batch import GroupCommit
from app.exceptions import Conflict, DomainError, InvalidInput
from app.identity import repository as identity_repo
from app.identity import service as identity_service
from app.identity.models import User
from app.settings import get_settings
from app.web.i18n import N_
from budget import permissions
from budget import repository as repo
from budget.ballot_check import BallotRejected, check_ballot, normalise_choices
from budget.cycles import CycleRules, rules_of
from budget.models import BallotSource, BudgetBallot, BudgetCycle, Phase
from budget.phases import phase_of
from budget.projects import ballot_projects

ALREADY_VOTED = N_("This voter has already voted in this cycle (online or on paper).")


def _valid_ballot(session: Session, cycle: BudgetCycle, rules: CycleRules,
                  projects_in: Iterable[int] | None, points_in: dict[int, int] | None
                  ) -> dict[int, int]:
    choices, problems = normalise_choices(rules, projects_in, points_in)
    result = check_ballot(rules, repo.categories(session, cycle.id),
                          ballot_projects(session, cycle), choices, problems)
    if not result.valid:
        raise BallotRejected(result)
    return result.choices


Deltas = dict[int, tuple[int, int]]  # project id -> (votes, points) a ballot moves


def _write_choices(session: Session, ballot: BudgetBallot, old: dict[int, int],
                   new: dict[int, int]) -> Deltas:
    """Replace a ballot's choices; returns how the projects' counters must move."""
    removed = old.keys() - new.keys()
    added = new.keys() - old.keys()
    changed = {p for p in old.keys() & new.keys() if old[p] != new[p]}
    repo.remove_choices(session, ballot.id, removed)
    for project_id in changed:
        repo.set_choice_points(session, ballot.id, project_id, new[project_id])
    repo.add_choices(session, [{"ballot_id": ballot.id, "project_id": p, "points": new[p],
                                "rank": None} for p in sorted(added)])
    return {project_id: (1 if project_id in added else -1 if project_id in removed else 0,
                         new.get(project_id, 0) - old.get(project_id, 0))
            for project_id in removed | added | changed}


def _bump_projects(session: Session, deltas: Deltas) -> None:
    """Move the projects' counters, in project-id order (a fixed lock order, so concurrent
    ballots cannot deadlock)."""
    for project_id in sorted(deltas):
        votes, points = deltas[project_id]
        if votes or points:
            repo.bump_project(session, project_id, votes, points)


def add_ballot(session: Session, voter: User | None, cycle: BudgetCycle,
               choices: dict[int, int], *, source: str = BallotSource.online,
               recorded_by: User | None = None, identity: str | None = None) -> BudgetBallot:
    """Store a new, checked ballot with its counters (no phase or eligibility check: callers
    do that; the seed uses it for past cycles). A second ballot of the same voter is refused
    by the unique constraints."""
    now = clock.now()
    ballot = BudgetBallot(cycle_id=cycle.id, voter_user_id=voter.id if voter else None,
                          paper_identity_hash=identity, source=source,
                          recorded_by_id=recorded_by.id if recorded_by else None,
                          created_at=now, updated_at=now)
    if not repo.try_insert_ballot(session, ballot):
        raise Conflict(ALREADY_VOTED)
    _bump_projects(session, _write_choices(session, ballot, {}, choices))
    repo.bump_ballot_count(session, cycle, 1)
    return ballot


def my_ballot(session: Session, user: User | None, cycle: BudgetCycle
              ) -> tuple[BudgetBallot | None, dict[int, int]]:
    if user is None:
        return None, {}
    ballot = repo.ballot_of_user(session, cycle.id, user.id)
    if ballot is None:
        return None, {}
    return ballot, repo.choices(session, ballot.id)


def choices_of(session: Session, ballot: BudgetBallot) -> dict[int, int]:
    """{project id: points} of a ballot."""
    return repo.choices(session, ballot.id)


@dataclass(frozen=True)
class _Casting:
    """One online ballot, checked by its request and waiting for the group commit."""

    cycle_id: int
    user_id: int
    choices: tuple[tuple[int, int], ...]  # (project id, points)
    at: datetime


def cast_ballot(session: Session, user: User | None, cycle: BudgetCycle,
                projects_in: Iterable[int] | None = None,
                points_in: dict[int, int] | None = None) -> BudgetBallot:
    """Cast or change the voter's one ballot. Eligibility, the phase and the ballot itself are
    checked here (reads only); the write joins the group commit of ballots."""
    rules = rules_of(session, cycle)
    permissions.check_vote(session, user, cycle, phase_of(cycle), rules.minimum_age)
    choices = _valid_ballot(session, cycle, rules, projects_in, points_in)
    BALLOTS.submit(session, _Casting(cycle.id, user.id, tuple(sorted(choices.items())),
                                     clock.now()))
    ballot = repo.ballot_of_user(session, cycle.id, user.id)
    if ballot is None:  # pragma: no cover - committed before the answer
        raise Conflict(N_("Your ballot could not be saved. Please try again."))
    return ballot


def _write_ballots(session: Session, batch: Iterable[_Casting]) -> list:
    """Write a batch of ballots: each ballot and its choices in a savepoint of its own, then
    each project's and each cycle's counter moved once for the whole batch. Outcome per item:
    the ballot id, or the DomainError it is refused with."""
    outcomes: list = []
    deltas: dict[int, tuple[int, int]] = {}
    new_ballots: dict[int, int] = defaultdict(int)
    voting: dict[int, BudgetCycle | None] = {}
    for item in batch:
        if item.cycle_id not in voting:  # re-read: an official may have closed the vote
            cycle = repo.cycle(session, item.cycle_id)
            voting[item.cycle_id] = cycle if cycle is not None and phase_of(
                cycle, item.at) == Phase.voting else None
        cycle = voting[item.cycle_id]
        if cycle is None:
            outcomes.append(Conflict(N_("Voting is not open.")))
            continue
        try:
            with session.begin_nested():
                ballot, created, moved = _store_ballot(session, item)
        except DomainError as exc:
            outcomes.append(exc)
            continue
        for project_id, (votes, points) in moved.items():
            before = deltas.get(project_id, (0, 0))
            deltas[project_id] = (before[0] + votes, before[1] + points)
        new_ballots[item.cycle_id] += created
        outcomes.append(ballot.id)
    _bump_projects(session, deltas)
    for cycle_id in sorted(new_ballots):
        if new_ballots[cycle_id]:
            repo.bump_ballot_count(session, voting[cycle_id], new_ballots[cycle_id])
    return outcomes


def _store_ballot(session: Session, item: _Casting) -> tuple[BudgetBallot, bool, Deltas]:
    """Insert or change one voter's ballot. One ballot per resident per cycle is a unique
    constraint; when two requests race, the loser finds the winner's ballot and changes it."""
    ballot = repo.ballot_of_user(session, item.cycle_id, item.user_id, lock=True)
    created = False
    if ballot is None:
        fresh = BudgetBallot(cycle_id=item.cycle_id, voter_user_id=item.user_id,
                             source=BallotSource.online, created_at=item.at,
                             updated_at=item.at)
        if repo.try_insert_ballot(session, fresh):
            ballot, created = fresh, True
        else:
            ballot = repo.ballot_of_user(session, item.cycle_id, item.user_id, lock=True)
            if ballot is None:  # pragma: no cover - the constraint said it exists
                raise Conflict(N_("Your ballot could not be saved. Please try again."))
    if ballot.source != BallotSource.online:
        raise Conflict(N_("Your paper ballot from a service centre is already counted; it "
                          "cannot be changed online."))
    old = {} if created else repo.choices(session, ballot.id)
    moved = _write_choices(session, ballot, old, dict(item.choices))
    if not created:
        repo.touch_ballot(session, ballot, item.at)
    audit.append(session, "budget.ballot_cast" if created else "budget.ballot_changed",
                 "budget_cycle", item.cycle_id, item.user_id, ballot_id=ballot.id,
                 source="online")
    return ballot, created, moved


BALLOTS = GroupCommit("budget-ballots", _write_ballots)


def identity_hash(document: str) -> str:
    """A keyed hash of an identity document number (normalised), never the number itself."""
    normal = "".join(ch for ch in document.upper() if ch.isalnum())
    key = (get_settings().secret_key + ":budget-paper").encode()
    return hmac.new(key, normal.encode(), hashlib.sha256).hexdigest()


def record_paper_ballot(session: Session, official: User | None, cycle: BudgetCycle, *,
                        projects_in: Iterable[int] | None = None,
                        points_in: dict[int, int] | None = None,
                        voter_email: str | None = None, identity_document: str | None = None,
                        birth_date: date | None = None) -> BudgetBallot:
    """A paper ballot from a service centre. A voter with an account is named by e-mail (and
    then counted against their online ballot: a second ballot is refused); one without is
    named by a keyed hash of their document number, after the official checked their age."""
    permissions.check_paper(session, official, cycle, phase_of(cycle))
    rules = rules_of(session, cycle)
    voter, digest = _paper_voter(session, cycle, rules, (voter_email or "").strip(),
                                 (identity_document or "").strip(), birth_date)
    choices = _valid_ballot(session, cycle, rules, projects_in, points_in)
    existing = (repo.ballot_of_user(session, cycle.id, voter.id) if voter is not None
                else repo.ballot_of_identity(session, cycle.id, digest))
    if existing is not None:
        raise Conflict(ALREADY_VOTED)
    ballot = add_ballot(session, voter, cycle, choices, source=BallotSource.paper,
                        recorded_by=official, identity=digest)
    audit.append(session, "budget.paper_ballot_recorded", repo.CYCLE_SUBJECT, cycle.id,
                 official.id, ballot_id=ballot.id, source="paper",
                 registered_voter=voter is not None)
    return ballot


def _paper_voter(session: Session, cycle: BudgetCycle, rules: CycleRules, email: str,
                 document: str, birth_date: date | None) -> tuple[User | None, str | None]:
    """Who votes on paper, as (their account, None) or (None, their document's hash): an
    eligible account named by its e-mail, or a document with a date of birth old enough."""
    if email:
        voter = identity_repo.user_by_canonical_email(
            session, identity_service.canonical_email(email))
        if voter is None:
            message = N_("No account has this e-mail address. Leave it empty and enter the "
                         "identity document instead.")
            raise InvalidInput(message, fields={"voter_email": message})
        permissions.check_voter(session, voter, cycle, rules.minimum_age)
        return voter, None
    if len("".join(ch for ch in document if ch.isalnum())) >= 4:
        if birth_date is None:
            message = N_("Enter the voter's date of birth.")
            raise InvalidInput(message, fields={"birth_date": message})
        permissions.check_voter_age(birth_date, rules.minimum_age)
        return None, identity_hash(document)
    message = N_("Name the voter: their e-mail address, or their identity document.")
    raise InvalidInput(message, fields={"identity_document": message})
