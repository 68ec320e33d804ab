"""Group commit: the hot writes of many concurrent requests share one transaction.

A module defines a `GroupCommit` with a function that writes a list of items in a session and
returns one outcome per item (a result, or the DomainError that item is refused with). A
request calls `submit(session, item)` after its read-only checks:

- in a request that declared its writes batched (`@writes(False)`, app/web/deps.py), the item
  joins the queue of this process's writer thread for that database. The writer takes
  whatever has queued up meanwhile (at most `max_items`), writes it in one transaction, commits,
  and only then hands each request its own outcome: a result therefore means committed. Items
  that arrive while a batch is being written form the next one, so batches grow with the load
  and no timer delays a lone request;
- anywhere else (a CLI command, the seed, a test's shared session) the items are written
  at once in the caller's own transaction, by the same function.

If a batch fails as a whole (a database error), each of its items is tried again alone, so
one bad item cannot take the others down. A process that dies before the commit loses only
requests that had no answer yet.
"""

from __future__ import annotations

import asyncio
import logging
import os
import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.db import GROUP_COMMIT, engine_of, transaction
from app.exceptions import DatabaseBusy, DomainError

log = logging.getLogger("hromada.batch")

Item = TypeVar("Item")
Result = TypeVar("Result")
WAIT_S = 30.0  # as long as SQLite's busy timeout: then the request is told to try again


@dataclass
class _Pending(Generic[Item]):
    """An item in a lane. A thread waits on `done`; an async route awaits `future` instead,
    which the writer resolves on the route's event loop."""

    item: Item
    done: threading.Event = field(default_factory=threading.Event)
    outcome: object = None
    future: asyncio.Future | None = None

    def resolve(self, outcome: object) -> None:
        self.outcome = outcome
        if self.future is None:
            self.done.set()
        else:
            self.future.get_loop().call_soon_threadsafe(_settle, self.future, outcome)


class GroupCommit(Generic[Item, Result]):
    def __init__(self, name: str,
                 write: Callable[[Session, Sequence[Item]], list[Result | DomainError]],
                 max_items: int = 256) -> None:
        self.name = name
        self.write = write
        self.max_items = max_items
        self._lanes: dict[tuple[int, str], queue.SimpleQueue] = {}
        self._lock = threading.Lock()

    def submit(self, session: Session, item: Item) -> Result:
        """Write `item`; returns its result once committed, or raises its DomainError."""
        if not session.info.get(GROUP_COMMIT):
            return _unwrap(self.write(session, [item])[0])
        end_checks(session)
        pending = _Pending(item)
        self._lane(engine_of(session)).put(pending)
        if not pending.done.wait(WAIT_S):
            raise DatabaseBusy()
        return _unwrap(pending.outcome)

    async def submit_async(self, session: Session, item: Item) -> Result:
        """`submit` for an async route, once its checks ran in a thread and called
        `end_checks`: no thread waits while the batch is written, the event loop gets the
        outcome. Outside a batched request the item is written in the caller's session (in a
        thread: that is database work)."""
        if not session.info.get(GROUP_COMMIT):
            outcomes = await run_in_threadpool(self.write, session, [item])
            return _unwrap(outcomes[0])
        pending = _Pending(item, future=asyncio.get_running_loop().create_future())
        self._lane(engine_of(session)).put(pending)
        try:
            outcome = await asyncio.wait_for(asyncio.shield(pending.future), WAIT_S)
        except TimeoutError:
            raise DatabaseBusy() from None
        return _unwrap(outcome)

    def _lane(self, engine: Engine) -> queue.SimpleQueue:
        key = (os.getpid(), str(engine.url))  # a forked worker starts its own writer
        with self._lock:
            lane = self._lanes.get(key)
            if lane is None:
                lane = self._lanes[key] = queue.SimpleQueue()
                threading.Thread(target=self._run, args=(engine, lane), daemon=True,
                                 name=f"group-commit-{self.name}").start()
            return lane

    def _run(self, engine: Engine, lane: queue.SimpleQueue) -> None:
        while True:
            batch = [lane.get()]
            while len(batch) < self.max_items:
                try:
                    batch.append(lane.get_nowait())
                except queue.Empty:
                    break
            self._write(engine, batch)

    def _write(self, engine: Engine, batch: list[_Pending]) -> None:
        try:
            with transaction(engine) as session:
                outcomes = self.write(session, [pending.item for pending in batch])
        except Exception as exc:
            if len(batch) > 1:
                for pending in batch:
                    self._write(engine, [pending])
                return
            if isinstance(exc, OperationalError):
                log.warning("group commit %s: %s", self.name, exc)
                exc = DatabaseBusy()
            else:
                log.exception("group commit %s failed", self.name)
            outcomes = [exc]
        for pending, outcome in zip(batch, outcomes, strict=True):
            pending.resolve(outcome)


def end_checks(session: Session) -> None:
    """End the read snapshot of a batched request's checks: its later reads see the batch's
    work. (Elsewhere the item is written in that very session: nothing to end.)"""
    if session.info.get(GROUP_COMMIT):
        session.commit()


def _settle(future: asyncio.Future, outcome: object) -> None:
    if not future.done():  # its request may have given up waiting
        future.set_result(outcome)


def _unwrap(outcome):
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome
