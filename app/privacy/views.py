"""The personal data download and the erasure of one's own account."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response

from app.exceptions import DomainError, InvalidInput
from app.identity import service as identity
from app.privacy import service
from app.web.auth import SESSION_COOKIE, CurrentUser
from app.web.deps import DbSession, make_router
from app.web.i18n import N_, gettext
from app.web.ratelimit import limit
from app.web.templating import render

router = make_router()


def registered_modules(request: Request) -> list:
    return list(getattr(request.app.state, "modules", []) or [])


def download(data: dict, user_id: int) -> Response:
    body = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    return Response(body, media_type="application/json", headers={
        "Content-Disposition": f'attachment; filename="hromada-personal-data-{user_id}.json"',
        "Cache-Control": "no-store"})


@router.get("/account/data")
def personal_data(request: Request, session: DbSession, user: CurrentUser):
    """Everything Hromada holds about the logged-in person, as a JSON file."""
    return download(service.export(session, user, registered_modules(request)), user.id)


@router.get("/account/erase")
def erase_form(request: Request, user: CurrentUser):
    return render(request, "privacy/erase.html", {"errors": {}})


@router.post("/account/erase")
def erase(request: Request, session: DbSession, user: CurrentUser,
          password: Annotated[str, Form(max_length=1000)] = "",
          confirm: Annotated[bool, Form()] = False):
    # Guessing the password through this form is throttled like logging in.
    limit(request, "login")
    try:
        if not confirm:
            message = N_("Tick the box to confirm that you want to erase your account.")
            raise InvalidInput(message, fields={"confirm": message})
        service.erase(session, user, password, registered_modules(request))
    except DomainError as exc:
        errors = exc.field_texts() if exc.fields else {"form": gettext(exc.message)}
        return render(request, "privacy/erase.html", {"errors": errors},
                      status_code=exc.status_code)
    raw = request.cookies.get(SESSION_COOKIE)
    if raw:
        identity.end_session(session, raw)
    response = RedirectResponse("/account/erased", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/account/erased")
def erased(request: Request):
    return render(request, "privacy/erased.html", {})
