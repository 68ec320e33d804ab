"""Budget factories: cycles in any phase, projects and ballots, through the real service.

Cycles are created at the test clock's "now" with fixed offsets (submission ten days, review
ten days, voting ten days); `to_phase` moves the clock into a phase of a cycle.
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta

from sqlmodel import Session

from app import clock as app_clock
from budget import cycles
from budget.models import (
    BudgetCycle,
    BudgetProject,
    CategoryIn,
    CycleCreate,
    Phase,
    ProjectCreate,
    ReviewCreate,
)
from budget.phases import phase_of
from budget.projects import submit_project
from budget.review import review_project
from tests.factories import Place, make_admin, make_official, make_resident

_seq = itertools.count(1)
DESCRIPTION = ("Облаштувати безпечний дитячий майданчик із гумовим покриттям, лавками та "
               "освітленням для мешканців району.")


def cycle_data(place: Place, *, categories: list[tuple[str, int]] | None = None,
               total_funds: int | None = None, start: date | None = None, **kw) -> CycleCreate:
    start = start or app_clock.today()
    cats = [CategoryIn(name=n, funds=f) for n, f in (categories or [])]
    values = {
        "community_id": place.community.id, "title": f"Бюджет участі {next(_seq)}",
        "description": "Цикл громадського бюджету.",
        "total_funds": total_funds or (sum(f for _, f in categories or []) or 1_000_000),
        "submission_start": start, "submission_end": start + timedelta(days=9),
        "review_end": start + timedelta(days=19), "voting_start": start + timedelta(days=20),
        "voting_end": start + timedelta(days=29), "results_at": start + timedelta(days=31),
        "categories": cats,
    }
    values.update(kw)
    return CycleCreate(**values)


def make_cycle(db: Session, place: Place, *, admin=None, **kw) -> BudgetCycle:
    return cycles.create_cycle(db, admin or make_admin(db), cycle_data(place, **kw))


def to_phase(clock, cycle: BudgetCycle, phase: Phase | str) -> None:
    """Move the test clock an hour into `phase` of `cycle`."""
    phase = Phase(phase)
    anchor = {Phase.submission: cycle.submission_start, Phase.supports: cycle.submission_end,
              Phase.review: cycle.supports_end or cycle.submission_end,
              Phase.voting: cycle.voting_start, Phase.results: cycle.voting_end}[phase]
    clock.set(app_clock.aware(anchor) + timedelta(hours=1))
    assert phase_of(cycle) == phase


def make_project(db: Session, place: Place, cycle: BudgetCycle, *, author=None,
                 category=None, cost: int = 100_000, title: str | None = None, **kw
                 ) -> BudgetProject:
    """A submitted project (the clock must be in the submission phase)."""
    category = category or cycles.categories(db, cycle)[0]
    return submit_project(db, author or make_resident(db, place), cycle, ProjectCreate(
        category_id=category.id, title=title or f"Проєкт номер {next(_seq)}",
        description=DESCRIPTION, location=kw.pop("location", "вул. Соборна, 1"), cost=cost,
        **kw))


def review_all(db: Session, place: Place, cycle: BudgetCycle, projects, *, official=None,
               feasible: bool = True) -> None:
    official = official or make_official(db, place)
    for project in projects:
        review_project(db, official, cycle, project, ReviewCreate(
            feasible=feasible, reason="Реалізовно силами комунального підприємства."))


def make_voting_cycle(db: Session, place: Place, clock, costs: list[tuple[int, int]], *,
                      categories: list[tuple[str, int]] | None = None, official=None, **kw
                      ) -> tuple[BudgetCycle, list[BudgetProject]]:
    """A cycle in voting with one feasible project per (category index, cost)."""
    cycle = make_cycle(db, place, categories=categories, **kw)
    cats = cycles.categories(db, cycle)
    projects = [make_project(db, place, cycle, category=cats[i], cost=cost)
                for i, cost in costs]
    to_phase(clock, cycle, Phase.review)
    review_all(db, place, cycle, projects, official=official)
    to_phase(clock, cycle, Phase.voting)
    return cycle, projects
