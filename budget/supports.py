"""Supports (pre-selection): when the cycle's rules have a supports phase, verified residents
support the proposals of the pots open to them between the close of submission and
`supports_end`; the proposals that pass (at least the rules' number of supports, or among the
rules' number most supported in their pot, ties included) go to the officials' review, the
others are marked "not enough supports" when the phase closes.

A support is one row per resident and project (its primary key) and the project's
`support_count` moves in the same transaction (an atomic UPDATE), so the count is exact and
read in O(1), as signatures are.
"""

from __future__ import annotations

from collections import defaultdict

from sqlmodel import Session

from app import clock
from app.audit import service as audit
from app.identity.models import User
from budget import permissions
from budget import repository as repo
from budget.cycles import CycleRules, rules_of
from budget.models import BudgetCycle, BudgetProject, CycleSource, ProjectStatus
from budget.phases import phase_of
from budget.projects import category_of


def support(session: Session, user: User | None, cycle: BudgetCycle, project: BudgetProject,
            on: bool = True) -> int:
    """Support a proposal (or withdraw the support); returns its supports. Twice is once."""
    category = category_of(session, cycle, project.category_id)
    permissions.check_support(session, user, cycle, project, category, phase_of(cycle))
    if on:
        changed = repo.add_support(session, project.id, user.id, clock.now())
    else:
        changed = repo.remove_support(session, project.id, user.id)
    if changed:
        audit.append(session, "budget.project_supported" if on else "budget.support_withdrawn",
                     repo.PROJECT_SUBJECT, project.id, user.id, cycle_id=cycle.id)
    count = repo.support_count(session, project.id)
    repo._sync(project, support_count=count)
    return count


def supported(session: Session, user: User | None, projects: list[BudgetProject]) -> set[int]:
    """Which of these proposals the person supports."""
    if user is None:
        return set()
    return repo.supported_by(session, user.id, [p.id for p in projects])


def passing(rules: CycleRules, projects: list[BudgetProject]) -> set[int]:
    """The proposals that go to the review by their supports (every one without supports)."""
    if not rules.supports:
        return {p.id for p in projects}
    if rules.support_selection == "threshold":
        return {p.id for p in projects if p.support_count >= rules.support_number}
    by_pot: dict[int, list[BudgetProject]] = defaultdict(list)
    for p in projects:
        by_pot[p.category_id].append(p)
    out: set[int] = set()
    for members in by_pot.values():
        counts = sorted((p.support_count for p in members), reverse=True)
        if not counts:
            continue
        bar = counts[min(rules.support_number, len(counts)) - 1]
        out |= {p.id for p in members if p.support_count >= bar}
    return out


def close_supports(session: Session, cycle: BudgetCycle) -> int:
    """Once the supports phase has closed, mark the proposals that did not pass (idempotent:
    the counts no longer move). Returns how many were marked."""
    if (cycle.source != CycleSource.hromada or cycle.supports_end is None
            or clock.now() < clock.aware(cycle.supports_end)):
        return 0
    rules = rules_of(session, cycle)
    if not rules.supports:
        return 0
    projects = repo.projects(session, cycle.id)
    passed = passing(rules, projects)
    failing = [p.id for p in projects
               if p.status == ProjectStatus.submitted and p.id not in passed]
    repo.set_not_supported(session, cycle.id, failing)
    return len(failing)
