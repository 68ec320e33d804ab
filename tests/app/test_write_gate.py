"""The SQLite write gate queues writers without polling and always opens again.

These tests build their own SQLite file whatever the run's database: the gate exists only there.
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

from app import db as dbmod
from app.db import build_engine, gate_for, write_intent


@pytest.fixture
def engine(tmp_path: Path):
    engine = build_engine(f"sqlite:///{tmp_path / 'gate.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (n INTEGER NOT NULL)"))
    yield engine
    engine.dispose()


def count(engine) -> int:
    token = write_intent.set(False)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM t")).scalar_one()
    finally:
        write_intent.reset(token)


def test_a_second_writer_waits_for_the_first_and_then_goes_on(engine):
    order: list[str] = []
    first_in = threading.Event()

    def first():
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO t VALUES (1)"))
            first_in.set()
            time.sleep(0.3)
            order.append("first commits")

    def second():
        first_in.wait()
        with engine.begin() as conn:
            order.append("second begins")
            conn.execute(text("INSERT INTO t VALUES (2)"))

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert order == ["first commits", "second begins"]
    assert count(engine) == 2


def test_readers_do_not_queue_behind_a_writer(engine):
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO t VALUES (1)"))
        started = time.perf_counter()
        assert count(engine) == 0  # a read from another connection: served at once
        assert time.perf_counter() - started < 1


@pytest.mark.parametrize("ending", ["rollback", "error", "close"])
def test_the_gate_opens_however_the_transaction_ends(engine, ending):
    gate = gate_for(engine.url.database)
    if ending == "rollback":
        with engine.connect() as conn:
            conn.begin()
            conn.execute(text("INSERT INTO t VALUES (1)"))
            conn.rollback()
    elif ending == "error":
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(text("INSERT INTO t VALUES (NULL)"))  # NOT NULL fails
    else:
        conn = engine.connect()
        conn.begin()
        conn.execute(text("INSERT INTO t VALUES (1)"))
        conn.close()  # returned to the pool with the transaction open: rolled back
    assert gate._lock.acquire(timeout=1), "the gate stayed closed"
    gate._lock.release()
    assert count(engine) == 0


def test_a_writer_that_cannot_enter_gets_the_usual_locked_error(engine, monkeypatch):
    monkeypatch.setattr(dbmod, "GATE_TIMEOUT_S", 0.2)
    gate = gate_for(engine.url.database)
    gate.acquire()
    try:
        with pytest.raises(Exception, match="database is locked"), engine.begin() as conn:
            conn.execute(text("INSERT INTO t VALUES (1)"))
    finally:
        gate.release()
    assert count(engine) == 0


def _hold_the_gate(path: str, held, release) -> None:
    gate = dbmod.WriteGate(path + ".lock")
    gate.acquire()
    held.set()
    release.wait(10)
    gate.release()


def test_the_gate_is_shared_between_processes(engine):
    database = engine.url.database
    ctx = multiprocessing.get_context("spawn")
    held, release = ctx.Event(), ctx.Event()
    other = ctx.Process(target=_hold_the_gate, args=(str(Path(database).resolve()), held,
                                                      release))
    other.start()
    try:
        assert held.wait(30)
        done = threading.Event()

        def write():
            with engine.begin() as conn:
                conn.execute(text("INSERT INTO t VALUES (1)"))
            done.set()

        writer = threading.Thread(target=write)
        writer.start()
        assert not done.wait(0.5), "a writer went past another process's gate"
        release.set()
        assert done.wait(10)
        writer.join()
    finally:
        release.set()
        other.join(10)
    assert count(engine) == 1


def test_sqlite_still_refuses_a_second_writer_without_the_gate(engine):
    # The gate is a queue, not the guarantee: a raw connection that skips it is still kept
    # out by SQLite's own lock while a gated transaction is open.
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO t VALUES (1)"))
        raw = sqlite3.connect(engine.url.database, timeout=0.1, isolation_level=None)
        try:
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                raw.execute("BEGIN IMMEDIATE")
        finally:
            raw.close()
