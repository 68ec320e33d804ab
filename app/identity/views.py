"""Register, verify e-mail, log in and out, the account page and personal API tokens."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlparse

from fastapi import Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from app.exceptions import DomainError, InvalidInput
from app.identity import service
from app.notifications import service as notifications
from app.settings import get_settings
from app.web import pagecache
from app.web.auth import SESSION_COOKIE, CurrentUser, OptionalUser
from app.web.deps import DbSession, keep_on_error, make_router, writes
from app.web.i18n import LANGUAGES, N_, gettext
from app.web.middleware import CSRF_COOKIE
from app.web.ratelimit import limit
from app.web.templating import render

router = make_router()


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
def login_form(request: Request, user: OptionalUser, next: str = Query("/", max_length=500)):
    return render(request, "identity/login.html", {"errors": {}, "next": _safe_next(next),
                                                   "email": ""})


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
                      {"errors": {"form": gettext(exc.message)}, "next": _safe_next(next),
                       "email": email}, status_code=exc.status_code)
    raw = service.start_session(session, user, request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse(_safe_next(next), status_code=303)
    _set_session_cookie(response, raw)
    return response


@router.post("/logout")
@pagecache.keeps_pages
def logout(request: Request, session: DbSession):
    raw = request.cookies.get(SESSION_COOKIE)
    if raw:
        service.end_session(session, raw)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/account")
def account(request: Request, session: DbSession, user: CurrentUser,
            welcome: int = 0, sent: int = 0, token: str | None = None):
    from app.communities import repository as communities_repo

    residencies = communities_repo.residencies_of(session, user.id)
    names = {c.id: c for c in communities_repo.communities(session)}
    flash = None
    if welcome:
        flash = gettext("Welcome! We sent you a link to confirm your e-mail address.")
    elif sent:
        flash = gettext("We sent you a new confirmation link.")
    return render(request, "identity/account.html", {
        "residencies": [(r, names.get(r.community_id)) for r in residencies],
        "communities": list(names.values()),
        "tokens": service.tokens(session, user), "new_token": None, "flash": flash,
        "errors": {}})


@router.post("/account/tokens")
def create_token(request: Request, session: DbSession, user: CurrentUser,
                 name: Annotated[str, Form(max_length=200)] = ""):
    try:
        _, raw = service.create_token(session, user, name)
    except InvalidInput as exc:
        return render(request, "identity/account.html", {
            "residencies": [], "communities": [], "tokens": service.tokens(session, user),
            "new_token": None, "errors": exc.field_texts(), "flash": None},
            status_code=422)
    session.flush()
    return render(request, "identity/account.html", {
        "residencies": [], "communities": [], "tokens": service.tokens(session, user),
        "new_token": raw, "errors": {},
        "flash": gettext("Copy the token now: it is shown only once.")})


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(session: DbSession, user: CurrentUser, token_id: int):
    service.revoke_token(session, user, token_id)
    return RedirectResponse("/account", status_code=303)


@router.post("/account/language")
def set_language(session: DbSession, user: CurrentUser,
                 language: Annotated[str, Form(max_length=5)] = "uk"):
    if language not in LANGUAGES:
        raise InvalidInput(N_("Choose one of the offered options."))
    service.change_language(session, user, language)
    response = RedirectResponse(f"/account?lang={language}", status_code=303)
    return response

