"""Open data and monitoring figures as JSON and CSV, under /api/v1. No token needed: public.

The routes join the kernel's API router when this module is imported (app.views imports the
accountability views, which import this).
"""

from __future__ import annotations

from typing import Any

from fastapi import Query
from fastapi.responses import JSONResponse, Response

from app import clock
from app.accountability import export, stats
from app.api import api_router
from app.communities import service as communities
from app.exceptions import InvalidInput
from app.web.deps import DbSession, make_router
from app.web.i18n import N_

router = make_router()


def _scope(session, community: str | None, kind: str | None, tool: str | None):
    if tool and tool not in stats.tools():
        raise InvalidInput(N_("Choose one of the offered options."),
                           fields={"tool": N_("Choose one of the offered options.")})
    place = communities.get_by_slug(session, community) if community else None
    kinds = [kind] if kind else stats.kinds_of(tool)
    return place, kinds


def _filename(stem: str, community, extension: str) -> str:
    day = clock.now().date().isoformat()
    return f"{stem}-{community.slug + '-' if community else ''}{day}.{extension}"


@router.get("/open-data/obligations.csv", tags=["open data"],
            response_class=Response, responses={200: {"content": {"text/csv": {}}}})
def obligations_csv(session: DbSession, community: str | None = Query(None, max_length=64),
                    kind: str | None = Query(None, max_length=40),
                    tool: str | None = Query(None, max_length=20)):
    """Every obligation (or one community's, kind's or tool's) as CSV, UTF-8, one header row.

    The columns and their meaning are documented at /open-data/dictionary."""
    place, kinds = _scope(session, community, kind, tool)
    body = export.to_csv(export.rows(session, community_id=place.id if place else None,
                                     kinds=kinds))
    return Response(body, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{_filename("obligations", place, "csv")}"',
        "X-Generated-At": clock.now().isoformat()})


@router.get("/open-data/obligations.json", tags=["open data"], response_model=dict[str, Any])
def obligations_json(session: DbSession, community: str | None = Query(None, max_length=64),
                     kind: str | None = Query(None, max_length=40),
                     tool: str | None = Query(None, max_length=20)):
    """The same rows as the CSV export, with the columns listed, as JSON."""
    place, kinds = _scope(session, community, kind, tool)
    items = export.as_dicts(export.rows(session, community_id=place.id if place else None,
                                        kinds=kinds))
    return JSONResponse({"generated_at": clock.now().isoformat(), "columns": export.NAMES,
                         "count": len(items), "obligations": items})


@router.get("/dashboard", tags=["open data"], response_model=dict[str, Any])
def dashboard_figures(session: DbSession, community: str | None = Query(None, max_length=64),
                      tool: str | None = Query(None, max_length=20)):
    """Every figure of /dashboard, for every community and authority (no paging).

    Definitions: /methodology."""
    place, _kinds = _scope(session, community, None, tool)
    board = stats.dashboard(session, community=place, tool=tool or None, per_page=None,
                            authorities_limit=None)
    return stats.as_json(board)


api_router.include_router(router)
