"""Sign-in through an OpenID provider: begin (a link on the login page or the account page),
and the provider's return."""

from __future__ import annotations

import secrets

from fastapi import Query, Request
from fastapi.responses import RedirectResponse

from app.audit import service as audit
from app.identity import oidc, providers
from app.identity.views import _safe_next, _signed_in, send_verification
from app.settings import get_settings
from app.web import pagecache
from app.web.auth import CurrentUser, OptionalUser
from app.web.deps import DbSession, keep_on_error, make_router, writes
from app.web.i18n import N_
from app.web.ratelimit import limit

router = make_router()
BROWSER_COOKIE = "hromada_oidc"
CANCELLED = N_("The sign-in was cancelled at the identity provider.")


def _to_provider(p, url: str, browser: str) -> RedirectResponse:
    response = RedirectResponse(url, status_code=303)
    # The browser's half of the state: a sign-in comes back to the browser that began it.
    response.set_cookie(BROWSER_COOKIE, browser, httponly=True, samesite="lax",
                        secure=get_settings().secure_cookies, path="/login/oidc",
                        max_age=get_settings().oidc_login_minutes * 60)
    return response


# Beginning a sign-in is a link, not a form: the site's Content-Security-Policy allows forms
# to post only to the site itself (form-action 'self'), which also covers where a form's answer
# redirects. A link only records a sign-in under way; nothing happens without the person's
# consent at the provider, and the return is bound to this browser.

@router.get("/login/oidc/{name}")
@writes()
def begin(request: Request, session: DbSession, name: str,
          next: str = Query("/", max_length=500)):
    limit(request, "login")
    p = oidc.provider(name)
    browser = secrets.token_urlsafe(32)
    return _to_provider(p, oidc.begin(session, p, browser, _safe_next(next)), browser)


@router.get("/account/providers/{name}")
@writes()
def link(request: Request, session: DbSession, user: CurrentUser, name: str):
    p = oidc.provider(name)
    browser = secrets.token_urlsafe(32)
    return _to_provider(p, oidc.begin(session, p, browser, "/account?done=linked",
                                      user_id=user.id), browser)


@router.get("/login/oidc/{name}/callback")
@writes()
@pagecache.keeps_pages
def callback(request: Request, session: DbSession, user: OptionalUser, name: str,
             state: str = Query("", max_length=500), code: str = Query("", max_length=2000),
             error: str = Query("", max_length=200)):
    p = oidc.provider(name)
    # A refusal writes nothing but the state used up and the refusal on the audit log; the
    # refusals of sign_in below come before it writes anything.
    keep_on_error(request)
    try:
        if error and not state:  # some providers drop the state when the person declines
            raise oidc.SignInFailed(CANCELLED, "provider_error")
        login = oidc.take_login(session, p, state, request.cookies.get(BROWSER_COOKIE))
        if error:
            raise oidc.SignInFailed(CANCELLED, "provider_error")
        identity = oidc.finish(p, login, code)
    except oidc.SignInFailed as exc:
        audit.append(session, "identity.sign_in_refused", "provider", None, None,
                     provider=p.name, reason=exc.reason)
        raise
    current = user if login.user_id is not None and user is not None and (
        user.id == login.user_id) else None
    if login.user_id is not None and current is None:
        raise oidc.SignInFailed(N_("Log in again to link the identity provider."),
                                "link_without_session")
    person, outcome = providers.sign_in(session, identity, current)
    if outcome == providers.Outcome.created:
        send_verification(session, person)
    if current is not None:
        return RedirectResponse(login.next, status_code=303)
    response = _signed_in(request, session, person, p.name, _safe_next(login.next),
                          second_factor=identity.second_factor)
    response.delete_cookie(BROWSER_COOKIE, path="/login/oidc")
    return response
