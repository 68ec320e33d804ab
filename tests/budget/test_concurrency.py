"""Ballots under real concurrency: threads, separate connections, real commits."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func
from sqlmodel import select

from app.db import build_engine, transaction
from budget import repository as repo
from budget.ballots import cast_ballot
from budget.models import BudgetBallot, BudgetCycle, BudgetProject
from tests.budget.factories import make_voting_cycle
from tests.factories import make_community, make_resident


def _setup(engine, clock, voters: int, costs):
    with transaction(engine) as session:
        place = make_community(session, rules_override={"budget": {"max_choices": 3}})
        cycle, projects = make_voting_cycle(session, place, clock, costs,
                                            categories=[("Все", 10_000_000)])
        residents = [make_resident(session, place) for _ in range(voters)]
        for person in residents:
            session.expunge(person)
        return cycle.id, [p.id for p in projects], residents


def _state(engine, cycle_id):
    with transaction(engine, write=False) as session:
        cycle = session.get(BudgetCycle, cycle_id)
        ballots = session.exec(select(func.count()).select_from(BudgetBallot)
                               .where(BudgetBallot.cycle_id == cycle_id)).one()
        stored = {p.id: (p.vote_count, p.score) for p in session.exec(
            select(BudgetProject).where(BudgetProject.cycle_id == cycle_id)).all()}
        recount = {p: (0, 0) for p in stored}
        for _b, project_id, points, _r in repo.cycle_choices(session, cycle_id):
            recount[project_id] = (recount[project_id][0] + 1, recount[project_id][1] + points)
        return cycle.ballot_count, ballots, stored, recount


def test_two_ballots_at_once_by_one_resident_leave_one(isolated_database, clock, backend,
                                                       monkeypatch):
    engine = build_engine(isolated_database, pool_size=8, max_overflow=4)
    lost_races: list[bool] = []
    real_insert = repo.try_insert_ballot

    def counted(session, ballot):
        inserted = real_insert(session, ballot)
        if not inserted:
            lost_races.append(True)
        return inserted

    monkeypatch.setattr(repo, "try_insert_ballot", counted)
    try:
        cycle_id, (a, b, c), (voter,) = _setup(engine, clock, 1, [(0, 1000)] * 3)
        barrier = threading.Barrier(2)
        errors: list[BaseException] = []

        def vote(choice):
            barrier.wait()
            try:
                with transaction(engine) as session:
                    cycle = session.get(BudgetCycle, cycle_id)
                    cast_ballot(session, voter, cycle, choice)
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        for _ in range(5):  # several rounds: the race must hold every time
            threads = [threading.Thread(target=vote, args=(choice,))
                       for choice in ([a, b], [b, c])]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        assert not errors, errors
        count, rows, stored, recount = _state(engine, cycle_id)
        assert count == rows == 1
        assert stored == recount
        assert sum(votes for votes, _ in stored.values()) == 2
        if backend == "postgresql":
            # Both requests found no ballot and inserted: the constraint decided, and the
            # loser changed the winner's ballot instead of failing.
            assert lost_races
    finally:
        engine.dispose()


def test_many_residents_voting_and_changing_at_once_keep_exact_counts(isolated_database,
                                                                       clock):
    engine = build_engine(isolated_database, pool_size=12, max_overflow=4)
    try:
        cycle_id, ids, residents = _setup(engine, clock, 30, [(0, 1000)] * 5)
        lock = threading.Lock()
        failures: list[BaseException] = []

        def vote(job):
            person, choice = job
            try:
                with transaction(engine) as session:
                    cycle = session.get(BudgetCycle, cycle_id)
                    cast_ballot(session, person, cycle, choice)
            except BaseException as exc:  # pragma: no cover - reported below
                with lock:
                    failures.append(exc)

        # Each resident sends three different ballots back to back: a first one and changes,
        # in opposite project orders so that row locks are taken in conflicting orders.
        jobs = [(person, choice) for n, person in enumerate(residents)
                for choice in ([ids[n % 5], ids[(n + 1) % 5]], [ids[(n + 3) % 5]],
                               [ids[4], ids[2], ids[0]])]
        with ThreadPoolExecutor(max_workers=12) as pool:
            list(pool.map(vote, jobs))
        assert not failures, failures[:3]
        count, rows, stored, recount = _state(engine, cycle_id)
        assert count == rows == 30
        assert stored == recount
        assert 30 <= sum(votes for votes, _ in stored.values()) <= 90
    finally:
        engine.dispose()
