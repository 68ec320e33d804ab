"""Home, communities, residency claims and their verification."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from app.communities import permissions, registers, service
from app.communities import repository as repo
from app.exceptions import Forbidden, InvalidInput
from app.settings import get_settings
from app.web.auth import CurrentUser, OptionalUser
from app.web.deps import DbSession, make_router
from app.web.forms import rerender
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


def _residency_context(session, user, community, **extra) -> dict:
    residency = repo.residency(session, user.id, community.id)
    return {"community": community, "errors": {}, "form": {}, "residency": residency,
            "register": repo.register(session, residency.register_id)
            if residency is not None and residency.register_id else None,
            "has_register": registers.latest(session, community.id) is not None,
            "districts": repo.districts(session, community.id), **extra}


@router.get("/communities/{slug}/residency")
def residency_form(request: Request, session: DbSession, user: CurrentUser, slug: str):
    community = service.get_by_slug(session, slug)
    return render(request, "communities/residency.html",
                  _residency_context(session, user, community))


@router.post("/communities/{slug}/residency")
def claim_residency(request: Request, session: DbSession, user: CurrentUser, slug: str,
                    address: Annotated[str, Form(max_length=400)] = "",
                    birth_date: Annotated[str, Form(max_length=20)] = "",
                    full_name: Annotated[str, Form(max_length=300)] = "",
                    district_id: Annotated[str, Form(max_length=20)] = ""):
    community = service.get_by_slug(session, slug)
    form = {"address": address, "birth_date": birth_date, "full_name": full_name,
            "district_id": district_id}
    try:
        born = None
        if birth_date:
            try:
                born = date.fromisoformat(birth_date)
            except ValueError:
                raise InvalidInput(N_("Please correct the highlighted fields."),
                                   fields={"birth_date": N_("Enter a date (YYYY-MM-DD).")}
                                   ) from None
        district = district_id.strip()
        if district and (not district.isdigit() or len(district) > 9):
            raise InvalidInput(fields={"district_id": N_("Choose a district of this "
                                                         "community.")})
        service.claim_residency(session, user, community, address, born, full_name,
                                int(district) if district else None)
    except InvalidInput as exc:
        return render(request, "communities/residency.html", _residency_context(
            session, user, community, errors=exc.field_texts(), form=form, residency=None),
            status_code=422)
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


# -- the register of residents --------------------------------------------------------------

def _register_context(session, community, **extra) -> dict:
    return {"community": community, "latest": registers.latest(session, community.id),
            "errors": {}, "form": {}, "max_mb": get_settings().register_max_bytes // 2**20,
            **extra}


@router.get("/communities/{slug}/register")
def register_page(request: Request, session: DbSession, user: CurrentUser, slug: str):
    community = service.get_by_slug(session, slug)
    registers.check_upload(session, user, community)
    return render(request, "communities/register.html", _register_context(session, community))


async def read_upload(request: Request, field: str = "file") -> tuple[bytes, dict[str, str]]:
    """The uploaded file (at most the register's size limit; TooLarge beyond it) and the form's
    other fields."""
    limit_bytes = get_settings().register_max_bytes
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit_bytes + 64 * 1024:
        raise registers.TooLarge(mb=limit_bytes // 2**20)
    form = await request.form()
    upload = form.get(field)
    data = b""
    if upload is not None and not isinstance(upload, str):
        data = await upload.read(limit_bytes + 1)
        if len(data) > limit_bytes:
            raise registers.TooLarge(mb=limit_bytes // 2**20)
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    return data, fields


@router.post("/communities/{slug}/register")
async def upload_register(request: Request, slug: str, session: DbSession, user: CurrentUser):
    data, fields = await read_upload(request)
    return await run_in_threadpool(_upload_register, request, session, user, slug, data,
                                   fields.get("register_date", "")[:20])


def _upload_register(request: Request, session, user, slug: str, data: bytes, when: str):
    community = service.get_by_slug(session, slug)
    registers.check_upload(session, user, community)
    try:
        try:
            day = date.fromisoformat(when) if when else None
        except ValueError:
            raise InvalidInput(fields={"register_date": N_("Enter a date (YYYY-MM-DD).")}
                               ) from None
        found = registers.upload(session, user, community, data, day)
    except InvalidInput as exc:
        return rerender(request, "communities/register.html", _register_context(
            session, community, form={"register_date": when}), exc)
    return render(request, "communities/register.html", _register_context(
        session, community, uploaded=found))
