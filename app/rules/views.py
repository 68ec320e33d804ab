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
from app.modules import rule_sections
from app.rules import repository as repo
from app.rules import service
from app.rules.schema import RuleField, rule_fields, rule_set_model
from app.web.auth import CurrentUser
from app.web.deps import DbSession, make_router
from app.web.forms import parse, rerender
from app.web.i18n import N_
from app.web.templating import render

router = make_router()


def editable() -> list[tuple[str, str, str]]:
    """(form name, label msgid, kind) of every field the rules page shows and the
    administrators' form edits: each registered module's shown rules, in order."""
    return [(f.name, f.label, f.kind) for f in _fields()]


def choices() -> dict[str, list[tuple[str, str]]]:
    """The options of each kind of field that is a choice: kind -> [(value, label msgid)]."""
    return {f.kind: list(f.choices) for f in _fields() if f.choices}


def _fields() -> list[RuleField]:
    return [field for name, schema in rule_sections() for field in rule_fields(name, schema)]


def _section_names() -> list[str]:
    return [name for name, _ in rule_sections()]


def _section_errors() -> dict[str, tuple[str, str]]:
    """A section's own checks (its model validators) fail as a whole section; the form shows
    the message at the field the module names, so that something is highlighted."""
    return {name: (f"{name}.{schema.section_error[0]}", schema.section_error[1])
            for name, schema in rule_sections() if schema.section_error is not None}


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
    kinds = {name: kind for name, _, kind in editable()}
    out: dict[str, Any] = {}
    for name, kind in kinds.items():
        raw = (form.get(name) or "").strip()
        value: Any = raw
        if kind.endswith("?") and raw == "":
            value = None
        elif kind.rstrip("?") == "int":
            value = int(raw) if raw.lstrip("-").isdigit() else raw
        elif kind.rstrip("?") == "float":
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
    columns = [column for _, schema in rule_sections() for column in schema.compared]
    rows = []
    for community in communities_repo.communities(session):
        version = current.get(community.id)
        if version is not None:
            rows.append({"community": community, "version": version, "cells": [
                (column.numeric, column.value(section, community.population))
                for _, section in version.rules.sections() for column in section.compared]})
    pages = max(1, math.ceil(len(rows) / RULES_PAGE))
    page = min(page, pages)
    return render(request, "rules/comparison.html", {
        "columns": columns, "rows": rows[(page - 1) * RULES_PAGE: page * RULES_PAGE],
        "page": page, "pages": pages, "total": len(rows)})


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
        if current else {}, "fields": editable(), "choices": choices()})


def _require_admin(session, user, community) -> None:
    """The operator, or an administrator of the community or its region (the back office)."""
    if not permissions.administers_community(session, user, community):
        raise Forbidden(N_("Only an administrator can change the rules."))


@router.get("/communities/{slug}/rules/edit")
def edit_form(request: Request, session: DbSession, user: CurrentUser, slug: str):
    community = communities.get_by_slug(session, slug)
    _require_admin(session, user, community)
    # A newly connected community has no rules yet: its administrators write the first version.
    history = service.history(session, community.id)
    values = _flatten(service.current(session, community.id).rules.model_dump(mode="json")
                      ) if history else {}
    return render(request, "rules/edit.html", {
        "community": community, "values": values,
        "fields": editable(), "choices": choices(), "sections": _section_names(),
        "errors": {}, "reason": ""})


@router.post("/communities/{slug}/rules/edit")
async def edit(request: Request, session: DbSession, user: CurrentUser, slug: str):
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    return await run_in_threadpool(_edit, request, session, user, slug, form)


def _edit(request: Request, session, user, slug: str, form: dict[str, str]):
    community = communities.get_by_slug(session, slug)
    _require_admin(session, user, community)
    data = _unflatten(form)
    try:
        rules = parse(rule_set_model(), data)
        service.change(session, community.id, rules, user, form.get("reason", ""))
    except InvalidInput as exc:
        for section, (name, message) in _section_errors().items():
            if section in exc.fields:
                del exc.fields[section]
                exc.fields[name] = message
        return rerender(request, "rules/edit.html", {
            "community": community, "values": form, "fields": editable(), "choices": choices(),
            "sections": _section_names(), "reason": form.get("reason", "")}, exc)
    return RedirectResponse(f"/communities/{slug}/rules", status_code=303)
