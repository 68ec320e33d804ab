"""The monitoring figures: what each one means and how it is computed.

Definitions (the methodology page and the data dictionary say the same, and the open-data test
recomputes every figure from the CSV export with exactly these):

- An obligation is *answered on time* when answered_at <= due_at, *answered late* when
  answered_at > due_at, *overdue* when it is unanswered and due_at <= now, *due soon* when it is
  unanswered and due within the due-soon window, and *pending* otherwise.
- response rate   = answered / (answered + overdue): of the obligations whose due date has
                    passed or that were answered, the share answered (late answers count).
- on-time rate    = answered on time / answered.
- median days     = the median of answer_days over answered obligations, where answer_days is
                    the number of calendar days from the local (Europe/Kyiv) day the obligation
                    opened to the local day it was answered; with an even number of answers, the
                    mean of the two middle values.
- substance rate  = yes / (yes + partly + no) over all residents' ratings of the answers.
- month           = the local month the obligation opened in (its cohort).
- An obligation whose threshold was lost afterwards (the support that opened it fell below
  the threshold: signatures invalidated as fraud) is not owed: it counts in no figure (not
  opened, answered, overdue or due soon, no delay, no rating) while it is marked; it stays
  listed in the tracker with its mark.

A rate whose denominator is zero is undefined (None, shown as a dash), never 0.

Region-wide, the counters come from the tallies and the clock-dependent counts (overdue, due
soon) from the index of open obligations; for one community or authority everything is one
GROUP BY over its obligations. Medians come from histograms of whole days, which is exact.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session

from app import clock, modules
from app.accountability import repository as repo
from app.accountability import service
from app.communities import repository as communities_repo
from app.communities.models import Authority, Community
from app.rules import service as rules_service
from app.web.i18n import N_

OTHER = "other"  # the tool of a kind no registered module declares


def tools() -> dict[str, str]:
    """Tool code -> label msgid: every registered module that is a tool, in order, then
    "other"."""
    return {**modules.tools(), OTHER: N_("Other")}


SORTS = ("name", "opened", "response_rate", "on_time_rate", "median_days", "overdue",
         "substance_rate")


def tool_of(kind: str) -> str:
    registered = service.KINDS.get(kind)
    return registered.tool if registered is not None else OTHER


def kinds_of(tool: str | None) -> list[str] | None:
    """The registered kinds of a tool (None: every kind, registered or not)."""
    if not tool:
        return None
    return sorted(code for code, kind in service.KINDS.items() if kind.tool == tool)


def median(histogram: Counter[int] | dict[int, int]) -> float | None:
    """The exact median of whole-day values given as {value: count}."""
    n = sum(histogram.values())
    if n == 0:
        return None
    lower_rank, upper_rank = (n + 1) // 2, (n + 2) // 2  # 1-based ranks of the middle
    seen, lower = 0, None
    for value in sorted(histogram):
        seen += histogram[value]
        if lower is None and seen >= lower_rank:
            lower = value
        if seen >= upper_rank:
            return (lower + value) / 2
    raise AssertionError("unreachable")


def ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


@dataclass
class Figures:
    opened: int = 0
    answered_on_time: int = 0
    answered_late: int = 0
    overdue: int = 0
    due_soon: int = 0
    rating_yes: int = 0
    rating_partly: int = 0
    rating_no: int = 0
    # Answer delays in whole days: {days: answers}. None when not loaded (see Dashboard).
    delays: Counter[int] | None = field(default_factory=Counter)

    COUNTS = ("opened", "answered_on_time", "answered_late", "overdue", "due_soon",
              "rating_yes", "rating_partly", "rating_no")

    def add(self, other: Figures) -> Figures:
        for name in self.COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        if self.delays is not None and other.delays is not None:
            self.delays.update(other.delays)
        else:
            self.delays = None
        return self

    def add_counts(self, names: tuple[str, ...], values) -> None:
        """Add counters given positionally (the tail of a query row) by name."""
        for name, value in zip(names, values, strict=True):
            if value:
                setattr(self, name, getattr(self, name) + int(value))

    @property
    def answered(self) -> int:
        return self.answered_on_time + self.answered_late

    @property
    def pending(self) -> int:
        """Open and not yet due soon."""
        return self.opened - self.answered - self.overdue - self.due_soon

    @property
    def ratings(self) -> int:
        return self.rating_yes + self.rating_partly + self.rating_no

    @property
    def response_rate(self) -> float | None:
        return ratio(self.answered, self.answered + self.overdue)

    @property
    def on_time_rate(self) -> float | None:
        return ratio(self.answered_on_time, self.answered)

    @property
    def substance_rate(self) -> float | None:
        return ratio(self.rating_yes, self.ratings)

    @property
    def median_days(self) -> float | None:
        return None if self.delays is None else median(self.delays)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {name: getattr(self, name) for name in self.COUNTS}
        out.update(answered=self.answered, pending=self.pending, ratings=self.ratings,
                   response_rate=self.response_rate, on_time_rate=self.on_time_rate,
                   median_days=self.median_days, substance_rate=self.substance_rate)
        return out


@dataclass
class CommunityRow:
    id: int
    slug: str
    name: str
    name_en: str | None
    population: int
    figures: Figures
    per_1000: float | None = None
    threshold: int | None = None
    answer_deadline: Any = None  # rules.schema.Period


@dataclass
class AuthorityRow:
    authority: Authority
    community: Community
    figures: Figures


@dataclass
class Dashboard:
    now: datetime
    community: Community | None
    tool: str | None
    overall: Figures
    by_tool: list[tuple[str, Figures]]
    by_kind: list[tuple[str, Figures]]
    by_month: list[tuple[int, Figures]]
    communities: list[CommunityRow]
    communities_total: int
    authorities: list[AuthorityRow]
    sort: str = "name"
    descending: bool = False
    page: int = 1
    pages: int = 1


def _windows() -> tuple[datetime, datetime]:
    now = clock.now()
    return now, now + service.due_soon_window()


def _cell(cells: dict, key) -> Figures:
    figures = cells.get(key)
    if figures is None:
        figures = cells[key] = Figures()
    return figures


def _roll(cells: dict[Any, Figures], key) -> dict[Any, Figures]:
    out: dict[Any, Figures] = {}
    for cell_key, figures in cells.items():
        out.setdefault(key(cell_key), Figures()).add(figures)
    return out


def _ordered_kinds(by_kind: dict[str, Figures]) -> list[tuple[str, Figures]]:
    """Kinds by tool, then in the order the modules registered them; unknown ones last."""
    tools, registered = list(_tool_order()), list(service.KINDS)

    def key(item):
        code = item[0]
        return (tools.index(tool_of(code)),
                registered.index(code) if code in registered else len(registered), code)

    return sorted(by_kind.items(), key=key)


def _ordered_tools(by_kind: dict[str, Figures]) -> list[tuple[str, Figures]]:
    rolled = _roll(by_kind, tool_of)
    order = _tool_order()
    return sorted(rolled.items(), key=lambda item: order.index(item[0]))


def _tool_order() -> list[str]:
    return list(tools())


def _from_obligations(session: Session, *, now, soon, kinds, **scope) -> dict[tuple, Figures]:
    """Figures per (authority, kind, month) of the obligations in scope, one GROUP BY each."""
    group = ("authority_id", "kind", "opened_month")
    cells: dict[tuple, Figures] = {}
    for row in repo.cells(session, group, now=now, soon=soon, kinds=kinds, **scope):
        _cell(cells, tuple(row[:3])).add_counts(repo.CELL_COUNTS, row[3:])
    for *key, days, answers in repo.delays(session, group, kinds=kinds, **scope):
        _cell(cells, tuple(key)).delays[days] += answers
    return cells


def _from_tallies(session: Session, *, now, soon, kinds) -> dict[tuple, Figures]:
    """Figures per (kind, month) for the whole region, from the tallies and the open index."""
    cells: dict[tuple, Figures] = {}
    for kind, month, *counts in repo.month_tallies(session, kinds):
        _cell(cells, (kind, month)).add_counts(repo.COUNTERS, counts)
    for kind, month, *counts in repo.open_counts(session, ("kind", "opened_month"), now=now,
                                                 soon=soon, kinds=kinds):
        _cell(cells, (kind, month)).add_counts(repo.OPEN_COUNTS, counts)
    for kind, month, days, answers in repo.delay_tallies(session, kinds):
        if answers:
            _cell(cells, (kind, month)).delays[days] += answers
    # A key whose obligations all lost their threshold nets to zero in the tallies: it has no
    # owed obligation, so it is left out, as a community's figures leave it out.
    return {key: figures for key, figures in cells.items() if figures.opened}


def _add_rules(session: Session, rows: list[CommunityRow], now: datetime) -> None:
    """Each community's key rules in force (app.rules.schema.KeyRules): the threshold, per
    1,000 residents, and the answer deadline."""
    in_force = repo.rulesets_in_force(session, [r.id for r in rows], now)
    for row in rows:
        if row.id not in in_force:
            continue
        key = rules_service.version(session, in_force[row.id]).rules.key_rules(row.population)
        if key is not None:
            row.threshold, row.per_1000 = key.threshold, key.per_1000
            row.answer_deadline = key.answer_deadline


def _sort_key(sort: str):
    if sort == "name":
        return lambda r: (r.name.casefold(), r.id)
    if sort == "opened":
        return lambda r: r.figures.opened
    return lambda r: getattr(r.figures, sort)


def _sorted(rows: list[CommunityRow], sort: str, descending: bool) -> list[CommunityRow]:
    key = _sort_key(sort)
    known = [r for r in rows if key(r) is not None]
    unknown = [r for r in rows if key(r) is None]  # undefined figures always go last
    known.sort(key=key, reverse=descending)
    unknown.sort(key=lambda r: (r.name.casefold(), r.id))
    return known + unknown


def dashboard(session: Session, *, community: Community | None = None, tool: str | None = None,
              sort: str = "name", descending: bool = False, page: int = 1,
              per_page: int | None = 50, authorities_limit: int | None = 10) -> Dashboard:
    """Every figure of /dashboard. per_page/authorities_limit None: all rows (the API)."""
    now, soon = _windows()
    kinds = kinds_of(tool)
    sort = sort if sort in SORTS else "name"
    if community is not None:
        cells = _from_obligations(session, now=now, soon=soon, kinds=kinds,
                                  community_ids=[community.id])
        by_kind = _roll(cells, lambda k: k[1])
        by_month = _roll(cells, lambda k: k[2])
        by_authority = _roll(cells, lambda k: k[0])
        overall = Figures()
        for figures in by_kind.values():
            overall.add(figures)
        row = CommunityRow(community.id, community.slug, community.name, community.name_en,
                           community.population, overall)
        _add_rules(session, [row], now)
        authorities = [AuthorityRow(a, community, by_authority.get(a.id, Figures()))
                       for a in communities_repo.authorities(session, community.id)]
        return Dashboard(now, community, tool, overall, _ordered_tools(by_kind),
                         _ordered_kinds(by_kind), sorted(by_month.items()), [row], 1,
                         authorities, sort, descending)

    cells = _from_tallies(session, now=now, soon=soon, kinds=kinds)
    by_kind = _roll(cells, lambda k: k[0])
    by_month = _roll(cells, lambda k: k[1])
    overall = Figures()
    for figures in by_kind.values():
        overall.add(figures)

    # The comparison. Sorted by name, only the page's communities need their figures; sorted
    # by a figure, every community's counters are read (from the tallies) to order them.
    # Medians and rules are read for the page only (unless sorting by the median).
    rows = [CommunityRow(c.id, c.slug, c.name, c.name_en, c.population, Figures(delays=None))
            for c in repo.community_index(session)]
    total = len(rows)

    def load_counts(selected: list[CommunityRow]) -> None:
        by_id = {r.id: r for r in selected}
        ids = None if len(selected) == total else list(by_id)
        for community_id, *counts in repo.community_tallies(session, kinds, ids):
            if community_id in by_id:
                by_id[community_id].figures.add_counts(repo.COUNTERS, counts)
        scope = {} if ids is None else {"community_ids": ids}
        for community_id, *counts in repo.open_counts(session, ("community_id",), now=now,
                                                      soon=soon, kinds=kinds, **scope):
            if community_id in by_id:
                by_id[community_id].figures.add_counts(repo.OPEN_COUNTS, counts)

    def load_medians(selected: list[CommunityRow]) -> None:
        by_id = {r.id: r for r in selected}
        for r in selected:
            r.figures.delays = Counter()
        ids = None if len(selected) == total else list(by_id)
        for chunk in [None] if ids is None else _chunks(ids, 500):
            scope = {} if chunk is None else {"community_ids": chunk}
            for community_id, days, answers in repo.delays(session, ("community_id",),
                                                           kinds=kinds, **scope):
                if community_id in by_id:
                    by_id[community_id].figures.delays[days] += answers

    if sort != "name":
        load_counts(rows)
        if sort == "median_days":
            load_medians(rows)
    rows = _sorted(rows, sort, descending)
    if per_page:
        pages = max(1, math.ceil(total / per_page))
        page = min(max(1, page), pages)
        rows = rows[(page - 1) * per_page: page * per_page]
    else:
        pages, page = 1, 1
    if sort == "name":
        load_counts(rows)
    if sort != "median_days":
        load_medians(rows)
    _add_rules(session, rows, now)

    if authorities_limit is None:
        authority_ids = None
    else:
        authority_ids = repo.most_overdue_authorities(session, now, authorities_limit, kinds)
    authorities = _authority_rows(session, authority_ids, now=now, soon=soon, kinds=kinds)
    return Dashboard(now, None, tool, overall, _ordered_tools(by_kind), _ordered_kinds(by_kind),
                     sorted(by_month.items()), rows, total, authorities,
                     sort, descending, page, pages)


def for_communities(session: Session, communities: list[Community]) -> list[CommunityRow]:
    """The monitoring figures (counts, no medians) of these communities: a region's page."""
    now, soon = _windows()
    rows = [CommunityRow(c.id, c.slug, c.name, c.name_en, c.population, Figures(delays=None))
            for c in communities]
    by_id = {r.id: r for r in rows}
    for chunk in _chunks(list(by_id), 500):
        for community_id, *counts in repo.community_tallies(session, None, chunk):
            by_id[community_id].figures.add_counts(repo.COUNTERS, counts)
        for community_id, *counts in repo.open_counts(session, ("community_id",), now=now,
                                                      soon=soon, kinds=None,
                                                      community_ids=chunk):
            by_id[community_id].figures.add_counts(repo.OPEN_COUNTS, counts)
    return rows


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _authority_rows(session: Session, authority_ids: list[int] | None, *, now, soon, kinds
                    ) -> list[AuthorityRow]:
    """Figures of these authorities (None: every authority), ordered as given or by name."""
    if authority_ids is not None and not authority_ids:
        return []
    scope = {} if authority_ids is None else {"authority_ids": authority_ids}
    figures: dict[int, Figures] = {}
    for authority_id, *counts in repo.cells(session, ("authority_id",), now=now, soon=soon,
                                            kinds=kinds, **scope):
        _cell(figures, authority_id).add_counts(repo.CELL_COUNTS, counts)
    for authority_id, days, answers in repo.delays(session, ("authority_id",), kinds=kinds,
                                                   **scope):
        _cell(figures, authority_id).delays[days] += answers
    ids = authority_ids if authority_ids is not None else list(figures)
    authorities = repo.authorities_by_id(session, ids)
    communities = repo.communities_by_id(session, sorted({a.community_id
                                                          for a in authorities.values()}))
    rows = [AuthorityRow(authorities[i], communities[authorities[i].community_id],
                         figures.get(i, Figures())) for i in ids if i in authorities]
    if authority_ids is None:
        rows.sort(key=lambda r: (r.community.name, r.authority.name, r.authority.id))
    return rows


@dataclass
class AuthorityFigures:
    overall: Figures
    by_kind: list[tuple[str, Figures]]
    by_month: list[tuple[int, Figures]]


def for_authority(session: Session, authority_id: int) -> AuthorityFigures:
    now, soon = _windows()
    cells = _from_obligations(session, now=now, soon=soon, kinds=None,
                              authority_ids=[authority_id])
    by_kind = _roll(cells, lambda k: k[1])
    overall = Figures()
    for figures in by_kind.values():
        overall.add(figures)
    return AuthorityFigures(overall, _ordered_kinds(by_kind),
                            sorted(_roll(cells, lambda k: k[2]).items()))


def as_json(board: Dashboard) -> dict[str, Any]:
    """The dashboard as plain data (the API, and the open-data recomputation test)."""
    return {
        "generated_at": board.now.isoformat(),
        "community": board.community.slug if board.community else None,
        "tool": board.tool,
        "overall": board.overall.as_dict(),
        "by_tool": {tool: f.as_dict() for tool, f in board.by_tool},
        "by_kind": {kind: f.as_dict() for kind, f in board.by_kind},
        "by_month": {month_key(m): f.as_dict() for m, f in board.by_month},
        "by_community": {r.slug: {**r.figures.as_dict(), "population": r.population,
                                  "threshold_per_1000": r.per_1000,
                                  "signature_threshold": r.threshold,
                                  "answer_deadline": None if r.answer_deadline is None else
                                  r.answer_deadline.model_dump(mode="json")}
                         for r in board.communities},
        "by_authority": {str(r.authority.id): {**r.figures.as_dict(),
                                               "community": r.community.slug,
                                               "name": r.authority.name}
                         for r in board.authorities},
    }


def month_key(month: int) -> str:
    return f"{month // 100:04d}-{month % 100:02d}"
