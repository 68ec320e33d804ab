"""Public rules pages (per community, with history; the side-by-side comparison) and the
administrators' form that records a new version."""

from __future__ import annotations

import math
from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from app.communities import permissions
from app.communities import repository as communities_repo
from app.communities import service as communities
from app.exceptions import Forbidden, InvalidInput
from app.rules import repository as repo
from app.rules import service
from app.rules.schema import RuleSet
from app.web.auth import CurrentUser
from app.web.deps import DbSession, make_router
from app.web.forms import parse
from app.web.i18n import N_, gettext
from app.web.templating import render

router = make_router()

# (form name, label msgid, kind) – the fields the administrators' form edits.
EDITABLE: list[tuple[str, str, str]] = [
    ("petitions.threshold", N_("Signatures needed (absolute number)"), "int?"),
    ("petitions.threshold_per_1000", N_("Signatures needed per 1,000 residents"), "float?"),
    ("petitions.collection_days", N_("Days to collect signatures"), "int"),
    ("petitions.answer_deadline.days", N_("Days to answer a petition"), "int"),
    ("petitions.answer_deadline.unit", N_("Answer deadline counted in"), "unit"),
    ("petitions.sponsors_required", N_("Sponsors needed before moderation (0: none)"), "int"),
    ("petitions.minimum_age", N_("Minimum age to sign"), "int"),
    ("petitions.moderation_deadline.days", N_("Days to moderate a petition"), "int"),
    ("petitions.moderation_deadline.unit", N_("Moderation deadline counted in"), "unit"),
    ("budget.minimum_age", N_("Minimum age to vote in the budget"), "int"),
    ("budget.voting_method", N_("Voting method"), "method"),
    ("budget.max_choices", N_("Most projects a voter may choose"), "int"),
    ("budget.cumulative_points", N_("Points each voter distributes (cumulative voting)"), "int"),
    ("budget.aggregation", N_("Rule that selects the winners"), "aggregation"),
    ("budget.min_vote_threshold", N_("Minimum votes for a project to win"), "int"),
    ("budget.project_cost_min", N_("Lowest project cost"), "int"),
    ("budget.project_cost_max", N_("Highest project cost"), "int"),
    ("budget.review_deadline.days", N_("Days to review projects"), "int"),
    ("budget.review_deadline.unit", N_("Review deadline counted in"), "unit"),
    ("budget.implementation_deadline.days", N_("Days to implement a winning project"), "int"),
    ("budget.implementation_deadline.unit", N_("Implementation deadline counted in"), "unit"),
    ("consultations.minimum_duration_days", N_("Shortest consultation, in days"), "int"),
    ("consultations.report_deadline.days", N_("Days to publish the outcome report"), "int"),
    ("consultations.report_deadline.unit", N_("Report deadline counted in"), "unit"),
]
CHOICES = {
    "unit": [("working", N_("working days")), ("calendar", N_("calendar days"))],
    "method": [("approval", N_("approval")), ("knapsack", N_("knapsack (within the funds)")),
               ("cumulative", N_("cumulative points"))],
    "aggregation": [("greedy", N_("greedy by votes")),
                    ("greedy-no-skip", N_("greedy without skipping")),
                    ("greedy-threshold", N_("greedy with a vote threshold")),
                    ("equal-shares", N_("method of equal shares"))],
}


# A section's own checks (its model validators) fail as a whole section; the form shows the
# message at the field it is about, so that something is highlighted.
SECTION_ERRORS = {
    "petitions": ("petitions.threshold",
                  N_("Give either the number of signatures or the number per 1,000 residents, "
                     "not both.")),
    "budget": ("budget.project_cost_max",
               N_("The highest project cost must not be lower than the lowest.")),
}


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, name + "."))
        else:
            out[name] = value
    return out


def _unflatten(form: dict[str, str]) -> dict[str, Any]:
    kinds = {name: kind for name, _, kind in EDITABLE}
    out: dict[str, Any] = {}
    for name, kind in kinds.items():
        raw = (form.get(name) or "").strip()
        value: Any = raw
        if kind.endswith("?") and raw == "":
            value = None
        elif kind.startswith("int"):
            value = int(raw) if raw.lstrip("-").isdigit() else raw
        elif kind.startswith("float"):
            try:
                value = float(raw.replace(",", "."))
            except ValueError:
                value = raw
        node = out
        *parents, leaf = name.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return out


RULES_PAGE = 30  # communities per page of the comparison: the page stays light on a phone


@router.get("/rules")
def comparison(request: Request, session: DbSession,
               page: Annotated[int, Query(ge=1, le=1_000_000)] = 1):
    current = service.all_current(session)
    rows = []
    for community in communities_repo.communities(session):
        version = current.get(community.id)
        if version is not None:
            p = version.rules.petitions
            rows.append({"community": community, "version": version,
                         "threshold": p.threshold_for(community.population),
                         "per_1000": p.per_1000(community.population)})
    pages = max(1, math.ceil(len(rows) / RULES_PAGE))
    page = min(page, pages)
    return render(request, "rules/comparison.html", {
        "rows": rows[(page - 1) * RULES_PAGE: page * RULES_PAGE], "page": page, "pages": pages,
        "total": len(rows)})


@router.get("/communities/{slug}/rules")
def community_rules(request: Request, session: DbSession, slug: str):
    community = communities.get_by_slug(session, slug)
    history = service.history(session, community.id)
    current = service.current(session, community.id) if history else None
    holidays = repo.holiday_rows(session, community.id)
    return render(request, "rules/community.html", {
        "community": community, "current": current, "history": history,
        "current_row": next((r for r in history if current and r.id == current.id), None),
        "holidays": holidays, "flat": _flatten(current.rules.model_dump(mode="json"))
        if current else {}, "fields": EDITABLE, "choices": CHOICES})


def _require_admin(user) -> None:
    if not permissions.is_admin(user):
        raise Forbidden(N_("Only an administrator can change the rules."))


@router.get("/communities/{slug}/rules/edit")
def edit_form(request: Request, session: DbSession, user: CurrentUser, slug: str):
    _require_admin(user)
    community = communities.get_by_slug(session, slug)
    current = service.current(session, community.id)
    return render(request, "rules/edit.html", {
        "community": community, "values": _flatten(current.rules.model_dump(mode="json")),
        "fields": EDITABLE, "choices": CHOICES, "errors": {}, "reason": ""})


@router.post("/communities/{slug}/rules/edit")
async def edit(request: Request, session: DbSession, user: CurrentUser, slug: str):
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    return await run_in_threadpool(_edit, request, session, user, slug, form)


def _edit(request: Request, session, user, slug: str, form: dict[str, str]):
    _require_admin(user)
    community = communities.get_by_slug(session, slug)
    data = _unflatten(form)
    try:
        rules = parse(RuleSet, data)
        service.change(session, community.id, rules, user, form.get("reason", ""))
    except InvalidInput as exc:
        errors = exc.field_texts()
        for section, (name, message) in SECTION_ERRORS.items():
            if section in errors:
                del errors[section]
                errors[name] = gettext(message)
        return render(request, "rules/edit.html", {
            "community": community, "values": form, "fields": EDITABLE, "choices": CHOICES,
            "errors": errors, "reason": form.get("reason", "")}, status_code=422)
    return RedirectResponse(f"/communities/{slug}/rules", status_code=303)
