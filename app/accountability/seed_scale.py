"""A synthetic region for benchmarks: many communities, each with its council, a department,
rules and a history of obligations of every kind (answered on time, late, overdue, pending).

The mix of kinds and the rules of the communities come from the registered modules (each
module's `scale`, app.modules.Scale): the kernel names none of them.

Fast: rows are built as plain dicts and written with executemany in large batches (no ORM
object per row); the tallies are then rebuilt with INSERT ... SELECT ... GROUP BY. Due dates
are computed with the same calendar as real obligations (working days, public holidays).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session

from app import clock
from app.accountability import repository as repo
from app.accountability import service
from app.accountability.models import Obligation, month_of
from app.communities.models import Authority, AuthorityKind, Community
from app.db import insert_rows
from app.exceptions import Conflict
from app.modules import Module, registered
from app.rules import calendar
from app.rules import service as rules_service
from app.rules.models import RuleSetRow
from app.rules.schema import Period, RuleSet, rule_set_model
from app.web.i18n import N_

BATCH = 10_000

@dataclass
class Region:
    communities: int
    authorities: int
    obligations: int


def seed_region(session: Session, *, communities: int = 1500, per_community: int = 100,
                months: int = 24, seed: int = 1, prefix: str = "scale") -> Region:
    """Build the region in the caller's transaction. Refuses to run twice with one prefix."""
    if repo.communities_with_prefix(session, prefix):
        raise Conflict(N_("A synthetic region with this prefix already exists."))
    rng = random.Random(seed)
    now = clock.now()

    insert_rows(session, Community.__table__, [
        {"slug": f"{prefix}-{i:05d}", "name": f"Синтетична громада {i}",
         "name_en": f"Synthetic community {i}",
         "population": int(min(3_000_000, max(800, rng.lognormvariate(10, 1.3)))),
         "default_language": "uk", "created_at": now} for i in range(1, communities + 1)])
    ids = repo.communities_with_prefix(session, prefix)
    community_ids = [ids[slug] for slug in sorted(ids)]
    slugs = {cid: slug for slug, cid in ids.items()}

    insert_rows(session, Authority.__table__, [
        row for cid in community_ids for row in (
            {"community_id": cid, "name": f"Рада громади {slugs[cid]}",
             "name_en": f"Council of {slugs[cid]}", "kind": AuthorityKind.council},
            {"community_id": cid, "name": f"Управління громади {slugs[cid]}",
             "name_en": f"Department of {slugs[cid]}", "kind": AuthorityKind.department})])
    councils: dict[int, int] = {}
    departments: dict[int, int] = {}
    for authority_id, community_id, kind in repo.authorities_of_communities(session,
                                                                            community_ids):
        (councils if kind == AuthorityKind.council else departments)[community_id] = \
            authority_id

    tools = [m for m in registered() if m.scale is not None]
    variants = _rule_variants(tools)
    effective = now - timedelta(days=31 * (months + 1))
    rules_of = {cid: variants[i % len(variants)] for i, cid in enumerate(community_ids)}
    insert_rows(session, RuleSetRow.__table__, [
        {"community_id": cid, "version": 1, "effective_from": effective, "author_id": None,
         "reason": "Синтетичний регіон для вимірювань",
         "data": json.loads(json.dumps(rules_of[cid].model_dump(mode="json"))),
         "created_at": now} for cid in community_ids])

    start = calendar.local_date(effective)
    holidays = rules_service.holidays(session, None, start, 31 * (months + 3) + 800)
    due_cache: dict[tuple[date, Period], datetime] = {}

    def due(opened: datetime, period: Period) -> datetime:
        key = (calendar.local_date(opened), period)
        if key not in due_cache:
            due_cache[key] = calendar.end_of_local_day(calendar.add_days(
                key[0], period, holidays)).astimezone(UTC)
        return due_cache[key]

    kinds = [(module, kind) for module in tools for kind in module.scale.kinds]
    weights = [kind.weight for _, kind in kinds]
    span = months * 30.44 * 86400
    batch: list[dict] = []
    total = 0
    subject = 0
    for cid in community_ids:
        rules = rules_of[cid]
        for _ in range(per_community):
            subject += 1
            module, mix = rng.choices(kinds, weights)[0]
            code, subject_type, title = mix.kind.code, mix.subject_type, mix.title
            period: Period = getattr(getattr(rules, module.name), mix.deadline)
            opened = now - timedelta(seconds=rng.random() * span)
            due_at = due(opened, period)
            roll = rng.random()
            answered: datetime | None = None
            if roll < 0.72:  # on time, somewhere within the period
                answered = opened + (due_at - opened) * rng.random()
            elif roll < 0.87:  # late by up to six weeks
                answered = due_at + timedelta(seconds=rng.random() * 42 * 86400)
            if answered is not None and answered > now:
                answered = None
            rated = answered is not None and mix.rated
            batch.append({
                "kind": code, "community_id": cid,
                "authority_id": councils[cid] if rng.random() < 0.7 else departments[cid],
                "subject_type": subject_type, "subject_id": subject,
                "subject_title": f"{title} №{subject}",
                "subject_path": f"/communities/{slugs[cid]}/obligations",
                "ruleset_id": None, "opened_at": opened, "opened_month": month_of(opened),
                "due_at": due_at, "answered_at": answered,
                "answer_days": None if answered is None else service.answer_days(opened,
                                                                                 answered),
                "answer_summary": None,
                "rating_yes": rng.randint(0, 12) if rated else 0,
                "rating_partly": rng.randint(0, 5) if rated else 0,
                "rating_no": rng.randint(0, 6) if rated else 0,
            })
            if len(batch) >= BATCH:
                insert_rows(session, Obligation.__table__, batch)
                total += len(batch)
                batch = []
    insert_rows(session, Obligation.__table__, batch)
    total += len(batch)
    service.rebuild_stats(session)
    session.flush()
    return Region(len(community_ids), len(councils) + len(departments), total)


def _rule_variants(tools: list[Module]) -> list[RuleSet]:
    """The rule sets the communities take in turn: variant i has each module's i-th section
    (its list cycled; an empty section takes the module's defaults)."""
    count = max((len(m.scale.rules) for m in tools), default=0) or 1
    model = rule_set_model()
    return [model.model_validate({m.name: m.scale.rules[i % len(m.scale.rules)]
                                  for m in tools if m.scale.rules})
            for i in range(count)]


def analyze(engine) -> None:
    """Refresh the planner's statistics after the bulk load (VACUUM ANALYZE on PostgreSQL, so
    that the open-obligation indexes are read index-only, as autovacuum would soon make them)."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    else:
        with engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
