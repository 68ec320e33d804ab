"""What the moderators' invalidation of a set of acts (signatures, ballots) shares: the filter
(an e-mail domain, a network's keyed hash, a time window, each optional, all of them holding)
with its public reason, checked one way for every module, and the SQL pieces that group and
select acts by the actor's e-mail domain.

A module keeps its own acts, counters and records; it asks here whether a filter is well
formed (`criteria`), and afterwards refuses one that matches nothing or everything of its
subject (`check_matched`), so a moderator meets the same rules and messages everywhere. The
people whose acts were taken out are told one way (`tell`, in the module's words), and the
networks' keyed hashes are dropped after each community's retention one way
(`forget_networks`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlmodel import Session

from app import clock
from app.exceptions import InvalidInput
from app.identity import repository as identity_repo
from app.identity.models import User
from app.notifications import service as notifications
from app.rules import service as rules_service
from app.web.i18n import N_, gettext

DOMAIN_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}\.)+[a-z0-9-]{1,63}$")
# A network as the arrivals views show it (app.deliberation.networks.network_hash).
NETWORK_PATTERN = r"^[0-9a-f]{32}$"
REASON_MIN, REASON_MAX = 10, 500


@dataclass(frozen=True)
class Criteria:
    """A checked filter: the domain lower-cased without "@", the window in UTC (start
    included, end excluded) and the reason with its white space collapsed."""

    email_domain: str | None
    network: str | None
    start: datetime | None
    end: datetime | None
    reason: str


def _utc(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def criteria(*, email_domain: str | None, network: str | None, start: datetime | None,
             end: datetime | None, reason: str | None, end_field: str, nothing: str
             ) -> Criteria:
    """Check a filter; `end_field` names the form field of the window's end, `nothing` is the
    message when no criterion is given (it names the module's acts). 422 with a message per
    field at fault."""
    errors = {}
    domain = (email_domain or "").strip().lower().removeprefix("@") or None
    if domain is not None and not DOMAIN_RE.match(domain):
        errors["email_domain"] = N_("Enter an e-mail domain, such as example.org.")
    network = (network or "").strip() or None
    if network is not None and not re.match(NETWORK_PATTERN, network):
        errors["network"] = N_("Choose a network from the list.")
    start, end = _utc(start), _utc(end)
    if start is not None and end is not None and end <= start:
        errors[end_field] = N_("The end of the time window must follow its start.")
    reason = " ".join((reason or "").split())
    if not REASON_MIN <= len(reason) <= REASON_MAX:
        errors["reason"] = N_("Give the public reason (10 to 500 characters).")
    if errors:
        raise InvalidInput(fields=errors)
    if domain is None and network is None and start is None and end is None:
        raise InvalidInput(nothing, fields={"email_domain": nothing})
    return Criteria(domain, network, start, end, reason)


def check_matched(matched: int, total: int, *, none: str, every: str) -> None:
    """Refuse a filter that matches no act (`none`) or every act of the subject (`every`: a
    subject is rejected or cancelled, not emptied): 422, nothing written."""
    if matched == 0:
        raise InvalidInput(none, fields={"email_domain": none})
    if matched >= total:
        raise InvalidInput(every, fields={"email_domain": every})


def parse_moment(value: str, field: str) -> datetime | None:
    """A form's date and time (ISO, UTC unless it says otherwise); blank is None."""
    if not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(fields={field: (N_("Enter a date and time."), {})}) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def email_domain(session: Session):
    """The SQL expression of a user's e-mail domain, lower-cased (both databases)."""
    if session.get_bind().dialect.name == "sqlite":
        return func.lower(func.substr(User.email, func.instr(User.email, "@") + 1))
    return func.lower(func.split_part(User.email, "@", 2))


def conditions(user_id, network_hash, created_at, *, email_domain: str | None,
               network: str | None, start: datetime | None, until: datetime | None) -> list:
    """The WHERE conditions of a checked filter over a table of acts, given its columns of
    the person, the network hash and the time: every given criterion must hold."""
    found = []
    if email_domain:
        found.append(user_id.in_(users_of_domain(email_domain)))
    if network:
        found.append(network_hash == network)
    if start is not None:
        found.append(created_at >= start)
    if until is not None:
        found.append(created_at < until)
    return found


def users_of_domain(domain: str):
    """A sub-select of the ids of the users whose e-mail is in `domain` (checked by
    `criteria`, so it holds no LIKE wildcard)."""
    return select(User.id).where(func.lower(User.email).like(f"%@{domain}"))


@dataclass(frozen=True)
class Notice:
    """The mail that tells a person an act of theirs was invalidated, in the module's words
    (message ids marked with N_, translated into each recipient's language): `text` takes
    {title} and {reason}; `again` ({link}) is added while the act can still be made again."""

    subject: str
    text: str
    again: str


def tell(session: Session, user_ids: list[int], key: str, notice: Notice, *, title: str,
         reason: str, link: str, again: bool) -> None:
    """Tell each person whose act was taken out, once for this invalidation (`key`)."""
    def render() -> tuple[str, str]:
        text = gettext(notice.text).format(title=title, reason=reason)
        if again:
            text += "\n\n" + gettext(notice.again).format(link=link)
        return gettext(notice.subject), text

    for person in identity_repo.users_by_ids(session, user_ids):
        notifications.send_to(session, person, key, render)


def forget_networks(session: Session, forget: Callable[[Session, int, datetime], int],
                    now: datetime | None = None) -> int:
    """Drop a module's keyed network hashes past each community's retention (the rules'
    `deliberation.network_retention_days`): `forget(session, community_id, before)` drops
    those of acts made before `before` and says how many. The worker's job."""
    from app.communities import repository as communities_repo

    now = now or clock.now()
    dropped = 0
    for community in communities_repo.communities(session):
        rules = rules_service.current(session, community.id).rules.deliberation
        dropped += forget(session, community.id,
                          now - timedelta(days=rules.network_retention_days))
    return dropped
