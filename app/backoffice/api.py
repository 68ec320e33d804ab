"""The back office's JSON API, under /api/v1, with a personal token of the right role.

GET  /regions                                  every region (public)
POST /regions                                  create a region (the operator)
POST /communities                              connect a community to a region (its
                                               administrators, the operator)
PATCH /communities/{slug}                      its details (who administers it)
GET/POST /communities/{slug}/authorities       its authorities and departments
GET/POST /communities/{slug}/districts         its starosta districts
GET/POST /communities/{slug}/staff             who holds a role; grant one (with a reason)
DELETE /communities/{slug}/staff/{staff_id}    take a role away (with a reason)
GET/POST /communities/{slug}/holidays          its holidays; add a day off ahead of time
POST /regions/{slug}/admins                    appoint a region's administrator (the operator)
GET  /inbox                                    the caller's inbox (officials)
POST /inbox/{id}/assign                        hand an item to a department or a colleague
POST /inbox/{id}/decision                      the decision document and the council session

GET /communities (every community) is the kernel's (app/api.py). The same services as the
pages: who may do what is checked there.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from fastapi import Query, Request, Response
from pydantic import BaseModel, Field

from app.accountability import inbox as inbox_service
from app.accountability.models import ObligationStatus
from app.api import api_router
from app.communities import permissions, roles, service
from app.communities import repository as repo
from app.communities.models import (
    AuthorityKind,
    AuthorityPublic,
    CommunityPublic,
    DistrictPublic,
    StaffRole,
)
from app.models import Id, Input
from app.rules import service as rules_service
from app.web.auth import ApiUser
from app.web.contract import make_api_router
from app.web.deps import DbSession
from app.web.paging import CountedPage, window

router = make_api_router()
Paging = window(default=100, maximum=500)
Language = Literal["uk", "en"]
# The rules of a single value, stated in the schema as the services check them.
SLUG = r"^[a-z0-9][a-z0-9-]{1,62}$"  # app.communities.service.SLUG_RE
NAME = r"\S\s*\S"  # two characters at least, spaces aside
REASON = r"\S(\s*\S){4}"  # five characters at least, spaces aside


class RegionPublic(BaseModel):
    id: int
    slug: str
    name: str
    name_en: str | None


class RegionCreate(Input):
    slug: str = Field(max_length=64, pattern=SLUG,
                      description="Latin letters, digits and hyphens.")
    name: str = Field(max_length=160, pattern=NAME)
    name_en: str | None = Field(None, max_length=160)


class CommunityCreate(Input):
    region: str = Field(max_length=64, description="The slug of the region hosting it "
                                                   "(404 when there is none).")
    slug: str = Field(max_length=64, pattern=SLUG,
                      description="Latin letters, digits and hyphens.")
    name: str = Field(max_length=160, pattern=NAME)
    name_en: str | None = Field(None, max_length=160)
    population: int = Field(ge=0, le=100_000_000)
    default_language: Language = Field("uk", description="The language of its pages.")


class CommunityUpdate(Input):
    name: str | None = Field(None, max_length=160, pattern=NAME)
    name_en: str | None = Field(None, max_length=160)
    population: int | None = Field(None, ge=0, le=100_000_000)
    default_language: Language | None = None


class AuthorityCreate(Input):
    name: str = Field(max_length=200, pattern=NAME)
    name_en: str | None = Field(None, max_length=200)
    kind: AuthorityKind = AuthorityKind.council


class DistrictCreate(Input):
    slug: str = Field(max_length=64, pattern=SLUG,
                      description="Latin letters, digits and hyphens.")
    name: str = Field(max_length=160, pattern=NAME)
    name_en: str | None = Field(None, max_length=160)


class StaffCreate(Input):
    email: str = Field(max_length=254, description="A registered person's e-mail address.")
    role: StaffRole
    authority_id: Id | None = Field(None, description="The authority, for an official.")
    reason: str = Field(max_length=500, pattern=REASON,
                        description="Why (5 to 500 characters): audited.")


class StaffPublic(BaseModel):
    id: int
    community_id: int
    user_id: int
    display_name: str
    email: str
    role: StaffRole
    authority_id: int | None
    granted_at: datetime | None


class HolidayCreate(Input):
    day: date = Field(description="A day after today.")
    name: str = Field(max_length=120, pattern=NAME)


class HolidayPublic(BaseModel):
    day: date
    name: str
    community_id: int | None = Field(description="null: a public holiday of every community.")


class InboxItemPublic(BaseModel):
    obligation_id: int
    kind: str
    community_id: int
    authority_id: int
    subject_title: str
    subject_path: str
    due_at: datetime
    due_day: date
    days_left: int = Field(description="Whole days to the due day; negative when overdue.")
    status: ObligationStatus
    assigned_authority_id: int | None
    assigned_user_id: int | None


def _region(r) -> RegionPublic:
    return RegionPublic(id=r.id, slug=r.slug, name=r.name, name_en=r.name_en)


def _community(c) -> CommunityPublic:
    return CommunityPublic.model_validate(c, from_attributes=True)


@router.get("/regions", response_model=CountedPage[RegionPublic], tags=["back office"])
def list_regions(request: Request, response: Response, session: DbSession, paging: Paging):
    """Every region, by name."""
    return paging.cut(request, response, [_region(r) for r in repo.regions(session)])


@router.post("/regions", response_model=RegionPublic, status_code=201, tags=["back office"])
def create_region(body: RegionCreate, user: ApiUser, session: DbSession):
    """Create a region (the platform operator)."""
    return _region(service.create_region(session, user, slug=body.slug, name=body.name,
                                         name_en=body.name_en))


class RegionAdminCreate(Input):
    email: str = Field(max_length=254, description="A registered person's e-mail address.")
    reason: str = Field(max_length=500, pattern=REASON,
                        description="Why (5 to 500 characters): audited.")


class RegionAdminPublic(BaseModel):
    id: int
    region_id: int
    user_id: int
    granted_at: datetime


@router.post("/regions/{slug}/admins", response_model=RegionAdminPublic, status_code=201,
             tags=["back office"])
def appoint_region_admin(slug: str, body: RegionAdminCreate, user: ApiUser,
                         session: DbSession):
    """Appoint an administrator of the region (the operator); audited with the reason."""
    region = service.get_region(session, slug)
    row = roles.grant_region_admin(session, user, region, email=body.email,
                                   reason=body.reason)
    return RegionAdminPublic(id=row.id, region_id=row.region_id, user_id=row.user_id,
                             granted_at=row.granted_at)


@router.post("/communities", response_model=CommunityPublic, status_code=201,
             tags=["back office"],
             responses={404: {"description": "No region has this slug (`not_found`)."}})
def create_community(body: CommunityCreate, user: ApiUser, session: DbSession):
    """Connect a community to a region (an administrator of the region, or the operator).
    404 when the region does not exist."""
    region = service.get_region(session, body.region)
    return _community(service.connect_community(
        session, user, region, slug=body.slug, name=body.name, name_en=body.name_en,
        population=body.population, default_language=body.default_language))


@router.patch("/communities/{slug}", response_model=CommunityPublic, tags=["back office"])
def update_community(slug: str, body: CommunityUpdate, user: ApiUser, session: DbSession):
    """Change a community's details (who administers it); absent fields stay."""
    community = service.get_by_slug(session, slug)
    return _community(service.update_community(
        session, user, community, name=body.name, name_en=body.name_en,
        population=body.population, default_language=body.default_language))


@router.get("/communities/{slug}/authorities", response_model=CountedPage[AuthorityPublic],
            tags=["back office"])
def list_authorities(request: Request, response: Response, slug: str, session: DbSession,
                     paging: Paging):
    community = service.get_by_slug(session, slug)
    return paging.cut(request, response, repo.authorities(session, community.id))


@router.post("/communities/{slug}/authorities", response_model=AuthorityPublic,
             status_code=201, tags=["back office"])
def create_authority(slug: str, body: AuthorityCreate, user: ApiUser, session: DbSession):
    """Add an authority or department (who administers the community)."""
    community = service.get_by_slug(session, slug)
    return service.create_authority(session, user, community, name=body.name,
                                    name_en=body.name_en, kind=body.kind)


@router.get("/communities/{slug}/districts", response_model=CountedPage[DistrictPublic],
            tags=["back office"])
def list_districts(request: Request, response: Response, slug: str, session: DbSession,
                   paging: Paging):
    community = service.get_by_slug(session, slug)
    return paging.cut(request, response, service.list_districts(session, community))


@router.post("/communities/{slug}/districts", response_model=DistrictPublic, status_code=201,
             tags=["back office"])
def create_district(slug: str, body: DistrictCreate, user: ApiUser, session: DbSession):
    """Add a starosta district (who administers the community)."""
    community = service.get_by_slug(session, slug)
    return service.create_district_by(session, user, community, slug=body.slug,
                                      name=body.name, name_en=body.name_en)


def _staff(staff, person) -> StaffPublic:
    return StaffPublic(id=staff.id, community_id=staff.community_id, user_id=person.id,
                       display_name=person.display_name, email=person.email, role=staff.role,
                       authority_id=staff.authority_id, granted_at=staff.granted_at)


FORBIDDEN = {403: {"description": "The token's owner may not see this (`forbidden`)."}}


@router.get("/communities/{slug}/staff", response_model=CountedPage[StaffPublic],
            tags=["back office"], responses=FORBIDDEN)
def list_staff(request: Request, response: Response, slug: str, user: ApiUser,
               session: DbSession, paging: Paging,
               role: StaffRole | None = Query(None, description="Only this role."),
               q: str | None = Query(None, max_length=100,
                                     description="A part of the name or e-mail address.")):
    """Who holds a role in the community, with their e-mail addresses (who administers it;
    the names alone are public on /communities/{slug}/roles)."""
    community = service.get_by_slug(session, slug)
    permissions.check_manage_community(session, user, community)
    rows, total = repo.staff_with_users(session, community.id, role=role,
                                        q=(q or "").replace("\x00", "").strip() or None,
                                        offset=paging.offset, limit=paging.limit)
    return paging.page(request, response, [_staff(s, p) for s, p in rows], total=total)


@router.post("/communities/{slug}/staff", response_model=StaffPublic, status_code=201,
             tags=["back office"])
def grant(slug: str, body: StaffCreate, user: ApiUser, session: DbSession):
    """Grant a registered person a role (an official: of an authority). A community's
    administrators are appointed by its region's; officials and moderators by any of its
    administrators. Takes effect at once; audited with the reason."""
    community = service.get_by_slug(session, slug)
    staff = roles.grant(session, user, community, email=body.email, role=body.role,
                        reason=body.reason, authority_id=body.authority_id)
    person = roles.person_by_email(session, body.email)
    return _staff(staff, person)


@router.delete("/communities/{slug}/staff/{staff_id}", status_code=204,
               response_class=Response, tags=["back office"])
def revoke(slug: str, staff_id: Id, user: ApiUser, session: DbSession,
           reason: str = Query(max_length=500, pattern=REASON,
                               description="Why (5 to 500 characters): audited.")):
    """Take a role away, at once; the community's last administrator cannot be removed
    (409)."""
    community = service.get_by_slug(session, slug)
    roles.revoke(session, user, community, staff_id, reason)
    return Response(status_code=204)


@router.get("/communities/{slug}/holidays", response_model=CountedPage[HolidayPublic],
            tags=["back office"])
def list_holidays(request: Request, response: Response, slug: str, session: DbSession,
                  paging: Paging):
    """The public holidays and the community's own days off."""
    community = service.get_by_slug(session, slug)
    return paging.cut(request, response, [
        HolidayPublic(day=h.day, name=h.name, community_id=h.community_id)
        for h in rules_service.community_holidays(session, community.id)])


@router.post("/communities/{slug}/holidays", response_model=HolidayPublic, status_code=201,
             tags=["back office"])
def add_holiday(slug: str, body: HolidayCreate, user: ApiUser, session: DbSession):
    """Add a day off after today (who administers the community). Deadlines already
    computed do not move."""
    community = service.get_by_slug(session, slug)
    holiday = service.add_holiday(session, user, community, body.day, body.name)
    return HolidayPublic(day=holiday.day, name=holiday.name, community_id=holiday.community_id)


@router.get("/inbox", response_model=CountedPage[InboxItemPublic], tags=["back office"],
            responses=FORBIDDEN)
def inbox(request: Request, response: Response, user: ApiUser, session: DbSession,
          paging: Paging, kind: str | None = Query(None, max_length=40),
          overdue: bool = Query(False, description="Only what is overdue.")):
    """What waits for the caller's authorities, soonest due first (officials)."""
    items, total = inbox_service.inbox(session, user, kind=kind, overdue=overdue,
                                       offset=paging.offset, limit=paging.limit)
    return paging.page(request, response, [_item(i) for i in items], total=total)


def _item(i) -> InboxItemPublic:
    return InboxItemPublic(
        obligation_id=i.obligation.id, kind=i.obligation.kind,
        community_id=i.obligation.community_id, authority_id=i.obligation.authority_id,
        subject_title=i.obligation.subject_title, subject_path=i.obligation.subject_path,
        due_at=i.obligation.due_at, due_day=i.due_day, days_left=i.days_left,
        status=i.status, assigned_authority_id=i.obligation.assigned_authority_id,
        assigned_user_id=i.obligation.assigned_user_id)


class AssignmentCreate(Input):
    department_id: Id | None = Field(None, description="An authority or department of the "
                                                        "item's community; null: none.")
    user_id: Id | None = Field(None, description="An official of the item's community; "
                                                 "null: none.")


class DecisionPublic(BaseModel):
    obligation_id: int
    document: str | None = Field(description="The decision document's address, if any.")
    session_on: date | None
    decision_number: str | None
    votes_for: int | None
    votes_against: int | None
    votes_abstained: int | None


@router.post("/inbox/{obligation_id}/assign", response_model=InboxItemPublic,
             tags=["back office"])
def assign(obligation_id: Id, body: AssignmentCreate, user: ApiUser, session: DbSession):
    """Hand an item to a department (public on the tracker) or a colleague (officials of the
    authority it waits for, and who administers its community)."""
    inbox_service.assign(session, user, obligation_id, department_id=body.department_id,
                         user_id=body.user_id)
    return _item(inbox_service.get_item(session, user, obligation_id))


@router.post("/inbox/{obligation_id}/decision", response_model=DecisionPublic,
             tags=["back office"],
             responses={413: {"description": "The file is too large (`too_large`)."}},
             openapi_extra={"requestBody": {"required": True, "content": {
                 "multipart/form-data": {"schema": {"type": "object", "properties": {
                     "document": {"type": "string", "format": "binary"},
                     "session_on": {"type": "string", "format": "date"},
                     "decision_number": {"type": "string", "maxLength": 60},
                     "votes_for": {"type": "integer", "minimum": 0},
                     "votes_against": {"type": "integer", "minimum": 0},
                     "votes_abstained": {"type": "integer", "minimum": 0}}}}}}})
async def record_decision(request: Request, obligation_id: Id, user: ApiUser,
                          session: DbSession):
    """Attach the signed decision document (PDF, `document`) and, for a petition, record
    its consideration at a council session (`session_on`, `decision_number`, `votes_for`,
    `votes_against`, `votes_abstained`, all together): multipart/form-data."""
    from starlette.concurrency import run_in_threadpool

    from app.communities.views import read_upload

    data, fields = await read_upload(request, "document")
    return await run_in_threadpool(_decision, session, user, obligation_id, data or None,
                                   fields)


def _decision(session, user, obligation_id: int, data: bytes | None, fields: dict):
    from app.backoffice import forms

    form = {k: (fields.get(k) or "")[:100] for k in (
        "session_on", "decision_number", "votes_for", "votes_against", "votes_abstained")}
    council = any(form.values())
    decision = inbox_service.record_decision(
        session, user, obligation_id, document=data, document_name="decision.pdf",
        session_on=forms.day(form["session_on"], "session_on", required=council),
        decision_number=form["decision_number"] or None,
        votes_for=forms.whole(form["votes_for"], "votes_for", required=council),
        votes_against=forms.whole(form["votes_against"], "votes_against", required=council),
        votes_abstained=forms.whole(form["votes_abstained"], "votes_abstained",
                                    required=council))
    return DecisionPublic(
        obligation_id=obligation_id,
        document=f"/obligations/{obligation_id}/decision.pdf" if decision.document_key
        else None, session_on=decision.session_on, decision_number=decision.decision_number,
        votes_for=decision.votes_for, votes_against=decision.votes_against,
        votes_abstained=decision.votes_abstained)


api_router.include_router(router)
