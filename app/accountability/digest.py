"""The officials' daily digest, and the worker's accountability upkeep.

Once a local day, each official gets one message listing the open obligations of their
authorities that are overdue or due soon. The outbox's dedupe key
("accountability-digest:<local date>:<user id>") makes it one message per official per day
however many workers or cycles run it; officials with nothing pending get nothing.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from app import clock
from app.accountability import repository as repo
from app.accountability import service
from app.accountability.models import Obligation, ObligationStatus
from app.db import transaction
from app.notifications import service as notifications
from app.rules import calendar
from app.settings import get_settings
from app.web.i18n import gettext as _

log = logging.getLogger("hromada.accountability")

# Digests go out with the first worker cycle after this local (Kyiv) hour.
DIGEST_LOCAL_HOUR = 7
# The worker folds the tallies' delta rows at most this often (seconds).
COMPACT_EVERY = 60.0

_state: dict[str, object] = {"digest_day": None, "compacted": 0.0}


def digest_key(moment: datetime) -> str:
    return f"accountability-digest:{calendar.local_date(moment).isoformat()}"


def send_daily_digests(session: Session, now: datetime | None = None) -> int:
    """Queue today's digest for every official with something overdue or due soon.

    Returns how many officials have a digest today (queued now or earlier today).
    """
    now = now or clock.now()
    pending: dict[int, list[Obligation]] = {}
    for user_id, obligation in repo.attention_by_official(
            session, now + service.due_soon_window()):
        pending.setdefault(user_id, []).append(obligation)
    if not pending:
        return 0
    users = repo.users_by_id(session, list(pending))
    authority_ids = sorted({o.authority_id for items in pending.values() for o in items})
    authorities = repo.authorities_by_id(session, authority_ids)
    communities = repo.communities_by_id(
        session, sorted({a.community_id for a in authorities.values()}))
    key = digest_key(now)
    for user_id, items in pending.items():
        user = users.get(user_id)
        if user is None:
            continue
        notifications.send_to(session, user, key, _renderer(user.display_name, items, now,
                                                            authorities, communities))
    return len(pending)


def _renderer(name: str, items: list[Obligation], now: datetime, authorities, communities):
    def render() -> tuple[str, str]:
        base = get_settings().base_url.rstrip("/")
        overdue = [o for o in items if service.status_of(o, now) == ObligationStatus.overdue]
        soon = [o for o in items if o not in overdue]
        subject = _("Obligations needing an answer: %(overdue)s overdue, %(soon)s due soon") % {
            "overdue": len(overdue), "soon": len(soon)}
        lines = [_("Hello, %(name)s.") % {"name": name}, "",
                 _("Open obligations of your authorities as of %(date)s:") % {
                     "date": calendar.local_date(now).strftime("%d.%m.%Y")}]
        for heading, group in ((_("Overdue"), overdue), (_("Due soon"), soon)):
            if not group:
                continue
            lines += ["", f"{heading} ({len(group)}):"]
            for o in group:
                authority = authorities.get(o.authority_id)
                community = communities.get(authority.community_id) if authority else None
                kind = service.KINDS.get(o.kind)
                where = ", ".join(x for x in (authority.name if authority else "",
                                              community.name if community else "") if x)
                lines.append(f"- {o.subject_title}")
                lines.append("  " + _("%(kind)s; %(where)s; due %(due)s") % {
                    "kind": _(kind.label) if kind else o.kind, "where": where,
                    "due": service.due_day(o).strftime("%d.%m.%Y")})
                link = base + o.subject_path if o.subject_path.startswith("/") else \
                    o.subject_path
                lines.append(f"  {link}")
        lines += ["", _("Your inbox, soonest due first: %(url)s") % {"url": f"{base}/inbox"}]
        lines += [_("Every obligation and answer is public: %(url)s") % {
            "url": f"{base}/obligations"},
                  _("You receive this summary once a day while obligations are open.")]
        return subject, "\n".join(lines)

    return render


def run(engine: Engine | None = None) -> None:
    """The worker's accountability upkeep: today's digests once, then folding the tallies.

    Each part runs in its own transaction; a failure is logged and never stops delivery.
    """
    now = clock.now()
    local = now.astimezone(calendar.LOCAL_TZ)
    today = local.date()
    if _state["digest_day"] != today and local.hour >= DIGEST_LOCAL_HOUR:
        try:
            with transaction(engine) as session:
                sent = send_daily_digests(session, now)
            _state["digest_day"] = today
            log.info("daily digest: %s officials", sent)
        except Exception:
            log.exception("daily digest failed")
    from app.accountability import observers

    week = observers.report_key(now)
    if _state.get("weekly") != week and local.hour >= DIGEST_LOCAL_HOUR:
        try:
            with transaction(engine) as session:
                sent = observers.send_weekly_reports(session, now)
            _state["weekly"] = week
            log.info("weekly observer reports: %s observers", sent)
        except Exception:
            log.exception("weekly observer reports failed")
    if time.monotonic() - float(_state["compacted"]) >= COMPACT_EVERY:
        try:
            with transaction(engine) as session:
                service.compact_stats(session)
            _state["compacted"] = time.monotonic()
        except Exception:
            log.exception("folding the accountability tallies failed")
