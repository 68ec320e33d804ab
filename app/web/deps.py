"""The request transaction: one per request, committed before the response leaves.

A route writes if its method does (any but GET, HEAD, OPTIONS) or if it says so: `@writes()`
on a GET that writes, `@writes(False)` on a form whose writes go through a group commit
(app.batch). Sync and async endpoints take one path: the route handler ends the session the
endpoint used (`get_session` opens it on first use). Below 400 it commits, so a 2xx means
committed; otherwise, or on an exception, it rolls back, unless the route called
`keep_on_error` (the failed-login counter) and failed with a DomainError. Before a rollback the
session's objects are detached, so that the error page still shows who is logged in. A session
a test lends the request (`request.state.db_external`) is committed or rolled back, never
closed or emptied.

The event loop never waits on the database: the transaction ends in a thread of a small pool
of its own, so a request that holds a lock never waits for a thread held by requests queued
behind that lock. A request that writes nothing in its session (app.db `reads_only`) has no
transaction to end: its session is only closed, where it is, without a thread.

On SQLite a writing request first takes the database's writer turn (app.db.WriterTurn), in the
one thread per process that waits for it (the other writers of the process wait without a
thread), and gives it back once its transaction ended. A database too busy to answer (locked,
a serialization failure, a lost connection) is a 503: app.web.errors.
"""

from __future__ import annotations

from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Depends, Request
from fastapi.routing import APIRoute
from sqlmodel import Session

from app.db import GROUP_COMMIT, READS_ONLY, get_engine, new_session, write_intent, writing
from app.exceptions import DomainError

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_TAKING = anyio.CapacityLimiter(1)  # the thread of this process that waits for the writer turn
_ENDING = anyio.CapacityLimiter(16)  # threads that end transactions, and never wait for a lock


def writes(flag: bool = True):
    """Declare whether a route writes in its request transaction where its method does not."""
    def mark(endpoint):
        endpoint.hromada_writes = flag
        return endpoint
    return mark


def keep_on_error(request: Request) -> None:
    """Commit this request's work even though it fails with a DomainError."""
    request.state.keep_on_error = True


class Route(APIRoute):
    """Every route of the project runs in one request transaction."""

    @property
    def writes(self) -> bool:
        return getattr(self.endpoint, "hromada_writes", bool(self.methods - SAFE_METHODS))

    def get_route_handler(self):
        handler = super().get_route_handler()

        async def route_handler(request: Request):
            state = request.state._state
            with writing(get_engine(), self.writes) as turn:
                if turn.path is not None:  # a thread only where there is a turn to wait for
                    await anyio.to_thread.run_sync(turn.take, limiter=_TAKING)
                try:
                    response = await handler(request)
                except BaseException as exc:
                    keep = isinstance(exc, DomainError) and "keep_on_error" in state
                    await _end(state, turn, keep)
                    raise
                await _end(state, turn, response.status_code < 400 or "keep_on_error" in state)
                return response

        return route_handler


async def _end(state: dict, turn, commit: bool) -> None:
    """Commit or roll back the request's session, close it, give the writer turn back."""
    session: Session | None = state.pop("db", None)
    if session is None:
        return
    if session.info.get(READS_ONLY) and not state.get("db_external"):
        session.close()  # it began no transaction: nothing to commit or roll back, no I/O
        return

    def finish() -> None:
        try:
            if not (commit or state.get("db_external")):
                session.expunge_all()  # detached, not expired: the error page shows them
            if commit:
                session.commit()
            else:
                session.rollback()
        finally:
            if not state.get("db_external"):  # a session a test lends is the test's to close
                session.close()
            turn.give_back()  # at once: the next writer need not wait for the event loop

    await anyio.to_thread.run_sync(finish, limiter=_ENDING)


async def get_session(request: Request) -> Session:
    """The request's session, opened on first use (no I/O: no thread needed)."""
    state = request.state._state
    if "db" not in state:
        reads_only = not write_intent.get()  # set by the route (writing)
        state["db"] = new_session(get_engine(), reads_only=reads_only)
        state["db"].info[GROUP_COMMIT] = reads_only and request.method not in SAFE_METHODS
    return state["db"]


DbSession = Annotated[Session, Depends(get_session)]


def make_router(**kwargs) -> APIRouter:
    """Every router of the project: its routes run in one request transaction."""
    return APIRouter(route_class=Route, **kwargs)
