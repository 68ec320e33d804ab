"""The group commit: items that queue while a batch is written share the next transaction,
each gets its own outcome, a result means committed, and one bad item fails only itself."""

from __future__ import annotations

import asyncio
import functools
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from app.batch import GroupCommit
from app.db import GROUP_COMMIT, build_engine, transaction
from app.exceptions import Conflict


@pytest.fixture
def engine(tmp_path: Path):
    engine = build_engine(f"sqlite:///{tmp_path / 'batch.db'}")
    with transaction(engine) as session:
        session.exec(text("CREATE TABLE t (n INTEGER NOT NULL UNIQUE)"))
    yield engine
    engine.dispose()


def rows(engine) -> list[int]:
    with transaction(engine, write=False) as session:
        return [r[0] for r in session.exec(text("SELECT n FROM t ORDER BY n"))]


class Recorder:
    """A batch writer that inserts each n and remembers the batches it was given."""

    def __init__(self, hold_first: threading.Event | None = None):
        self.batches: list[list[int]] = []
        self.hold_first = hold_first

    def __call__(self, session, items):
        if self.hold_first is not None and not self.batches:
            self.hold_first.wait(10)
        self.batches.append(list(items))
        outcomes = []
        for n in items:
            if n < 0:
                outcomes.append(Conflict("negative"))
                continue
            session.exec(text("INSERT INTO t VALUES (:n)").bindparams(n=n))
            outcomes.append(n * 10)
        if 666 in items:
            raise RuntimeError("a poisoned batch")
        return outcomes


def submit_in_thread(commit, engine, n, outcomes):
    def run():
        with transaction(engine, write=False) as session:
            session.info[GROUP_COMMIT] = True
            try:
                outcomes[n] = commit.submit(session, n)
            except Exception as exc:
                outcomes[n] = exc
    thread = threading.Thread(target=run)
    thread.start()
    return thread


async def submit_async_in_request(commit, engine, request):
    """What an async batched route does: submit from its read-only session, await the outcome
    (or the Conflict it is refused with)."""
    with transaction(engine, write=False) as session:
        session.info[GROUP_COMMIT] = True
        try:
            return await commit.submit_async(session, request)
        except Conflict as exc:
            return exc


def first_then_queued(engine, first: int, queued: list[int]) -> tuple[Recorder, dict]:
    """Submit `first`, hold its batch while `queued` are submitted, then let all through."""
    release = threading.Event()
    writer = Recorder(hold_first=release)
    commit = GroupCommit("test", writer)
    outcomes: dict = {}
    threads = [submit_in_thread(commit, engine, first, outcomes)]
    time.sleep(0.2)  # the first batch is being written and holds on
    threads += [submit_in_thread(commit, engine, n, outcomes) for n in queued]
    time.sleep(0.3)
    release.set()
    for thread in threads:
        thread.join(10)
    return writer, outcomes


def test_items_that_queue_meanwhile_share_one_transaction(engine):
    writer, outcomes = first_then_queued(engine, 0, list(range(1, 10)))
    assert writer.batches[0] == [0]
    assert sorted(writer.batches[1]) == list(range(1, 10))  # one transaction for the nine
    assert outcomes == {n: n * 10 for n in range(10)}
    assert rows(engine) == list(range(10))


def test_each_item_gets_its_own_outcome_and_a_bad_one_fails_alone(engine):
    _, outcomes = first_then_queued(engine, 1, [2, -3, 666, 4])
    assert isinstance(outcomes[-3], Conflict)  # refused, the others written
    assert isinstance(outcomes[666], RuntimeError)  # its batch failed; retried alone, failed
    assert {n: outcomes[n] for n in (1, 2, 4)} == {1: 10, 2: 20, 4: 40}
    assert rows(engine) == [1, 2, 4]


def test_outside_a_batched_request_the_caller_writes_itself(engine):
    writer = Recorder()
    commit = GroupCommit("test", writer)
    with transaction(engine) as session:
        assert commit.submit(session, 7) == 70
        with pytest.raises(Conflict):
            commit.submit(session, -1)
        session.rollback()  # the caller's transaction decides
    assert rows(engine) == []


def test_async_requests_await_their_outcome_on_the_event_loop(engine):
    """An async route's items share the batch like the others; while they wait, no thread is
    held (only the lane's writer runs), and each gets its own outcome once committed."""
    release = threading.Event()
    writer = Recorder(hold_first=release)
    commit = GroupCommit("test", writer)
    threads_while_waiting: list[int] = []

    def one(n: int):
        return submit_async_in_request(commit, engine, n)

    async def main():
        first = asyncio.ensure_future(one(0))
        await asyncio.sleep(0.2)  # the first batch is being written and holds on
        queued = [asyncio.ensure_future(one(n)) for n in (1, 2, -3)]
        await asyncio.sleep(0.2)
        threads_while_waiting.append(threading.active_count())
        release.set()
        return await asyncio.gather(first, *queued)

    before = threading.active_count()
    results = asyncio.run(main())
    assert threads_while_waiting == [before + 1]  # the writer; no thread per waiting request
    assert results[:3] == [0, 10, 20] and isinstance(results[3], Conflict)
    assert writer.batches == [[0], [1, 2, -3]]
    assert rows(engine) == [0, 1, 2]


def test_async_outside_a_batched_request_the_caller_writes_itself(engine):
    commit = GroupCommit("test", Recorder())

    async def main(session):
        return await commit.submit_async(session, 5)

    with transaction(engine) as session:
        assert asyncio.run(main(session)) == 50
    assert rows(engine) == [5]


class Checker:
    """Checks a batch of requests ("n" strings) at once: an odd one is refused, an even one
    becomes the item n; remembers each batch it was given."""

    def __init__(self):
        self.batches: list[list[str]] = []

    def __call__(self, session, requests):
        self.batches.append(list(requests))
        return [Conflict("odd") if int(r) % 2 else int(r) for r in requests]


def test_a_batch_is_checked_once_and_only_what_passed_is_written(engine):
    """The requests that queued meanwhile are checked together, in one call (one query per
    kind of fact for the batch), while the batch before them is being written; the refused
    ones get their error at once, the others are written in one transaction and answered once
    committed."""
    release = threading.Event()
    writer, checker = Recorder(hold_first=release), Checker()
    commit = GroupCommit("test", writer, check=checker)

    def one(r: str):
        return submit_async_in_request(commit, engine, r)

    async def main():
        first = asyncio.ensure_future(one("0"))
        await asyncio.sleep(0.2)  # the first batch is being written and holds on
        queued = [asyncio.ensure_future(one(r)) for r in ("2", "3", "4", "5")]
        await asyncio.sleep(0.2)
        # Checked while the first batch is still being written: the refused are answered.
        assert [q.done() for q in queued] == [False, True, False, True]
        release.set()
        return await asyncio.gather(first, *queued)

    results = asyncio.run(main())
    assert checker.batches == [["0"], ["2", "3", "4", "5"]]  # one check per batch
    assert writer.batches == [[0], [2, 4]]  # only what passed reaches the writer
    assert results[0] == 0 and results[1] == 20 and results[3] == 40
    assert isinstance(results[2], Conflict) and isinstance(results[4], Conflict)
    assert rows(engine) == [0, 2, 4]


def test_outside_a_batched_request_the_caller_checks_and_writes_itself(engine):
    writer, checker = Recorder(), Checker()
    commit = GroupCommit("test", writer, check=checker)
    with transaction(engine) as session:
        assert commit.submit(session, "6") == 60
        with pytest.raises(Conflict):
            commit.submit(session, "7")
    assert checker.batches == [["6"], ["7"]]
    assert writer.batches == [[6]]  # the refused one never reached the writer
    assert rows(engine) == [6]


def test_the_next_batch_is_checked_just_in_time(engine):
    """While a batch is written, the next one is checked only near the end of the write (as
    long before as a check takes): requests that come during the write join it, instead of
    the first of them being checked alone and the rest waiting for the batch after."""
    checker = Checker()

    def slow(session, items):  # every write takes 0.4 s
        time.sleep(0.4)
        return Recorder()(session, items)

    commit = GroupCommit("test", slow, check=checker)
    one = functools.partial(submit_async_in_request, commit, engine)

    async def main():
        assert await one("0") == 0  # the writer's pace is now known: 0.4 s a batch
        first = asyncio.ensure_future(one("2"))
        await asyncio.sleep(0.05)
        early = asyncio.ensure_future(one("4"))  # during the write of "2"
        await asyncio.sleep(0.15)
        late = asyncio.ensure_future(one("6"))  # still during it
        return await asyncio.gather(first, early, late)

    assert asyncio.run(main()) == [20, 40, 60]
    assert checker.batches == [["0"], ["2"], ["4", "6"]]


def test_what_a_batchs_checks_read_is_kept_only_there_and_only_while_valid(engine):
    """`recent`: in a group commit's checks a value is kept (the page cache's store, TTL and
    generation) when `keep` accepts it; anywhere else it is loaded each time."""
    from app import batch
    from app.web import pagecache

    loads: list[int] = []

    def load() -> int:
        loads.append(len(loads) + 1)
        return loads[-1]

    def recent(session, key: int, keep: bool = True) -> int:
        return batch.recent(session, "test-value", (key,), load, lambda value: 100,
                            lambda value: keep)

    with transaction(engine, write=False) as session:
        assert [recent(session, 1), recent(session, 1)] == [1, 2]  # not a batch's checks
        session.info[batch.CHECKS] = True
        assert [recent(session, 1), recent(session, 1)] == [3, 3]
        assert [recent(session, 2, keep=False), recent(session, 2, keep=False)] == [4, 5]
        pagecache.invalidate()  # a committed write of this process
        assert [recent(session, 1), recent(session, 1)] == [6, 6]
