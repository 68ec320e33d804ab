"""Budget voting throughput: PUT /api/v1/budgets/{cycle_id}/ballot with personal API tokens.

The cycles are made by the budget service itself (created, projects submitted and reviewed as
feasible, with the clock moved back so that voting is open now). Every account casts one
approval ballot of three projects (out of ten) in each cycle; all connections vote in the same
cycle at a time, so every ballot moves the same cycle counter and three of the same ten
project counters. Rate limits are off on the bench server.

A ballot counts when its 200 arrived inside the measured window (the route commits before it
answers). Afterwards: the cycle's ballot counter equals its ballot rows, each project's vote
and score counters equal its choices, no account has two ballots, and no acknowledged ballot is
missing (lost_writes).

    python -m bench.bench_ballot [--seconds 30] [--db sqlite|postgresql] [--json]
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import DateTime, bindparam, text
from sqlalchemy.engine import Engine

from bench import data
from bench.harness import Stage, figure, standalone

PROJECTS = 10
CHOICES = 3
ROUTE = "/budgets/{cycle_id}/ballot"


def available() -> str | None:
    """None when the budget module has the ballot API this benchmark drives; else why not."""
    try:
        from budget import api, ballots, cycles, projects, review
    except ImportError as exc:
        return f"the budget module cannot be imported: {exc}"
    # A path as routed, without its parameters' converters ({cycle_id:id} is {cycle_id}).
    paths = {(re.sub(r":\w+}", "}", getattr(r, "path", "")), m) for r in api.router.routes
             for m in getattr(r, "methods", ())}
    if (ROUTE, "PUT") not in paths:
        return f"no PUT {ROUTE} in budget/api.py"
    for module, name in ((cycles, "create_cycle"), (projects, "submit_project"),
                         (review, "review_project"), (ballots, "cast_ballot")):
        if not hasattr(module, name):
            return f"{module.__name__} has no {name}"
    return None


def budget_needed(users: int, seconds: float, warmup: float, ceiling_per_s: int = 3000
                  ) -> dict[str, int]:
    return {"cycles": max(1, math.ceil(ceiling_per_s * (seconds + warmup + 5) / users)),
            "projects": PROJECTS}


def populate_budget(pop: data.Population, *, cycles: int, projects: int = PROJECTS
                    ) -> dict[str, Any]:
    """Cycles in their voting phase, each with `projects` feasible projects on the ballot,
    after last year's cycle, in which every account voted (a live deployment's ballot tables
    are not empty: see data.populate on planner statistics)."""
    from app import clock

    engine = data.engine_for(pop.url)
    now = datetime.now(UTC)
    out: dict[str, Any] = {"cycles": [], "projects": {}}
    try:
        last_year = now - timedelta(days=400)
        past, past_projects = _cycle(engine, pop, last_year, last_year + timedelta(days=30),
                                     "Бюджет участі минулого року", projects)
        _voted_by_all(engine, pop, past, past_projects, last_year + timedelta(days=20))
        for n in range(cycles):
            cycle_id, project_ids = _cycle(engine, pop, now - timedelta(days=12),
                                           now + timedelta(days=60), f"Бюджет участі {n + 1}",
                                           projects)
            out["cycles"].append(cycle_id)
            out["projects"][str(cycle_id)] = project_ids
        data.analyze(engine)
    finally:
        clock.set_clock(None)
        engine.dispose()
    return out


def _cycle(engine: Engine, pop: data.Population, start: datetime, voting_end: datetime,
           title: str, projects: int) -> tuple[int, list[int]]:
    """A cycle made as officials make it, with the clock moved back to `start`: created,
    projects submitted, all reviewed feasible; its vote runs from start + 6 days to
    `voting_end`. Returns its id and its projects' ids."""
    from app import clock
    from app.db import transaction
    from app.identity.models import User
    from budget import cycles as budget_cycles
    from budget.models import CycleCreate, ProjectCreate, ReviewCreate
    from budget.projects import get_project, submit_project
    from budget.review import review_project

    day = start.date()
    clock.set_clock(lambda: start)
    with transaction(engine) as session:
        official = session.get(User, pop.official_id)
        author = session.get(User, pop.author_id)
        cycle = budget_cycles.create_cycle(session, official, CycleCreate(
            community_id=pop.community_id, title=title, total_funds=1_000_000,
            submission_start=day, submission_end=day + timedelta(days=2),
            review_end=day + timedelta(days=5), voting_start=day + timedelta(days=6),
            voting_end=voting_end.date(), results_at=voting_end.date() + timedelta(days=1)))
        category = budget_cycles.categories(session, cycle)[0]
        made = [submit_project(session, author, cycle, ProjectCreate(
            category_id=category.id, title=f"Проєкт {k + 1}: сквер і лавки",
            description="Облаштувати сквер: лавки, освітлення, доріжки і дитячий "
                        "майданчик для мешканців району.",
            location="вул. Тестова", cost=40_000 * (k + 1))) for k in range(projects)]
        cycle_id, project_ids = cycle.id, [p.id for p in made]
    clock.set_clock(lambda: start + timedelta(days=4))
    with transaction(engine) as session:
        official = session.get(User, pop.official_id)
        cycle = budget_cycles.get_cycle(session, cycle_id)
        for project_id in project_ids:
            review_project(session, official, cycle, get_project(session, cycle, project_id),
                           ReviewCreate(feasible=True))
    return cycle_id, project_ids


def _voted_by_all(engine: Engine, pop: data.Population, cycle_id: int, project_ids: list[int],
                  when: datetime) -> None:
    """An online ballot of every account in the cycle, each of three projects as the load's
    ballots are (`ballots_for`), with the counters set to match: in bulk, as the million
    signatures are (data.bulk_signatures)."""
    backend, k = engine.dialect.name, len(project_ids)
    first = pop.user_base + 1
    positions = ", ".join(f"({n}, {int(p)})" for n, p in enumerate(project_ids))
    cycle = int(cycle_id)
    at = bindparam("at", when, type_=DateTime(timezone=True))
    with engine.begin() as conn:
        conn.execute(text(data.insert_series(
            backend, pop.users,
            "INSERT INTO budget_ballot (cycle_id, voter_user_id, source, created_at, updated_at)",
            f"SELECT {cycle}, {first - 1} + g, 'online', :at, :at")).bindparams(at))
        conn.execute(text(
            f"WITH p(pos, id) AS (VALUES {positions}) "
            f"INSERT INTO budget_ballot_choice (ballot_id, project_id, points, rank) "
            f"SELECT b.id, p.id, 1, NULL FROM budget_ballot b JOIN p ON p.pos IN "
            f"(b.voter_user_id % {k}, (b.voter_user_id + 3) % {k}, (b.voter_user_id + 7) % {k}) "
            f"WHERE b.cycle_id = {cycle}"))
        conn.execute(text(
            f"UPDATE budget_project SET "
            f"vote_count = (SELECT count(*) FROM budget_ballot_choice c "
            f"WHERE c.project_id = budget_project.id), "
            f"score = (SELECT coalesce(sum(c.points), 0) FROM budget_ballot_choice c "
            f"WHERE c.project_id = budget_project.id) WHERE cycle_id = {cycle}"))
        conn.execute(text(f"UPDATE budget_cycle SET ballot_count = {int(pop.users)} "
                          f"WHERE id = {cycle}"))


def ballots_for(project_ids: list[int]) -> list[dict[str, list[int]]]:
    """Ten different approval ballots of three projects each."""
    k = len(project_ids)
    return [{"projects": sorted({project_ids[i], project_ids[(i + 3) % k],
                                 project_ids[(i + 7) % k]})} for i in range(k)]


def check_ballots(url: str, cycle_ids: list[int], acknowledged: set[tuple[int, int]]
                  ) -> dict[str, Any]:
    """Cycle and project counters against the rows; acknowledged ballots against the rows."""
    ids = ",".join(str(int(i)) for i in cycle_ids) or "0"
    with data.reading(url) as conn:
        counters = {r[0]: r[1] for r in conn.execute(text(
            f"SELECT id, ballot_count FROM budget_cycle WHERE id IN ({ids})"))}
        rows = {r[0]: r[1] for r in conn.execute(text(
            f"SELECT cycle_id, count(*) FROM budget_ballot WHERE cycle_id IN ({ids}) "
            f"GROUP BY cycle_id"))}
        project_counters = {r[0]: (r[1], r[2]) for r in conn.execute(text(
            f"SELECT id, vote_count, score FROM budget_project WHERE cycle_id IN ({ids})"))}
        choices = {r[0]: (r[1], r[2]) for r in conn.execute(text(
            f"SELECT c.project_id, count(*), sum(c.points) FROM budget_ballot_choice c "
            f"JOIN budget_project p ON p.id = c.project_id WHERE p.cycle_id IN ({ids}) "
            f"GROUP BY c.project_id"))}
        present = {(r[0], r[1]) for r in conn.execute(text(
            f"SELECT cycle_id, voter_user_id FROM budget_ballot WHERE cycle_id IN ({ids})"))}
        doubled = conn.execute(text(
            f"SELECT count(*) FROM (SELECT cycle_id, voter_user_id FROM budget_ballot "
            f"WHERE cycle_id IN ({ids}) AND voter_user_id IS NOT NULL "
            f"GROUP BY cycle_id, voter_user_id HAVING count(*) > 1) AS d")).scalar_one()
        audited = conn.execute(text(
            f"SELECT count(*) FROM audit_entry WHERE action = 'budget.ballot_cast' "
            f"AND subject_id IN ({ids})")).scalar_one()
    cycle_mismatch = [c for c in cycle_ids if counters.get(c, 0) != rows.get(c, 0)]
    project_mismatch = [p for p, v in project_counters.items()
                        if (v[0], v[1]) != (choices.get(p, (0, 0))[0],
                                            choices.get(p, (0, 0))[1] or 0)]
    total = sum(rows.values())
    return {
        "acknowledged": len(acknowledged),
        "rows": total,
        "counter_total": sum(counters.values()),
        "counters_match": not cycle_mismatch and not project_mismatch,
        "counter_mismatches": len(cycle_mismatch) + len(project_mismatch),
        "lost_writes": len(acknowledged - present),
        "doubled": int(doubled),
        "unacknowledged_rows": len(present - acknowledged),
        "audit_entries": int(audited),
        "audit_matches_rows": int(audited) == total,
    }


def run(stage: Stage, seconds: float = 30.0, warmup: float = 3.0,
        connections: int | None = None) -> dict[str, Any]:
    pop = stage.population
    budget = pop.extra["budget"]
    cycles = budget["cycles"]
    paths = [f"/api/v1{ROUTE.format(cycle_id=c)}" for c in cycles]
    bodies = [ballots_for(budget["projects"][str(c)]) for c in cycles]
    report = stage.load(stage.plan(paths, seconds=seconds, warmup=warmup,
                                   connections=connections, method="PUT",
                                   tokens_file=pop.tokens_file, target_bodies=bodies,
                                   record_acks=True))
    acks = {(cycles[i // pop.users], pop.user_id(i % pop.users)) for i in report["acked"]}
    check = check_ballots(pop.url, cycles, acks)
    return {**figure(report), "check": check, "statuses": report["statuses"],
            "issued": report["issued"], "rate_limits": "disabled"}


def _main(stage: Stage, args: argparse.Namespace) -> dict[str, Any]:
    return {"ballot": run(stage, args.seconds, args.warmup)}


if __name__ == "__main__":
    reason = available()
    if reason:
        print(f"bench_ballot: {reason}", file=sys.stderr)
        sys.exit(2)
    sys.exit(standalone(__doc__.split("\n\n")[0], _main, users=20_000,
                        sign_petitions=1, budget=budget_needed(20_000, 30, 3)))
