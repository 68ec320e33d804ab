"""Group commit: the hot writes of many concurrent requests share one transaction.

A module defines a `GroupCommit` with a function that writes a list of items in a session and
returns one outcome per item (a result, or the DomainError that item is refused with), and
optionally a function that checks a list of requests first (everything that only reads: who
the person is, their standing, the item's state and rules), turning each into the item to
write or the DomainError it is refused with. A request calls `submit(session, request)`:

- in a request that declared its writes batched (`@writes(False)`, app/web/deps.py), the
  request joins the queue of this process's group commit for that database, which two threads
  serve. The checker takes whatever has queued up meanwhile (at most `max_items`) and checks
  it in one read session (one query per kind of fact for the whole batch, instead of one per
  request; no lock is held); the writer writes what passed in one transaction, commits, and
  only then hands each request its own outcome: a result therefore means committed. The
  checker checks the next batch while the writer writes the previous one, so a batch's reads
  do not add to the time the writer takes per batch, and it checks it just in time (see
  `_Pace`): it starts when what is left of the write is about as long as a check, so the
  batch also takes in the requests that came meanwhile. (A group commit without checks has
  the writer alone, taking the requests as they queued.) Requests that arrive meanwhile form
  the next batch, so batches grow with the load and no timer delays a lone request; an
  async route waits without a thread (`submit_async`);
- anywhere else (a CLI command, the seed, a test's shared session) the requests are checked
  and written at once in the caller's own transaction, by the same two functions.

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
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.db import GROUP_COMMIT, engine_of, new_session, transaction
from app.exceptions import DatabaseBusy, DomainError
from app.web import pagecache

log = logging.getLogger("hromada.batch")

T = TypeVar("T")
Request = TypeVar("Request")
Item = TypeVar("Item")
Result = TypeVar("Result")
WAIT_S = 30.0  # as long as SQLite's busy timeout: then the request is told to try again
CHECKS = "group_commit_checks"  # session.info key: the read session of a batch's checks


def recent(session: Session, name: str, parts: tuple, load: Callable[[], T],
           weight: Callable[[T], int], keep: Callable[[T], bool]) -> T:
    """What a batch's checks read that seldom changes (a budget cycle and its ballot sheet).
    In the checks of a group commit it is kept by the process like a page's shared data (at
    most the page cache's TTL, 1 s, and dropped by any committed write of the process:
    app.web.pagecache `kept`), so the batches of a busy second read it once. Anywhere else
    (a request or command checking and writing at once) it is loaded. The value is shared
    by threads: read only, its ORM entities detached. Only what `keep` accepts is kept (a
    sheet once voting has begun, when it no longer changes); what a concurrent writer could
    still change and a write must not miss (a vote that closed) the writer reads again."""
    if not session.info.get(CHECKS):
        return load()
    return pagecache.kept(name, (str(engine_of(session).url), *parts), load, weight, keep)


@dataclass
class _Pending(Generic[Item]):
    """An item in a lane. A thread waits on `done`; an async route awaits `future` instead,
    which the writer resolves on the route's event loop."""

    item: object  # the request, then (once checked) the item to write
    done: threading.Event = field(default_factory=threading.Event)
    outcome: object = None
    future: asyncio.Future | None = None


class GroupCommit(Generic[Request, Item, Result]):
    def __init__(self, name: str,
                 write: Callable[[Session, Sequence[Item]], list[Result | DomainError]],
                 check: Callable[[Session, Sequence[Request]], list[Item | DomainError]]
                 | None = None,
                 max_items: int = 256) -> None:
        self.name = name
        self.write = write
        self.check = check
        self.max_items = max_items
        self._lanes: dict[tuple[int, str], queue.SimpleQueue] = {}
        self._lock = threading.Lock()

    def submit(self, session: Session, request: Request) -> Result:
        """Check and write `request`; returns its result once committed, or raises its
        DomainError."""
        if not session.info.get(GROUP_COMMIT):
            return self._at_once(session, request)
        end_checks(session)
        pending = _Pending(request)
        self._lane(engine_of(session)).put(pending)
        if not pending.done.wait(WAIT_S):
            raise DatabaseBusy()
        return _unwrap(pending.outcome)

    async def submit_async(self, session: Session, request: Request) -> Result:
        """`submit` for an async route: no thread waits while the batch is checked and
        written, the event loop gets the outcome. Outside a batched request the request is
        checked and written in the caller's session (in a thread: that is database work)."""
        if not session.info.get(GROUP_COMMIT):
            return await run_in_threadpool(self._at_once, session, request)
        pending = _Pending(request, future=asyncio.get_running_loop().create_future())
        self._lane(engine_of(session)).put(pending)
        try:
            outcome = await asyncio.wait_for(asyncio.shield(pending.future), WAIT_S)
        except TimeoutError:
            raise DatabaseBusy() from None
        return _unwrap(outcome)

    def _lane(self, engine: Engine) -> queue.SimpleQueue:
        key = (os.getpid(), str(engine.url))  # a forked worker starts its own threads
        with self._lock:
            lane = self._lanes.get(key)
            if lane is None:
                lane = self._lanes[key] = queue.SimpleQueue()
                if self.check is None:
                    self._start("write", self._run_writes, engine,
                                lambda: _take(lane, self.max_items))
                else:
                    pace = _Pace()
                    self._start("check", self._run_checks, engine, lane, pace)
                    self._start("write", self._run_writes, engine, pace.next_batch,
                                pace)
            return lane

    def _start(self, role: str, target: Callable, *args: object) -> None:
        threading.Thread(target=target, args=args, daemon=True,
                         name=f"group-commit-{self.name}-{role}").start()

    def _at_once(self, session: Session, request: Request) -> Result:
        item = _unwrap(self.check(session, [request])[0]) if self.check else request
        return _unwrap(self.write(session, [item])[0])

    def _run_checks(self, engine: Engine, lane: queue.SimpleQueue, pace: _Pace) -> None:
        while True:
            first = lane.get()
            pace.until_check()
            pace.checked(self._check(engine, _take(lane, self.max_items, first)))

    def _run_writes(self, engine: Engine, next_batch: Callable[[], list[_Pending]],
                    pace: _Pace | None = None) -> None:
        while True:
            self._write(engine, next_batch())
            if pace is not None:
                pace.written()

    def _check(self, engine: Engine, batch: list[_Pending]) -> list[_Pending]:
        """Check the batch's requests in one read session (no writer turn, no lock): those
        refused get their answer now, the others are what to write."""
        try:
            with new_session(engine, reads_only=True) as session:
                session.info[CHECKS] = True
                outcomes = self.check(session, [pending.item for pending in batch])
        except Exception as exc:
            log.exception("group commit %s: the checks failed", self.name)
            _resolve(batch, [DatabaseBusy() if isinstance(exc, OperationalError) else exc]
                     * len(batch))
            return []
        passed, refused = [], []
        for pending, outcome in zip(batch, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                refused.append((pending, outcome))
            else:
                pending.item = outcome
                passed.append(pending)
        _resolve([pending for pending, _ in refused], [outcome for _, outcome in refused])
        return passed

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
        _resolve(batch, outcomes)


class _Pace:
    """Hands checked batches from the checker to the writer, at the right moment.

    A batch is best checked just in time. If the checker took the queued requests as soon as
    the writer started on the previous batch, those that arrive during the rest of the write
    would wait for the batch after, and batches (a write's cost is mostly per batch, not per
    item) would stay small: under a steady load each request would spend one whole write
    waiting to be checked and another waiting to be written. So the checker starts on the
    next batch when the writer's expected time left is about that of a check, from moving
    averages of both. An idle writer (or one late on its average) is not waited for, so a lone
    request is checked at once; a writer done sooner than expected wakes the checker, so a
    wrong guess costs at most one check's time."""

    SMOOTHING = 0.2  # weight of the newest duration in the moving averages

    def __init__(self) -> None:
        self._ready = threading.Condition()
        self._batch: list[_Pending] | None = None  # checked, for the writer to take
        self._free_at = 0.0  # monotonic time the writer is expected to be done
        self._started = {"check": 0.0, "write": 0.0}
        self._average = {"check": 0.0, "write": 0.0}

    def until_check(self) -> None:
        """Wait until the writer has taken the last checked batch and is about done."""
        with self._ready:
            self._ready.wait_for(lambda: self._batch is None)
            delay = self._free_at - self._average["check"] - time.monotonic()
            if delay > 0:  # (a writer done sooner than its average wakes the checker)
                self._ready.wait_for(lambda: not self._free_at, timeout=delay)
        self._started["check"] = time.monotonic()

    def checked(self, batch: list[_Pending]) -> None:
        with self._ready:
            self._took("check")
            if batch:  # (none if every request was refused)
                self._batch = batch
                self._ready.notify_all()

    def next_batch(self) -> list[_Pending]:
        with self._ready:
            self._ready.wait_for(lambda: self._batch is not None)
            batch, self._batch = self._batch, None
            now = self._started["write"] = time.monotonic()
            self._free_at = now + self._average["write"]
            self._ready.notify_all()
            return batch

    def written(self) -> None:
        with self._ready:
            self._took("write")
            self._free_at = 0.0
            self._ready.notify_all()

    def _took(self, step: str) -> None:
        seconds = time.monotonic() - self._started[step]
        average = self._average[step]
        self._average[step] = seconds if not average else (
            average + self.SMOOTHING * (seconds - average))


def _take(lane: queue.SimpleQueue, most: int, first: _Pending | None = None
          ) -> list[_Pending]:
    """Wait for a request (unless `first` is one already taken), then take whatever else has
    queued up meanwhile (at most `most`)."""
    batch = [first if first is not None else lane.get()]
    while len(batch) < most:
        try:
            batch.append(lane.get_nowait())
        except queue.Empty:
            break
    return batch


def end_checks(session: Session) -> None:
    """End the read snapshot of a batched request's checks: its later reads see the batch's
    work. (Elsewhere the item is written in that very session: nothing to end.)"""
    if session.info.get(GROUP_COMMIT):
        session.commit()


def _resolve(batch: list[_Pending], outcomes: Sequence[object]) -> None:
    """Hand each request its outcome: a waiting thread is woken, and the futures of each
    event loop are settled by one call on that loop (one wake-up per loop, not per request)."""
    settle: dict[asyncio.AbstractEventLoop, list] = {}
    for pending, outcome in zip(batch, outcomes, strict=True):
        pending.outcome = outcome
        if pending.future is None:
            pending.done.set()
        else:
            settle.setdefault(pending.future.get_loop(), []).append((pending.future, outcome))
    for loop, settled in settle.items():
        loop.call_soon_threadsafe(_settle, settled)


def _settle(settled: list[tuple[asyncio.Future, object]]) -> None:
    for future, outcome in settled:
        if not future.done():  # its request may have given up waiting
            future.set_result(outcome)


def _unwrap(outcome):
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome
