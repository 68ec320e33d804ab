"""Open data: the obligations export. COLUMNS is the data dictionary; its order is stable.

Nothing personal is exported: no resident, signer or official is named; an obligation is a duty
of an authority, and its subject is a public item (a petition, a budget project, a consultation).
The dictionary names the registered kinds and tools (`dictionary()`), whatever the modules.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session

from app import clock, modules
from app.accountability import repository as repo
from app.accountability import service
from app.accountability.models import ObligationStatus
from app.accountability.stats import month_key, tool_of
from app.settings import get_settings
from app.web.i18n import N_, gettext


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # integer, text, datetime, month, enum
    description: str  # msgid; %(kinds)s and %(tools)s list the registered kinds and tools
    example: str  # {kind}, {tool}, {subject_type}: those of an obligation of a registered kind
    params: dict[str, str] = field(default_factory=dict)  # the description's, when shown


COLUMNS: list[Column] = [
    Column("id", "integer", N_("Identifier of the obligation, stable across exports."), "1042"),
    Column("community_slug", "text", N_("Address name of the community (as in its web "
                                        "address)."), "lviv"),
    Column("community_name", "text", N_("Name of the community."),
           "Львівська міська громада"),
    Column("authority_id", "integer", N_("Identifier of the authority that owes the answer "
                                         "(its page is /authorities/{id})."), "7"),
    Column("authority_name", "text", N_("Name of the authority (council, executive committee "
                                        "or department)."), "Львівська міська рада"),
    Column("kind", "enum", N_("What is owed: %(kinds)s."), "{kind}"),
    Column("tool", "enum", N_("The tool the obligation comes from: %(tools)s."), "{tool}"),
    Column("subject_type", "text", N_("Type of the item the obligation is about."),
           "{subject_type}"),
    Column("subject_id", "integer", N_("Identifier of that item within its type."), "315"),
    Column("subject_title", "text", N_("Public title of the item."), "Ремонт дороги"),
    Column("subject_url", "text", N_("Address of the item's public page."),
           "https://hromada.example/{tool}/315"),
    Column("opened_at", "datetime", N_("When the obligation arose (UTC, ISO 8601)."),
           "2026-03-02T09:00:00Z"),
    Column("opened_month", "month", N_("Local (Kyiv) month the obligation arose in, YYYY-MM: "
                                       "the month the dashboard counts it in."), "2026-03"),
    Column("due_at", "datetime", N_("Deadline: the end of the last local day of the period set "
                                    "by the community's rules (UTC, ISO 8601)."),
           "2026-03-16T22:00:00Z"),
    Column("answered_at", "datetime", N_("When the authority answered (UTC, ISO 8601); empty "
                                         "while unanswered."), "2026-03-12T14:30:00Z"),
    Column("answer_days", "integer", N_("Calendar days from the local day the obligation arose "
                                        "to the local day of the answer; empty while "
                                        "unanswered."), "10"),
    Column("status", "enum", N_("Status at the moment of export: pending, due_soon, overdue, "
                                "answered_on_time or answered_late."), "answered_on_time"),
    Column("rating_yes", "integer", N_("Residents who rated the answer as addressing the "
                                       "substance."), "12"),
    Column("rating_partly", "integer", N_("Residents who rated the answer as partly addressing "
                                          "the substance."), "3"),
    Column("rating_no", "integer", N_("Residents who rated the answer as not addressing the "
                                      "substance."), "1"),
    Column("answer_summary", "text", N_("The authority's public summary of its answer, if "
                                        "any."), "Ремонт заплановано на квітень."),
    Column("threshold_lost_at", "datetime", N_("When the support that opened the obligation "
                                               "fell below its threshold afterwards "
                                               "(signatures invalidated as fraud), UTC, ISO "
                                               "8601: from then on the obligation is not "
                                               "owed and no figure counts it; empty "
                                               "otherwise."), ""),
]
NAMES = [c.name for c in COLUMNS]


def dictionary() -> list[Column]:
    """COLUMNS as the data dictionary shows them: the descriptions list the registered kinds
    and tools, and the example row is an obligation of the first kind the synthetic region
    has (app.modules.Scale), else of the first registered kind."""
    registered = modules.registered()
    kinds = [kind for module in registered for kind in module.obligation_kinds]
    sample = next((s for m in registered if m.scale for s in m.scale.kinds), None)
    example = ({"kind": sample.kind.code, "tool": sample.kind.tool,
                "subject_type": sample.subject_type} if sample is not None else
               {"kind": kinds[0].code, "tool": kinds[0].tool, "subject_type": "item"} if kinds
               else {"kind": "", "tool": "", "subject_type": ""})
    params = {"kinds": _listed([kind.code for kind in kinds]),
              "tools": _listed(list(modules.tools()))}
    return [replace(c, example=c.example.format(**example),
                    params={k: v for k, v in params.items() if f"%({k})s" in c.description})
            for c in COLUMNS]


def _listed(codes: list[str]) -> str:
    """ "a, b or c" in the reader's language."""
    if len(codes) < 2:
        return "".join(codes)
    return gettext("%(items)s or %(last)s") % {"items": ", ".join(codes[:-1]),
                                               "last": codes[-1]}

STATUS_DESCRIPTIONS = {
    ObligationStatus.pending: N_("Open; the due date is further away than the due-soon "
                                 "window."),
    ObligationStatus.due_soon: N_("Open; due within the due-soon window."),
    ObligationStatus.overdue: N_("Open, and the due date has passed."),
    ObligationStatus.answered_on_time: N_("Answered no later than the due date."),
    ObligationStatus.answered_late: N_("Answered after the due date."),
}


def _iso(value: datetime | None) -> str:
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    elif value.utcoffset():
        value = value.astimezone(UTC)
    return value.isoformat().replace("+00:00", "Z")


def rows(session: Session, *, community_id: int | None = None, kinds: list[str] | None = None
         ) -> Iterator[tuple]:
    """Every obligation in scope as a tuple in the order of COLUMNS, by id."""
    now, base = clock.now(), get_settings().base_url.rstrip("/")
    soon = now + service.due_soon_window()
    tools = {code: tool_of(code) for code in service.KINDS}
    for o in repo.export_rows(session, community_id=community_id, kinds=kinds):
        due, answered = clock.aware(o.due_at), clock.aware(o.answered_at)
        if answered is not None:
            status = "answered_on_time" if answered <= due else "answered_late"
        else:  # the same rule as service.status_of
            status = "overdue" if now >= due else "due_soon" if due <= soon else "pending"
        path = o.subject_path
        yield (o.id, o.community_slug, o.community_name, o.authority_id, o.authority_name,
               o.kind, tools.get(o.kind, "other"), o.subject_type, o.subject_id,
               o.subject_title, base + path if path.startswith("/") else path,
               _iso(o.opened_at), month_key(o.opened_month), _iso(due), _iso(answered),
               o.answer_days, status, o.rating_yes, o.rating_partly, o.rating_no,
               o.answer_summary or "", _iso(o.threshold_lost_at))


def as_dicts(items: Iterator[tuple]) -> list[dict[str, Any]]:
    return [dict(zip(NAMES, item, strict=True)) for item in items]


def to_csv(items: Iterator[tuple]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(NAMES)
    writer.writerows(items)
    return buffer.getvalue()
