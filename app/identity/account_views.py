"""The account page and what it changes: personal API tokens, password, e-mail address, the
second factor, the sessions; and the password reset for those who cannot log in."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import RedirectResponse

from app.communities import permissions as community_permissions
from app.communities import repository as communities_repo
from app.exceptions import DomainError, InvalidInput
from app.identity import providers, recovery, service
from app.identity import second_factor as second_factor_service
from app.identity.oidc import providers as configured_providers
from app.identity.views import _set_session_cookie, limit
from app.web.auth import SESSION_COOKIE, CurrentUser, OptionalUser
from app.web.deps import DbSession, keep_on_error, make_router
from app.web.forms import rerender
from app.web.i18n import N_, gettext
from app.web.templating import render

router = make_router()

FLASHES = {
    "welcome": N_("Welcome! We sent you a link to confirm your e-mail address."),
    "sent": N_("We sent you a new confirmation link."),
    "password": N_("Your password is changed. Every other session has ended."),
    "email": N_("We sent a confirmation link to your new address. Your address changes when "
                "you open it."),
    "email_changed": N_("Your e-mail address is changed."),
    "two_factor_off": N_("Two-factor sign-in is off."),
    "session_revoked": N_("The session has ended."),
    "linked": N_("The identity provider is linked to your account."),
}


def _flash(key: str | None) -> str | None:
    return gettext(FLASHES[key]) if key in FLASHES else None


def account_context(request: Request, session, user, **extra) -> dict:
    residencies = communities_repo.residencies_of(session, user.id)
    names = {c.id: c for c in communities_repo.communities(session)}
    settled = {r.community_id for r in residencies if r.status != "rejected"}
    raw = request.cookies.get(SESSION_COOKIE)
    current = service.session_handle_of_cookie(raw) if raw else None
    context = {
        "residencies": [(r, names.get(r.community_id)) for r in residencies],
        # A community where the person has a claim under way or is a resident is not offered
        # again.
        "communities": [c for c in names.values() if c.id not in settled],
        "tokens": service.tokens(session, user), "new_token": None, "flash": None,
        "errors": {}, "sessions": [(service.session_handle(a), a)
                                   for a in service.sessions(session, user)],
        "current_session": current,
        "two_factor": second_factor_service.enabled(user),
        "recovery_left": second_factor_service.recovery_codes_left(session, user)
        if second_factor_service.enabled(user) else 0,
        "staff_locked": community_permissions.staff_locked(session, user),
        "back_office": community_permissions.in_back_office(session, user),
        "observer": community_permissions.is_observer(user),
        "official": bool(community_permissions.memberships(session, user).official_of),
        "links": {link.provider for link in providers.links(session, user)},
        "providers": configured_providers(),
        "provider_labels": {p.name: p.label for p in configured_providers()},
        "form": {},
    }
    context.update(extra)
    return context


@router.get("/account")
def account(request: Request, session: DbSession, user: CurrentUser,
            welcome: int = 0, sent: int = 0, done: str | None = None):
    key = "welcome" if welcome else "sent" if sent else done
    return render(request, "identity/account.html",
                  account_context(request, session, user, flash=_flash(key)))


@router.post("/account/tokens")
def create_token(request: Request, session: DbSession, user: CurrentUser,
                 name: Annotated[str, Form(max_length=200)] = ""):
    try:
        _, raw = service.create_token(session, user, name)
    except InvalidInput as exc:
        return rerender(request, "identity/account.html",
                        account_context(request, session, user), exc)
    return render(request, "identity/account.html", account_context(
        request, session, user, new_token=raw,
        flash=gettext("Copy the token now: it is shown only once.")))


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(session: DbSession, user: CurrentUser, token_id: int):
    service.revoke_token(session, user, token_id)
    return RedirectResponse("/account", status_code=303)


# -- sessions -------------------------------------------------------------------------------

@router.post("/account/sessions/{handle}/revoke")
def revoke_session(request: Request, session: DbSession, user: CurrentUser, handle: str):
    service.revoke_session(session, user, handle[:64])
    return RedirectResponse("/account?done=session_revoked", status_code=303)


# -- password -------------------------------------------------------------------------------

@router.post("/account/password")
def change_password(request: Request, session: DbSession, user: CurrentUser,
                    current_password: Annotated[str, Form(max_length=1000)] = "",
                    password: Annotated[str, Form(max_length=1000)] = ""):
    try:
        recovery.change_password(session, user, current_password, password)
    except DomainError as exc:
        keep_on_error(request)  # a wrong current password counts towards the lockout
        return rerender(request, "identity/account.html",
                        account_context(request, session, user), exc)
    raw = service.start_session(session, user, method="password",
                                second_factor=second_factor_service.enabled(user)
                                or service.second_factor_passed(user),
                                user_agent=request.headers.get("user-agent", ""))
    response = RedirectResponse("/account?done=password", status_code=303)
    _set_session_cookie(response, raw)
    return response


@router.get("/password-reset")
def reset_request_form(request: Request, user: OptionalUser):
    return render(request, "identity/reset_request.html", {"errors": {}, "form": {},
                                                            "sent": False})


@router.post("/password-reset")
def reset_request(request: Request, session: DbSession,
                  email: Annotated[str, Form(max_length=254)] = ""):
    limit(request, "recovery")
    recovery.request_reset(session, email)
    # The same answer whether the address has an account or not.
    return render(request, "identity/reset_request.html", {"errors": {}, "form": {},
                                                            "sent": True})


@router.get("/password-reset/{token}")
def reset_form(request: Request, session: DbSession, token: str):
    recovery.check_reset_link(session, token[:200])
    return render(request, "identity/reset.html", {"errors": {}, "token": token})


@router.post("/password-reset/{token}")
def reset(request: Request, session: DbSession, token: str,
          password: Annotated[str, Form(max_length=1000)] = ""):
    limit(request, "recovery")
    try:
        recovery.reset_password(session, token[:200], password)
    except InvalidInput as exc:
        if exc.fields:
            return rerender(request, "identity/reset.html", {"token": token}, exc)
        raise
    response = RedirectResponse("/login?reset=1", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# -- e-mail address -------------------------------------------------------------------------

@router.post("/account/email")
def change_email(request: Request, session: DbSession, user: CurrentUser,
                 email: Annotated[str, Form(max_length=254)] = "",
                 email_password: Annotated[str, Form(max_length=1000)] = ""):
    limit(request, "recovery")
    try:
        recovery.request_email_change(session, user, email, email_password)
    except DomainError as exc:
        keep_on_error(request)  # a wrong password counts towards the lockout
        return rerender(request, "identity/account.html", account_context(
            request, session, user, form={"email": email}), exc)
    return RedirectResponse("/account?done=email", status_code=303)


@router.get("/account/email/confirm/{token}")
def confirm_email_form(request: Request, session: DbSession, user: CurrentUser, token: str):
    return render(request, "identity/email_confirm.html", {"token": token})


@router.post("/account/email/confirm/{token}")
def confirm_email(request: Request, session: DbSession, user: CurrentUser, token: str):
    recovery.confirm_email_change(session, user, token[:200])
    return RedirectResponse("/account?done=email_changed", status_code=303)


# -- the second factor ----------------------------------------------------------------------

def _enrolment(request: Request, user, secret: str, **extra) -> dict:
    return {"secret": secret, "uri": second_factor_service.provisioning_uri(user, secret),
            "errors": {}, "codes": None, **extra}


@router.get("/account/two-factor")
def two_factor_form(request: Request, session: DbSession, user: CurrentUser):
    if second_factor_service.enabled(user):
        return render(request, "identity/two_factor.html", {
            "enabled": True, "errors": {}, "codes": None,
            "left": second_factor_service.recovery_codes_left(session, user)})
    return render(request, "identity/two_factor.html",
                  _enrolment(request, user, second_factor_service.new_secret(), enabled=False))


@router.post("/account/two-factor")
def two_factor_enrol(request: Request, session: DbSession, user: CurrentUser,
                     secret: Annotated[str, Form(max_length=64)] = "",
                     code: Annotated[str, Form(max_length=40)] = ""):
    try:
        codes = second_factor_service.enrol(session, user, secret, code)
    except InvalidInput as exc:
        return rerender(request, "identity/two_factor.html",
                        _enrolment(request, user, secret if len(secret) >= 16 else
                                   second_factor_service.new_secret(), enabled=False), exc)
    raw = request.cookies.get(SESSION_COOKIE)
    if raw:
        service.mark_second_factor(session, raw)  # this session passed it just now
    return render(request, "identity/two_factor.html", {"enabled": True, "codes": codes,
                                                        "errors": {}, "left": len(codes)})


@router.post("/account/two-factor/disable")
def two_factor_disable(request: Request, session: DbSession, user: CurrentUser,
                       code: Annotated[str, Form(max_length=40)] = ""):
    limit(request, "second_factor")
    try:
        second_factor_service.disable(session, user, code)
    except DomainError as exc:
        keep_on_error(request)  # a wrong code counts towards the lockout
        return rerender(request, "identity/two_factor.html", {
            "enabled": True, "codes": None,
            "left": second_factor_service.recovery_codes_left(session, user)}, exc)
    return RedirectResponse("/account?done=two_factor_off", status_code=303)
