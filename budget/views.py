"""HTML pages of the participatory budget: load and authorise (budget.dependencies), parse,
call the service, render.

Every form works without JavaScript: POST, then a 303 redirect, or the same page again with
the errors (app.web.forms.rerender). htmx only enhances: the ballot posts itself to
/ballot/preview on every change and swaps in the summary block of the ballot page (remaining
funds, choices or points).
"""

from __future__ import annotations

import math
from datetime import date
from typing import Annotated, Any

from fastapi import File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from app.audit import service as audit
from app.communities import repository as communities_repo
from app.communities import service as communities
from app.communities.permissions import allowed
from app.deliberation.invalidation import parse_moment
from app.deliberation.views import discussion_context
from app.exceptions import InvalidInput
from app.settings import get_settings
from app.web import pagecache
from app.web.auth import CurrentUser, OptionalUser
from app.web.deps import DbSession, make_router, writes
from app.web.forms import parse, rerender
from app.web.i18n import N_, gettext
from app.web.ratelimit import client_ip, limit
from app.web.templating import block_for, render
from budget import (
    ballot_check,
    ballots,
    cycles,
    exports,
    fraud,
    implementation,
    media,
    permissions,
    projects,
    results,
    review,
    supports,
)
from budget.cycles import CycleView
from budget.dependencies import (
    PAGES,
    CyclePage,
    CyclePlaces,
    ExportableCycle,
    VisibleCycle,
    VisibleProject,
)
from budget.discussion import SUBJECT_TYPE as PROJECT_SUBJECT
from budget.models import (
    AGGREGATION_LABELS,
    DATE_FIELDS,
    DATE_LABELS,
    IMPLEMENTATION_LABELS,
    PHASE_LABELS,
    PROJECT_STATUS_LABELS,
    VOTING_METHOD_LABELS,
    BallotInvalidationCreate,
    CycleCreate,
    FileKind,
    ImplementationStatus,
    Phase,
    ProgressCreate,
    ProjectCreate,
    ProjectStatus,
    ReviewCreate,
)
from budget.phases import phase_of, to_day, votes_visible
from budget.rules import AGGREGATIONS

router = make_router()
PAGE = 20
CATEGORY_ROWS = 6
# The element the ballot's live summary fills (hx-target) and its block in ballot.html: a
# Jinja block's name cannot carry the element's hyphen.
SUMMARY, SUMMARY_BLOCK = "ballot-summary", "ballot_summary"

LABELS = {
    "phases": PHASE_LABELS, "statuses": PROJECT_STATUS_LABELS, "dates": DATE_LABELS,
    "methods": VOTING_METHOD_LABELS, "aggregations": AGGREGATION_LABELS,
    "implementation": IMPLEMENTATION_LABELS,
}
INVALID_DATE = N_("Enter a date (YYYY-MM-DD).")


# -- helpers --------------------------------------------------------------------------------

def _int(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _day(value: str | None) -> str | None:
    return (value or "").strip() or None


def _amount(value: str | None) -> str:
    """A sum as people type it: without the spaces that group its digits."""
    return (value or "").replace(" ", "").replace("\u202f", "")


def _date(name: str, value: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(fields={name: INVALID_DATE}) from None


def _base(session, user, page: CycleView) -> dict[str, Any]:
    """What every page of a cycle needs: the cycle, its community and authority, its phase,
    its rules and categories, and what the visitor may do."""
    cycle = page.cycle
    cats = cycles.categories(session, cycle)
    districts = {d.id: d for d in communities_repo.districts(session, cycle.community_id)}
    return {
        "cycle": cycle, "community": page.community, "authority": page.authority,
        "phase": phase_of(cycle), "rules": cycles.rules_of(session, cycle), "categories": cats,
        "category_names": {c.id: cycles.category_name(c) for c in cats},
        "districts": districts,
        "pot_districts": {c.id: districts[c.district_id].name for c in cats
                          if c.district_id in districts},
        "votes_visible": votes_visible(cycle),
        "is_staff": permissions.is_staff(session, user, cycle.community_id),
        "is_official": permissions.is_official(session, user, cycle),
        "labels": LABELS, "to_day": to_day,
    }


# -- cycles ---------------------------------------------------------------------------------

@router.get("/budget")
def cycle_list(request: Request, session: DbSession, user: OptionalUser,
               community: str | None = Query(None, max_length=64),
               page: int = Query(1, ge=1, le=100_000)):
    place = communities.get_by_slug(session, community) if community else None
    rows, total = cycles.list_cycles(session, place.id if place else None,
                                     offset=(page - 1) * PAGE, limit=PAGE)
    return render(request, "budget/list.html", {
        "rows": [(c, comm, phase_of(c)) for c, comm in rows], "total": total,
        "page": page, "pages": max(1, math.ceil(total / PAGE)), "community": place,
        "can_create": bool(cycles.manageable_communities(session, user)), "labels": LABELS})


def _new_form_context(session, places: list, form: dict) -> dict[str, Any]:
    rows = [{"name": form.get(f"category_name_{i}", ""),
             "funds": form.get(f"category_funds_{i}", ""),
             "district": form.get(f"category_district_{i}", ""),
             "rule": form.get(f"category_rule_{i}", ""),
             "max": form.get(f"category_max_{i}", "")} for i in range(CATEGORY_ROWS)]
    districts = [(place, communities_repo.districts(session, place.id)) for place in places]
    return {"places": places, "form": form, "errors": {}, "category_rows": rows,
            "date_fields": DATE_FIELDS, "labels": LABELS, "place_districts": districts,
            "pot_rules": AGGREGATIONS}


@router.get("/budget/new")
def new_cycle_form(request: Request, session: DbSession, places: CyclePlaces,
                   community: str | None = Query(None, max_length=64)):
    form = {}
    if community:
        form["community_id"] = communities.get_by_slug(session, community).id
    return render(request, "budget/cycle_form.html", _new_form_context(session, places, form))


@router.post("/budget/new")
async def create_cycle(request: Request, session: DbSession, user: CurrentUser,
                       places: CyclePlaces):
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    return await run_in_threadpool(_create_cycle, request, session, user, places, form)


def _parse_cycle(form: dict[str, str]) -> CycleCreate:
    """The cycle as the form sent it; a category row's message is the categories' own."""
    categories = []
    for i in range(CATEGORY_ROWS):
        name = form.get(f"category_name_{i}", "").strip()
        funds = _amount(form.get(f"category_funds_{i}", "")).strip()
        if name or funds:
            own = {"district_id": form.get(f"category_district_{i}", "").strip(),
                   "aggregation": form.get(f"category_rule_{i}", "").strip(),
                   "max_choices": form.get(f"category_max_{i}", "").strip()}
            categories.append({"name": name, "funds": funds,
                               **{k: v for k, v in own.items() if v}})
    data = {"community_id": form.get("community_id", ""), "title": form.get("title", ""),
            "description": form.get("description", ""),
            "total_funds": _amount(form.get("total_funds")),
            "categories": categories, **{f: _day(form.get(f)) for f in DATE_FIELDS}}
    try:
        return parse(CycleCreate, data)
    except InvalidInput as exc:
        fields = {("categories" if key.startswith("categories.") else key): message
                  for key, message in exc.fields.items()}
        raise InvalidInput(exc.message, fields=fields, **exc.params) from None


def _create_cycle(request: Request, session, user, places: list, form: dict[str, str]):
    try:
        cycle = cycles.create_cycle(session, user, _parse_cycle(form))
    except InvalidInput as exc:
        return rerender(request, "budget/cycle_form.html",
                        _new_form_context(session, places, form), exc)
    return RedirectResponse(cycles.cycle_path(cycle), status_code=303)


@router.get("/budget/{cycle_id}")
def cycle_page(request: Request, session: DbSession, user: OptionalUser, page: CyclePage):
    ctx = _base(session, user, page)
    cycle, phase = page.cycle, ctx["phase"]
    listed = projects.list_projects(session, cycle)
    ballot, choices = ballots.my_ballot(session, user, cycle) if phase in (
        Phase.voting, Phase.results) else (None, {})
    ctx.update({
        "projects": listed,
        "reviewed": sum(1 for p in listed if p.status != ProjectStatus.submitted),
        "project_total": len(listed),
        "review": review.review_state(session, cycle),
        "changes": cycles.phase_changes(session, cycle),
        "ballot": ballot, "my_choices": choices,
        "can_submit": allowed(permissions.check_submit, session, user, cycle, phase),
        "can_vote": phase == Phase.voting and permissions.voter_problem(
            session, user, cycle.community_id, ctx["rules"].minimum_age,
            ctx["rules"].vote_level) is None,
        "supported": supports.supported(session, user, listed)
        if phase == Phase.supports else set(),
        "my_pots": {c.id for c in permissions.open_pots(session, user, cycle,
                                                        ctx["categories"])},
        "may_support": phase == Phase.supports and permissions.p.is_verified_resident(
            session, user, cycle.community_id),
        "located": sum(1 for p in listed if p.latitude is not None or p.location),
        "invalidations": fraud.public_invalidations(session, cycle),
        "may_see_arrivals": allowed(permissions.check_see_arrivals, session, user, cycle),
    })
    return render(request, "budget/cycle.html", ctx)


def _dates_context(session, user, page: CycleView, form: dict) -> dict[str, Any]:
    ctx = _base(session, user, page)
    ctx.update({"changes": cycles.phase_changes(session, page.cycle), "errors": {},
                "form": form,
                "date_fields": [f for f in DATE_FIELDS if getattr(page.cycle, f) is not None]})
    return ctx


@router.get("/budget/{cycle_id}/dates")
def dates_page(request: Request, session: DbSession, user: CurrentUser, page: CyclePage,
               cycle: PAGES.DatableCycle):
    return render(request, "budget/dates.html", _dates_context(session, user, page, {}))


@router.post("/budget/{cycle_id}/dates")
def move_date(request: Request, session: DbSession, user: CurrentUser, page: CyclePage,
              cycle: PAGES.DatableCycle,
              field: Annotated[str, Form(max_length=20)] = "",
              value: Annotated[str, Form(max_length=20)] = "",
              reason: Annotated[str, Form(max_length=2000)] = ""):
    form = {"field": field, "value": value, "reason": reason}
    try:
        cycles.move_date(session, user, cycle, field, _date("value", value), reason)
    except InvalidInput as exc:
        return rerender(request, "budget/dates.html",
                        _dates_context(session, user, page, form), exc)
    return RedirectResponse(f"{cycles.cycle_path(cycle)}/dates?moved=1", status_code=303)


# -- projects -------------------------------------------------------------------------------

def _project_data(form: dict[str, str]) -> ProjectCreate:
    point = {k: (form.get(k) or "").strip().replace(",", ".") or None
             for k in ("latitude", "longitude")}
    return parse(ProjectCreate, {**form, **point, "cost": _amount(form.get("cost"))})


def _map_settings() -> dict[str, str]:
    settings = get_settings()
    return {"map_tiles": settings.map_tile_url, "map_attribution": settings.map_attribution}


def _project_form_context(session, user, page: CycleView, project, form: dict
                          ) -> dict[str, Any]:
    return {**_base(session, user, page), "form": form, "errors": {}, "project": project,
            **_map_settings()}


@router.get("/budget/{cycle_id}/projects/new")
def new_project_form(request: Request, session: DbSession, user: CurrentUser, page: CyclePage,
                     cycle: PAGES.SubmittableCycle):
    return render(request, "budget/project_form.html",
                  _project_form_context(session, user, page, None, {}))


@router.post("/budget/{cycle_id}/projects/new")
def submit_project(request: Request, session: DbSession, user: CurrentUser, page: CyclePage,
                   category_id: Annotated[str, Form(max_length=20)] = "",
                   title: Annotated[str, Form(max_length=1000)] = "",
                   description: Annotated[str, Form(max_length=40_000)] = "",
                   location: Annotated[str, Form(max_length=1000)] = "",
                   latitude: Annotated[str, Form(max_length=40)] = "",
                   longitude: Annotated[str, Form(max_length=40)] = "",
                   cost: Annotated[str, Form(max_length=40)] = ""):
    limit(request, "create")
    form = {"category_id": category_id, "title": title, "description": description,
            "location": location, "latitude": latitude, "longitude": longitude, "cost": cost}
    try:
        project = projects.submit_project(session, user, page.cycle, _project_data(form))
    except InvalidInput as exc:
        return rerender(request, "budget/project_form.html",
                        _project_form_context(session, user, page, None, form), exc)
    return RedirectResponse(projects.project_path(project), status_code=303)


@router.get("/budget/{cycle_id}/projects/{project_id}")
@pagecache.shared_page
def project_page(request: Request, session: DbSession, user: OptionalUser, page: CyclePage,
                 project: VisibleProject):
    return render(request, "budget/project.html",
                  _project_context(session, user, page, project, {}))


def _project_context(session, user, page: CycleView, project, form: dict) -> dict[str, Any]:
    ctx = _base(session, user, page)
    cycle, phase = page.cycle, ctx["phase"]
    obligation = implementation.implementation_obligation(session, project)
    ctx.update({
        "project": project,
        "author": projects.author_of(session, project),
        "updates": implementation.updates(session, project),
        "obligation": obligation,
        "obligation_status": implementation.obligation_status(obligation),
        "following": projects.is_following(session, user, project),
        "can_edit": allowed(permissions.check_edit, session, user, cycle, project, phase),
        "can_review": allowed(permissions.check_review, session, user, cycle, phase),
        "can_report": allowed(permissions.check_progress, session, user, cycle, project),
        "errors": {}, "form": form,
        "implementation_statuses": list(ImplementationStatus),
        "files": media.files_of(session, [project])[project.id],
        "can_attach": allowed(permissions.check_attach, session, user, cycle, project, phase),
        "can_support": phase == Phase.supports and allowed(
            permissions.check_support, session, user, cycle, project,
            projects.category_of(session, cycle, project.category_id), phase),
        "supported": project.id in supports.supported(session, user, [project])
        if phase == Phase.supports else False,
        "file_kinds": FileKind, **_map_settings(),
        # The kernel's discussion of the project (app.deliberation), with its own forms.
        **discussion_context(session, user, PROJECT_SUBJECT, project.id),
    })
    return ctx


@router.get("/budget/{cycle_id}/projects/{project_id}/edit")
def edit_project_form(request: Request, session: DbSession, user: CurrentUser,
                      page: CyclePage, project: PAGES.EditableProject):
    form = {"category_id": project.category_id, "title": project.title,
            "description": project.description, "location": project.location,
            "latitude": "" if project.latitude is None else project.latitude,
            "longitude": "" if project.longitude is None else project.longitude,
            "cost": project.cost}
    return render(request, "budget/project_form.html",
                  _project_form_context(session, user, page, project, form))


@router.post("/budget/{cycle_id}/projects/{project_id}/edit")
def edit_project(request: Request, session: DbSession, user: CurrentUser, page: CyclePage,
                 project: PAGES.EditableProject,
                 category_id: Annotated[str, Form(max_length=20)] = "",
                 title: Annotated[str, Form(max_length=1000)] = "",
                 description: Annotated[str, Form(max_length=40_000)] = "",
                 location: Annotated[str, Form(max_length=1000)] = "",
                 latitude: Annotated[str, Form(max_length=40)] = "",
                 longitude: Annotated[str, Form(max_length=40)] = "",
                 cost: Annotated[str, Form(max_length=40)] = ""):
    form = {"category_id": category_id, "title": title, "description": description,
            "location": location, "latitude": latitude, "longitude": longitude, "cost": cost}
    try:
        projects.edit_project(session, user, page.cycle, project, _project_data(form))
    except InvalidInput as exc:
        session.expire(project)
        return rerender(request, "budget/project_form.html",
                        _project_form_context(session, user, page, project, form), exc)
    return RedirectResponse(projects.project_path(project), status_code=303)


@router.post("/budget/{cycle_id}/projects/{project_id}/follow")
@pagecache.keeps_pages
def follow_project(request: Request, session: DbSession, user: CurrentUser,
                   project: VisibleProject, on: Annotated[str, Form(max_length=5)] = "1"):
    projects.follow(session, user, project, on == "1")
    return RedirectResponse(projects.project_path(project), status_code=303)


# -- supports -------------------------------------------------------------------------------

@router.post("/budget/{cycle_id}/projects/{project_id}/support")
def support_project(request: Request, session: DbSession, user: CurrentUser, page: CyclePage,
                    project: VisibleProject, on: Annotated[str, Form(max_length=5)] = "1",
                    back: Annotated[str, Form(max_length=10)] = ""):
    limit(request, "sign")
    supports.support(session, user, page.cycle, project, on == "1")
    if back == "cycle":
        return RedirectResponse(f"{cycles.cycle_path(page.cycle)}#project-{project.id}",
                                status_code=303)
    return RedirectResponse(projects.project_path(project) + "#supports", status_code=303)


# -- pictures and documents -----------------------------------------------------------------

@router.post("/budget/{cycle_id}/projects/{project_id}/files")
def upload_file(request: Request, session: DbSession, user: CurrentUser, page: CyclePage,
                project: VisibleProject,
                kind: Annotated[str, Form(max_length=10)] = "",
                caption: Annotated[str, Form(max_length=1000)] = "",
                file: Annotated[UploadFile | None, File()] = None):
    form = {"kind": kind, "caption": caption}
    try:
        permissions.check_attach(session, user, page.cycle, project)
        if kind not in (FileKind.image, FileKind.document):
            raise InvalidInput(fields={"kind": cycles.CHOOSE_OFFERED})
        if file is None or not file.filename:
            raise InvalidInput(media.EMPTY, fields={"file": media.EMPTY})
        rules = cycles.rules_of(session, page.cycle)
        data = file.file.read(media.read_limit(rules, kind))
        media.add_file(session, user, page.cycle, project, kind, file.filename, data, caption)
    except InvalidInput as exc:
        return rerender(request, "budget/project.html",
                        _project_context(session, user, page, project, form), exc)
    return RedirectResponse(projects.project_path(project) + "#files", status_code=303)


def _file_response(session, project, file_id: int, thumb: bool) -> Response:
    row = media.get_file(session, project, file_id)
    data = media.file_bytes(session, row, thumb=thumb)
    headers = {"X-Content-Type-Options": "nosniff", "Cache-Control": "public, max-age=86400"}
    if row.kind == FileKind.document:
        ascii_name = row.filename.encode("ascii", "ignore").decode().replace('"', "") or "file"
        headers["Content-Disposition"] = f'attachment; filename="{ascii_name}"'
    return Response(data, media_type=row.content_type, headers=headers)


@router.get("/budget/{cycle_id}/projects/{project_id}/files/{file_id}")
def file_page(session: DbSession, project: VisibleProject, file_id: int):
    return _file_response(session, project, file_id, thumb=False)


@router.get("/budget/{cycle_id}/projects/{project_id}/files/{file_id}/thumb")
def file_thumb(session: DbSession, project: VisibleProject, file_id: int):
    return _file_response(session, project, file_id, thumb=True)


@router.post("/budget/{cycle_id}/projects/{project_id}/files/{file_id}/delete")
def delete_file(session: DbSession, user: CurrentUser, page: CyclePage,
                project: VisibleProject, file_id: int):
    row = media.get_file(session, project, file_id)
    media.remove_file(session, user, page.cycle, project, row)
    return RedirectResponse(projects.project_path(project) + "#files", status_code=303)


# -- the map --------------------------------------------------------------------------------

@router.get("/budget/{cycle_id}/map")
@pagecache.shared_page
def map_page(request: Request, session: DbSession, user: OptionalUser, page: CyclePage):
    ctx = _base(session, user, page)
    listed = projects.list_projects(session, page.cycle)
    shown = results.results_for_display(session, page.cycle) if ctx["votes_visible"] else None
    thumbs = media.files_of(session, listed, FileKind.image)
    ctx.update({"projects": listed, "results": shown, "thumbs": thumbs, **_map_settings(),
                "winners": set(shown.winner_ids()) if shown else set()})
    return render(request, "budget/map.html", ctx)


# -- review ---------------------------------------------------------------------------------

def _review_context(session, user, page: CycleView, failed: int | None, form: dict
                    ) -> dict[str, Any]:
    ctx = _base(session, user, page)
    listed = projects.list_projects(session, page.cycle)
    # Proposals without enough supports are not reviewed (marked so when the worker or the
    # first decision closes the supports phase; read here from the counts already).
    passed = supports.passing(ctx["rules"], listed)
    shown = [p for p in listed if p.id in passed and p.status != ProjectStatus.not_supported]
    ctx.update({"projects": shown, "unsupported": len(listed) - len(shown),
                "review": review.review_state(session, page.cycle),
                "errors": {}, "failed": failed, "form": form})
    return ctx


@router.get("/budget/{cycle_id}/review")
def review_page(request: Request, session: DbSession, user: CurrentUser, page: CyclePage,
                cycle: PAGES.ReviewableCycle):
    return render(request, "budget/review.html", _review_context(session, user, page, None, {}))


@router.post("/budget/{cycle_id}/projects/{project_id}/review")
def review_project(request: Request, session: DbSession, user: CurrentUser, page: CyclePage,
                   cycle: PAGES.ReviewableCycle, project: VisibleProject,
                   decision: Annotated[str, Form(max_length=20)] = "",
                   reason: Annotated[str, Form(max_length=20_000)] = "",
                   revised_cost: Annotated[str, Form(max_length=40)] = ""):
    form = {"decision": decision, "reason": reason, "revised_cost": revised_cost}
    try:
        if decision not in ("feasible", "unfeasible"):
            raise InvalidInput(fields={"decision": cycles.CHOOSE_OFFERED})
        data = parse(ReviewCreate, {"feasible": decision == "feasible", "reason": reason,
                                    "revised_cost": _amount(revised_cost) or None})
        review.review_project(session, user, cycle, project, data)
    except InvalidInput as exc:
        session.expire(project)
        return rerender(request, "budget/review.html",
                        _review_context(session, user, page, project.id, form), exc)
    return RedirectResponse(f"{cycles.cycle_path(cycle)}/review#project-{project.id}",
                            status_code=303)


# -- ballots --------------------------------------------------------------------------------

def _ballot_input(form) -> tuple[list[int], dict[int, int], list[InvalidInput]]:
    """The ballot as the form sent it: checked projects, or points per project."""
    chosen: list[int] = []
    points: dict[int, int] = {}
    problems = []
    for value in form.getlist("project"):
        project_id = _int(value)
        if project_id is None:
            problems.append(InvalidInput(N_("The ballot is not valid. Please reload the page.")))
        else:
            chosen.append(project_id)
    for key, value in form.multi_items():
        if key.startswith("points_") and isinstance(value, str):
            project_id = _int(key.removeprefix("points_"))
            raw = value.strip()
            if not raw:
                continue
            amount = _int(raw)
            if project_id is None or amount is None:
                problems.append(InvalidInput(ballot_check.BAD_POINTS))
                continue
            points[project_id] = amount
    return chosen, points, problems


def _choices_context(session, ctx: dict, check, choices: dict[int, int]) -> dict[str, Any]:
    """A ballot form: the projects on the ballot (of the pots it covers), the choices, and
    their check (the summary)."""
    pots = {c.id for c in ctx["categories"]}
    on_ballot = [p for p in projects.ballot_projects(session, ctx["cycle"])
                 if p.category_id in pots]
    if check is None:
        check = ballot_check.check_ballot(ctx["rules"], ctx["categories"], on_ballot, choices,
                                          require_choice=False)
    ctx.update({"on_ballot": on_ballot, "choices": choices, "check": check})
    return ctx


def _ballot_context(session, user, ctx: dict, check=None, choices=None) -> dict[str, Any]:
    cycle = ctx["cycle"]
    ctx["categories"] = permissions.open_pots(session, user, cycle, ctx["categories"])
    ballot, mine = ballots.my_ballot(session, user, cycle)
    _choices_context(session, ctx, check, mine if choices is None else choices)
    ctx.update({"ballot": ballot, "saved": False, "voter_problem": permissions.voter_problem(
        session, user, cycle.community_id, ctx["rules"].minimum_age,
        ctx["rules"].vote_level)})
    return ctx


def _refused_ballot(exc: InvalidInput, chosen: list[int], points: dict[int, int], ctx: dict
                    ) -> tuple[Any, dict[int, int]]:
    """The check to show a refused ballot with (the whole one, when the ballot broke the
    rules), and the choices as sent."""
    choices, _ = ballot_check.normalise_choices(ctx["rules"], chosen, points)
    check = exc.check if isinstance(exc, ballot_check.BallotRejected) else None
    return check, choices


@router.get("/budget/{cycle_id}/ballot")
def ballot_page(request: Request, session: DbSession, user: CurrentUser, page: CyclePage,
                saved: int = Query(0, ge=0, le=1), receipt: str = Query("", max_length=64)):
    ctx = _ballot_context(session, user, _base(session, user, page))
    ctx["saved"] = bool(saved)
    ctx["receipt"] = audit.own_receipt(session, user.id, receipt) if receipt else None
    return render(request, "budget/ballot.html", ctx)


@router.post("/budget/{cycle_id}/ballot")
@writes(False)  # the ballot itself goes through the group commit
async def cast_ballot(request: Request, session: DbSession, user: CurrentUser,
                      page: CyclePage):
    form = await request.form()
    return await run_in_threadpool(_cast_ballot, request, session, user, page, form)


def _cast_ballot(request: Request, session, user, page: CycleView, form):
    limit(request, "vote")
    chosen, points, problems = _ballot_input(form)
    try:
        if problems:
            raise problems[0]
        cast = ballots.cast_ballot(session, user, page.cycle, chosen, points,
                                   client_ip(request))
    except InvalidInput as exc:
        ctx = _base(session, user, page)
        check, choices = _refused_ballot(exc, chosen, points, ctx)
        _ballot_context(session, user, ctx, check, choices)
        if check is None:
            ctx["check"].problems.insert(0, exc)
        return rerender(request, "budget/ballot.html", ctx, exc)
    return RedirectResponse(f"{cycles.cycle_path(page.cycle)}/ballot?saved=1"
                            f"&receipt={cast.receipt.commitment}", status_code=303)


@router.post("/budget/{cycle_id}/ballot/preview")
@pagecache.keeps_pages
async def preview_ballot(request: Request, session: DbSession, user: OptionalUser,
                         page: CyclePage):
    form = await request.form()
    return await run_in_threadpool(_preview, request, session, user, page, form)


def _preview(request: Request, session, user, page: CycleView, form):
    ctx = _base(session, user, page)
    chosen, points, problems = _ballot_input(form)
    check = ballot_check.preview_ballot(
        session, page.cycle, chosen, points,
        permissions.open_pots(session, user, page.cycle, ctx["categories"]))
    check.problems[:0] = problems
    _ballot_context(session, user, ctx, check, check.choices)
    return render(request, "budget/ballot.html", ctx,
                  block=SUMMARY_BLOCK if block_for(request, SUMMARY) else None)


def _paper_context(session, ctx: dict, check=None, choices=None, form=None) -> dict[str, Any]:
    _choices_context(session, ctx, check, choices or {})
    ctx.update({"errors": {}, "form": form or {}, "recorded": False})
    return ctx


@router.get("/budget/{cycle_id}/paper")
def paper_page(request: Request, session: DbSession, user: CurrentUser, page: CyclePage,
               cycle: PAGES.PaperCycle, recorded: int = Query(0, ge=0, le=1)):
    ctx = _paper_context(session, _base(session, user, page))
    ctx["recorded"] = bool(recorded)
    return render(request, "budget/paper.html", ctx)


@router.post("/budget/{cycle_id}/paper")
async def record_paper(request: Request, session: DbSession, user: CurrentUser, page: CyclePage,
                       cycle: PAGES.PaperCycle):
    form = await request.form()
    return await run_in_threadpool(_record_paper, request, session, user, page, form)


def _record_paper(request: Request, session, user, page: CycleView, form):
    chosen, points, problems = _ballot_input(form)
    fields = {k: str(form.get(k) or "")[:254] for k in ("voter_email", "identity_document",
                                                         "birth_date", "district_id")}
    try:
        if problems:
            raise problems[0]
        born = _date("birth_date", fields["birth_date"]) if fields["birth_date"].strip() \
            else None
        ballots.record_paper_ballot(
            session, user, page.cycle, projects_in=chosen, points_in=points,
            voter_email=fields["voter_email"], identity_document=fields["identity_document"],
            birth_date=born, district_id=_int(fields["district_id"]))
    except InvalidInput as exc:
        ctx = _base(session, user, page)
        check, choices = _refused_ballot(exc, chosen, points, ctx)
        return rerender(request, "budget/paper.html",
                        _paper_context(session, ctx, check, choices, fields), exc)
    return RedirectResponse(f"{cycles.cycle_path(page.cycle)}/paper?recorded=1",
                            status_code=303)


# -- results --------------------------------------------------------------------------------

@router.get("/budget/{cycle_id}/results")
@pagecache.shared_page
def results_page(request: Request, session: DbSession, user: OptionalUser, page: CyclePage):
    ctx = _base(session, user, page)
    ctx["results"] = results.results_for_display(session, page.cycle)
    ctx["can_publish"] = allowed(permissions.check_publish, session, user, page.cycle,
                                 ctx["phase"])
    return render(request, "budget/results.html", ctx)


@router.post("/budget/{cycle_id}/results/publish")
def publish_results(request: Request, session: DbSession, user: CurrentUser,
                    cycle: PAGES.PublishableCycle):
    results.publish_results(session, user, cycle)
    return RedirectResponse(f"{cycles.cycle_path(cycle)}/results", status_code=303)


def csv_response(text: str, name: str) -> Response:
    return Response(text, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/budget/{cycle_id}/results.csv")
def results_csv_page(session: DbSession, cycle: ExportableCycle):
    return csv_response(exports.results_csv(session, cycle), f"budget-{cycle.id}-results.csv")


@router.get("/budget/{cycle_id}/ballots.csv")
def ballots_csv_page(session: DbSession, cycle: ExportableCycle):
    return csv_response(exports.ballots_csv(session, cycle), f"budget-{cycle.id}-ballots.csv")


# -- implementation -------------------------------------------------------------------------

@router.post("/budget/{cycle_id}/projects/{project_id}/progress")
def post_progress(request: Request, session: DbSession, user: CurrentUser, page: CyclePage,
                  project: PAGES.ReportableProject,
                  status: Annotated[str, Form(max_length=20)] = "",
                  percent: Annotated[str, Form(max_length=10)] = "",
                  text: Annotated[str, Form(max_length=40_000)] = "",
                  happened_on: Annotated[str, Form(max_length=20)] = ""):
    form = {"status": status, "percent": percent, "text": text, "happened_on": happened_on}
    try:
        data = parse(ProgressCreate, {"status": status, "percent": percent.strip() or "0",
                                      "text": text, "happened_on": happened_on.strip() or None})
        implementation.post_progress(session, user, page.cycle, project, data)
    except InvalidInput as exc:
        session.expire(project)
        return rerender(request, "budget/project.html",
                        _project_context(session, user, page, project, form), exc)
    return RedirectResponse(projects.project_path(project) + "#progress", status_code=303)


# -- bulk updates of implementation (a CSV of many winners) -----------------------------------

def _bulk_context(session, user, page: CycleView, **extra) -> dict[str, Any]:
    from budget import bulk

    ctx = _base(session, user, page)
    ctx.update({"header": ",".join(bulk.HEADER), "errors": {}, "report": None, **extra})
    return ctx


@router.get("/budget/{cycle_id}/progress-upload")
def bulk_progress_page(request: Request, session: DbSession, user: CurrentUser,
                       page: CyclePage):
    from budget import bulk

    bulk.check_upload(session, user, page.cycle)
    return render(request, "budget/bulk_progress.html", _bulk_context(session, user, page))


@router.post("/budget/{cycle_id}/progress-upload")
async def bulk_progress(request: Request, cycle_id: int, session: DbSession,
                        user: CurrentUser):
    from app.communities.views import read_upload

    data, _ = await read_upload(request)
    return await run_in_threadpool(_bulk_progress, request, session, user, cycle_id, data)


def _bulk_progress(request: Request, session, user, cycle_id: int, data: bytes):
    from budget import bulk

    page = cycles.get_cycle_view(session, cycle_id)
    bulk.check_upload(session, user, page.cycle)
    try:
        report = bulk.apply_csv(session, user, page.cycle, data)
    except bulk.Refused as exc:
        return rerender(request, "budget/bulk_progress.html",
                        _bulk_context(session, user, page, report=exc.report), exc)
    return render(request, "budget/bulk_progress.html",
                  _bulk_context(session, user, page, report=report, applied=True))


def _arrivals_context(session, user, cycle, form: dict | None = None) -> dict:
    return {"seen": fraud.arrivals(session, user, cycle), "form": form or {}, "errors": {},
            "invalidations": fraud.public_invalidations(session, cycle),
            "may_invalidate": allowed(permissions.check_invalidate_ballots, session, user,
                                      cycle)}


@router.get("/budget/{cycle_id}/arrivals")
def ballot_arrivals(request: Request, session: DbSession, user: CurrentUser,
                    cycle: VisibleCycle, done: str = Query("", max_length=20),
                    n: int = Query(0, ge=0, le=10_000_000),
                    network: str = Query("", max_length=32),
                    domain: str = Query("", max_length=254)):
    """How the cycle's ballots arrived (a moderator of the community), with the form that
    invalidates a set of them."""
    flash = gettext(N_("Ballots invalidated: {n}; the voters are told.")).format(n=n) \
        if done == "invalidated" else None
    return render(request, "budget/arrivals.html", _arrivals_context(
        session, user, cycle, {"network": network, "email_domain": domain})
        | {"flash": flash})


@router.post("/budget/{cycle_id}/invalidations")
def invalidate_ballots(request: Request, session: DbSession, user: CurrentUser,
                       cycle: PAGES.InvalidatableCycle,
                       email_domain: Annotated[str, Form(max_length=254)] = "",
                       network: Annotated[str, Form(max_length=32)] = "",
                       cast_from: Annotated[str, Form(max_length=40)] = "",
                       cast_until: Annotated[str, Form(max_length=40)] = "",
                       reason: Annotated[str, Form(max_length=500)] = ""):
    """A moderator invalidates the online ballots a filter matches (budget.fraud)."""
    form = {"email_domain": email_domain, "network": network, "cast_from": cast_from,
            "cast_until": cast_until, "reason": reason}
    try:
        done = fraud.invalidate(session, user, cycle, BallotInvalidationCreate.model_construct(
            email_domain=email_domain or None, network=network or None,
            cast_from=parse_moment(cast_from, "cast_from"),
            cast_until=parse_moment(cast_until, "cast_until"), reason=reason))
    except InvalidInput as exc:
        return rerender(request, "budget/arrivals.html",
                        _arrivals_context(session, user, cycle, form), exc)
    return RedirectResponse(f"{cycles.cycle_path(cycle)}/arrivals?done=invalidated"
                            f"&n={done.invalidation.count}", status_code=303)
