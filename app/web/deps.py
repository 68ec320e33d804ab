"""Request dependencies: the request transaction, the current user, CSRF."""

from __future__ import annotations

import functools
import hmac
import inspect
from contextvars import ContextVar
from typing import Annotated

import anyio
import anyio.to_thread
from fastapi import APIRouter, Depends, Request
from fastapi.routing import APIRoute
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from app.db import get_engine, new_session, write_intent
from app.exceptions import DomainError, Forbidden, NotAuthenticated
from app.identity.models import User
from app.web.i18n import N_
from app.web.middleware import csrf_token_for

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SESSION_COOKIE = "hromada_session"


class DatabaseBusy(DomainError):
    status_code = 503
    code = "busy"


_end_limiter: anyio.CapacityLimiter | None = None


async def _end(function, *args) -> None:
    """Commit, roll back or close in a thread of its own pool. Requests that wait to begin a
    write transaction hold threads of the shared pool; if ending a transaction needed one of
    those, a burst of writers could leave the request that holds the write lock unable to
    commit (a deadlock until the lock's timeout)."""
    global _end_limiter
    if _end_limiter is None:
        _end_limiter = anyio.CapacityLimiter(16)
    await anyio.to_thread.run_sync(function, *args, limiter=_end_limiter)


# The state of the request being handled, for ending its transaction where its endpoint ran.
_request_state: ContextVar[dict | None] = ContextVar("request_state", default=None)


def _end_where_it_ran(endpoint):
    """Wrap a plain (threaded) endpoint so that its write transaction begins and ends in the
    thread it runs in.

    The dependencies (who is logged in, the token, the session) read in a transaction of their
    own; the write transaction (on SQLite: BEGIN IMMEDIATE, the write gate) begins with the
    endpoint's first statement and ends the moment it returns. Locks (SQLite's write lock,
    PostgreSQL's row and audit-chain locks) are then held for the endpoint's own work only,
    and the request holding them never needs another thread of the pool to finish: under a
    burst of writers, waiting requests may fill the pool without stopping the one that holds
    the lock. The route handler still ends whatever the endpoint left open."""

    @functools.wraps(endpoint)
    def wrapped(*args, **kwargs):
        state = _request_state.get()
        session: Session | None = state.get("db") if state is not None else None
        if state is not None and state.get("may_write"):
            if session is not None and session.in_transaction():
                session.commit()  # ends the dependencies' read snapshot; nothing was written
            write_intent.set(True)  # in this thread's copy of the context: the endpoint's work
        result = endpoint(*args, **kwargs)
        session = state.get("db") if state is not None else None
        if session is not None and session.in_transaction():
            status = getattr(result, "status_code", 200)
            if status < 400 or state.get("commit_on_error"):
                session.commit()
            else:
                _keep_user(state, session)
                session.rollback()
        return result

    return wrapped


def writes(endpoint):
    """Mark a GET endpoint that writes (a confirmation link opened from an e-mail): it begins
    its transaction with the write lock like a form post, instead of upgrading a read."""
    endpoint.hromada_writes = True
    return endpoint


class TransactionalRoute(APIRoute):
    """One transaction per request: committed before the response leaves, or rolled back.

    A 2xx therefore always means committed. The session is opened lazily by `get_session`.
    """

    def __init__(self, path: str, endpoint, **kwargs) -> None:
        self.threaded = not inspect.iscoroutinefunction(inspect.unwrap(endpoint))
        self.always_writes = getattr(inspect.unwrap(endpoint), "hromada_writes", False)
        if self.threaded:
            endpoint = _end_where_it_ran(endpoint)
        super().__init__(path, endpoint, **kwargs)

    def get_route_handler(self):
        handler = super().get_route_handler()

        async def route_handler(request: Request):
            may_write = request.method not in SAFE_METHODS or self.always_writes
            request.state._state["may_write"] = may_write
            # A threaded endpoint declares its write intent itself (see _end_where_it_ran).
            token = write_intent.set(may_write and not self.threaded)
            state_token = _request_state.set(request.state._state)
            try:
                response = await handler(request)
                session: Session | None = request.state._state.get("db")
                if session is not None and session.in_transaction():
                    if response.status_code < 400 or request.state._state.get(
                            "commit_on_error"):
                        await _end(session.commit)
                    else:
                        await _end(_rollback, request)
                return response
            except OperationalError as exc:
                _rollback(request)
                if "locked" in str(exc).lower() or "could not serialize" in str(exc).lower():
                    raise DatabaseBusy(N_("The service is busy. Please try again in a moment.")
                                       ) from exc
                raise
            except DomainError:
                # A route that asked to keep its work on error (the failed-login counter)
                # keeps it whether it answers with an error page or raises.
                if request.state._state.get("commit_on_error"):
                    _commit(request)
                else:
                    _rollback(request)
                raise
            except BaseException:
                _rollback(request)
                raise
            finally:
                session = request.state._state.pop("db", None)
                if session is not None and not request.state._state.get("db_external"):
                    await _end(session.close)
                _request_state.reset(state_token)
                write_intent.reset(token)

        return route_handler


def _commit(request: Request) -> None:
    session: Session | None = request.state._state.get("db")
    if session is not None:
        session.commit()


def _rollback(request: Request) -> None:
    session: Session | None = request.state._state.get("db")
    if session is not None:
        _keep_user(request.state._state, session)
        session.rollback()


def _keep_user(state: dict, session: Session) -> None:
    """Detach the logged-in person before a rollback, which would expire them: the error page
    still shows who is logged in, after the session has closed."""
    if state.get("db_external"):
        return  # a session its owner keeps using (the tests'): leave its objects in it
    user = state.get("user")
    if user is not None and user in session:
        session.expunge(user)


def get_session(request: Request) -> Session:
    session = request.state._state.get("db")
    if session is None:
        session = new_session(get_engine())
        request.state.db = session
    return session


DbSession = Annotated[Session, Depends(get_session)]


def optional_user(request: Request, session: DbSession) -> User | None:
    """The logged-in user (session cookie) or None. Cached on the request."""
    if "user" in request.state._state:
        return request.state.user
    from app.identity import service as identity_service

    user = None
    raw = request.cookies.get(SESSION_COOKIE)
    if raw:
        user = identity_service.resolve_session(session, raw)
    request.state.user = user
    return user


def current_user(user: Annotated[User | None, Depends(optional_user)]) -> User:
    if user is None:
        raise NotAuthenticated()
    return user


CurrentUser = Annotated[User, Depends(current_user)]
OptionalUser = Annotated[User | None, Depends(optional_user)]


def bearer_user(request: Request, session: DbSession) -> User:
    """API authentication: a personal token in `Authorization: Bearer …`."""
    from app.identity import service as identity_service

    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise NotAuthenticated(N_("A personal API token is required "
                                  "(Authorization: Bearer …)."))
    user = identity_service.user_for_token(session, value.strip())
    if user is None:
        raise NotAuthenticated(N_("The API token is invalid or revoked."))
    request.state.user = user
    return user


def optional_bearer_user(request: Request, session: DbSession) -> User | None:
    if not request.headers.get("Authorization"):
        return None
    return bearer_user(request, session)


ApiUser = Annotated[User, Depends(bearer_user)]
OptionalApiUser = Annotated[User | None, Depends(optional_bearer_user)]


async def csrf_protect(request: Request) -> None:
    """Every state-changing HTML request carries the token: a form field or an htmx header.

    The JSON API under /api authenticates only with Bearer tokens, never with cookies, so a
    forged cross-site request has no credentials to ride on there.
    """
    if request.method in SAFE_METHODS or request.url.path.startswith("/api/"):
        return
    expected = csrf_token_for(request.state.csrf_cookie) if request.cookies.get(
        "hromada_csrf") else None
    sent = request.headers.get("X-CSRF-Token")
    if not sent:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            sent = form.get("csrf_token")
    if not expected or not isinstance(sent, str) or not hmac.compare_digest(sent, expected):
        raise Forbidden(N_("The form has expired or was sent from another site. "
                           "Please reload the page and try again."))


def make_router(**kwargs) -> APIRouter:
    """Every router of the project: its routes run in one request transaction."""
    return APIRouter(route_class=TransactionalRoute, **kwargs)
