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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session

from app import batch, clock
from app.audit import service as audit
from app.communities import permissions as community_permissions
from app.communities import repository as communities_repo
from app.deliberation.networks import network_hash
from app.exceptions import Conflict, DomainError, Forbidden, InvalidInput, NotAuthenticated
from app.identity import repository as identity_repo
from app.identity import service as identity_service
from app.identity.models import User
from app.settings import get_settings
from app.web import ratelimit
from app.web.i18n import N_
from budget import permissions
from budget import repository as repo
from budget.ballot_check import BallotRejected, check_ballot, normalise_choices
from budget.cycles import CycleRules, get_cycle, rules_of
from budget.models import (
    BallotSource,
    BudgetBallot,
    BudgetCategory,
    BudgetCycle,
    BudgetProject,
    Phase,
)
from budget.phases import phase_of
from budget.projects import ballot_projects

ALREADY_VOTED = N_("This voter has already voted in this cycle (online or on paper).")


@dataclass(frozen=True)
class Sheet:
    """What a cycle's ballots are checked against: its pots and the projects on the ballot
    (read once for a whole batch of ballots)."""

    categories: list[BudgetCategory]
    projects: list[BudgetProject]


def sheet_of(session: Session, cycle: BudgetCycle) -> Sheet:
    return Sheet(repo.categories(session, cycle.id), ballot_projects(session, cycle))


def _valid_ballot(session: Session, cycle: BudgetCycle, rules: CycleRules,
                  projects_in: Iterable[int] | None, points_in: dict[int, int] | None,
                  district_id: int | None, sheet: Sheet | None = None) -> dict[int, int]:
    """The checked choices of a ballot that covers the pots open to a voter of the district
    (a choice in another district's pot is refused: 403)."""
    choices, problems = normalise_choices(rules, projects_in, points_in)
    sheet = sheet or sheet_of(session, cycle)
    cats, on_ballot = _pots(sheet, district_id)
    if any(p.id in choices and p.category_id not in {c.id for c in cats}
           for p in sheet.projects):
        raise Forbidden(permissions.OTHER_DISTRICT)
    result = check_ballot(rules, cats, on_ballot, choices, problems)
    if not result.valid:
        raise BallotRejected(result)
    return result.choices


def pots_for(session: Session, cycle: BudgetCycle, district_id: int | None
             ) -> tuple[list[BudgetCategory], list[BudgetProject]]:
    """The pots a ballot of a voter of the district covers, and their projects on the
    ballot."""
    return _pots(sheet_of(session, cycle), district_id)


def _pots(sheet: Sheet, district_id: int | None
          ) -> tuple[list[BudgetCategory], list[BudgetProject]]:
    cats = [c for c in sheet.categories if permissions.pot_open(c, district_id)]
    ids = {c.id for c in cats}
    return cats, [p for p in sheet.projects if p.category_id in ids]


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


def add_ballot(session: Session, voter: User | None, cycle: BudgetCycle,
               choices: dict[int, int], *, source: str = BallotSource.online,
               recorded_by: User | None = None, identity: str | None = None) -> BudgetBallot:
    """Store a new, checked ballot with its counters (no phase or eligibility check: callers
    do that; the seed uses it for past cycles). A second ballot of the same voter is refused
    by the unique constraints."""
    now = clock.now()
    repo.share_ballots(session, cycle.id)  # an invalidation waits for this ballot
    ballot = BudgetBallot(cycle_id=cycle.id, voter_user_id=voter.id if voter else None,
                          paper_identity_hash=identity, source=source,
                          recorded_by_id=recorded_by.id if recorded_by else None,
                          created_at=now, updated_at=now)
    if not repo.try_insert_ballot(session, ballot):
        raise Conflict(ALREADY_VOTED)
    repo.bump_projects(session, _write_choices(session, ballot, {}, choices))
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
class BallotRequest:
    """A ballot as the route received it: from the person (a page's logged-in user) or from
    the holder of the API token they sent, whom the checks find."""

    cycle_id: int
    projects: tuple[int, ...] | None
    points: dict[int, int] | None
    at: datetime
    network_hash: str | None = None
    user: User | None = None
    token: str | None = None


@dataclass(frozen=True)
class _Casting:
    """One online ballot, checked and waiting for the group commit."""

    cycle_id: int
    user_id: int
    choices: tuple[tuple[int, int], ...]  # (project id, points)
    at: datetime
    network_hash: str | None = None  # the keyed hash of the voter's network (fraud views)


@dataclass(frozen=True)
class CastBallot:
    """A ballot as the group commit wrote it: enough to answer without reading it again."""

    id: int
    cycle_id: int
    source: str
    choices: dict[int, int]
    created_at: datetime
    updated_at: datetime
    receipt: audit.Receipt  # the voter's receipt of this ballot's entry in the audit log


def request(cycle_id: int, projects_in: Iterable[int] | None = None,
            points_in: dict[int, int] | None = None, client_address: str | None = None, *,
            user: User | None = None, token: str | None = None) -> BallotRequest:
    """A ballot to check and cast, with the keyed hash of the client's network (the fraud
    views): computed here, so the batch only writes one more column."""
    return BallotRequest(cycle_id, None if projects_in is None else tuple(projects_in),
                         points_in, clock.now(), network_hash(client_address), user=user,
                         token=token)


def cast_ballot(session: Session, user: User | None, cycle: BudgetCycle,
                projects_in: Iterable[int] | None = None,
                points_in: dict[int, int] | None = None,
                client_address: str | None = None) -> CastBallot:
    """Cast or change the voter's one ballot. Eligibility, the phase and the ballot itself are
    checked first (reads only: `_check_ballots`); the write joins the group commit of
    ballots."""
    return BALLOTS.submit(session, request(cycle.id, projects_in, points_in, client_address,
                                           user=user))


async def cast_ballot_async(session: Session, ballot: BallotRequest) -> CastBallot:
    """`cast_ballot` for an async route (the API's, with the token not yet resolved): no
    thread waits, and the token's holder is found with the batch's other checks."""
    return await BALLOTS.submit_async(session, ballot)


def _check_ballots(session: Session, requests: Sequence[BallotRequest]) -> list:
    """The read-only checks of a batch of ballots: one query for the tokens' holders, one for
    everyone's memberships (their districts with them), each cycle and its ballot sheet once,
    then each ballot's own check. Outcome per request: the _Casting to write, or the
    DomainError it is refused with."""
    holders = identity_service.users_for_tokens(session, [r.token for r in requests if r.token])
    people = [holders.get(r.token) if r.token else r.user for r in requests]
    community_permissions.load_memberships(session, [u for u in people if u is not None])
    outcomes: list = []
    for ballot, user in zip(requests, people, strict=True):
        try:
            if ballot.token and user is None:
                raise NotAuthenticated(identity_service.INVALID_TOKEN)
            if ballot.token:
                ratelimit.limit_account("vote", user.id)  # known only now, for a token
            cycle, sheet = batch.recent(session, "ballot-sheet", (ballot.cycle_id,),
                                        lambda c=ballot.cycle_id: _cycle_sheet(session, c),
                                        _sheet_weight, _sheet_fixed)
            outcomes.append(_checked(session, user, cycle, ballot, sheet))
        except DomainError as refused:
            outcomes.append(refused)
    return outcomes


def _cycle_sheet(session: Session, cycle_id: int) -> tuple[BudgetCycle, Sheet]:
    """A cycle and its ballot sheet, as the checks of batches of ballots share them (app.batch
    `recent`); the writer reads the cycle again."""
    cycle = get_cycle(session, cycle_id)
    return cycle, sheet_of(session, cycle)


def _sheet_weight(value: tuple[BudgetCycle, Sheet]) -> int:
    return 2000 + sum(1000 + len(p.description or "") for p in value[1].projects)


def _sheet_fixed(value: tuple[BudgetCycle, Sheet]) -> bool:
    """Projects are reviewed before voting begins: from then on the sheet stays as it is."""
    return phase_of(value[0]) == Phase.voting


def _checked(session: Session, user: User | None, cycle: BudgetCycle, ballot: BallotRequest,
             sheet: Sheet) -> _Casting:
    rules = rules_of(session, cycle)
    permissions.check_vote(session, user, cycle, phase_of(cycle, ballot.at), rules.minimum_age,
                           rules.vote_level)
    choices = _valid_ballot(session, cycle, rules, ballot.projects, ballot.points,
                            permissions.district_of(session, user, cycle.community_id), sheet)
    return _Casting(cycle.id, user.id, tuple(sorted(choices.items())), ballot.at,
                    ballot.network_hash)


def _write_ballots(session: Session, batch: Sequence[_Casting]) -> list:
    """Write a batch of ballots. Per cycle (its ballots' lock held shared, so an invalidation
    waits for the batch; re-read: an official may have closed the vote),
    the first ballots of voters who had none go in together: one multi-row INSERT that the
    unique constraint (one ballot per voter and cycle) may refuse row by row, one INSERT of
    their choices, one of their audit entries. A changed ballot, a voter's second request in
    the batch and a voter who lost a race take the way of one ballot at a time, in a savepoint
    each. Then each project's and each cycle's counter moves once, in id order (no deadlock).
    Outcome per item: the CastBallot, or the DomainError it is refused with."""
    outcomes: list = [None] * len(batch)
    by_cycle: dict[int, list[int]] = defaultdict(list)
    for index, item in enumerate(batch):
        by_cycle[item.cycle_id].append(index)
    deltas: Deltas = {}
    new_ballots: dict[int, int] = {}
    cycles: dict[int, BudgetCycle] = {}
    for cycle_id in sorted(by_cycle):
        indexes = by_cycle[cycle_id]
        repo.share_ballots(session, cycle_id)
        cycle = repo.cycle(session, cycle_id)
        if cycle is None or phase_of(cycle, max(batch[i].at for i in indexes)) != Phase.voting:
            for index in indexes:
                outcomes[index] = Conflict(permissions.VOTING_CLOSED)
            continue
        cycles[cycle_id] = cycle
        new_ballots[cycle_id] = _insert_first_ballots(session, batch, indexes, outcomes, deltas)
        for index in indexes:
            if outcomes[index] is None:
                new_ballots[cycle_id] += _change_ballot(session, batch[index], outcomes, index,
                                                        deltas)
    repo.bump_projects(session, deltas)
    for cycle_id in sorted(new_ballots):
        if new_ballots[cycle_id]:
            repo.bump_ballot_count(session, cycles[cycle_id], new_ballots[cycle_id])
    return outcomes


def _insert_first_ballots(session: Session, batch: Sequence[_Casting], indexes: list[int],
                          outcomes: list, deltas: Deltas) -> int:
    """The first ballot of each voter of one cycle who has none yet; returns how many. Every
    voter's first request of the batch is tried: the unique constraint skips those who have a
    ballot already (no query to ask first), and they take the way of a changed ballot."""
    cycle_id = batch[indexes[0]].cycle_id
    first: dict[int, int] = {}  # voter -> index of their first request in the batch
    for index in indexes:
        first.setdefault(batch[index].user_id, index)
    inserted = repo.insert_online_ballots(session, [
        {"cycle_id": cycle_id, "voter_user_id": voter, "source": BallotSource.online,
         "created_at": batch[i].at, "updated_at": batch[i].at,
         "network_hash": batch[i].network_hash} for voter, i in first.items()])
    rows, events, written = [], [], clock.now()
    for voter, index in first.items():
        if voter not in inserted:
            continue  # a ballot of theirs is there (or a concurrent writer's): changed below
        item, ballot_id = batch[index], inserted[voter]
        rows += [{"ballot_id": ballot_id, "project_id": project_id, "points": points,
                  "rank": None} for project_id, points in item.choices]
        _add_moves(deltas, {project_id: (1, points) for project_id, points in item.choices})
        # No ballot id in the public log: it would link a voter's cast and changed entries.
        events.append(audit.event("budget.ballot_cast", repo.CYCLE_SUBJECT, cycle_id, voter,
                                  at=written, source="online"))
        outcomes[index] = CastBallot(ballot_id, cycle_id, BallotSource.online,
                                     dict(item.choices), item.at, item.at,
                                     audit.receipt_for(events[-1]))
    repo.add_choices(session, rows)
    audit.append_many(session, events)
    return len(events)


def _add_moves(deltas: Deltas, moved: Deltas) -> None:
    """Add one ballot's moves of the projects' counters to the batch's."""
    for project_id, (votes, points) in moved.items():
        before = deltas.get(project_id, (0, 0))
        deltas[project_id] = (before[0] + votes, before[1] + points)


def _change_ballot(session: Session, item: _Casting, outcomes: list, index: int,
                   deltas: Deltas) -> int:
    """One ballot at a time, in a savepoint; returns 1 if it was a new ballot."""
    try:
        with session.begin_nested():
            ballot, created, moved, event = _store_ballot(session, item)
    except DomainError as exc:
        outcomes[index] = exc
        return 0
    _add_moves(deltas, moved)
    outcomes[index] = CastBallot(ballot.id, item.cycle_id, ballot.source, dict(item.choices),
                                 ballot.created_at, ballot.updated_at, audit.receipt_for(event))
    return int(created)


def _store_ballot(session: Session, item: _Casting
                  ) -> tuple[BudgetBallot, bool, Deltas, dict]:
    """Insert or change one voter's ballot (returns it, whether it is new, the counters' moves
    and its audit event). One ballot per resident per cycle is a unique constraint; when two
    requests race, the loser finds the winner's ballot and changes it."""
    ballot = repo.ballot_of_user(session, item.cycle_id, item.user_id, lock=True)
    created = False
    if ballot is None:
        fresh = BudgetBallot(cycle_id=item.cycle_id, voter_user_id=item.user_id,
                             source=BallotSource.online, network_hash=item.network_hash,
                             created_at=item.at, updated_at=item.at)
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
    event = audit.append(session, "budget.ballot_cast" if created else "budget.ballot_changed",
                         repo.CYCLE_SUBJECT, item.cycle_id, item.user_id, source="online")
    return ballot, created, moved, event


BALLOTS = batch.GroupCommit("budget-ballots", _write_ballots, check=_check_ballots)


def identity_hash(document: str) -> str:
    """A keyed hash of an identity document number (normalised), never the number itself."""
    normal = "".join(ch for ch in document.upper() if ch.isalnum())
    key = (get_settings().secret_key + ":budget-paper").encode()
    return hmac.new(key, normal.encode(), hashlib.sha256).hexdigest()


def record_paper_ballot(session: Session, official: User | None, cycle: BudgetCycle, *,
                        projects_in: Iterable[int] | None = None,
                        points_in: dict[int, int] | None = None,
                        voter_email: str | None = None, identity_document: str | None = None,
                        birth_date: date | None = None,
                        district_id: int | None = None) -> BudgetBallot:
    """A paper ballot from a service centre. A voter with an account is named by e-mail (and
    then counted against their online ballot: a second ballot is refused); one without is
    named by a keyed hash of their document number, after the official checked their age
    (and, in a cycle with district pots, the district of the address in their document)."""
    permissions.check_paper(session, official, cycle, phase_of(cycle))
    rules = rules_of(session, cycle)
    voter, digest = _paper_voter(session, cycle, rules, (voter_email or "").strip(),
                                 (identity_document or "").strip(), birth_date)
    if voter is not None:
        district_id = permissions.district_of(session, voter, cycle.community_id)
    elif district_id is not None and district_id not in {
            d.id for d in communities_repo.districts(session, cycle.community_id)}:
        message = N_("Choose a district of this community.")
        raise InvalidInput(message, fields={"district_id": message})
    choices = _valid_ballot(session, cycle, rules, projects_in, points_in, district_id)
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
        permissions.check_voter(session, voter, cycle, rules.minimum_age, rules.vote_level)
        return voter, None
    if len("".join(ch for ch in document if ch.isalnum())) >= 4:
        if birth_date is None:
            message = N_("Enter the voter's date of birth.")
            raise InvalidInput(message, fields={"birth_date": message})
        permissions.check_voter_age(birth_date, rules.minimum_age)
        return None, identity_hash(document)
    message = N_("Name the voter: their e-mail address, or their identity document.")
    raise InvalidInput(message, fields={"identity_document": message})
