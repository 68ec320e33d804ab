"""Ballots under real concurrency: threads, separate connections, real commits."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import event, func
from sqlmodel import select

from app.db import GROUP_COMMIT, build_engine, reader_of, transaction
from app.web import pagecache
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
    real_insert = repo.insert_online_ballots

    def counted(session, rows):
        inserted = real_insert(session, rows)
        if len(inserted) < len(rows):
            lost_races.append(True)
        return inserted

    monkeypatch.setattr(repo, "insert_online_ballots", counted)
    if backend == "postgresql":
        # Both requests of the first round insert at once, so the race the constraint
        # decides happens every time (SQLite's writer turn makes them take turns instead:
        # there is no race to force there).
        both_insert = threading.Barrier(2, timeout=10)

        def insert_together(session, rows):
            if not lost_races:
                both_insert.wait()
            return counted(session, rows)

        monkeypatch.setattr(repo, "insert_online_ballots", insert_together)
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

        for round_ in range(5):  # several rounds: the race must hold every time
            threads = [threading.Thread(target=vote, args=(choice,))
                       for choice in ([a, b], [b, c])]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            if round_ == 0 and backend == "postgresql":
                # Both requests inserted: the constraint decided, and the loser changed the
                # winner's ballot instead of failing.
                assert lost_races
        assert not errors, errors
        count, rows, stored, recount = _state(engine, cycle_id)
        assert count == rows == 1
        assert stored == recount
        assert sum(votes for votes, _ in stored.values()) == 2
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


def test_one_batch_of_first_ballots_changes_and_a_closed_vote(isolated_database, clock):
    """The group commit's write: first ballots together, a voter's second request and a
    changed ballot one at a time, a cycle no longer voting refused; counters exact."""
    from budget.ballots import _Casting, _write_ballots

    engine = build_engine(isolated_database)
    try:
        cycle_id, (a, b, c), residents = _setup(engine, clock, 4, [(0, 1000)] * 3)
        first, second, third, changer = (person.id for person in residents)
        with transaction(engine) as session:  # the changer voted before
            cycle = session.get(BudgetCycle, cycle_id)
            cast_ballot(session, residents[3], cycle, [a])
        now = clock()
        batch = [_Casting(cycle_id, first, ((a, 1), (b, 1)), now),
                 _Casting(cycle_id, second, ((b, 1),), now),
                 _Casting(cycle_id, first, ((c, 1),), now),  # first changes their mind
                 _Casting(cycle_id, changer, ((b, 1), (c, 1)), now),
                 _Casting(cycle_id + 1000, third, ((a, 1),), now)]
        with transaction(engine) as session:
            outcomes = _write_ballots(session, batch)
        assert [type(o).__name__ for o in outcomes] == ["CastBallot"] * 4 + ["Conflict"]
        assert outcomes[0].id == outcomes[2].id and outcomes[2].choices == {c: 1}
        count, rows, stored, recount = _state(engine, cycle_id)
        assert count == rows == 3
        assert stored == recount
        assert stored[a] == (0, 0) and stored[b] == (2, 2) and stored[c] == (2, 2)
    finally:
        engine.dispose()


def test_a_voters_entries_in_the_log_name_no_ballot(isolated_database, clock):
    """The public log must not link a voter's first ballot to its changes."""
    from app.audit.models import AuditEntry

    engine = build_engine(isolated_database)
    try:
        cycle_id, (a, b, _c), (voter,) = _setup(engine, clock, 1, [(0, 1000)] * 3)
        for choice in ([a], [b]):
            with transaction(engine) as session:
                cast_ballot(session, voter, session.get(BudgetCycle, cycle_id), choice)
        with transaction(engine, write=False) as session:
            entries = session.exec(select(AuditEntry).where(
                AuditEntry.action.in_(["budget.ballot_cast", "budget.ballot_changed"]))).all()
        assert [e.action for e in entries] == ["budget.ballot_cast", "budget.ballot_changed"]
        assert all("ballot" not in e.data for e in entries)
    finally:
        engine.dispose()


def test_invalidations_while_residents_vote_keep_exact_counts(isolated_database, clock):
    """A moderator invalidates a domain's ballots again and again while residents vote and
    change their ballots: the invalidation and the ballots' writes take the cycle's lock
    first, then the projects' rows in id order, so nothing deadlocks and every counter ends
    equal to its rows."""
    from app.exceptions import InvalidInput
    from budget import fraud
    from budget.models import BallotInvalidationCreate
    from tests.factories import make_moderator

    engine = build_engine(isolated_database, pool_size=12, max_overflow=4)
    try:
        with transaction(engine) as session:
            place = make_community(session, rules_override={"budget": {"max_choices": 3}})
            cycle, projects = make_voting_cycle(session, place, clock, [(0, 1000)] * 4,
                                                categories=[("Все", 10_000_000)])
            residents = [make_resident(session, place,
                                       email=f"c{n}-{cycle.id}@{'bots' if n % 2 else 'ok'}"
                                             f".example") for n in range(16)]
            moderator = make_moderator(session, place)
            for person in [*residents, moderator]:
                session.expunge(person)
            cycle_id, ids = cycle.id, [p.id for p in projects]
        lock = threading.Lock()
        failures: list[BaseException] = []
        done = {"invalidated": 0}

        def act(job):
            kind, person, choice = job
            try:
                with transaction(engine) as session:
                    cycle = session.get(BudgetCycle, cycle_id)
                    if kind == "vote":
                        cast_ballot(session, person, cycle, choice)
                    else:
                        result = fraud.invalidate(session, person, cycle, BallotInvalidationCreate(
                            email_domain="bots.example",
                            reason="Бюлетені одного скрипта з одного домену."))
                        with lock:
                            done["invalidated"] += result.invalidation.count
            except InvalidInput:
                pass  # nothing of the domain at that moment, or only its ballots
            except BaseException as exc:  # pragma: no cover - reported below
                with lock:
                    failures.append(exc)

        jobs = []
        for n, person in enumerate(residents):
            jobs += [("vote", person, [ids[n % 4], ids[(n + 1) % 4]]),
                     ("vote", person, [ids[3], ids[0]])]
            if n % 4 == 3:
                jobs.append(("invalidate", moderator, None))
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(act, jobs))
        assert not failures, failures[:3]
        count, rows, stored, recount = _state(engine, cycle_id)
        assert count == rows and stored == recount
        # Afterwards, one more of the domain votes and is invalidated: the counts follow.
        before = done["invalidated"]
        act(("vote", residents[1], [ids[2]]))
        act(("invalidate", moderator, None))
        assert not failures and done["invalidated"] > before
        count, rows, stored, recount = _state(engine, cycle_id)
        assert count == rows == 8 and stored == recount  # the eight of ok.example
    finally:
        engine.dispose()


def test_batches_of_ballots_share_the_ballot_sheet_while_it_is_kept(isolated_database, clock):
    """The group commit's checks read a cycle's ballot sheet once for the batches of a second
    (app.batch `recent`); after a committed write of the process they read it again."""
    engine = build_engine(isolated_database)
    sheet_reads: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        if ("FROM budget_project" in statement and threading.current_thread().name
                .startswith("group-commit-budget-ballots-check")):
            sheet_reads.append(statement)

    # The checks read in reading sessions (app.db `reader_of`: on PostgreSQL another engine).
    event.listen(reader_of(engine), "before_cursor_execute", count)
    try:
        cycle_id, ids, residents = _setup(engine, clock, 4, [(0, 1000)] * 3)

        def vote(person, choice):
            with transaction(engine, write=False) as session:
                session.info[GROUP_COMMIT] = True  # as in a request that batches its writes
                return cast_ballot(session, person, session.get(BudgetCycle, cycle_id), choice)

        for n, person in enumerate(residents[:3]):
            assert vote(person, [ids[n]]).choices == {ids[n]: 1}
        assert len(sheet_reads) == 1
        pagecache.invalidate()
        vote(residents[3], [ids[0], ids[1]])
        assert len(sheet_reads) == 2
        count_, rows, stored, recount = _state(engine, cycle_id)
        assert count_ == rows == 4
        assert stored == recount == {ids[0]: (2, 2), ids[1]: (2, 2), ids[2]: (1, 1)}
    finally:
        engine.dispose()
