"""Demo data of the budget module: a cycle in voting (Slavske, knapsack voting, two
categories) and a past cycle of Lviv with published results (Method of Equal Shares) and an
implementation update."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from app import clock
from app.notifications import service as notifications
from budget import repository as repo
from budget.ballots import add_ballot, cast_ballot
from budget.cycles import insert_cycle
from budget.implementation import post_progress
from budget.models import (
    BudgetProject,
    ImplementationStatus,
    ProgressCreate,
    ProjectStatus,
)
from budget.results import publish_results
from budget.review import ensure_review_obligation

VOTING_PROJECTS = [
    # (category index, title, description, location, cost)
    (0, "Лавки та урни на набережній Опору",
     "Встановити десять лавок і десять урн уздовж набережної, де люди гуляють щовечора.",
     "вул. Набережна", 60_000),
    (0, "Книжкова шафа-буккросинг біля ЦНАПу",
     "Відкрита шафа для обміну книжками, з навісом від дощу і полицею для дитячих книжок.",
     "площа Ринок, 1", 25_000),
    (0, "Курси першої допомоги для школярів",
     "Шість занять з інструкторами Червоного Хреста для учнів 8–11 класів громади.",
     "Славський ліцей", 40_000),
    (1, "Дитячий майданчик у Тухлі",
     "Безпечний майданчик з гойдалками, гіркою та гумовим покриттям для дітей до 12 років.",
     "с. Тухля, біля клубу", 280_000),
    (1, "Освітлення стежки до залізничної станції",
     "Сорок ліхтарів на сонячних батареях уздовж пішохідної стежки до станції Славське.",
     "вул. Вокзальна", 240_000),
    (1, "Спортивний майданчик з тренажерами",
     "Вуличні тренажери та турнік для молоді й дорослих біля стадіону.",
     "стадіон «Бескид»", 190_000),
]

PAST_PROJECTS = [
    (0, "Велопарковки біля шкіл Сихова", "Двадцять велопарковок біля п'яти шкіл.",
     "Сихівський район", 150_000),
    (0, "Зелений двір на Городоцькій", "Озеленення внутрішнього двору, клумби та лавки.",
     "вул. Городоцька, 120", 400_000),
    (0, "Інклюзивний майданчик у парку Левандівка",
     "Майданчик, доступний дітям на візках, з тактильними елементами.",
     "парк Левандівка", 900_000),
    (0, "Пандуси до бібліотек", "Пандуси та поручні до чотирьох районних бібліотек.",
     "Франківський район", 300_000),
]
# Where the past projects are, on the map (latitude, longitude).
PAST_POINTS = [(49.7985, 24.0553), (49.8370, 23.9960), (49.8550, 23.9650), (49.8290, 24.0120)]


def _project(session: Session, cycle, category, author, spec, status: ProjectStatus,
             official) -> BudgetProject:
    _, title, description, location, cost = spec
    now = clock.now()
    return repo.add(session, BudgetProject(
        cycle_id=cycle.id, category_id=category.id, author_id=author.id, title=title,
        description=description, location=location, cost=cost, status=status,
        review_reason="Проєкт реалізовний у межах повноважень громади.",
        reviewed_at=now, reviewed_by_id=official.id, created_at=now, updated_at=now))


def seed(session: Session, demo: Any) -> None:
    places = {p.community.slug: p for p in demo.communities}
    now = clock.now()
    _voting_cycle(session, demo, places["slavske"], now)
    _past_cycle(session, demo, places["lviv"], now)


def _voting_cycle(session: Session, demo: Any, slavske: Any, now: datetime) -> None:
    """Slavske: a cycle in voting, knapsack ballots, two categories."""
    day = timedelta(days=1)
    official = demo.users["official:slavske"]
    moments = {"submission_start": now - 40 * day, "submission_end": now - 25 * day,
               "review_end": now - 11 * day, "voting_start": now - 10 * day,
               "voting_end": now + 14 * day, "results_at": now + 16 * day}
    cycle = insert_cycle(
        session, demo.admin, slavske.community.id, slavske.council.id,
        "Бюджет участі Славської громади 2027",
        "Мешканці громади пропонують проєкти і голосують за них. Кожен має суму для малих і для "
        "великих проєктів і обирає проєкти в межах цих сум.",
        600_000, moments, [("Малі проєкти", 120_000), ("Великі проєкти", 480_000)])
    cats = repo.categories(session, cycle.id)
    authors = [demo.users[f"neighbour{n}:slavske"] for n in range(1, 6)]
    voting = [_project(session, cycle, cats[spec[0]], authors[i % len(authors)], spec,
                       ProjectStatus.feasible, official)
              for i, spec in enumerate(VOTING_PROJECTS)]
    for i, project in enumerate(voting):
        notifications.follow(session, authors[i % len(authors)], repo.PROJECT_SUBJECT,
                             project.id)
    ensure_review_obligation(session, cycle)
    for n, picks in ((1, [0, 1, 3]), (2, [1, 2, 4]), (3, [0, 3]), (4, [2, 5])):
        cast_ballot(session, demo.users[f"neighbour{n}:slavske"], cycle,
                    [voting[i].id for i in picks])


def _past_cycle(session: Session, demo: Any, lviv: Any, now: datetime) -> None:
    """Lviv: a past cycle with published results and an implementation update."""
    day = timedelta(days=1)
    official = demo.users["official:lviv"]
    moments = {"submission_start": now - 200 * day, "submission_end": now - 170 * day,
               "review_end": now - 130 * day, "voting_start": now - 120 * day,
               "voting_end": now - 100 * day, "results_at": now - 95 * day}
    cycle = insert_cycle(
        session, demo.admin, lviv.community.id, lviv.council.id,
        "Громадський бюджет Львова 2026",
        "Минулий цикл: переможців визначено методом рівних часток.", 1_500_000, moments, [])
    category = repo.categories(session, cycle.id)[0]
    authors = [demo.users[f"neighbour{n}:lviv"] for n in range(1, 6)]
    past = [_project(session, cycle, category, authors[i], spec, ProjectStatus.feasible,
                     official) for i, spec in enumerate(PAST_PROJECTS)]
    for project, (latitude, longitude) in zip(past, PAST_POINTS, strict=True):
        project.latitude, project.longitude = latitude, longitude
        session.add(project)
    ensure_review_obligation(session, cycle)
    ballots = {"resident": [0, 3], "neighbour1": [0, 1], "neighbour2": [2], "neighbour3": [2, 3],
               "neighbour4": [0, 2], "neighbour5": [1, 3]}
    for key, picks in ballots.items():
        add_ballot(session, demo.users[f"{key}:lviv"], cycle, {past[i].id: 1 for i in picks})
    results = publish_results(session, official, cycle)
    winner = results.categories[0].winners[0].project
    post_progress(session, official, cycle, winner, ProgressCreate(
        status=ImplementationStatus.in_progress, percent=40,
        text="Підрядника обрано через Prozorro, роботи почалися.",
        happened_on=clock.today() - 10 * day))
