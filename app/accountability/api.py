"""Open data and monitoring figures as JSON and CSV, under /api/v1. No token needed: public.

The routes join the kernel's API router when this module is imported (app.views imports the
accountability views, which import this).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query
from fastapi.responses import JSONResponse

from app import clock
from app.accountability import export, service, stats
from app.api import api_router
from app.communities.dependencies import CommunityFilter
from app.exceptions import InvalidInput
from app.models import one_of
from app.web.contract import CsvResponse, make_api_router
from app.web.deps import DbSession
from app.web.i18n import N_

router = make_api_router()

KindFilter = Annotated[str | None, Query(
    max_length=40, json_schema_extra=one_of(service.kind_codes),
    description="An obligation kind: only obligations of this kind.")]
ToolFilter = Annotated[str | None, Query(
    max_length=20, json_schema_extra=one_of(lambda: stats.tools()),
    description="A tool: only obligations of its kinds.")]


def _scope(kind: str | None, tool: str | None) -> list[str] | None:
    """The kinds to export; an unknown kind or tool is refused, as the schema lists them."""
    choose = N_("Choose one of the offered options.")
    if tool is not None and tool not in stats.tools():
        raise InvalidInput(choose, fields={"tool": choose})
    if kind is not None and kind not in service.KINDS:
        raise InvalidInput(choose, fields={"kind": choose})
    return [kind] if kind is not None else stats.kinds_of(tool)


def _filename(stem: str, community, extension: str) -> str:
    day = clock.today().isoformat()
    return f"{stem}-{community.slug + '-' if community else ''}{day}.{extension}"


@router.get("/open-data/obligations.csv", tags=["open data"], response_class=CsvResponse)
def obligations_csv(session: DbSession, place: CommunityFilter,
                    kind: KindFilter = None, tool: ToolFilter = None):
    """Every obligation (or one community's, kind's or tool's) as CSV, UTF-8, one header row.

    The columns and their meaning are documented at /open-data/dictionary."""
    kinds = _scope(kind, tool)
    body = export.to_csv(export.rows(session, community_id=place.id if place else None,
                                     kinds=kinds))
    return CsvResponse(body, headers={
        "Content-Disposition": f'attachment; filename="{_filename("obligations", place, "csv")}"',
        "X-Generated-At": clock.now().isoformat()})


@router.get("/open-data/obligations.json", tags=["open data"], response_model=dict[str, Any])
def obligations_json(session: DbSession, place: CommunityFilter,
                     kind: KindFilter = None, tool: ToolFilter = None):
    """The same rows as the CSV export, with the columns listed, as JSON."""
    kinds = _scope(kind, tool)
    items = export.as_dicts(export.rows(session, community_id=place.id if place else None,
                                        kinds=kinds))
    return JSONResponse({"generated_at": clock.now().isoformat(), "columns": export.NAMES,
                         "count": len(items), "obligations": items})


@router.get("/dashboard", tags=["open data"], response_model=dict[str, Any])
def dashboard_figures(session: DbSession, place: CommunityFilter,
                      tool: ToolFilter = None):
    """Every figure of /dashboard, for every community and authority (no paging).

    Definitions: /methodology."""
    _scope(None, tool)
    board = stats.dashboard(session, community=place, tool=tool or None, per_page=None,
                            authorities_limit=None)
    return stats.as_json(board)


api_router.include_router(router)
