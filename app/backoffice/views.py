"""The back office's pages: regions, communities and their set-up, staff and roles; the public
pages of a region and of who holds a community's public roles; the officials' inbox.

Every form posts and answers 303 back to its page (with a message), or shows the page again
with the refused form's messages (422, 403, 409); an htmx request gets the page's `main`
block. Who may do what is checked by the services (app.communities.permissions)."""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from app import modules
from app.accountability import inbox as inbox_service
from app.accountability import observers, stats
from app.accountability import service as accountability
from app.backoffice import forms
from app.communities import permissions, roles, service
from app.communities import repository as repo
from app.communities.models import AuthorityKind, Community, Region, StaffRole
from app.exceptions import DomainError, Forbidden
from app.rules import service as rules_service
from app.web.auth import CurrentUser
from app.web.deps import DbSession, make_router
from app.web.i18n import N_
from app.web.templating import block_for, render

router = make_router(include_in_schema=False)

PER_PAGE = 25
FLASH = {
    "region": N_("The region is created."),
    "connected": N_("The community is connected. Appoint its administrators next."),
    "details": N_("The community's details are saved."),
    "district": N_("The district is added."),
    "authority": N_("The authority is added."),
    "granted": N_("The role is granted. It takes effect at once."),
    "revoked": N_("The role is taken away. It takes effect at once."),
    "holiday": N_("The holiday is added."),
    "observer": N_("The observer role is changed."),
    "assigned": N_("The item is assigned."),
    "decision": N_("The decision is recorded."),
    "followed": N_("You follow it: it is in your weekly report."),
    "unfollowed": N_("You no longer follow it."),
    "view": N_("The view is saved."),
    "view_deleted": N_("The view is deleted."),
}
ROLE_LABELS = {
    StaffRole.administrator: N_("Community administrator"),
    StaffRole.official: N_("Official"),
    StaffRole.moderator: N_("Moderator"),
}
KIND_LABELS = {
    AuthorityKind.council: N_("Council"),
    AuthorityKind.executive_committee: N_("Executive committee"),
    AuthorityKind.department: N_("Department"),
}


def _flash(done: str | None) -> str | None:
    from app.web.i18n import gettext

    return gettext(FLASH[done]) if done in FLASH else None


def _see(path: str, done: str, anchor: str = "") -> RedirectResponse:
    return RedirectResponse(f"{path}?done={done}{anchor}", status_code=303)


def _page_count(total: int) -> int:
    return max(1, math.ceil(total / PER_PAGE))


def _block(request: Request) -> str | None:
    """The staff table alone, for the filter's htmx request; else the whole page."""
    return block_for(request, "staff_table")


# -- the index ------------------------------------------------------------------------------

def _administered(session, user) -> set[int] | None:
    """The communities the person administers (None: every one, the operator)."""
    if permissions.is_operator(user):
        return None
    held = permissions.memberships(session, user)
    ids = set(held.admin_in)
    for region_id in held.region_admin_of:
        ids |= {c.id for c in repo.communities_of_region(session, region_id)}
    return ids


@router.get("/backoffice")
def index(request: Request, session: DbSession, user: CurrentUser,
          q: str = Query("", max_length=100), page: int = Query(1, ge=1, le=100_000),
          done: str | None = Query(None, max_length=20)):
    if not permissions.in_back_office(session, user):
        raise Forbidden(N_("The back office is for the staff of the region and its "
                           "communities."))
    return _index(request, session, user, q, page, done)


def _index(request: Request, session, user, q: str = "", page: int = 1,
           done: str | None = None, status_code: int = 200, **extra):
    held = permissions.memberships(session, user)
    ids = _administered(session, user)
    communities, total = repo.search_communities(
        session, q=q.replace("\x00", "").strip() or None, ids=ids,
        offset=(page - 1) * PER_PAGE, limit=PER_PAGE)
    operator = permissions.is_operator(user)
    regions = repo.regions(session) if operator else [
        r for r in (repo.region(session, i) for i in sorted(held.region_admin_of)) if r]
    context = {"communities": communities, "total": total, "q": q, "page": page,
               "pages": _page_count(total), "regions": regions, "operator": operator,
               "is_official": bool(held.official_of), "flash": _flash(done),
               "queues": [link for m in modules.registered() for link in m.queues],
               "errors": {}, "form": {}, "section": None, **extra}
    return render(request, "backoffice/index.html", context, status_code=status_code,
                  block=_block(request))


def _index_refused(request, session, user, exc: DomainError, section: str, form: dict):
    if exc.status_code in (401, 404) and not exc.fields:
        raise exc
    if not permissions.in_back_office(session, user):
        raise exc
    return _index(request, session, user, status_code=exc.status_code, error=exc.text(),
                  errors=exc.field_texts(), section=section, form=form)


@router.post("/backoffice/regions")
def create_region(request: Request, session: DbSession, user: CurrentUser,
                  slug: Annotated[str, Form(max_length=100)] = "",
                  name: Annotated[str, Form(max_length=400)] = "",
                  name_en: Annotated[str, Form(max_length=400)] = ""):
    form = {"slug": slug, "name": name, "name_en": name_en}
    try:
        region = service.create_region(session, user, slug=slug, name=name, name_en=name_en)
    except DomainError as exc:
        return _index_refused(request, session, user, exc, "region", form)
    return _see(f"/backoffice/regions/{region.slug}", "region")


@router.post("/backoffice/observers")
def set_observer(request: Request, session: DbSession, user: CurrentUser,
                 email: Annotated[str, Form(max_length=300)] = "",
                 observer: Annotated[str, Form(max_length=10)] = "yes",
                 reason: Annotated[str, Form(max_length=1000)] = ""):
    form = {"email": email, "observer": observer, "reason": reason}
    try:
        roles.set_observer(session, user, email=email, observer=observer == "yes",
                           reason=reason)
    except DomainError as exc:
        return _index_refused(request, session, user, exc, "observer", form)
    return _see("/backoffice", "observer", "#observers")


# -- a region -------------------------------------------------------------------------------

def _region_page(request: Request, session, user, region: Region, done: str | None = None,
                 status_code: int = 200, **extra):
    communities = repo.communities_of_region(session, region.id)
    operator = permissions.is_operator(user)
    context = {"region": region, "rows": stats.for_communities(session, communities),
               "admins": repo.region_admins(session, region.id) if operator else [],
               "can_connect": permissions.allowed(permissions.check_connect_community,
                                                  session, user, region),
               "operator": operator, "flash": _flash(done), "errors": {}, "form": {},
               "section": None, **extra}
    return render(request, "backoffice/region.html", context, status_code=status_code,
                  block=_block(request))


def _region_refused(request, session, user, region, exc: DomainError, section: str,
                    form: dict):
    if exc.status_code in (401, 404):
        raise exc
    return _region_page(request, session, user, region, status_code=exc.status_code,
                        error=exc.text(), errors=exc.field_texts(), section=section,
                        form=form)


@router.get("/backoffice/regions/{slug}")
def region_page(request: Request, session: DbSession, user: CurrentUser, slug: str,
                done: str | None = Query(None, max_length=20)):
    region = service.get_region(session, slug)
    if not (permissions.is_operator(user)
            or permissions.is_region_admin(session, user, region.id)):
        raise Forbidden(N_("Only an administrator of this region can manage it."))
    return _region_page(request, session, user, region, done)


@router.post("/backoffice/regions/{slug}/communities")
def connect(request: Request, session: DbSession, user: CurrentUser, slug: str,
            community_slug: Annotated[str, Form(max_length=100)] = "",
            name: Annotated[str, Form(max_length=400)] = "",
            name_en: Annotated[str, Form(max_length=400)] = "",
            population: Annotated[str, Form(max_length=20)] = "",
            default_language: Annotated[str, Form(max_length=5)] = "uk"):
    region = service.get_region(session, slug)
    form = {"community_slug": community_slug, "name": name, "name_en": name_en,
            "population": population, "default_language": default_language}
    try:
        community = service.connect_community(
            session, user, region, slug=community_slug, name=name, name_en=name_en,
            population=forms.whole(population, "population"),
            default_language=default_language)
    except DomainError as exc:
        if "slug" in exc.fields:
            exc.fields["community_slug"] = exc.fields.pop("slug")
        return _region_refused(request, session, user, region, exc, "connect", form)
    return _see(f"/backoffice/communities/{community.slug}", "connected")


@router.post("/backoffice/regions/{slug}/admins")
def grant_region_admin(request: Request, session: DbSession, user: CurrentUser, slug: str,
                       email: Annotated[str, Form(max_length=300)] = "",
                       reason: Annotated[str, Form(max_length=1000)] = ""):
    region = service.get_region(session, slug)
    try:
        roles.grant_region_admin(session, user, region, email=email, reason=reason)
    except DomainError as exc:
        return _region_refused(request, session, user, region, exc, "admins",
                               {"email": email, "reason": reason})
    return _see(f"/backoffice/regions/{slug}", "granted", "#admins")


@router.post("/backoffice/regions/{slug}/admins/{admin_id}/revoke")
def revoke_region_admin(request: Request, session: DbSession, user: CurrentUser, slug: str,
                        admin_id: int, reason: Annotated[str, Form(max_length=1000)] = ""):
    region = service.get_region(session, slug)
    try:
        roles.revoke_region_admin(session, user, region, admin_id, reason)
    except DomainError as exc:
        return _region_refused(request, session, user, region, exc, f"revoke-{admin_id}",
                               {"reason": reason})
    return _see(f"/backoffice/regions/{slug}", "revoked", "#admins")


@router.get("/regions/{slug}")
def public_region(request: Request, session: DbSession, slug: str):
    """A region's public page: its communities with their monitoring figures."""
    region = service.get_region(session, slug)
    rows = stats.for_communities(session, repo.communities_of_region(session, region.id))
    return render(request, "backoffice/public_region.html", {"region": region, "rows": rows})


# -- a community ----------------------------------------------------------------------------

def _community_page(request: Request, session, user, community: Community,
                    done: str | None = None, status_code: int = 200, q: str = "",
                    role: str = "", page: int = 1, **extra):
    staff, total = repo.staff_with_users(session, community.id,
                                         q=q.replace("\x00", "").strip() or None,
                                         role=role or None, offset=(page - 1) * PER_PAGE,
                                         limit=PER_PAGE)
    region = repo.region(session, community.region_id) if community.region_id else None
    context = {
        "community": community, "region": region,
        "districts": service.list_districts(session, community),
        "authorities": repo.authorities(session, community.id),
        "staff": staff, "staff_total": total, "q": q, "role": role, "page": page,
        "pages": _page_count(total),
        "holidays": rules_service.community_holidays(session, community.id),
        "role_labels": ROLE_LABELS, "kind_labels": KIND_LABELS,
        "grantable": [r for r in StaffRole if permissions.allowed(
            permissions.check_grant, session, user, community, r)],
        "queues": [link for m in modules.registered() for link in m.queues],
        "flash": _flash(done), "errors": {}, "form": {}, "section": None, **extra}
    return render(request, "backoffice/community.html", context, status_code=status_code,
                  block=_block(request))


def _community_refused(request, session, user, community, exc: DomainError, section: str,
                       form: dict):
    if exc.status_code in (401, 404) and not exc.fields:
        raise exc
    return _community_page(request, session, user, community, status_code=exc.status_code,
                           error=exc.text(), errors=exc.field_texts(), section=section,
                           form=form)


def _managed(session, user, slug: str) -> Community:
    community = service.get_by_slug(session, slug)
    permissions.check_manage_community(session, user, community)
    return community


@router.get("/backoffice/communities/{slug}")
def community_page(request: Request, session: DbSession, user: CurrentUser, slug: str,
                   q: str = Query("", max_length=100), role: str = Query("", max_length=20),
                   page: int = Query(1, ge=1, le=100_000),
                   done: str | None = Query(None, max_length=20)):
    community = _managed(session, user, slug)
    return _community_page(request, session, user, community, done, q=q,
                           role=role if role in StaffRole.__members__ else "", page=page)


@router.post("/backoffice/communities/{slug}/details")
def community_details(request: Request, session: DbSession, user: CurrentUser, slug: str,
                      name: Annotated[str, Form(max_length=400)] = "",
                      name_en: Annotated[str, Form(max_length=400)] = "",
                      population: Annotated[str, Form(max_length=20)] = "",
                      default_language: Annotated[str, Form(max_length=5)] = "uk"):
    community = _managed(session, user, slug)
    form = {"name": name, "name_en": name_en, "population": population,
            "default_language": default_language}
    try:
        service.update_community(session, user, community, name=name, name_en=name_en,
                                 population=forms.whole(population, "population"),
                                 default_language=default_language)
    except DomainError as exc:
        return _community_refused(request, session, user, community, exc, "details", form)
    return _see(f"/backoffice/communities/{slug}", "details")


@router.post("/backoffice/communities/{slug}/districts")
def add_district(request: Request, session: DbSession, user: CurrentUser, slug: str,
                 district_slug: Annotated[str, Form(max_length=100)] = "",
                 name: Annotated[str, Form(max_length=400)] = "",
                 name_en: Annotated[str, Form(max_length=400)] = ""):
    community = _managed(session, user, slug)
    form = {"district_slug": district_slug, "name": name, "name_en": name_en}
    try:
        service.create_district_by(session, user, community, slug=district_slug, name=name,
                                   name_en=name_en)
    except DomainError as exc:
        if "slug" in exc.fields:
            exc.fields["district_slug"] = exc.fields.pop("slug")
        return _community_refused(request, session, user, community, exc, "districts", form)
    return _see(f"/backoffice/communities/{slug}", "district", "#districts")


@router.post("/backoffice/communities/{slug}/authorities")
def add_authority(request: Request, session: DbSession, user: CurrentUser, slug: str,
                  name: Annotated[str, Form(max_length=400)] = "",
                  name_en: Annotated[str, Form(max_length=400)] = "",
                  kind: Annotated[str, Form(max_length=40)] = "council"):
    community = _managed(session, user, slug)
    form = {"name": name, "name_en": name_en, "kind": kind}
    try:
        service.create_authority(session, user, community, name=name, name_en=name_en,
                                 kind=kind)
    except DomainError as exc:
        return _community_refused(request, session, user, community, exc, "authorities",
                                  form)
    return _see(f"/backoffice/communities/{slug}", "authority", "#authorities")


@router.post("/backoffice/communities/{slug}/staff")
def grant(request: Request, session: DbSession, user: CurrentUser, slug: str,
          email: Annotated[str, Form(max_length=300)] = "",
          role: Annotated[str, Form(max_length=20)] = "",
          authority_id: Annotated[str, Form(max_length=20)] = "",
          reason: Annotated[str, Form(max_length=1000)] = ""):
    community = _managed(session, user, slug)
    form = {"email": email, "role": role, "authority_id": authority_id, "reason": reason}
    try:
        roles.grant(session, user, community, email=email, role=role, reason=reason,
                    authority_id=forms.an_id(authority_id, "authority_id"))
    except DomainError as exc:
        return _community_refused(request, session, user, community, exc, "staff", form)
    return _see(f"/backoffice/communities/{slug}", "granted", "#staff")


@router.post("/backoffice/communities/{slug}/staff/{staff_id}/revoke")
def revoke(request: Request, session: DbSession, user: CurrentUser, slug: str, staff_id: int,
           reason: Annotated[str, Form(max_length=1000)] = ""):
    community = _managed(session, user, slug)
    try:
        roles.revoke(session, user, community, staff_id, reason)
    except DomainError as exc:
        return _community_refused(request, session, user, community, exc,
                                  f"revoke-{staff_id}", {"reason": reason})
    return _see(f"/backoffice/communities/{slug}", "revoked", "#staff")


@router.post("/backoffice/communities/{slug}/holidays")
def add_holiday(request: Request, session: DbSession, user: CurrentUser, slug: str,
                day: Annotated[str, Form(max_length=20)] = "",
                name: Annotated[str, Form(max_length=400)] = ""):
    community = _managed(session, user, slug)
    form = {"day": day, "name": name}
    try:
        service.add_holiday(session, user, community, forms.day(day, "day"), name)
    except DomainError as exc:
        return _community_refused(request, session, user, community, exc, "holidays", form)
    return _see(f"/backoffice/communities/{slug}", "holiday", "#holidays")


@router.get("/communities/{slug}/roles")
def public_roles(request: Request, session: DbSession, slug: str):
    """Who holds which public role in the community (names only)."""
    community = service.get_by_slug(session, slug)
    staff, _ = repo.staff_with_users(session, community.id, limit=10_000)
    authorities = {a.id: a for a in repo.authorities(session, community.id)}
    region = repo.region(session, community.region_id) if community.region_id else None
    return render(request, "backoffice/roles.html", {
        "community": community, "region": region, "staff": staff, "authorities": authorities,
        "role_labels": ROLE_LABELS,
        "region_admins": repo.region_admins(session, region.id) if region else []})


# -- the officials' inbox ---------------------------------------------------------------------

def kind_labels() -> dict[str, str]:
    return {code: kind.label for code, kind in accountability.KINDS.items()}


@router.get("/inbox")
def inbox(request: Request, session: DbSession, user: CurrentUser,
          kind: str = Query("", max_length=40), q: str = Query("", max_length=100),
          overdue: bool = Query(False), page: int = Query(1, ge=1, le=100_000)):
    items, total = inbox_service.inbox(session, user, kind=kind or None, q=q, overdue=overdue,
                                       offset=(page - 1) * PER_PAGE, limit=PER_PAGE)
    return render(request, "backoffice/inbox.html", {
        "items": items, "total": total, "kind": kind, "q": q, "overdue": overdue,
        "page": page, "pages": _page_count(total), "kind_labels": kind_labels(),
        "claims": inbox_service.residency_claims(session, user)}, block=_block(request))


def _item_page(request: Request, session, user, obligation_id: int, done: str | None = None,
               status_code: int = 200, **extra):
    item = inbox_service.get_item(session, user, obligation_id)
    kind = accountability.KINDS.get(item.obligation.kind)
    return render(request, "backoffice/inbox_item.html", {
        "item": item, "kind_labels": kind_labels(),
        "council": bool(kind and kind.council_session),
        "departments": repo.authorities(session, item.obligation.community_id),
        "colleagues": inbox_service.colleagues(session, item.obligation),
        "flash": _flash(done), "errors": {}, "form": {}, "section": None, **extra},
        status_code=status_code, block=_block(request))


@router.get("/inbox/{obligation_id}")
def inbox_item(request: Request, session: DbSession, user: CurrentUser, obligation_id: int,
               done: str | None = Query(None, max_length=20)):
    return _item_page(request, session, user, obligation_id, done)


def _item_refused(request, session, user, obligation_id, exc: DomainError, section, form):
    if exc.status_code in (401, 403, 404) and not exc.fields:
        raise exc
    return _item_page(request, session, user, obligation_id, status_code=exc.status_code,
                      error=exc.text(), errors=exc.field_texts(), section=section, form=form)


@router.post("/inbox/{obligation_id}/assign")
def assign(request: Request, session: DbSession, user: CurrentUser, obligation_id: int,
           department_id: Annotated[str, Form(max_length=20)] = "",
           user_id: Annotated[str, Form(max_length=20)] = ""):
    form = {"department_id": department_id, "user_id": user_id}
    try:
        inbox_service.assign(session, user, obligation_id,
                             department_id=forms.an_id(department_id, "department_id"),
                             user_id=forms.an_id(user_id, "user_id"))
    except DomainError as exc:
        return _item_refused(request, session, user, obligation_id, exc, "assign", form)
    return _see(f"/inbox/{obligation_id}", "assigned")


@router.post("/inbox/{obligation_id}/decision")
async def decision(request: Request, obligation_id: int, session: DbSession,
                   user: CurrentUser):
    from app.communities.views import read_upload

    data, fields = await read_upload(request, "document")
    filename = None
    form = await request.form()
    upload = form.get("document")
    if upload is not None and not isinstance(upload, str):
        filename = upload.filename
    return await run_in_threadpool(_decision, request, session, user, obligation_id,
                                   data or None, filename, fields)


def _decision(request: Request, session, user, obligation_id: int, data: bytes | None,
              filename: str | None, fields: dict[str, str]):
    form = {k: fields.get(k, "")[:100] for k in ("session_on", "decision_number",
                                                 "votes_for", "votes_against",
                                                 "votes_abstained")}
    try:
        council = any(form.values())
        inbox_service.record_decision(
            session, user, obligation_id, document=data, document_name=filename,
            session_on=forms.day(form["session_on"], "session_on", required=council),
            decision_number=form["decision_number"] or None,
            votes_for=forms.whole(form["votes_for"], "votes_for", required=council),
            votes_against=forms.whole(form["votes_against"], "votes_against",
                                      required=council),
            votes_abstained=forms.whole(form["votes_abstained"], "votes_abstained",
                                        required=council))
    except DomainError as exc:
        return _item_refused(request, session, user, obligation_id, exc, "decision", form)
    return _see(f"/inbox/{obligation_id}", "decision")


@router.get("/obligations/{obligation_id}/decision.pdf")
def decision_document(session: DbSession, obligation_id: int):
    """The signed decision document behind an answer: a public record."""
    decision, data = inbox_service.document_bytes(session, obligation_id)
    name = "".join(c for c in (decision.document_name or "decision.pdf")
                   if c.isascii() and (c.isalnum() or c in "._-")) or "decision.pdf"
    return Response(data, media_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{name}"',
        "X-Content-Type-Options": "nosniff"})


# -- NGO observers --------------------------------------------------------------------------

def _observer_page(request: Request, session, user, community_slug: str = "",
                   done: str | None = None, status_code: int = 200, **extra):
    authorities, communities = observers.followed(session, user)
    chosen = repo.community_by_slug(session, community_slug) if community_slug and (
        "\x00" not in community_slug) else None
    return render(request, "backoffice/observer.html", {
        "authorities": authorities, "communities": communities,
        "all_communities": repo.communities(session), "chosen": chosen,
        "chosen_authorities": repo.authorities(session, chosen.id) if chosen else [],
        "views": observers.saved_views(session, user), "flash": _flash(done),
        "errors": {}, "form": {}, "section": None, **extra}, status_code=status_code)


@router.get("/observer")
def observer(request: Request, session: DbSession, user: CurrentUser,
             community: str = Query("", max_length=64),
             done: str | None = Query(None, max_length=20)):
    observers.check_observe(user)
    return _observer_page(request, session, user, community, done)


@router.post("/observer/follow")
def observer_follow(request: Request, session: DbSession, user: CurrentUser,
                    subject_type: Annotated[str, Form(max_length=20)] = "",
                    subject_id: Annotated[str, Form(max_length=20)] = "",
                    on: Annotated[str, Form(max_length=5)] = "yes"):
    observers.check_observe(user)
    try:
        observers.follow(session, user, subject_type,
                         forms.whole(subject_id, f"{subject_type}_id") or 0, on=on == "yes")
    except DomainError as exc:
        if exc.status_code in (401, 403):
            raise
        return _observer_page(request, session, user, status_code=exc.status_code,
                              error=exc.text(), errors=exc.field_texts(), section="follow")
    return _see("/observer", "followed" if on == "yes" else "unfollowed")


@router.post("/observer/views")
def observer_save_view(request: Request, session: DbSession, user: CurrentUser,
                       name: Annotated[str, Form(max_length=200)] = "",
                       address: Annotated[str, Form(max_length=1000)] = ""):
    observers.check_observe(user)
    try:
        observers.save_view(session, user, name, address)
    except DomainError as exc:
        if exc.status_code in (401, 403):
            raise
        return _observer_page(request, session, user, status_code=exc.status_code,
                              error=exc.text(), errors=exc.field_texts(), section="views",
                              form={"name": name, "address": address})
    return _see("/observer", "view", "#views")


@router.post("/observer/views/{view_id}/delete")
def observer_delete_view(session: DbSession, user: CurrentUser, view_id: int):
    observers.delete_view(session, user, view_id)
    return _see("/observer", "view_deleted", "#views")
