"""Request dependencies: the request transaction, the current user, CSRF."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.routing import APIRoute
from sqlalchemy.exc import OperationalError
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

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


class TransactionalRoute(APIRoute):
    """One transaction per request: committed before the response leaves, or rolled back.

    A 2xx therefore always means committed. The session is opened lazily by `get_session`.
    """

    def get_route_handler(self):
        handler = super().get_route_handler()

        async def route_handler(request: Request):
            token = write_intent.set(request.method not in SAFE_METHODS)
            try:
                response = await handler(request)
                session: Session | None = request.state._state.get("db")
                if session is not None:
                    if response.status_code < 400 or request.state._state.get(
                            "commit_on_error"):
                        await run_in_threadpool(session.commit)
                    else:
                        await run_in_threadpool(_rollback, request)
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
                    await run_in_threadpool(session.close)
                write_intent.reset(token)

        return route_handler


def _commit(request: Request) -> None:
    session: Session | None = request.state._state.get("db")
    if session is not None:
        session.commit()


def _rollback(request: Request) -> None:
    session: Session | None = request.state._state.get("db")
    if session is not None:
        _keep_user(request, session)
        session.rollback()


def _keep_user(request: Request, session: Session) -> None:
    """Detach the logged-in person before a rollback, which would expire them: the error page
    still shows who is logged in, after the session has closed."""
    if request.state._state.get("db_external"):
        return  # a session its owner keeps using (the tests'): leave its objects in it
    user = request.state._state.get("user")
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
