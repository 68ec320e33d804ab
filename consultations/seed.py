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
from app.deliberation import service as deliberation
from app.deliberation.models import CommentCreate
from app.deliberation.models import Publication as CommentPublication
from app.rules import calendar
from consultations import repository as repo
from consultations.models import (
    SUBJECT_TYPE,
    AnswerIn,
    Category,
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
    RowIn,
    Stage,
    StatementIn,
    Topic,
    Vote,
)
from consultations.service import (
    drafting,
    mapping,
    organisations,
    outcome,
    reading,
    responding,
)

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
    start = clock.today() + timedelta(days=start_offset_days)
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
    first = _comment(session, demo.users[f"resident:{slug}"], c, CommentCreate(
        anchor_id=sections[2].id, body="Три дерева замість одного — замало для центру."))
    _comment(session, official, c, CommentCreate(
        parent_id=first.id, body="Дякуємо, розглянемо збільшення норми для центральних "
                                 "районів."))
    _comment(session, demo.users[f"neighbour1:{slug}"], c, CommentCreate(
        anchor_id=sections[3].id, body="Потрібні окремі велосмуги, а не спільні з тротуаром.",
        publication=CommentPublication.anonymous))


def _comment(session: Session, user: Any, c: Consultation, data: CommentCreate) -> Any:
    """A comment on a section (the kernel's discussion, app.deliberation)."""
    return deliberation.add_comment(session, user, SUBJECT_TYPE, c.id, data)


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
    start = clock.today() - timedelta(days=duration.days + 40)
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
    _comment(session, demo.users[f"neighbour2:{slug}"], c, CommentCreate(
        anchor_id=sections[1].id, body="Останній рейс о 16:30 — запізно для першокласників."))


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


EVIDENCE_TITLE = "Чисте повітря в місті: збір доказів"
EVIDENCE_BODY = """Місто готує програму поліпшення якості повітря. Проєкту ще немає: спершу \
збираємо дані й досвід.

# Проблема

Узимку концентрація пилу біля магістралей перевищує норми.

# Можливі варіанти

Зелені смуги вздовж доріг, обмеження руху вантажівок у центрі, електробуси.
"""
DRAFT_TITLE = "Програма «Чисте повітря» на 2027–2030 роки: проєкт"
DRAFT_BODY = """Проєкт програми, підготовлений за результатами збору доказів.

# Зелені смуги

Уздовж п'яти магістралей висаджуються дерева й чагарники.

# Транспорт

Вантажівки понад 12 тонн в'їжджають у центр лише вночі; до 2030 року — 40 електробусів.
"""
STATEMENTS = [
    ("resident", "Електробуси важливіші за нові парковки"),
    ("neighbour1", "Вантажівки в центрі треба обмежити вже цього року"),
    ("neighbour2", "Дерева вздовж доріг — найдешевший спосіб очистити повітря"),
    ("neighbour3", "Обмеження для вантажівок зашкодять малому бізнесу"),
]
# Each demo voter's votes on the statements above: 1 agree, -1 disagree, 0 pass.
VOTES = {"resident": (1, 1, 1, -1), "neighbour1": (1, 1, 1, -1), "neighbour2": (1, 1, 1, 0),
         "neighbour3": (1, -1, 1, 1), "neighbour4": (0, -1, 1, 1), "neighbour5": (1, -1, 1, 1),
         "official": (1, 1, 0, -1)}


def _evidence_and_draft(session: Session, place: Any, official: Any, today: Any
                        ) -> tuple[Consultation, Consultation]:
    rules = place.rules.rules.consultations
    evidence_start = today - timedelta(days=rules.evidence_minimum_days + 40)
    draft_start = today - timedelta(days=rules.priority_days + 3)
    clock.set_clock(lambda: _at(evidence_start - timedelta(days=1)))
    evidence = drafting.create(session, official, ConsultationCreate(
        community_id=place.community.id, authority_id=place.council.id,
        title=EVIDENCE_TITLE, stage=Stage.evidence, topics=[Topic.environment],
        summary="Що ви знаєте про якість повітря у вашому районі і що допомогло б?",
        body=EVIDENCE_BODY, start_date=evidence_start,
        end_date=evidence_start + timedelta(days=rules.evidence_minimum_days - 1),
        questions=[QuestionCreate(kind=QuestionKind.text, prompt="Які дані чи досвід ви "
                                  "маєте?")]))
    drafting.publish(session, official, evidence)
    clock.set_clock(lambda: _at(evidence.end_date + timedelta(days=1), 6))
    outcome.close_expired(session)
    clock.set_clock(lambda: _at(draft_start - timedelta(days=5)))
    draft = drafting.create(session, official, ConsultationCreate(
        community_id=place.community.id, authority_id=place.council.id, title=DRAFT_TITLE,
        evidence_id=evidence.id, topics=[Topic.environment, Topic.transport],
        summary="Зелені смуги, обмеження для вантажівок і електробуси: що скажете?",
        body=DRAFT_BODY, start_date=draft_start,
        end_date=draft_start + timedelta(days=rules.minimum_duration_days - 1), questions=[
            QuestionCreate(kind=QuestionKind.single, prompt="Чи підтримуєте ви програму?",
                           options=["Так", "Частково", "Ні"]),
            QuestionCreate(kind=QuestionKind.ranking, prompt="Розставте заходи за "
                           "пріоритетом", options=["Зелені смуги", "Обмеження для "
                                                   "вантажівок", "Електробуси"]),
            QuestionCreate(kind=QuestionKind.matrix, prompt="Оцініть стан повітря у "
                           "районах", options=["Центр", "Промзона", "Житлові масиви"]),
            QuestionCreate(kind=QuestionKind.number, prompt="Скільки хвилин на день ви "
                           "проводите біля магістралі?", required=False),
            QuestionCreate(kind=QuestionKind.text, prompt="Чому частково чи ні?",
                           required=False, shown_if_question=1, shown_if_option=2),
            QuestionCreate(kind=QuestionKind.date, prompt="До якої дати програма має "
                           "дати результат?", required=False)]))
    drafting.publish(session, official, draft)
    return evidence, draft


def _draft_answers(views, n: int) -> list[AnswerIn]:
    single, ranking, matrix, minutes, why, _day = views
    order = [[2, 0, 1], [0, 2, 1], [1, 0, 2]][n % 3]
    out = [AnswerIn(question_id=single.question.id, option_ids=[single.options[n % 2].id]),
           AnswerIn(question_id=ranking.question.id,
                    option_ids=[ranking.options[i].id for i in order]),
           AnswerIn(question_id=matrix.question.id,
                    rows=[RowIn(option_id=o.id, value=1 + (n + i) % 5)
                          for i, o in enumerate(matrix.options)]),
           AnswerIn(question_id=minutes.question.id, number=float(15 + 10 * n))]
    if n % 2:
        out.append(AnswerIn(question_id=why.question.id, text="Потрібні також велодоріжки."))
    return out


def _seed_commission(session: Session, demo: Any) -> None:
    """A community that follows the Commission: a closed call for evidence, then 12 weeks on
    the draft with invited organisations, every question type and a map of opinion."""
    if len(demo.communities) < 3:
        return
    place = demo.communities[2]
    slug = place.community.slug
    if repo.by_title(session, place.community.id, DRAFT_TITLE) is not None:
        return
    official = demo.users[f"official:{slug}"]
    orgs = []
    for key, name, category, code, topics in (
            ("neighbour4", "ГО «Чисте місто»", Category.ngo, "40123465", [Topic.environment]),
            ("neighbour5", "Асоціація перевізників Білої Церкви", Category.business,
             "43898761", [Topic.transport])):
        org = organisations.register_organisation(session, demo.users[f"{key}:{slug}"],
                                                  OrganisationIn(
            community_id=place.community.id, name=name, category=category, code=code,
            topics=topics))
        organisations.verify_organisation(session, official, org.id)
        orgs.append((key, org))
    today = clock.today()
    previous = clock._now  # the seed moves time only for itself
    try:
        evidence, draft = _evidence_and_draft(session, place, official, today)
        views = reading.questions(session, draft)
        clock.set_clock(lambda: _at(draft.start_date + timedelta(days=1)))
        for n, (key, org) in enumerate(orgs):  # the priority window: invited first
            responding.respond(session, demo.users[f"{key}:{slug}"], draft, ResponseIn(
                organisation_id=org.id, answers=_draft_answers(views, n)))
        clock.set_clock(lambda: _at(today, 8))
        for n, key in enumerate(["resident", "neighbour1", "neighbour2", "neighbour3"]):
            responding.respond(session, demo.users[f"{key}:{slug}"], draft, ResponseIn(
                answers=_draft_answers(views, n + 2)))
        ids = [mapping.add_statement(session, demo.users[f"{key}:{slug}"], draft,
                                     StatementIn(body=body)).id for key, body in STATEMENTS]
        for key, votes in VOTES.items():
            for (author, _body), statement_id, value in zip(STATEMENTS, ids, votes,
                                                             strict=True):
                if author != key:
                    mapping.vote(session, demo.users[f"{key}:{slug}"], draft, statement_id,
                                 {1: Vote.agree, -1: Vote.disagree, 0: Vote.skip}[value])
    finally:
        clock.set_clock(previous)


def seed(session: Session, demo: Any) -> None:
    if not demo.communities:
        return
    _seed_open(session, demo)
    _seed_reported(session, demo)
    _seed_commission(session, demo)
