"""Demo petitions in every state: open with signatures, in moderation, looking for sponsors,
awaiting an answer, overdue, answered with ratings and an implementation update, rejected.

Everything goes through the service, so the demo data obeys the same rules (thresholds,
deadlines, audit entries, obligations) as real use. Idempotent: a community that already has
petitions is left alone.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlmodel import Session

from app import clock
from petitions import repository as repo
from petitions.models import (
    AnswerCreate,
    Category,
    Decision,
    PetitionCreate,
    Rating,
    RejectionReason,
    UpdateCreate,
    UpdateStatus,
)
from petitions.service import drafting, outcome, signing

TEXTS = {
    "crossing": ("Облаштувати безпечний пішохідний перехід біля школи № 12",
                 "Щодня сотні дітей переходять вулицю біля школи без світлофора й острівця "
                 "безпеки. Просимо облаштувати регульований пішохідний перехід з острівцем "
                 "безпеки, освітленням і «лежачим поліцейським» до початку навчального року.",
                 Category.transport),
    "shelter": ("Відкрити укриття в ліцеї для мешканців мікрорайону",
                "Найближче укриття для мешканців мікрорайону розташоване за півтора кілометра. "
                "Просимо облаштувати й відкрити для всіх мешканців укриття в підвалі ліцею, "
                "з вентиляцією, водою та доступом для людей на кріслах колісних.",
                Category.safety),
    "lights": ("Відновити вуличне освітлення на вулиці Лісовій",
               "Уже понад рік на вулиці Лісовій не працюють ліхтарі. Увечері там небезпечно "
               "ходити, особливо взимку. Просимо відновити освітлення з енергоощадними "
               "світильниками та датчиками руху.",
               Category.urban),
    "bus": ("Запустити вечірній автобусний рейс до районної лікарні",
            "Після 18:00 до районної лікарні неможливо дістатися громадським транспортом. "
            "Просимо запустити щонайменше два вечірні рейси автобуса з центру селища до "
            "лікарні й назад у будні дні.",
            Category.health),
    "trees": ("Зберегти старі липи в центральному сквері",
              "Під час реконструкції скверу планують вирубати дванадцять столітніх лип. "
              "Просимо переглянути проєкт, зберегти дерева й залучити дендролога до "
              "обстеження їхнього стану перед будь-якими роботами.",
              Category.environment),
    "budget": ("Оприлюднювати договори громади на сайті ради",
               "Просимо оприлюднювати на сайті ради всі договори, укладені виконавчими "
               "органами громади, разом з додатками й змінами, у форматі відкритих даних "
               "не пізніше п'яти робочих днів після підписання.",
               Category.governance),
    "playground": ("Встановити дитячий майданчик у дворі на вулиці Шевченка",
                   "У дворах будинків 10–16 на вулиці Шевченка живе понад двісті дітей, але "
                   "немає жодного майданчика. Просимо встановити сучасний безпечний "
                   "майданчик з гумовим покриттям і лавками для батьків.",
                   Category.urban),
    "library": ("Продовжити години роботи бібліотеки до 20:00",
                "Бібліотека зачиняється о 17:00, коли більшість працюючих мешканців і "
                "старшокласників ще не можуть її відвідати. Просимо продовжити години "
                "роботи до 20:00 принаймні тричі на тиждень.",
                Category.culture),
}


def _draft(session: Session, place: Any, author, key: str, submit: bool = True):
    title, text, category = TEXTS[key]
    return drafting.create(session, author, PetitionCreate(
        community_id=place.community.id, authority_id=place.council.id, title=title,
        text=text, category=category, submit=submit))


def _to_open(session: Session, place: Any, users: dict, slug: str, key: str):
    petition = _draft(session, place, users[f"resident:{slug}"], key)
    n = 1
    while petition.status == "sponsoring":
        drafting.sponsor(session, users[f"neighbour{n}:{slug}"], petition.id)
        n += 1
    drafting.publish(session, users[f"moderator:{slug}"], petition.id)
    return petition


def _sign_neighbours(session: Session, petition, users: dict, slug: str, count: int) -> None:
    for n in range(1, count + 1):
        signing.sign(session, users[f"neighbour{n}:{slug}"], petition.id, public_name=n % 2 == 1)


def _to_threshold(session: Session, petition, users: dict, slug: str) -> None:
    """Five neighbours online, the rest on paper at the service centre."""
    _sign_neighbours(session, petition, users, slug, 5)
    official = users[f"official:{slug}"]
    n = 0
    while petition.status == "open":
        n += 1
        signing.record_paper(session, official, petition.id, signing.PaperSigner(
            full_name=f"Мешканець Паперовий {n}", birth_date=date(1950 + n % 50, 1 + n % 12, 1),
            address=f"вул. Центральна, {n}"))


def seed(session: Session, demo: Any) -> None:
    places = {place.community.slug: place for place in demo.communities}
    if not places or any(repo.any_in_community(session, p.community.id) for p in places.values()):
        return
    for slug, seed_place in (("lviv", _seed_lviv), ("slavske", _seed_slavske),
                             ("bila-tserkva", _seed_bila_tserkva)):
        if slug in places:
            seed_place(session, places[slug], demo.users)


def _seed_lviv(session: Session, lviv: Any, users: dict) -> None:
    """Collecting, awaiting a moderator, a draft."""
    crossing = _to_open(session, lviv, users, "lviv", "crossing")
    _sign_neighbours(session, crossing, users, "lviv", 5)
    outcome.follow(session, users["official:lviv"], crossing.id)
    _draft(session, lviv, users["neighbour1:lviv"], "playground")  # awaits a moderator
    _draft(session, lviv, users["resident:lviv"], "library", submit=False)  # a draft


def _seed_slavske(session: Session, slavske: Any, users: dict) -> None:
    """Overdue, answered (rated, with an update), looking for sponsors."""
    # Overdue: it reached its threshold six weeks ago and nobody answered.
    real_now = clock._now
    past = clock.now() - timedelta(days=42)
    clock.set_clock(lambda: past)
    try:
        bus = _to_open(session, slavske, users, "slavske", "bus")
        _to_threshold(session, bus, users, "slavske")
    finally:
        clock.set_clock(real_now)
    lights = _to_open(session, slavske, users, "slavske", "lights")
    _to_threshold(session, lights, users, "slavske")
    _answer_lights(session, lights, users)
    shelter = _draft(session, slavske, users["resident:slavske"], "shelter")
    drafting.sponsor(session, users["neighbour1:slavske"], shelter.id)  # 1 of 3 sponsors


def _answer_lights(session: Session, lights, users: dict) -> None:
    outcome.answer(session, users["official:slavske"], lights.id, AnswerCreate(
        decision=Decision.supported,
        text="Рада підтримує петицію. Освітлення на вулиці Лісовій буде відновлено за "
             "рахунок програми благоустрою: закуплено 24 світлодіодні світильники, "
             "роботи виконає комунальне підприємство.",
        planned_steps="Закупівля світильників; монтаж; перевірка роботи датчиків руху.",
        planned_by=clock.today() + timedelta(days=60)))
    for n, value in ((1, Rating.yes), (2, Rating.yes), (3, Rating.partly), (4, Rating.no)):
        outcome.rate(session, users[f"neighbour{n}:slavske"], lights.id, value)
    outcome.post_update(session, users["official:slavske"], lights.id, UpdateCreate(
        status=UpdateStatus.in_progress,
        text="Світильники закуплено, монтаж розпочнеться наступного тижня."))


def _seed_bila_tserkva(session: Session, bc: Any, users: dict) -> None:
    """Collecting, rejected."""
    trees = _to_open(session, bc, users, "bila-tserkva", "trees")
    _sign_neighbours(session, trees, users, "bila-tserkva", 4)
    budget = _draft(session, bc, users["neighbour2:bila-tserkva"], "budget")
    drafting.reject(session, users["moderator:bila-tserkva"], budget.id,
                    RejectionReason.outside_competence,
                    "Порядок оприлюднення договорів визначає закон; рада вже публікує їх у "
                    "системі Prozorro. Пропонуємо звернутися з петицією щодо формату "
                    "відкритих даних.")
