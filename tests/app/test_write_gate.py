"""The SQLite writer queue: writers wait for each other without polling, in this process and
in others, and the turn is given back however a transaction ends.

These tests build their own SQLite file whatever the run's database: the queue exists only there.
"""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from app.db import WriterTurn, build_engine, transaction


@pytest.fixture
def engine(tmp_path: Path):
    engine = build_engine(f"sqlite:///{tmp_path / 'gate.db'}")
    with transaction(engine) as session:
        session.exec(text("CREATE TABLE t (n INTEGER NOT NULL)"))
    yield engine
    engine.dispose()


def count(engine) -> int:
    with transaction(engine, write=False) as session:
        return session.exec(text("SELECT count(*) FROM t")).scalar_one()


def insert(engine, n: int | None) -> None:
    with transaction(engine) as session:
        session.exec(text("INSERT INTO t VALUES (:n)").bindparams(n=n))


def test_a_second_writer_waits_for_the_first_and_then_goes_on(engine):
    order: list[str] = []
    first_in = threading.Event()

    def first():
        with transaction(engine) as session:
            session.exec(text("INSERT INTO t VALUES (1)"))
            first_in.set()
            time.sleep(0.3)
            order.append("first commits")

    def second():
        first_in.wait()
        with transaction(engine) as session:
            order.append("second begins")
            session.exec(text("INSERT INTO t VALUES (2)"))

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert order == ["first commits", "second begins"]
    assert count(engine) == 2


def test_readers_do_not_queue_behind_a_writer(engine):
    with transaction(engine) as session:
        session.exec(text("INSERT INTO t VALUES (1)"))
        started = time.perf_counter()
        assert count(engine) == 0  # a read from another connection: served at once
        assert time.perf_counter() - started < 1


@pytest.mark.parametrize("ending", ["commit", "error"])
def test_the_turn_is_given_back_however_the_transaction_ends(engine, ending):
    if ending == "commit":
        insert(engine, 1)
    else:
        with pytest.raises(IntegrityError):
            insert(engine, None)  # NOT NULL fails
    taken = threading.Event()

    def take():
        turn = WriterTurn(engine)
        turn.take()
        taken.set()
        turn.give_back()

    threading.Thread(target=take).start()
    assert taken.wait(2), "the writer turn stayed taken"
    assert count(engine) == (1 if ending == "commit" else 0)


def _hold_the_turn(url: str, held, release) -> None:
    turn = WriterTurn(build_engine(url))
    turn.take()
    held.set()
    release.wait(10)
    turn.give_back()


def test_the_turn_is_shared_between_processes(engine):
    ctx = multiprocessing.get_context("spawn")
    held, release = ctx.Event(), ctx.Event()
    other = ctx.Process(target=_hold_the_turn, args=(str(engine.url), held, release))
    other.start()
    try:
        assert held.wait(30)
        done = threading.Event()

        def write():
            insert(engine, 1)
            done.set()

        writer = threading.Thread(target=write)
        writer.start()
        assert not done.wait(0.5), "a writer went past another process's turn"
        release.set()
        assert done.wait(10)
        writer.join()
    finally:
        release.set()
        other.join(10)
    assert count(engine) == 1


def test_sqlite_still_refuses_a_second_writer_without_the_queue(engine):
    # The queue is not the guarantee: a raw connection that skips it is still kept out by
    # SQLite's own lock while a write transaction is open.
    with transaction(engine) as session:
        session.exec(text("INSERT INTO t VALUES (1)"))
        raw = sqlite3.connect(engine.url.database, timeout=0.1, isolation_level=None)
        try:
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                raw.execute("BEGIN IMMEDIATE")
        finally:
            raw.close()
