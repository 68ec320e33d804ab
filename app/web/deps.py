"""The request transaction: one per request, committed before the response leaves.

A route declares whether it writes: by its method (GET, HEAD and OPTIONS read; every other
method writes) or with `@writes(...)` where the method does not say it (a confirmation link
opened from an e-mail writes; a form whose writes go through a group commit does not). The
route class opens nothing itself: `get_session` opens the session on first use, and the route
handler ends it, for sync and async endpoints alike:

- the endpoint returned below 400: commit (a 2xx therefore means committed);
- it returned 400 or more, or raised: roll back, unless it asked to keep its work on error
  (`keep_on_error`, for the failed-login counter);
- then close. Ending a transaction runs in a worker thread of its own small pool, so the
  event loop never waits on the database and a request holding a lock never waits for a
  thread held by requests that wait for that lock.

On SQLite a writing request first waits, in a thread of its own pool, for the writer turn of
the database (`app.db.sqlite_writer`, the one writer queue), and keeps it until its transaction
has ended.
"""

from __future__ import annotations

from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Depends, Request
from fastapi.routing import APIRoute
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from app.db import (
    GROUP_COMMIT,
    get_engine,
    new_session,
    queues_writers,
    sqlite_writer,
    write_intent,
)
from app.exceptions import DatabaseBusy, DomainError

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def writes(flag: bool = True):
    """Declare whether a route writes in its request transaction, where its method does not
    say it. `@writes(False)` on a form whose writes go through a group commit
    (app.batch): its request transaction only reads, and its session may hand work to the
    batch."""
    def mark(endpoint):
        endpoint.hromada_writes = flag
        return endpoint
    return mark


def keep_on_error(request: Request) -> None:
    """Commit this request's work even though it answers with an error."""
    request.state.keep_on_error = True


_limiters: dict[str, anyio.CapacityLimiter] = {}


async def _in_thread(pool: str, function) -> None:
    limiter = _limiters.get(pool)
    if limiter is None:
        limiter = _limiters[pool] = anyio.CapacityLimiter(16 if pool == "end" else 1)
    await anyio.to_thread.run_sync(function, limiter=limiter)


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
            state[GROUP_COMMIT], state["writes"] = self.group_commit, self.writes
            token = write_intent.set(self.writes)
            engine = get_engine()
            turn = sqlite_writer(engine) if self.writes and queues_writers(engine) else None
            try:
                if turn is not None:
                    await _in_thread("turn", turn.__enter__)
                try:
                    response = await handler(request)
                except BaseException as exc:
                    held, turn = turn, None
                    await _end(state, held, isinstance(exc, DomainError) and bool(
                        state.get("keep_on_error")))
                    raise
                held, turn = turn, None
                await _end(state, held, response.status_code < 400 or bool(
                    state.get("keep_on_error")))
                return response
            except OperationalError as exc:
                if "locked" in str(exc).lower() or "could not serialize" in str(exc).lower():
                    raise DatabaseBusy() from exc
                raise
            finally:
                if turn is not None:  # the turn was taken but the handler never ran
                    turn.__exit__(None, None, None)
                write_intent.reset(token)

        return route_handler


async def _end(state: dict, turn, commit: bool) -> None:
    """Commit or roll back, close, and give the writer turn back: in one thread hop."""
    session: Session | None = state.pop("db", None)

    def finish() -> None:
        try:
            if session is not None:
                try:
                    if commit:
                        session.commit()
                    else:
                        _keep_user(state, session)
                        session.rollback()
                finally:
                    if not state.get("db_external"):
                        session.close()
        finally:
            if turn is not None:
                turn.__exit__(None, None, None)

    if session is None and turn is None:
        return
    await _in_thread("end", finish)


def _keep_user(state: dict, session: Session) -> None:
    """Detach the logged-in person before a rollback, which would expire them: the error page
    still shows who is logged in, after the session has closed."""
    user = state.get("user")
    if user is not None and not state.get("db_external") and user in session:
        session.expunge(user)


async def get_session(request: Request) -> Session:
    """The request's session, opened on first use (no I/O: no thread needed)."""
    session = request.state._state.get("db")
    if session is None:
        session = request.state.db = new_session(get_engine())
        session.info[GROUP_COMMIT] = request.state._state.get(GROUP_COMMIT, False)
    return session


DbSession = Annotated[Session, Depends(get_session)]


def make_router(**kwargs) -> APIRouter:
    """Every router of the project: its routes run in one request transaction."""
    return APIRouter(route_class=Route, **kwargs)
