"""Demo consultations: one open with a questionnaire and a few responses, one already reported.

Idempotent: a consultation whose title exists in its community is not created again. The
reported one is run through the real services at moments in the past (the clock is moved
for the seed and put back), so its ledger entry, audit entries and counters are all genuine.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlmodel import Session

from app import clock
from app.rules import calendar
from consultations import repository as repo
from consultations.models import (
    AnswerIn,
    Category,
    CommentIn,
    Consultation,
    ConsultationCreate,
    OrganisationIn,
    Outcome,
    Publication,
    QuestionCreate,
    QuestionKind,
    Rating,
    ReportIn,
    ReportItemIn,
    ResponseIn,
)
from consultations.service import discussion, drafting, organisations, outcome, reading, responding

OPEN_TITLE = "Правила благоустрою міста: проєкт змін"
OPEN_BODY = """Проєкт змін до Правил благоустрою території міста. Просимо висловитися щодо \
кожного розділу: що варто змінити, додати або вилучити.

# Загальні положення

Правила визначають обов'язки власників і користувачів територій щодо утримання зелених зон, \
тротуарів і дворів.

## Зелені зони

Вирубування дерев допускається лише за висновком комісії та з компенсаційною висадкою \
**трьох** дерев замість одного.

## Велоінфраструктура

Під час ремонту вулиць облаштовуються велосмуги, якщо ширина проїзної частини це дозволяє.

# Прикінцеві положення

Зміни набирають чинності через місяць після оприлюднення.
"""

REPORTED_TITLE = "Шкільні автобусні маршрути на новий навчальний рік"
REPORTED_BODY = """Відділ освіти пропонує нову схему підвезення учнів до опорних шкіл.

# Маршрути

Три маршрути з'єднують віддалені села з опорною школою; час у дорозі не більше 40 хвилин.

# Розклад

Перший рейс о 7:20, останній зворотний о 16:30.
"""


def _questions() -> list[QuestionCreate]:
    return [
        QuestionCreate(kind=QuestionKind.single, prompt="Чи підтримуєте ви проєкт загалом?",
                       options=["Так", "Частково", "Ні"]),
        QuestionCreate(kind=QuestionKind.multiple, prompt="Що для вас найважливіше?",
                       options=["Дерева і сквери", "Велодоріжки", "Освітлення",
                                "Лавки та урни"]),
        QuestionCreate(kind=QuestionKind.scale,
                       prompt="Наскільки зрозумілий текст проєкту (1 — зовсім ні, 5 — цілком)?",
                       required=False),
        QuestionCreate(kind=QuestionKind.text, prompt="Ваші пропозиції", required=False),
    ]


def _answers(views, choice: int, picks: list[int], scale: int | None, text: str | None
             ) -> list[AnswerIn]:
    single, multiple, scale_q, free = views
    out = [AnswerIn(question_id=single.question.id, option_ids=[single.options[choice].id]),
           AnswerIn(question_id=multiple.question.id,
                    option_ids=[multiple.options[i].id for i in picks])]
    if scale is not None:
        out.append(AnswerIn(question_id=scale_q.question.id, value=scale))
    if text:
        out.append(AnswerIn(question_id=free.question.id, text=text))
    return out


def _period(place: Any, start_offset_days: int) -> tuple[Any, Any]:
    minimum = place.rules.rules.consultations.minimum_duration_days
    start = calendar.local_date(clock.now()) + timedelta(days=start_offset_days)
    return start, start + timedelta(days=minimum - 1)


def _seed_open(session: Session, demo: Any) -> None:
    place = demo.communities[0]
    slug = place.community.slug
    if repo.by_title(session, place.community.id, OPEN_TITLE) is not None:
        return
    official = demo.users[f"official:{slug}"]
    start, end = _period(place, 0)
    c = drafting.create(session, official, ConsultationCreate(
        community_id=place.community.id, authority_id=place.council.id, title=OPEN_TITLE,
        summary="Місто оновлює Правила благоустрою. Розкажіть, що для вас важливо: зелень, "
                "велодоріжки, освітлення.",
        body=OPEN_BODY, stakeholders=["Мешканці", "ОСББ", "Громадські організації",
                                      "Бізнес"],
        start_date=start, end_date=end, questions=_questions()))
    drafting.publish(session, official, c)
    views = reading.questions(session, c)
    people = [
        ("resident", 0, [0, 1], 4, "Більше дерев біля шкіл.", Publication.named),
        ("neighbour1", 1, [1], 3, None, Publication.anonymous),
        ("neighbour2", 0, [0, 2, 3], 5, "Освітлення у дворах.", Publication.named),
        ("neighbour3", 2, [3], None, None, Publication.none),
    ]
    for key, choice, picks, scale, text, publication in people:
        responding.respond(session, demo.users[f"{key}:{slug}"], c, ResponseIn(
            publication=publication, answers=_answers(views, choice, picks, scale, text)))
    # A registered, verified organisation answers too.
    owner = demo.users[f"neighbour4:{slug}"]
    org = organisations.register_organisation(session, owner, OrganisationIn(
        community_id=place.community.id, name="ГО «Зелене місто»", category=Category.ngo,
        code="40123454"))
    organisations.verify_organisation(session, official, org.id)
    responding.respond(session, owner, c, ResponseIn(
        organisation_id=org.id, publication=Publication.named,
        answers=_answers(views, 1, [0], 4, "Компенсаційна висадка — п'ять дерев замість "
                                           "одного.")))
    sections = reading.sections(session, c)
    first = discussion.add_comment(session, demo.users[f"resident:{slug}"], c, CommentIn(
        section_id=sections[2].id, body="Три дерева замість одного — замало для центру.",
        publication=Publication.named))
    discussion.add_comment(session, official, c, CommentIn(
        section_id=sections[2].id, parent_id=first.id, publication=Publication.named,
        body="Дякуємо, розглянемо збільшення норми для центральних районів."))
    discussion.add_comment(session, demo.users[f"neighbour1:{slug}"], c, CommentIn(
        section_id=sections[3].id, body="Потрібні окремі велосмуги, а не спільні з тротуаром.",
        publication=Publication.anonymous))


def _at(day, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=calendar.LOCAL_TZ).astimezone(UTC)


def _publish_reported(session: Session, place: Any, official: Any) -> Consultation:
    start, end = _period(place, 0)
    c = drafting.create(session, official, ConsultationCreate(
        community_id=place.community.id, authority_id=place.council.id,
        title=REPORTED_TITLE,
        summary="Нова схема підвезення учнів: маршрути й розклад шкільних автобусів.",
        body=REPORTED_BODY, stakeholders=["Батьки", "Учні", "Педагоги"],
        start_date=start, end_date=end, questions=[
            QuestionCreate(kind=QuestionKind.single, prompt="Чи зручний вам запропонований "
                           "розклад?", options=["Так", "Ні"]),
            QuestionCreate(kind=QuestionKind.text, prompt="Що змінити в маршрутах?",
                           required=False)]))
    return drafting.publish(session, official, c)


def _move_into_the_past(session: Session, c: Consultation) -> None:
    """The same length, ended well before today (published three days before it started)."""
    duration = c.end_date - c.start_date
    start = calendar.local_date(clock.now()) - timedelta(days=duration.days + 40)
    c.start_date, c.end_date = start, start + duration
    c.starts_at, c.ends_at = drafting.bounds(c.start_date, c.end_date)
    c.published_at = _at(start - timedelta(days=3))
    session.add(c)
    session.flush()


def _take_part(session: Session, demo: Any, slug: str, c: Consultation) -> None:
    single, free = reading.questions(session, c)
    texts = ["Додати рейс о 14:00 для молодших класів.", None, "Зупинка біля амбулаторії."]
    for n, key in enumerate(["resident", "neighbour1", "neighbour2"]):
        answers = [AnswerIn(question_id=single.question.id,
                            option_ids=[single.options[n % 2].id])]
        if texts[n]:
            answers.append(AnswerIn(question_id=free.question.id, text=texts[n]))
        responding.respond(session, demo.users[f"{key}:{slug}"], c, ResponseIn(
            publication=Publication.named if n != 1 else Publication.anonymous,
            answers=answers))
    sections = reading.sections(session, c)
    discussion.add_comment(session, demo.users[f"neighbour2:{slug}"], c, CommentIn(
        section_id=sections[1].id, body="Останній рейс о 16:30 — запізно для "
                                        "першокласників.", publication=Publication.named))


def _report(session: Session, official: Any, c: Consultation) -> None:
    single, free = reading.questions(session, c)
    explanations = ["Схему підвезення затверджено.", "Маршрути затверджено без змін.",
                    "Додано рейс о 14:00; останній рейс залишено о 16:30."]
    items = [ReportItemIn(section_id=s.id,
                          outcome=Outcome.accepted if n < 2 else Outcome.partly_accepted,
                          explanation=explanations[min(n, 2)])
             for n, s in enumerate(reading.sections(session, c))]
    items += [ReportItemIn(question_id=single.question.id, outcome=Outcome.partly_accepted,
                           explanation="Розклад змінено для молодших класів."),
              ReportItemIn(question_id=free.question.id, outcome=Outcome.accepted,
                           explanation="Зупинку біля амбулаторії додано.")]
    outcome.publish_report(session, official, c, ReportIn(
        summary="Враховано пропозиції щодо додаткового рейсу та нової зупинки.",
        decision_url="https://example.org/rishennia/2026-145", items=items))


def _seed_reported(session: Session, demo: Any) -> None:
    place = demo.communities[1] if len(demo.communities) > 1 else demo.communities[0]
    slug = place.community.slug
    if repo.by_title(session, place.community.id, REPORTED_TITLE) is not None:
        return
    official = demo.users[f"official:{slug}"]
    c = _publish_reported(session, place, official)
    _move_into_the_past(session, c)
    start, end = c.start_date, c.end_date
    # Live through it with the services, at moments in the past.
    previous = clock._now  # the seed moves time only for itself
    try:
        clock.set_clock(lambda: _at(start + timedelta(days=2)))
        _take_part(session, demo, slug, c)
        clock.set_clock(lambda: _at(end + timedelta(days=1), 6))
        outcome.close_expired(session)
        clock.set_clock(lambda: _at(end + timedelta(days=6)))
        _report(session, official, c)
    finally:
        clock.set_clock(previous)
    outcome.rate(session, demo.users[f"resident:{slug}"], c, Rating.yes)
    outcome.rate(session, demo.users[f"neighbour2:{slug}"], c, Rating.partly)


def seed(session: Session, demo: Any) -> None:
    if not demo.communities:
        return
    _seed_open(session, demo)
    _seed_reported(session, demo)
