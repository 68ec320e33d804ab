"""The JSON API of residency and its level of assurance, and of the register of residents.

GET  /api/v1/communities/{slug}/residency   the token owner's residency and the levels held
POST /api/v1/communities/{slug}/register    an official uploads a version of the register

The routes join the kernel's API router (app.api.api_router, mounted under /api/v1) when this
module is imported; app.views imports it with the kernel's pages. Enrolling a second factor is
HTML only (the account page).
"""

from __future__ import annotations

from datetime import date, datetime

from fastapi import Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from app.api import api_router
from app.communities import permissions, registers, service
from app.communities import repository as repo
from app.communities.views import read_upload
from app.exceptions import InvalidInput
from app.rules.schema import AssuranceLevel
from app.web.auth import ApiUser
from app.web.contract import make_api_router
from app.web.deps import DbSession
from app.web.i18n import N_

router = make_api_router()


class ResidencyStatusPublic(BaseModel):
    community_id: int
    community_slug: str
    status: str | None  # claimed, verified, rejected; None: no claim
    evidence: str | None  # official or register, once verified
    register_date: date | None  # the register version that verified it
    email_confirmed: bool
    identified_by_provider: bool
    levels: list[AssuranceLevel]  # the levels of assurance held in this community


class RegisterPublic(BaseModel):
    community_id: int
    version: int
    register_date: date
    entries: int
    uploaded_at: datetime


@router.get("/communities/{slug}/residency", response_model=ResidencyStatusPublic,
            tags=["communities"])
def residency_status(slug: str, user: ApiUser, session: DbSession):
    """The token owner's residency in the community and the levels of assurance they hold
    there (each act's level is in the community's rules)."""
    community = service.get_by_slug(session, slug)
    residency = repo.residency(session, user.id, community.id)
    register = (repo.register(session, residency.register_id)
                if residency is not None and residency.register_id else None)
    from app.identity import providers

    return ResidencyStatusPublic(
        community_id=community.id, community_slug=community.slug,
        status=residency.status if residency else None,
        evidence=residency.evidence if residency else None,
        register_date=register.register_date if register else None,
        email_confirmed=user.email_verified,
        identified_by_provider=providers.identified(session, user),
        levels=[level for level in AssuranceLevel
                if permissions.has_level(session, user, community.id, level)])


@router.post("/communities/{slug}/register", response_model=RegisterPublic, status_code=201,
             tags=["communities"],
             responses={413: {"description": "The file is larger than the register's limit "
                                             "(`too_large`)."}},
             openapi_extra={"requestBody": {"required": True, "content": {
                 "multipart/form-data": {"schema": {
                     "type": "object", "required": ["file", "register_date"],
                     "properties": {"file": {"type": "string", "format": "binary"},
                                    "register_date": {"type": "string",
                                                      "format": "date"}}}}}}})
async def upload_register(request: Request, slug: str, user: ApiUser, session: DbSession):
    """Upload a version of the community's register of residents (officials of the community):
    multipart/form-data with `file` (CSV, see README) and `register_date` (YYYY-MM-DD)."""
    data, fields = await read_upload(request)
    return await run_in_threadpool(_upload, session, user, slug, data,
                                   fields.get("register_date", "")[:20])


def _upload(session, user, slug: str, data: bytes, when: str) -> RegisterPublic:
    community = service.get_by_slug(session, slug)
    registers.check_upload(session, user, community)
    try:
        day = date.fromisoformat(when) if when else None
    except ValueError:
        raise InvalidInput(fields={"register_date": N_("Enter a date (YYYY-MM-DD).")}
                           ) from None
    found = registers.upload(session, user, community, data, day)
    return RegisterPublic(community_id=community.id, version=found.version,
                          register_date=found.register_date, entries=found.entries,
                          uploaded_at=found.uploaded_at)


api_router.include_router(router)
