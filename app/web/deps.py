"""The request transaction: one per request, committed before the response leaves.

A route writes if its method does (any but GET, HEAD, OPTIONS) or if it says so: `@writes()`
on a GET that writes, `@writes(False)` on a form whose writes go through a group commit
(app.batch). Sync and async endpoints take one path: the route handler ends the session the
endpoint used (`get_session` opens it on first use). Below 400 it commits, so a 2xx means
committed; otherwise, or on an exception, it rolls back, unless the route called
`keep_on_error` (the failed-login counter). Ending runs in a thread of a small pool of its
own: the event loop never waits on the database, and a request that holds a lock never waits
for a thread held by requests queued behind that lock. A request that writes nothing in its
session (app.db `reads_only`) has no transaction to end: its session is closed where it is.
On SQLite a writing request first takes the database's writer turn (app.db.WriterTurn) and
gives it back once its transaction ended.
"""

from __future__ import annotations

from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Depends, Request
from fastapi.routing import APIRoute
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from app.db import GROUP_COMMIT, READS_ONLY, get_engine, new_session, write_intent, writer_turn
from app.exceptions import DatabaseBusy, DomainError

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_pools: dict[str, anyio.CapacityLimiter] = {}


def writes(flag: bool = True):
    """Declare whether a route writes in its request transaction where its method does not."""
    def mark(endpoint):
        endpoint.hromada_writes = flag
        return endpoint
    return mark


def keep_on_error(request: Request) -> None:
    """Commit this request's work even though it answers with an error."""
    request.state.keep_on_error = True


async def _in_thread(pool: str, size: int, function) -> None:
    if pool not in _pools:
        _pools[pool] = anyio.CapacityLimiter(size)
    await anyio.to_thread.run_sync(function, limiter=_pools[pool])


class Route(APIRoute):
    """Every route of the project runs in one request transaction."""

    def __init__(self, path: str, endpoint, **kwargs) -> None:
        super().__init__(path, endpoint, **kwargs)
        declared = getattr(endpoint, "hromada_writes", None)
        self.writes = bool(self.methods - SAFE_METHODS) if declared is None else declared
        self.group_commit = declared is False and bool(self.methods - SAFE_METHODS)

    def get_route_handler(self):
        handler = super().get_route_handler()

        async def route_handler(request: Request):
            state = request.state._state
            state["writes"], state[GROUP_COMMIT] = self.writes, self.group_commit
            token = write_intent.set(self.writes)
            turn = writer_turn(get_engine()) if self.writes else None
            try:
                if turn is not None:
                    await _in_thread("turn", 1, turn.take)  # one waiting thread per process
                try:
                    response = await handler(request)
                except BaseException as exc:
                    keep = isinstance(exc, DomainError) and state.get("keep_on_error", False)
                    await _end(state, turn, keep)
                    raise
                await _end(state, turn, response.status_code < 400 or state.get(
                    "keep_on_error", False))
                return response
            except OperationalError as exc:
                text = str(exc).lower()
                if exc.connection_invalidated or "locked" in text or (
                        "could not serialize" in text):
                    raise DatabaseBusy() from exc
                raise
            finally:
                if turn is not None:
                    turn.give_back()  # already given back unless the handler never ran
                write_intent.reset(token)

        return route_handler


async def _end(state: dict, turn, commit: bool) -> None:
    """Commit or roll back, close, give the writer turn back: one thread hop."""
    session: Session | None = state.pop("db", None)
    external = state.get("db_external", False)  # a session its owner keeps (a test's)

    def finish() -> None:
        try:
            if session is not None and commit:
                session.commit()
            elif session is not None:
                user = state.get("user")  # detached first: the error page still shows them
                if user is not None and not external and user in session:
                    session.expunge(user)
                session.rollback()
        finally:
            if session is not None and not external:
                session.close()
            if turn is not None:
                turn.give_back()

    if session is not None and session.info.get(READS_ONLY) and turn is None:
        finish()  # nothing to commit or roll back: ending it is no I/O, no thread needed
    elif session is not None or turn is not None:
        await _in_thread("end", 16, finish)


async def get_session(request: Request) -> Session:
    """The request's session, opened on first use (no I/O: no thread needed)."""
    session = request.state._state.get("db")
    if session is None:
        state = request.state._state
        session = state["db"] = new_session(get_engine(), reads_only=not state.get("writes"))
        session.info[GROUP_COMMIT] = request.state._state.get(GROUP_COMMIT, False)
    return session


DbSession = Annotated[Session, Depends(get_session)]


def make_router(**kwargs) -> APIRouter:
    """Every router of the project: its routes run in one request transaction."""
    return APIRouter(route_class=Route, **kwargs)
