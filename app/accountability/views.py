"""The public face of the obligations ledger: the tracker (what each authority owes, by when,
and whether it answered), the monitoring dashboard, open data, the methodology and the feeds."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime

from fastapi import Query, Request
from fastapi.responses import Response

from app import clock
from app.accountability import api as _api  # noqa: F401  joins /api/v1 (open data, dashboard)
from app.accountability import charts, export, service, stats
from app.accountability import repository as repo
from app.accountability.models import ObligationStatus
from app.communities import repository as communities_repo
from app.communities import service as communities
from app.exceptions import InvalidInput
from app.settings import get_settings
from app.web import pagecache
from app.web.deps import DbSession, make_router
from app.web.i18n import N_
from app.web.i18n import gettext as _
from app.web.templating import block_for, render

router = make_router()
PAGE = 25  # obligations per page: the page stays light on a phone
FEED_ENTRIES = 50

MONTHS = [N_("January"), N_("February"), N_("March"), N_("April"), N_("May"), N_("June"),
          N_("July"), N_("August"), N_("September"), N_("October"), N_("November"),
          N_("December")]


def month_label(month: int) -> str:
    return f"{_(MONTHS[month % 100 - 1])} {month // 100}"


def _helpers() -> dict:
    return {"due_day": service.due_day, "month_label": month_label,
            "tools": stats.tools(), "tool_of": stats.tool_of}


def _day(value: str | None, field: str) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.combine(date.fromisoformat(value), datetime.min.time(), tzinfo=UTC)
    except ValueError:
        raise InvalidInput(N_("Please correct the highlighted fields."),
                           fields={field: N_("Enter a date (YYYY-MM-DD).")}) from None


def _listing(request: Request, session, community=None, *, kind, status, q, authority,
             opened_from, opened_to, page, authority_page=None, extra=None):
    if status and status not in ObligationStatus.__members__:
        raise InvalidInput(N_("Choose one of the offered options."),
                           fields={"status": N_("Choose one of the offered options.")})
    rows, total = service.search(
        session, community_id=community.id if community else None,
        authority_id=authority, kind=kind or None,
        status=ObligationStatus(status) if status else None, q=q or None,
        opened_from=_day(opened_from, "from"), opened_to=_day(opened_to, "to"),
        offset=(page - 1) * PAGE, limit=PAGE)
    authorities = ({a.id: a for a in communities_repo.authorities(session, community.id)}
                   if community else
                   repo.authorities_by_id(session, sorted({o.authority_id for o in rows})))
    names = {} if community else repo.communities_by_id(
        session, sorted({o.community_id for o in rows}))
    # Which department holds an open item (public), and the decisions behind the answers.
    held = repo.authorities_by_id(session, sorted({o.assigned_authority_id for o in rows
                                                   if o.assigned_authority_id}))
    decisions = repo.decisions_of(session, [o.id for o in rows])
    context = {
        "community": community, "rows": [(o, service.status_of(o)) for o in rows],
        "total": total, "page": page, "pages": max(1, math.ceil(total / PAGE)),
        "kinds": service.KINDS, "statuses": list(ObligationStatus), "authorities": authorities,
        "communities": names, "authority_page": authority_page, "held": held,
        "decisions": decisions,
        "filters": {"kind": kind, "status": status, "q": q, "authority": authority or "",
                    "from": opened_from or "", "to": opened_to or ""},
        **_helpers(), **(extra or {}),
    }
    block = block_for(request, "results")
    return render(request, "accountability/obligations.html", context, block=block)


@router.get("/obligations")
@pagecache.shared_page
def all_obligations(request: Request, session: DbSession, kind: str = Query("", max_length=40),
                    status: str = Query("", max_length=20), q: str = Query("", max_length=200),
                    authority: int | None = None, opened_from: str = Query("", alias="from",
                                                                           max_length=10),
                    opened_to: str = Query("", alias="to", max_length=10),
                    page: int = Query(1, ge=1, le=100_000)):
    return _listing(request, session, None, kind=kind, status=status, q=q, authority=authority,
                    opened_from=opened_from, opened_to=opened_to, page=page)


@router.get("/communities/{slug}/obligations")
@pagecache.shared_page
def community_obligations(request: Request, session: DbSession, slug: str,
                          kind: str = Query("", max_length=40),
                          status: str = Query("", max_length=20),
                          q: str = Query("", max_length=200), authority: int | None = None,
                          opened_from: str = Query("", alias="from", max_length=10),
                          opened_to: str = Query("", alias="to", max_length=10),
                          page: int = Query(1, ge=1, le=100_000)):
    community = communities.get_by_slug(session, slug)
    return _listing(request, session, community, kind=kind, status=status, q=q,
                    authority=authority, opened_from=opened_from, opened_to=opened_to,
                    page=page)


@router.get("/authorities/{authority_id}")
@pagecache.shared_page
def authority_page(request: Request, session: DbSession, authority_id: int,
                   kind: str = Query("", max_length=40),
                   status: str = Query("", max_length=20),
                   q: str = Query("", max_length=200),
                   opened_from: str = Query("", alias="from", max_length=10),
                   opened_to: str = Query("", alias="to", max_length=10),
                   page: int = Query(1, ge=1, le=100_000)):
    """One authority: its figures and every obligation it has had, with the tracker's filters."""
    authority = communities.get_authority(session, authority_id)
    community = communities.get(session, authority.community_id)
    figures = stats.for_authority(session, authority.id)
    return _listing(request, session, community, kind=kind, status=status, q=q,
                    authority=authority.id, opened_from=opened_from, opened_to=opened_to,
                    page=page, authority_page=authority,
                    extra={"figures": figures, "due_soon_days": get_settings().due_soon_days})


# -- Dashboard ----------------------------------------------------------------------------

def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _days(value: float | None) -> str:
    return "—" if value is None else (f"{value:.0f}" if float(value).is_integer()
                                      else f"{value:.1f}")


CHARTS = [
    ("response", N_("Response rate by month"), "response_rate", _percent, True),
    ("ontime", N_("On-time rate by month"), "on_time_rate", _percent, True),
    ("median", N_("Median days to answer by month"), "median_days", _days, False),
    ("substance", N_("Substance rate by month"), "substance_rate", _percent, True),
]
TREND_MONTHS = 12  # on the pages; the open data holds every month


def _month_charts(by_month: list[tuple[int, stats.Figures]]) -> list[dict]:
    """The last 24 months: one chart per figure, each with the rows of its data table."""
    recent = by_month[-TREND_MONTHS:]
    out = []
    for key, title, attribute, fmt, is_rate in CHARTS:
        points = []
        for month, figures in recent:
            value = getattr(figures, attribute)
            points.append(charts.Point(
                label=f"{month % 100:02d}.{month // 100 % 100:02d}",
                long_label=month_label(month),
                value=None if value is None else (value * 100 if is_rate else value),
                shown=fmt(value)))
        svg = charts.bar_chart(f"trend-{key}", _(title), points, top=100 if is_rate else None,
                               axis_format=(lambda v: f"{v:.0f}%") if is_rate else
                               (lambda v: f"{v:g}"))
        out.append({"id": f"trend-{key}", "title": title, "svg": svg, "points": points})
    return out


DASHBOARD_PAGE = 20  # communities per page of the comparison: the page stays light on a phone


def _check_tool(tool: str) -> None:
    if tool and tool not in stats.tools():
        raise InvalidInput(N_("Choose one of the offered options."),
                           fields={"tool": N_("Choose one of the offered options.")})


def _tool_choices(board: stats.Dashboard) -> list[str]:
    order = list(stats.tools())
    return sorted({k.tool for k in service.KINDS.values()} | {t for t, _ in board.by_tool},
                  key=lambda t: order.index(t) if t in order else len(order))


@router.get("/dashboard")
@pagecache.shared_page
def dashboard(request: Request, session: DbSession,
              community: str = Query("", max_length=64), tool: str = Query("", max_length=20),
              sort: str = Query("name", max_length=20),
              direction: str = Query("", alias="dir", max_length=4),
              page: int = Query(1, ge=1, le=100_000)):
    """Public monitoring: how every authority answers, on time and on substance."""
    _check_tool(tool)
    if sort not in stats.SORTS:
        sort = "name"
    descending = direction == "desc"
    place = communities.get_by_slug(session, community) if community else None
    board = stats.dashboard(session, community=place, tool=tool or None, sort=sort,
                            descending=descending, page=page, per_page=DASHBOARD_PAGE)
    context = {
        "board": board, "community": place, "tool": tool, "tool_choices": _tool_choices(board),
        "kinds": service.KINDS, "due_soon_days": get_settings().due_soon_days, **_helpers(),
    }
    block = block_for(request, "comparison")
    return render(request, "accountability/dashboard.html", context, block=block)


@router.get("/dashboard/trends")
def trends(request: Request, session: DbSession,
           community: str = Query("", max_length=64), tool: str = Query("", max_length=20),
           authority: int | None = Query(None, ge=1, le=2**31 - 1)):
    """Figures month by month, as charts with a data table beside each: for the region, a
    community (and a tool), or one authority."""
    _check_tool(tool)
    authority_row = communities.get_authority(session, authority) if authority else None
    if authority_row is not None:
        place = communities.get(session, authority_row.community_id)
        by_month = stats.for_authority(session, authority_row.id).by_month
        board = None
    else:
        place = communities.get_by_slug(session, community) if community else None
        board = stats.dashboard(session, community=place, tool=tool or None, per_page=1,
                                authorities_limit=1)
        by_month = board.by_month
    return render(request, "accountability/trends.html", {
        "community": place, "authority": authority_row, "tool": tool,
        "tool_choices": _tool_choices(board) if board else [],
        "month_charts": _month_charts(by_month), "trend_months": TREND_MONTHS,
        "by_month": by_month[-TREND_MONTHS:], **_helpers(),
    })


# -- Data dictionary, methodology, feeds --------------------------------------------------

@router.get("/open-data/dictionary")
def dictionary(request: Request):
    return render(request, "accountability/dictionary.html", {
        "columns": export.dictionary(), "statuses": export.STATUS_DESCRIPTIONS,
        "kinds": service.KINDS, "due_soon_days": get_settings().due_soon_days, **_helpers()})


@router.get("/methodology")
def methodology(request: Request):
    return render(request, "accountability/methodology.html", {
        "due_soon_days": get_settings().due_soon_days, "kinds": service.KINDS, **_helpers()})


@router.get("/communities/{slug}/feed.atom")
def community_feed(request: Request, session: DbSession, slug: str):
    """New obligations, answers and missed deadlines of one community, newest first."""
    community = communities.get_by_slug(session, slug)
    now = clock.now()
    events = repo.feed_events(session, community.id, now, FEED_ENTRIES)
    authorities = {a.id: a for a in communities_repo.authorities(session, community.id)}
    base = get_settings().base_url.rstrip("/")
    host = base.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "hromada"
    updated = max((clock.aware(e[1]) for e in events), default=community.created_at)
    response = render(request, "accountability/feed.xml", {
        "community": community, "events": events, "authorities": authorities,
        "base": base, "host": host, "updated": clock.aware(updated), "aware": clock.aware,
        "kinds": service.KINDS, **_helpers()})
    return Response(response.body, media_type="application/atom+xml; charset=utf-8",
                    headers={"Cache-Control": "public, max-age=300"})
