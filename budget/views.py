"""HTML pages of the participatory budget: parse, authorise (in the service, through
budget.permissions), call the service, render.

Every form works without JavaScript: POST, then a 303 redirect, or the same page again with
the errors and status 422. htmx only enhances: the ballot posts itself to /ballot/preview on
every change and swaps in the re-rendered summary block (remaining funds, choices or points).
"""

from __future__ import annotations

import csv
import io
import math
from datetime import date
from typing import Annotated, Any

from fastapi import Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from app.communities import service as communities
from app.exceptions import DomainError, InvalidInput
from app.web import pagecache
from app.web.auth import CurrentUser, OptionalUser
from app.web.deps import DbSession, make_router, writes
from app.web.forms import parse
from app.web.i18n import N_
from app.web.ratelimit import limit
from app.web.templating import is_htmx, render
from budget import permissions, service
from budget.models import (
    AGGREGATION_LABELS,
    DATE_FIELDS,
    DATE_LABELS,
    IMPLEMENTATION_LABELS,
    PHASE_LABELS,
    PROJECT_STATUS_LABELS,
    VOTING_METHOD_LABELS,
    BudgetCycle,
    CycleCreate,
    ImplementationStatus,
    Phase,
    ProgressCreate,
    ProjectCreate,
    ProjectStatus,
    ReviewCreate,
)

router = make_router()
PAGE = 20
CATEGORY_ROWS = 4

LABELS = {
    "phases": PHASE_LABELS, "statuses": PROJECT_STATUS_LABELS, "dates": DATE_LABELS,
    "methods": VOTING_METHOD_LABELS, "aggregations": AGGREGATION_LABELS,
    "implementation": IMPLEMENTATION_LABELS,
}


# -- helpers --------------------------------------------------------------------------------

def _message(exc: DomainError) -> str:
    return exc.text()


def _errors(exc: DomainError) -> dict[str, str]:
    """Translated per-field messages, plus the error's own message under "form"."""
    return {**exc.field_texts(), "form": exc.text()}


def _int(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _day(value: str | None) -> str | None:
    return (value or "").strip() or None


def _base(request: Request, session, user, cycle_id: int) -> dict[str, Any]:
    """What every page of a cycle needs: the cycle, its community and authority, its phase,
    its rules and categories, and what the visitor may do."""
    view = service.get_cycle_view(session, cycle_id)
    cycle = view.cycle
    phase = service.phase_of(cycle)
    rules = service.rules_of(session, cycle)
    cats = service.categories(session, cycle)
    return {
        "cycle": cycle, "community": view.community, "authority": view.authority,
        "phase": phase, "rules": rules, "categories": cats,
        "category_names": {c.id: service.category_name(c) for c in cats},
        "votes_visible": service.votes_visible(cycle),
        "is_staff": permissions.is_staff(session, user, cycle.community_id),
        "is_official": permissions.is_official(session, user, cycle),
        "labels": LABELS, "to_day": service.to_day,
    }


# -- cycles ---------------------------------------------------------------------------------

@router.get("/budget")
def cycle_list(request: Request, session: DbSession, user: OptionalUser,
               community: str | None = Query(None, max_length=64),
               page: int = Query(1, ge=1, le=100_000)):
    place = communities.get_by_slug(session, community) if community else None
    rows, total = service.list_cycles(session, place.id if place else None,
                                      offset=(page - 1) * PAGE, limit=PAGE)
    return render(request, "budget/list.html", {
        "rows": [(c, comm, service.phase_of(c)) for c, comm in rows], "total": total,
        "page": page, "pages": max(1, math.ceil(total / PAGE)), "community": place,
        "can_create": bool(service.manageable_communities(session, user)), "labels": LABELS})


def _new_form_context(session, user, form: dict, errors: dict) -> dict[str, Any]:
    places = service.manageable_communities(session, user)
    if not places:
        permissions.check_create(session, user, -1)
    rows = [{"name": form.get(f"category_name_{i}", ""),
             "funds": form.get(f"category_funds_{i}", "")} for i in range(CATEGORY_ROWS)]
    return {"places": places, "form": form, "errors": errors, "category_rows": rows,
            "date_fields": DATE_FIELDS, "labels": LABELS}


@router.get("/budget/new")
def new_cycle_form(request: Request, session: DbSession, user: CurrentUser,
                   community: str | None = Query(None, max_length=64)):
    form = {}
    if community:
        form["community_id"] = communities.get_by_slug(session, community).id
    return render(request, "budget/cycle_form.html", _new_form_context(session, user, form, {}))


@router.post("/budget/new")
async def create_cycle(request: Request, session: DbSession, user: CurrentUser):
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    return await run_in_threadpool(_create_cycle, request, session, user, form)


def _create_cycle(request: Request, session, user, form: dict[str, str]):
    categories = []
    for i in range(CATEGORY_ROWS):
        name = form.get(f"category_name_{i}", "").strip()
        funds = form.get(f"category_funds_{i}", "").strip()
        if name or funds:
            categories.append({"name": name, "funds": funds})
    data = {"community_id": form.get("community_id", ""), "title": form.get("title", ""),
            "description": form.get("description", ""),
            "total_funds": form.get("total_funds", "").replace(" ", "").replace("\u202f", ""),
            "categories": categories, **{f: _day(form.get(f)) for f in DATE_FIELDS}}
    try:
        parsed = parse(CycleCreate, data)
        cycle = service.create_cycle(session, user, parsed)
    except InvalidInput as exc:
        errors = _errors(exc)
        for key in list(errors):
            if key.startswith("categories."):
                errors["categories"] = errors.pop(key)
        return render(request, "budget/cycle_form.html",
                      _new_form_context(session, user, form, errors), status_code=422)
    return RedirectResponse(f"/budget/{cycle.id}", status_code=303)


@router.get("/budget/{cycle_id}")
def cycle_page(request: Request, session: DbSession, user: OptionalUser, cycle_id: int):
    ctx = _base(request, session, user, cycle_id)
    cycle: BudgetCycle = ctx["cycle"]
    phase: Phase = ctx["phase"]
    projects = service.projects(session, cycle)
    ballot, choices = service.my_ballot(session, user, cycle) if phase in (
        Phase.voting, Phase.results) else (None, {})
    ctx.update({
        "projects": projects,
        "reviewed": sum(1 for p in projects if p.status != ProjectStatus.submitted),
        "project_total": len(projects),
        "review": service.review_state(session, cycle),
        "changes": service.phase_changes(session, cycle),
        "ballot": ballot, "my_choices": choices,
        "can_submit": permissions.allowed(permissions.check_submit, session, user, cycle,
                                          phase),
        "can_vote": phase == Phase.voting and permissions.voter_problem(
            session, user, cycle.community_id, ctx["rules"].minimum_age) is None,
    })
    return render(request, "budget/cycle.html", ctx)


@router.get("/budget/{cycle_id}/dates")
def dates_page(request: Request, session: DbSession, user: CurrentUser, cycle_id: int):
    ctx = _base(request, session, user, cycle_id)
    permissions.check_move_date(session, user, ctx["cycle"])
    ctx.update({"changes": service.phase_changes(session, ctx["cycle"]), "errors": {},
                "form": {}, "date_fields": DATE_FIELDS})
    return render(request, "budget/dates.html", ctx)


@router.post("/budget/{cycle_id}/dates")
def move_date(request: Request, session: DbSession, user: CurrentUser, cycle_id: int,
              field: Annotated[str, Form(max_length=20)] = "",
              value: Annotated[str, Form(max_length=20)] = "",
              reason: Annotated[str, Form(max_length=2000)] = ""):
    cycle = service.get_cycle(session, cycle_id)
    form = {"field": field, "value": value, "reason": reason}
    try:
        try:
            day = date.fromisoformat(value.strip())
        except ValueError:
            raise InvalidInput(N_("Please correct the highlighted fields."),
                               fields={"value": N_("Enter a date (YYYY-MM-DD).")}) from None
        service.move_date(session, user, cycle, field, day, reason)
    except InvalidInput as exc:
        ctx = _base(request, session, user, cycle_id)
        ctx.update({"changes": service.phase_changes(session, cycle), "errors": _errors(exc),
                    "form": form, "date_fields": DATE_FIELDS})
        return render(request, "budget/dates.html", ctx, status_code=422)
    return RedirectResponse(f"/budget/{cycle_id}/dates?moved=1", status_code=303)


# -- projects -------------------------------------------------------------------------------

def _project_form(form: dict[str, str]) -> dict[str, Any]:
    cost = (form.get("cost") or "").replace(" ", "").replace("\u202f", "")
    return {"category_id": form.get("category_id", ""), "title": form.get("title", ""),
            "description": form.get("description", ""), "location": form.get("location", ""),
            "cost": cost}


@router.get("/budget/{cycle_id}/projects/new")
def new_project_form(request: Request, session: DbSession, user: CurrentUser, cycle_id: int):
    ctx = _base(request, session, user, cycle_id)
    permissions.check_submit(session, user, ctx["cycle"], ctx["phase"])
    ctx.update({"form": {}, "errors": {}, "project": None})
    return render(request, "budget/project_form.html", ctx)


@router.post("/budget/{cycle_id}/projects/new")
def submit_project(request: Request, session: DbSession, user: CurrentUser, cycle_id: int,
                   category_id: Annotated[str, Form(max_length=20)] = "",
                   title: Annotated[str, Form(max_length=1000)] = "",
                   description: Annotated[str, Form(max_length=40_000)] = "",
                   location: Annotated[str, Form(max_length=1000)] = "",
                   cost: Annotated[str, Form(max_length=40)] = ""):
    limit(request, "create")
    cycle = service.get_cycle(session, cycle_id)
    form = {"category_id": category_id, "title": title, "description": description,
            "location": location, "cost": cost}
    try:
        data = parse(ProjectCreate, _project_form(form))
        project = service.submit_project(session, user, cycle, data)
    except InvalidInput as exc:
        ctx = _base(request, session, user, cycle_id)
        ctx.update({"form": form, "errors": _errors(exc), "project": None})
        return render(request, "budget/project_form.html", ctx, status_code=422)
    return RedirectResponse(service.project_path(project), status_code=303)


@router.get("/budget/{cycle_id}/projects/{project_id}")
@pagecache.shared_page
def project_page(request: Request, session: DbSession, user: OptionalUser, cycle_id: int,
                 project_id: int):
    ctx = _base(request, session, user, cycle_id)
    cycle = ctx["cycle"]
    project = service.get_project(session, cycle, project_id)
    _project_context(session, user, ctx, project)
    return render(request, "budget/project.html", ctx)


def _project_context(session, user, ctx: dict, project, *, review_errors=None,
                     review_form=None, progress_errors=None, progress_form=None) -> None:
    cycle, phase = ctx["cycle"], ctx["phase"]
    obligation = service.implementation_obligation(session, project)
    ctx.update({
        "project": project,
        "author": service.author_of(session, project),
        "updates": service.updates(session, project),
        "obligation": obligation,
        "obligation_status": service.obligation_status(obligation),
        "following": service.is_following(session, user, project),
        "can_edit": permissions.allowed(permissions.check_edit, session, user, cycle, project,
                                        phase),
        "can_review": permissions.allowed(permissions.check_review, session, user, cycle,
                                          phase),
        "can_report": permissions.allowed(permissions.check_progress, session, user, cycle,
                                          project),
        "review_errors": review_errors or {}, "review_form": review_form or {},
        "progress_errors": progress_errors or {}, "progress_form": progress_form or {},
        "implementation_statuses": list(ImplementationStatus),
    })


@router.get("/budget/{cycle_id}/projects/{project_id}/edit")
def edit_project_form(request: Request, session: DbSession, user: CurrentUser, cycle_id: int,
                      project_id: int):
    ctx = _base(request, session, user, cycle_id)
    project = service.get_project(session, ctx["cycle"], project_id)
    permissions.check_edit(session, user, ctx["cycle"], project, ctx["phase"])
    ctx.update({"project": project, "errors": {}, "form": {
        "category_id": project.category_id, "title": project.title,
        "description": project.description, "location": project.location,
        "cost": project.cost}})
    return render(request, "budget/project_form.html", ctx)


@router.post("/budget/{cycle_id}/projects/{project_id}/edit")
def edit_project(request: Request, session: DbSession, user: CurrentUser, cycle_id: int,
                 project_id: int,
                 category_id: Annotated[str, Form(max_length=20)] = "",
                 title: Annotated[str, Form(max_length=1000)] = "",
                 description: Annotated[str, Form(max_length=40_000)] = "",
                 location: Annotated[str, Form(max_length=1000)] = "",
                 cost: Annotated[str, Form(max_length=40)] = ""):
    cycle = service.get_cycle(session, cycle_id)
    project = service.get_project(session, cycle, project_id)
    form = {"category_id": category_id, "title": title, "description": description,
            "location": location, "cost": cost}
    try:
        data = parse(ProjectCreate, _project_form(form))
        service.edit_project(session, user, cycle, project, data)
    except InvalidInput as exc:
        session.expire(project)
        ctx = _base(request, session, user, cycle_id)
        ctx.update({"form": form, "errors": _errors(exc), "project": project})
        return render(request, "budget/project_form.html", ctx, status_code=422)
    return RedirectResponse(service.project_path(project), status_code=303)


@router.post("/budget/{cycle_id}/projects/{project_id}/follow")
@pagecache.keeps_pages
def follow_project(request: Request, session: DbSession, user: CurrentUser, cycle_id: int,
                   project_id: int, on: Annotated[str, Form(max_length=5)] = "1"):
    cycle = service.get_cycle(session, cycle_id)
    project = service.get_project(session, cycle, project_id)
    service.follow(session, user, project, on == "1")
    return RedirectResponse(service.project_path(project), status_code=303)


# -- review ---------------------------------------------------------------------------------

@router.get("/budget/{cycle_id}/review")
def review_page(request: Request, session: DbSession, user: CurrentUser, cycle_id: int):
    ctx = _base(request, session, user, cycle_id)
    permissions.check_review(session, user, ctx["cycle"], ctx["phase"])
    ctx.update({"projects": service.projects(session, ctx["cycle"]),
                "review": service.review_state(session, ctx["cycle"]),
                "errors": {}, "failed": None, "form": {}})
    return render(request, "budget/review.html", ctx)


@router.post("/budget/{cycle_id}/projects/{project_id}/review")
def review_project(request: Request, session: DbSession, user: CurrentUser, cycle_id: int,
                   project_id: int,
                   decision: Annotated[str, Form(max_length=20)] = "",
                   reason: Annotated[str, Form(max_length=20_000)] = "",
                   revised_cost: Annotated[str, Form(max_length=40)] = ""):
    cycle = service.get_cycle(session, cycle_id)
    project = service.get_project(session, cycle, project_id)
    form = {"decision": decision, "reason": reason, "revised_cost": revised_cost}
    try:
        if decision not in ("feasible", "unfeasible"):
            raise InvalidInput(N_("Please correct the highlighted fields."),
                               fields={"decision": N_("Choose one of the offered options.")})
        cost = revised_cost.replace(" ", "").replace("\u202f", "")
        data = parse(ReviewCreate, {"feasible": decision == "feasible", "reason": reason,
                                    "revised_cost": cost or None})
        service.review_project(session, user, cycle, project, data)
    except InvalidInput as exc:
        session.expire(project)
        ctx = _base(request, session, user, cycle_id)
        ctx.update({"projects": service.projects(session, cycle),
                    "review": service.review_state(session, cycle),
                    "errors": _errors(exc), "failed": project.id, "form": form})
        return render(request, "budget/review.html", ctx, status_code=422)
    return RedirectResponse(f"/budget/{cycle_id}/review#project-{project.id}", status_code=303)


# -- ballots --------------------------------------------------------------------------------

def _ballot_input(form, rules) -> tuple[list[int], dict[int, int], list]:
    """The ballot as the form sent it: checked projects, or points per project."""
    projects: list[int] = []
    points: dict[int, int] = {}
    problems = []
    for value in form.getlist("project"):
        project_id = _int(value)
        if project_id is None:
            problems.append(service.Problem(N_("The ballot is not valid. Please reload the page.")))
        else:
            projects.append(project_id)
    for key, value in form.multi_items():
        if key.startswith("points_") and isinstance(value, str):
            project_id = _int(key.removeprefix("points_"))
            raw = value.strip()
            if not raw:
                continue
            amount = _int(raw)
            if project_id is None or amount is None:
                problems.append(service.Problem(N_("Points must be whole numbers, zero or more.")))
                continue
            points[project_id] = amount
    return projects, points, problems


def _ballot_context(session, user, ctx: dict, check=None, choices=None) -> None:
    cycle = ctx["cycle"]
    on_ballot = service.ballot_projects(session, cycle)
    ballot, mine = service.my_ballot(session, user, cycle)
    if choices is None:
        choices = mine
    if check is None:
        check = service.check_ballot(ctx["rules"], ctx["categories"], on_ballot, choices,
                                     require_choice=False)
    ctx.update({"on_ballot": on_ballot, "ballot": ballot, "choices": choices, "check": check,
                "voter_problem": permissions.voter_problem(
                    session, user, cycle.community_id, ctx["rules"].minimum_age)})


@router.get("/budget/{cycle_id}/ballot")
def ballot_page(request: Request, session: DbSession, user: CurrentUser, cycle_id: int,
                saved: int = Query(0, ge=0, le=1)):
    ctx = _base(request, session, user, cycle_id)
    _ballot_context(session, user, ctx)
    ctx["saved"] = bool(saved)
    return render(request, "budget/ballot.html", ctx)


@router.post("/budget/{cycle_id}/ballot")
@writes(False)  # the ballot itself goes through the group commit
async def cast_ballot(request: Request, session: DbSession, user: CurrentUser, cycle_id: int):
    form = await request.form()
    return await run_in_threadpool(_cast_ballot, request, session, user, cycle_id, form)


def _cast_ballot(request: Request, session, user, cycle_id: int, form):
    limit(request, "vote")
    cycle = service.get_cycle(session, cycle_id)
    rules = service.rules_of(session, cycle)
    projects, points, problems = _ballot_input(form, rules)
    try:
        if problems:
            raise InvalidInput(problems[0].message)
        service.cast_ballot(session, user, cycle, projects, points)
    except InvalidInput as exc:
        ctx = _base(request, session, user, cycle_id)
        check = exc.check if isinstance(exc, service.BallotRejected) else None
        chosen, _ = service.normalise_choices(rules, projects, points)
        _ballot_context(session, user, ctx, check, chosen)
        if check is None:
            ctx["check"].problems.insert(0, service.Problem(exc.message, exc.params))
        ctx["saved"] = False
        return render(request, "budget/ballot.html", ctx, status_code=422)
    return RedirectResponse(f"/budget/{cycle_id}/ballot?saved=1", status_code=303)


@router.post("/budget/{cycle_id}/ballot/preview")
@pagecache.keeps_pages
async def preview_ballot(request: Request, session: DbSession, user: OptionalUser,
                         cycle_id: int):
    form = await request.form()
    return await run_in_threadpool(_preview, request, session, user, cycle_id, form)


def _preview(request: Request, session, user, cycle_id: int, form):
    ctx = _base(request, session, user, cycle_id)
    projects, points, problems = _ballot_input(form, ctx["rules"])
    check = service.preview_ballot(session, ctx["cycle"], projects, points)
    check.problems[:0] = problems
    _ballot_context(session, user, ctx, check, check.choices)
    ctx["saved"] = False
    return render(request, "budget/ballot.html", ctx,
                  block="summary" if is_htmx(request) else None)


@router.get("/budget/{cycle_id}/paper")
def paper_page(request: Request, session: DbSession, user: CurrentUser, cycle_id: int,
               recorded: int = Query(0, ge=0, le=1)):
    ctx = _base(request, session, user, cycle_id)
    permissions.check_paper(session, user, ctx["cycle"], ctx["phase"])
    _paper_context(session, ctx)
    ctx["recorded"] = bool(recorded)
    return render(request, "budget/paper.html", ctx)


def _paper_context(session, ctx: dict, check=None, choices=None, errors=None, form=None):
    on_ballot = service.ballot_projects(session, ctx["cycle"])
    choices = choices or {}
    if check is None:
        check = service.check_ballot(ctx["rules"], ctx["categories"], on_ballot, choices,
                                     require_choice=False)
    ctx.update({"on_ballot": on_ballot, "choices": choices, "check": check,
                "errors": errors or {}, "form": form or {}, "recorded": False})


@router.post("/budget/{cycle_id}/paper")
async def record_paper(request: Request, session: DbSession, user: CurrentUser, cycle_id: int):
    form = await request.form()
    return await run_in_threadpool(_record_paper, request, session, user, cycle_id, form)


def _record_paper(request: Request, session, user, cycle_id: int, form):
    cycle = service.get_cycle(session, cycle_id)
    rules = service.rules_of(session, cycle)
    projects, points, problems = _ballot_input(form, rules)
    fields = {k: str(form.get(k) or "")[:254] for k in ("voter_email", "identity_document",
                                                         "birth_date")}
    try:
        if problems:
            raise InvalidInput(problems[0].message)
        born = None
        if fields["birth_date"].strip():
            try:
                born = date.fromisoformat(fields["birth_date"].strip())
            except ValueError:
                raise InvalidInput(N_("Please correct the highlighted fields."),
                                   fields={"birth_date": N_("Enter a date (YYYY-MM-DD).")}
                                   ) from None
        service.record_paper_ballot(session, user, cycle, projects_in=projects,
                                    points_in=points, voter_email=fields["voter_email"],
                                    identity_document=fields["identity_document"],
                                    birth_date=born)
    except InvalidInput as exc:
        ctx = _base(request, session, user, cycle_id)
        check = exc.check if isinstance(exc, service.BallotRejected) else None
        chosen, _ = service.normalise_choices(rules, projects, points)
        _paper_context(session, ctx, check, chosen, _errors(exc), fields)
        return render(request, "budget/paper.html", ctx, status_code=422)
    return RedirectResponse(f"/budget/{cycle_id}/paper?recorded=1", status_code=303)


# -- results --------------------------------------------------------------------------------

@router.get("/budget/{cycle_id}/results")
@pagecache.shared_page
def results_page(request: Request, session: DbSession, user: OptionalUser, cycle_id: int):
    ctx = _base(request, session, user, cycle_id)
    ctx["results"] = service.results_for_display(session, ctx["cycle"])
    ctx["can_publish"] = permissions.allowed(permissions.check_publish, session, user,
                                             ctx["cycle"], ctx["phase"])
    return render(request, "budget/results.html", ctx)


@router.post("/budget/{cycle_id}/results/publish")
def publish_results(request: Request, session: DbSession, user: CurrentUser, cycle_id: int):
    cycle = service.get_cycle(session, cycle_id)
    service.publish_results(session, user, cycle)
    return RedirectResponse(f"/budget/{cycle_id}/results", status_code=303)


def results_csv(session, cycle: BudgetCycle) -> str:
    service.check_export(cycle)
    results = service.results_for_display(session, cycle)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["category", "project_id", "external_id", "title", "cost", "votes", "score",
                     "selected", "selected_by_greedy"])
    for c in results.categories if results else []:
        for r in c.projects:
            writer.writerow([c.category.name, r.project.id, r.project.external_id or "",
                             r.project.title, r.project.effective_cost, r.votes, str(r.score),
                             int(r.selected),
                             "" if r.greedy_selected is None else int(r.greedy_selected)])
    return out.getvalue()


def ballots_csv(session, cycle: BudgetCycle) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["voter", "source", "project_id", "points", "rank"])
    for number, source, chosen in service.anonymous_ballots(session, cycle):
        for project_id, points, rank in chosen:
            writer.writerow([number, source, project_id, points, "" if rank is None else rank])
    return out.getvalue()


def csv_response(text: str, name: str) -> Response:
    return Response(text, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/budget/{cycle_id}/results.csv")
def results_csv_page(session: DbSession, cycle_id: int):
    cycle = service.get_cycle(session, cycle_id)
    return csv_response(results_csv(session, cycle), f"budget-{cycle_id}-results.csv")


@router.get("/budget/{cycle_id}/ballots.csv")
def ballots_csv_page(session: DbSession, cycle_id: int):
    cycle = service.get_cycle(session, cycle_id)
    return csv_response(ballots_csv(session, cycle), f"budget-{cycle_id}-ballots.csv")


# -- implementation -------------------------------------------------------------------------

@router.post("/budget/{cycle_id}/projects/{project_id}/progress")
def post_progress(request: Request, session: DbSession, user: CurrentUser, cycle_id: int,
                  project_id: int,
                  status: Annotated[str, Form(max_length=20)] = "",
                  percent: Annotated[str, Form(max_length=10)] = "",
                  text: Annotated[str, Form(max_length=40_000)] = "",
                  happened_on: Annotated[str, Form(max_length=20)] = ""):
    cycle = service.get_cycle(session, cycle_id)
    project = service.get_project(session, cycle, project_id)
    form = {"status": status, "percent": percent, "text": text, "happened_on": happened_on}
    try:
        data = parse(ProgressCreate, {"status": status, "percent": percent.strip() or "0",
                                      "text": text, "happened_on": happened_on.strip() or None})
        service.post_progress(session, user, cycle, project, data)
    except InvalidInput as exc:
        session.expire(project)
        ctx = _base(request, session, user, cycle_id)
        _project_context(session, user, ctx, project, progress_errors=_errors(exc),
                         progress_form=form)
        return render(request, "budget/project.html", ctx, status_code=422)
    return RedirectResponse(service.project_path(project) + "#progress", status_code=303)

