"""Register, verify e-mail, log in and out, the account page and personal API tokens."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlparse

from fastapi import Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from app.exceptions import DomainError, InvalidInput
from app.identity import oidc, service
from app.identity import second_factor as second_factor_service
from app.notifications import service as notifications
from app.settings import get_settings
from app.web import pagecache
from app.web.auth import SESSION_COOKIE, CurrentUser, OptionalUser, forget_login
from app.web.deps import DbSession, keep_on_error, make_router, writes
from app.web.forms import rerender
from app.web.i18n import LANGUAGES, N_, gettext
from app.web.middleware import CSRF_COOKIE
from app.web.ratelimit import limit
from app.web.templating import environment, render

router = make_router()
PENDING_COOKIE = "hromada_pending"


def _safe_next(target: str | None) -> str:
    """Only local paths: never an open redirect."""
    if not target:
        return "/"
    # Browsers read "/\\host" as "//host" and drop tabs and newlines: both would leave the site.
    if "\\" in target or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return "/"
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def _set_session_cookie(response: Response, raw: str) -> None:
    settings = get_settings()
    response.set_cookie(SESSION_COOKIE, raw, httponly=True, samesite="lax",
                        secure=settings.secure_cookies, path="/",
                        max_age=settings.session_absolute_hours * 3600)
    # A new CSRF secret with the new session: nothing issued before login stays valid.
    response.delete_cookie(CSRF_COOKIE, path="/")


def send_verification(session, user) -> None:
    link = f"{get_settings().base_url}/verify-email?token={service.email_verification_token(user)}"

    def render_mail() -> tuple[str, str]:
        return (gettext("Confirm your e-mail address for Hromada"),
                gettext("Hello, {name}!\n\nPlease confirm your e-mail address by opening this "
                        "link:\n{link}\n\nIf you did not register, ignore this message.")
                .format(name=user.display_name, link=link))

    from app import clock

    notifications.send_to(session, user, f"verify:{user.id}:{clock.now().isoformat()}",
                          render_mail)


@router.get("/register")
def register_form(request: Request, user: OptionalUser):
    return render(request, "identity/register.html", {"errors": {}, "form": {}})


@router.post("/register")
@pagecache.keeps_pages
def register(request: Request, session: DbSession,
             email: Annotated[str, Form(max_length=254)] = "",
             password: Annotated[str, Form(max_length=1000)] = "",
             display_name: Annotated[str, Form(max_length=200)] = "",
             language: Annotated[str, Form(max_length=5)] = ""):
    limit(request, "register")
    form = {"email": email, "display_name": display_name}
    try:
        user = service.register(session, service.Registration(
            email=email, password=password, display_name=display_name,
            language=language if language in LANGUAGES else request.state.lang))
    except DomainError as exc:
        errors = exc.field_texts() or {"email": gettext(exc.message)}
        return render(request, "identity/register.html", {"errors": errors, "form": form},
                      status_code=exc.status_code if exc.status_code != 409 else 422)
    send_verification(session, user)
    raw = service.start_session(session, user)
    response = RedirectResponse("/account?welcome=1", status_code=303)
    _set_session_cookie(response, raw)
    return response


@router.get("/verify-email")
@writes()
def verify_email(request: Request, session: DbSession, token: str = Query("", max_length=500)):
    service.verify_email(session, token)
    return render(request, "identity/verified.html", {})


@router.post("/account/verification")
def resend_verification(request: Request, session: DbSession, user: CurrentUser):
    limit(request, "register")
    if not user.email_verified:
        send_verification(session, user)
    return RedirectResponse("/account?sent=1", status_code=303)


@router.get("/login")
def login_form(request: Request, user: OptionalUser, next: str = Query("/", max_length=500),
               reset: int = 0):
    return render(request, "identity/login.html", {"errors": {}, "next": _safe_next(next),
                                                   "email": "", "reset": reset,
                                                   "providers": oidc.providers()})


@router.post("/login")
@pagecache.keeps_pages
def login(request: Request, session: DbSession,
          email: Annotated[str, Form(max_length=254)] = "",
          password: Annotated[str, Form(max_length=1000)] = "",
          next: Annotated[str, Form(max_length=500)] = "/"):
    limit(request, "login")
    try:
        user = service.authenticate(session, email, password)
    except DomainError as exc:
        # The failed-attempt counter must persist even though we answer with an error.
        keep_on_error(request)
        return render(request, "identity/login.html",
                      {"errors": {"form": exc.text()}, "next": _safe_next(next),
                       "email": email, "providers": oidc.providers()},
                      status_code=exc.status_code)
    return _signed_in(request, session, user, "password", _safe_next(next))


def _signed_in(request: Request, session, user, method: str, target: str, *,
               second_factor: bool = False) -> Response:
    """The first factor passed: a session now, or the second factor's page first."""
    if second_factor_service.enabled(user) and not second_factor:
        response = RedirectResponse("/login/second-factor", status_code=303)
        response.set_cookie(PENDING_COOKIE, second_factor_service.pending_token(
            user, method, target), httponly=True, samesite="lax",
            secure=get_settings().secure_cookies, path="/login",
            max_age=second_factor_service.PENDING_MAX_AGE)
        return response
    previous = request.cookies.get(SESSION_COOKIE)
    raw = service.start_session(session, user, previous, method=method,
                                second_factor=second_factor,
                                user_agent=request.headers.get("user-agent", ""))
    forget_login(request, previous)
    response = RedirectResponse(target, status_code=303)
    _set_session_cookie(response, raw)
    return response


@router.get("/login/second-factor")
def second_factor_form(request: Request, session: DbSession):
    second_factor_service.pending_user(session, request.cookies.get(PENDING_COOKIE))
    return render(request, "identity/second_factor.html", {"errors": {}})


@router.post("/login/second-factor")
@pagecache.keeps_pages
def second_factor(request: Request, session: DbSession,
                  code: Annotated[str, Form(max_length=40)] = ""):
    limit(request, "second_factor")
    user, method, target = second_factor_service.pending_user(
        session, request.cookies.get(PENDING_COOKIE))
    try:
        second_factor_service.verify(session, user, code)
    except DomainError as exc:
        keep_on_error(request)  # the failure counts towards the lockout
        return rerender(request, "identity/second_factor.html", {}, exc)
    response = _signed_in(request, session, user, method, target, second_factor=True)
    response.delete_cookie(PENDING_COOKIE, path="/login")
    return response


@router.post("/logout")
@pagecache.keeps_pages
def logout(request: Request, session: DbSession):
    raw = request.cookies.get(SESSION_COOKIE)
    if raw:
        service.end_session(session, raw)
        forget_login(request, raw)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/account/language")
def set_language(session: DbSession, user: CurrentUser,
                 language: Annotated[str, Form(max_length=5)] = "uk"):
    if language not in LANGUAGES:
        raise InvalidInput(N_("Choose one of the offered options."))
    service.change_language(session, user, language)
    response = RedirectResponse(f"/account?lang={language}", status_code=303)
    return response



from app.identity import account_views, oidc_views  # noqa: E402  their routes join this router


def _second_factor_missing(request: Request, user) -> bool:
    """For the layout: the person holds a staff role they cannot act in yet."""
    from app.communities import permissions

    session = request.state._state.get("db")
    return session is not None and permissions.staff_locked(session, user)


environment().globals["second_factor_missing"] = _second_factor_missing
router.include_router(account_views.router)
router.include_router(oidc_views.router)
