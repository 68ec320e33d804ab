"""Home, communities, residency claims and their verification."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import RedirectResponse

from app.communities import permissions, service
from app.communities import repository as repo
from app.exceptions import Forbidden, InvalidInput
from app.web.auth import CurrentUser, OptionalUser
from app.web.deps import DbSession, make_router
from app.web.i18n import N_
from app.web.templating import render

router = make_router()


@router.get("/")
def home(request: Request, session: DbSession, user: OptionalUser):
    from app.accountability import service as accountability

    communities = repo.communities(session)
    overdue, _ = accountability.search(session, status="overdue", limit=5)
    return render(request, "home.html", {"communities": communities, "overdue": overdue})


@router.get("/communities")
def communities_list(request: Request, session: DbSession):
    return render(request, "communities/list.html", {"communities": repo.communities(session)})


@router.get("/communities/{slug}")
def community_page(request: Request, session: DbSession, user: OptionalUser, slug: str):
    community = service.get_by_slug(session, slug)
    return render(request, "communities/detail.html", {
        "community": community,
        "authorities": repo.authorities(session, community.id),
        "is_official": permissions.is_official_in(session, user, community.id),
        "residency": repo.residency(session, user.id, community.id) if user else None,
    })


@router.get("/communities/{slug}/residency")
def residency_form(request: Request, session: DbSession, user: CurrentUser, slug: str):
    community = service.get_by_slug(session, slug)
    return render(request, "communities/residency.html", {
        "community": community, "errors": {}, "form": {},
        "residency": repo.residency(session, user.id, community.id)})


@router.post("/communities/{slug}/residency")
def claim_residency(request: Request, session: DbSession, user: CurrentUser, slug: str,
                    address: Annotated[str, Form(max_length=400)] = "",
                    birth_date: Annotated[str, Form(max_length=20)] = ""):
    community = service.get_by_slug(session, slug)
    form = {"address": address, "birth_date": birth_date}
    try:
        born = None
        if birth_date:
            try:
                born = date.fromisoformat(birth_date)
            except ValueError:
                raise InvalidInput(N_("Please correct the highlighted fields."),
                                   fields={"birth_date": N_("Enter a date (YYYY-MM-DD).")}
                                   ) from None
        service.claim_residency(session, user, community, address, born)
    except InvalidInput as exc:
        return render(request, "communities/residency.html", {
            "community": community, "errors": exc.field_texts(), "form": form,
            "residency": None}, status_code=422)
    return RedirectResponse(f"/communities/{slug}/residency", status_code=303)


@router.get("/communities/{slug}/residents")
def residency_queue(request: Request, session: DbSession, user: CurrentUser, slug: str):
    community = service.get_by_slug(session, slug)
    if not permissions.can_verify_residency(session, user, community.id):
        raise Forbidden(N_("Only an official of this community can verify residency."))
    return render(request, "communities/residents.html", {
        "community": community, "claims": repo.pending_residencies(session, community.id)})


@router.post("/residency/{residency_id}/decision")
def decide(request: Request, session: DbSession, user: CurrentUser, residency_id: int,
           decision: Annotated[str, Form(pattern="^(verify|reject)$")]):
    residency = service.decide_residency(session, user, residency_id, decision == "verify")
    community = service.get(session, residency.community_id)
    return RedirectResponse(f"/communities/{community.slug}/residents", status_code=303)
