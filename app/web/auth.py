"""Who is asking: the logged-in person (session cookie), the API token, and CSRF protection."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from app.db import write_intent
from app.exceptions import Forbidden, NotAuthenticated, raises
from app.identity.models import User
from app.web.deps import SAFE_METHODS, DbSession
from app.web.i18n import N_
from app.web.middleware import csrf_token_for

SESSION_COOKIE = "hromada_session"
TOKEN_REQUIRED = N_("A personal API token is required (Authorization: Bearer …).")


def optional_user(request: Request, session: DbSession) -> User | None:
    """The logged-in user (session cookie) or None. Cached on the request.

    A request that only reads (a safe method on a route that does not write: a page) finds the
    person, and what they are in each community, as a shared page finds its data
    (`_remembered_login`). Anything that writes looks them up afresh."""
    if "user" in request.state._state:
        return request.state.user
    from app.identity import service as identity_service

    user = None
    raw = request.cookies.get(SESSION_COOKIE)
    if raw and request.method in SAFE_METHODS and not write_intent.get():
        user = _remembered_login(request, session, raw)
    elif raw:
        user = identity_service.resolve_session(session, raw)
    request.state.user = user
    return user


def forget_login(request: Request, raw: str | None) -> None:
    """The login session of this cookie ends with this request (a logout, a new login in
    its place): pages of this process stop finding it as soon as the request has committed,
    although these writes keep the page cache otherwise."""
    from app.web import pagecache

    if raw:
        pagecache.forget_data(request, "login", (raw,))


def _remembered_login(request: Request, session: Session, raw: str) -> User | None:
    """The person of a session cookie with their memberships, from the shared page cache
    (app.web.pagecache `shared_data`): a logged-in page then queries only what is its own.

    Such a login is as fresh as a shared page: at most the cache's TTL (1 s) old, and never
    older than this process's last committed write (a role given or taken away, a residency
    verified: the cache's generation moves) or than the end of its session here (a logout,
    a new login: `forget_login`). Another process's logout or revoked role therefore reaches
    this process's pages within a second; it reaches every act at once, because a request
    that writes (any POST, a GET that writes) never takes this path. The remembered person
    is detached and shared by the requests of that one session (read only, never added to a
    session); the memberships are immutable."""
    from app.communities.permissions import MEMBERSHIPS, load_memberships
    from app.identity import service as identity_service
    from app.web import pagecache

    def load() -> tuple[User, object] | None:
        user = identity_service.resolve_session(session, raw)
        if user is None:
            return None
        load_memberships(session, [user])
        if not request.state._state.get("db_external"):  # (a test's session keeps its own)
            session.expunge(user)  # detached before any other request can see it
        return user, session.info[MEMBERSHIPS][user.id]

    found = pagecache.shared_data(request, "login", (raw,), load, lambda _: 2000)
    if found is None:
        return None
    user, memberships = found
    session.info.setdefault(MEMBERSHIPS, {}).setdefault(user.id, memberships)
    return user


async def current_user(user: Annotated[User | None, Depends(optional_user)]) -> User:
    if user is None:
        raise NotAuthenticated()
    return user


CurrentUser = Annotated[User, Depends(current_user)]
OptionalUser = Annotated[User | None, Depends(optional_user)]


# The API's one security scheme, declared in the OpenAPI document; bearer_user reads the header.
bearer_scheme = HTTPBearer(auto_error=False, scheme_name="token", description=(
    "A personal API token: POST /api/v1/tokens, then `Authorization: Bearer <token>`."))
BearerCredentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]


def _token_of(request: Request) -> str:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise NotAuthenticated(TOKEN_REQUIRED)
    return value.strip()


@raises(NotAuthenticated)
async def bearer_token(request: Request, _credentials: BearerCredentials) -> str:
    """The personal API token sent in `Authorization: Bearer …`, not yet looked up: a route
    whose checks run in a group commit (app.batch) finds its holder there, with the batch's."""
    return _token_of(request)


@raises(NotAuthenticated)
def bearer_user(request: Request, session: DbSession,
                token: Annotated[str, Depends(bearer_token)]) -> User:
    """API authentication: the holder of the personal token in `Authorization: Bearer …`."""
    from app.identity import service as identity_service

    user = identity_service.user_for_token(session, token)
    if user is None:
        raise NotAuthenticated(identity_service.INVALID_TOKEN)
    request.state.user = user
    return user


@raises(NotAuthenticated)
def optional_bearer_user(request: Request, session: DbSession,
                         _credentials: BearerCredentials) -> User | None:
    """The token's owner when a token is sent (an invalid one is refused), else None."""
    if not request.headers.get("Authorization"):
        return None
    return bearer_user(request, session, _token_of(request))


ApiUser = Annotated[User, Depends(bearer_user)]
BearerToken = Annotated[str, Depends(bearer_token)]
OptionalApiUser = Annotated[User | None, Depends(optional_bearer_user)]


async def csrf_protect(request: Request) -> None:
    """Every state-changing HTML request carries the token: a form field or an htmx header.

    The JSON API under /api authenticates only with Bearer tokens, never with cookies, so a
    forged cross-site request has no credentials to ride on there.
    """
    if request.method in SAFE_METHODS or request.scope["path"].startswith("/api/"):
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
