"""The only place a threshold, period, deadline, age limit or voting method comes from.

An item (petition, budget cycle, consultation) records the id of the rule-set version in force
when it opened and reads its rules through `version(ruleset_id)` from then on, so a later change
never applies backwards.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session

from app import clock
from app.audit import service as audit
from app.db import READS_ONLY
from app.exceptions import Conflict, InvalidInput, NotFound
from app.identity.models import User
from app.rules import calendar
from app.rules import repository as repo
from app.rules.models import Holiday, RuleSetRow
from app.rules.schema import Period, RuleSet, RuleVersion, rule_set_model
from app.web.i18n import N_


def _to_version(row: RuleSetRow) -> RuleVersion:
    return RuleVersion(id=row.id, community_id=row.community_id, version=row.version,
                       rules=rule_set_model().model_validate(row.data))


def current(session: Session, community_id: int, at: datetime | None = None) -> RuleVersion:
    """The rules in force in a community now (or at `at`)."""
    cache = session.info.setdefault("rules_current", {})
    key = (community_id, at)
    if key not in cache:
        row = repo.current(session, community_id, at or clock.now())
        if row is None:
            raise NotFound(N_("This community has no rules yet."))
        cache[key] = _to_version(row)
    return cache[key]


# Frozen versions by (database, id, rule-set model), shared by every request of this process:
# a version row is never updated. Only rows read by a session that writes nothing (app.db
# READS_ONLY) are kept, so nothing a rolled-back transaction wrote can be remembered; the
# model (the registered modules' sections) is part of the key, so an app built with other
# modules never reads a version parsed for another set.
_VERSIONS: dict[tuple[str, int, type], RuleVersion] = {}
_VERSIONS_MAX = 10_000


def version(session: Session, ruleset_id: int) -> RuleVersion:
    """A frozen version, by id: what an item opened under."""
    cache = session.info.setdefault("rules_versions", {})
    if ruleset_id in cache:
        return cache[ruleset_id]
    key = (str(session.get_bind().engine.url), ruleset_id, rule_set_model())
    found = _VERSIONS.get(key)
    if found is None:
        row = repo.by_id(session, ruleset_id)
        if row is None:
            raise NotFound(N_("No such rule set."))
        found = _to_version(row)
        if session.info.get(READS_ONLY):
            if len(_VERSIONS) >= _VERSIONS_MAX:
                _VERSIONS.clear()
            _VERSIONS[key] = found
    cache[ruleset_id] = found
    return found


def history(session: Session, community_id: int) -> list[RuleSetRow]:
    return repo.history(session, community_id)


def all_current(session: Session) -> dict[int, RuleVersion]:
    return {row.community_id: _to_version(row) for row in repo.all_current(session, clock.now())}


def validate(data: dict[str, Any]) -> RuleSet:
    """Validated rules (a section per registered module), or InvalidInput naming each wrong
    field (translatable)."""
    from app.web.forms import parse

    return parse(rule_set_model(), data)


def change(session: Session, community_id: int, data: dict[str, Any] | RuleSet,
           author: User | None, reason: str, effective_from: datetime | None = None
           ) -> RuleVersion:
    """Record a new version. Items already open keep the version they opened under."""
    rules = data if isinstance(data, RuleSet) else validate(data)
    reason = " ".join((reason or "").split())
    if not 3 <= len(reason) <= 500:
        raise InvalidInput(N_("Say why the rules change (3 to 500 characters)."),
                           fields={"reason": N_("Say why the rules change (3 to 500 characters).")})
    number = repo.latest_version(session, community_id) + 1
    row = RuleSetRow(community_id=community_id, version=number,
                     effective_from=effective_from or clock.now(),
                     author_id=author.id if author else None, reason=reason,
                     data=rules.model_dump(mode="json"))
    session.add(row)
    session.flush()
    audit.append(session, "rules.changed", "community", community_id,
                 author.id if author else None, version=number, rules=row.data, reason=reason)
    session.info.pop("rules_current", None)
    return _to_version(row)


def holidays(session: Session, community_id: int, start: date, days: int = 800) -> set[date]:
    return set(repo.holidays(session, community_id, start, start + timedelta(days=days)))


def add_holiday(session: Session, day: date, name: str, community_id: int | None = None
                ) -> Holiday:
    holiday = Holiday(community_id=community_id, day=day, name=name)
    session.add(holiday)
    session.flush()
    return holiday


def add_community_holiday(session: Session, actor: User | None, community_id: int, day: date,
                          name: str) -> Holiday:
    """A community's own day off, added ahead of time. A day already begun or past is refused:
    it would move deadlines that are already running. (A deadline already computed never
    moves in any case: an obligation keeps the due date it was opened with.) The caller
    checks who may add it."""
    name = " ".join((name or "").split())
    fields = {}
    if day <= clock.today():
        fields["day"] = N_("Choose a day after today: a day already begun would move "
                           "deadlines that are already running.")
    if not 2 <= len(name) <= 120:
        fields["name"] = N_("Enter a name (2 to {limit} characters).")
    if fields:
        raise InvalidInput(fields.get("day", N_("Please correct the highlighted fields.")),
                           fields=fields, limit=120)
    if repo.holiday_on(session, community_id, day) is not None:
        raise Conflict(N_("This day is already a holiday for this community."),
                       fields={"day": N_("This day is already a holiday.")})
    holiday = add_holiday(session, day, name, community_id)
    audit.append(session, "holiday.added", "community", community_id,
                 actor.id if actor else None, day=day.isoformat(), name=name)
    return holiday


def community_holidays(session: Session, community_id: int) -> list[Holiday]:
    """The public holidays and the community's own days off."""
    return repo.holiday_rows(session, community_id)


def deadline(session: Session, community_id: int, start: datetime, period: Period) -> datetime:
    """The moment a period that starts at `start` ends: the end of its last local day."""
    start_day = calendar.local_date(start)
    last_day = calendar.add_days(start_day, period, holidays(session, community_id, start_day,
                                                             period.days * 3 + 60))
    return calendar.end_of_local_day(last_day)
