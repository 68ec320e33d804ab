"""What an NGO observer gets: follow an authority or a whole community and receive a weekly
report of its new, answered and overdue obligations; keep saved views of the tracker.

Everything here is already public (the tracker, the open data): an observer needs, and gets,
no personal data. Flushes, never commits.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit

from sqlmodel import Session

from app import clock
from app.accountability import repository as repo
from app.accountability import service
from app.accountability.models import Obligation, SavedView
from app.communities import permissions
from app.communities import repository as communities_repo
from app.exceptions import Conflict, Forbidden, InvalidInput, NotFound
from app.identity.models import User
from app.notifications import service as notifications
from app.rules import calendar
from app.settings import get_settings
from app.web.i18n import N_, gettext

SUBJECTS = ("authority", "community")
VIEW_FILTERS = ("kind", "status", "q", "authority", "from", "to")
MAX_VIEWS = 50


def check_observe(user: User | None) -> User:
    permissions.logged_in(user)
    if not permissions.is_observer(user):
        raise Forbidden(N_("This is for NGO observers."))
    return user


def follow(session: Session, user: User, subject_type: str, subject_id: int,
           on: bool = True) -> None:
    check_observe(user)
    if subject_type not in SUBJECTS:
        raise InvalidInput(fields={"subject_type": N_("Choose one of the offered options.")})
    found = (communities_repo.authority(session, subject_id) if subject_type == "authority"
             else communities_repo.community(session, subject_id))
    if found is None:
        raise InvalidInput(fields={f"{subject_type}_id": N_("Choose one of the offered "
                                                           "options.")})
    if on:
        notifications.follow(session, user, subject_type, subject_id)
    else:
        notifications.unfollow(session, user, subject_type, subject_id)


def followed(session: Session, user: User) -> tuple[list, list]:
    """(authorities, communities) the observer follows."""
    rows = [r for r in repo.observer_follows(session) if r[0] == user.id]
    authorities = [a for a in (communities_repo.authority(session, i)
                               for _, kind, i in rows if kind == "authority") if a]
    communities = [c for c in (communities_repo.community(session, i)
                               for _, kind, i in rows if kind == "community") if c]
    return authorities, communities


def save_view(session: Session, user: User, name: str, address: str) -> SavedView:
    """Keep a view of the tracker: its address as the browser shows it (only the tracker's
    own filters are kept)."""
    check_observe(user)
    name = " ".join((name or "").split())
    parts = urlsplit((address or "").strip())
    path = parts.path or "/obligations"
    fields = {}
    if not 2 <= len(name) <= 80:
        fields["name"] = N_("Enter a name (2 to {limit} characters).")
    slug = path.removeprefix("/communities/").removesuffix("/obligations")
    if path != "/obligations" and not (
            path.startswith("/communities/") and path.endswith("/obligations")
            and communities_repo.community_by_slug(session, slug) is not None):
        fields["address"] = N_("Paste the address of a page of the tracker of answers.")
    if fields:
        raise InvalidInput(fields=fields, limit=80)
    if len(repo.saved_views(session, user.id)) >= MAX_VIEWS:
        raise Conflict(N_("You keep the most saved views there can be: delete one first."))
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query)
                       if k in VIEW_FILTERS and v and "\x00" not in v])[:500]
    view = SavedView(user_id=user.id, name=name, path=path, query=query)
    session.add(view)
    session.flush()
    return view


def delete_view(session: Session, user: User, view_id: int) -> None:
    check_observe(user)
    view = repo.saved_view(session, view_id)
    if view is None or view.user_id != user.id:
        raise NotFound(N_("No such saved view."))
    session.delete(view)
    session.flush()


def saved_views(session: Session, user: User) -> list[SavedView]:
    check_observe(user)
    return repo.saved_views(session, user.id)


# -- the weekly report ----------------------------------------------------------------------

def report_key(moment: datetime) -> str:
    year, week, _ = calendar.local_date(moment).isocalendar()
    return f"observer-weekly:{year}-W{week:02d}"


def send_weekly_reports(session: Session, now: datetime | None = None) -> int:
    """Queue this week's report for every observer who follows something; returns how many
    (a second run in the same week queues nothing new: the message key is the week's)."""
    now = now or clock.now()
    since = now - timedelta(days=7)
    follows: dict[int, tuple[list[int], list[int]]] = {}
    for user_id, kind, subject_id in repo.observer_follows(session):
        authorities, communities = follows.setdefault(user_id, ([], []))
        (authorities if kind == "authority" else communities).append(subject_id)
    users = repo.users_by_id(session, list(follows))
    key = report_key(now)
    sent = 0
    for user_id, (authority_ids, community_ids) in follows.items():
        user = users.get(user_id)
        if user is None:
            continue
        rows = repo.report_rows(session, authority_ids, community_ids, since, now)
        notifications.send_to(session, user, key, _renderer(user.display_name, rows, since,
                                                            now))
        sent += 1
    return sent


def _renderer(name: str, rows: list[Obligation], since: datetime, now: datetime):
    def render() -> tuple[str, str]:
        base = get_settings().base_url.rstrip("/")
        new = [o for o in rows if clock.aware(o.opened_at) >= since]
        answered = [o for o in rows if o.answered_at and clock.aware(o.answered_at) >= since]
        overdue = [o for o in rows if o.answered_at is None and clock.aware(o.due_at) <= now]
        subject = gettext("Weekly report: %(new)s new, %(answered)s answered, %(overdue)s "
                          "overdue") % {"new": len(new), "answered": len(answered),
                                        "overdue": len(overdue)}
        lines = [gettext("Hello, %(name)s.") % {"name": name}, ""]
        for heading, group in ((gettext("New"), new), (gettext("Answered"), answered),
                               (gettext("Overdue"), overdue)):
            lines.append(f"{heading} ({len(group)}):")
            for o in group:
                kind = service.KINDS.get(o.kind)
                lines.append(f"- {o.subject_title} ({gettext(kind.label) if kind else o.kind}"
                             f"; {service.due_day(o).strftime('%d.%m.%Y')})")
                lines.append(f"  {base}{o.subject_path}")
            lines.append("")
        lines.append(gettext("Every obligation and answer is public: %(url)s") % {
            "url": f"{base}/obligations"})
        return subject, "\n".join(lines)

    return render
