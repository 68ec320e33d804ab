"""A consultation at the European Commission's standard, in the browser: an NGO registers
with its EDRPOU code and fields; the official runs a call for evidence, then the consultation
on the draft, which invites the NGO; in the priority window only the NGO answers (a position
paper included); then the public answers every question type, writes statements and votes on
the map of opinion; it closes, every contribution is public, and the official's report carries
the synopsis.

The server's clock is real: "time passes" by moving a stage's dates into the past."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

pytestmark = pytest.mark.e2e

RULES = {"consultations": {"minimum_duration_days": 84, "evidence_minimum_days": 28,
                           "priority_days": 7}}
ORG = "ГО «Зелені парки»"
EVIDENCE = "Парки громади: збір доказів"
DRAFT = "Парки громади: проєкт програми"
BODY = "Що відомо про стан парків.\n\n# Варіанти\n\nДерева, доріжки, освітлення."
STATEMENTS = ["Дерева важливіші за нові доріжки", "Освітлення треба ставити першим"]
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def _edrpou(n: int) -> str:
    from consultations.service.organisations import edrpou_check_digit

    first = f"{n % 10_000_000:07d}"
    return first + str(edrpou_check_digit(first))


def _shift(site, consultation_id: int, days: int) -> None:
    """Move a consultation's dates `days` into the past, as if that much time had passed."""
    from consultations.models import Consultation

    with site.seed.session() as db:
        c = db.get(Consultation, consultation_id)
        values = {"start_date": c.start_date - timedelta(days=days),
                  "end_date": c.end_date - timedelta(days=days),
                  "starts_at": c.starts_at - timedelta(days=days),
                  "ends_at": c.ends_at - timedelta(days=days)}
    site.seed.update(Consultation, consultation_id, **values)


def _closes(site, consultation_id: int) -> None:
    from consultations.models import Consultation

    site.seed.update(Consultation, consultation_id,
                     ends_at=datetime.now(UTC) - timedelta(minutes=1))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with site.seed.session() as db:
            if db.get(Consultation, consultation_id).closed_at is not None:
                return
        time.sleep(0.1)
    raise AssertionError("the worker did not close the consultation")


MORE_STATEMENTS = ["Парки мають бути відкриті вночі", "Потрібні окремі велодоріжки",
                   "Кафе в парках — зайве", "Собакам потрібні окремі майданчики"]


def _more_voters(site, place, consultation_id: int, count: int = 36) -> None:
    """More residents on the map (made by the services): three camps, each voting its way
    most of the time, on more statements."""
    import random

    from app.identity.models import User
    from consultations.models import Consultation, StatementIn, Vote
    from consultations.service import mapping

    accounts = [site.seed.person("resident", place, name=f"Учасник карти {n}")
                for n in range(count)]
    site.allow.add(*MORE_STATEMENTS)
    rng = random.Random(5)
    with site.seed.session() as db:
        c = db.get(Consultation, consultation_id)
        for account, body in zip(accounts, MORE_STATEMENTS, strict=False):
            mapping.add_statement(db, db.get(User, account.id), c, StatementIn(body=body))
        statements = mapping.statements(db, c)
        sides = [[rng.choice((1, -1)) for _ in statements] for _ in range(3)]
        for side in sides:
            side[0] = 1  # one statement every camp shares
        for n, account in enumerate(accounts):
            user = db.get(User, account.id)
            for k, statement in enumerate(statements):
                if statement.user_id == user.id:
                    continue
                value = sides[n % 3][k] if rng.random() < 0.85 else -sides[n % 3][k]
                if rng.random() < 0.1:
                    value = 0
                mapping.vote(db, user, c, statement.id,
                             {1: Vote.agree, -1: Vote.disagree, 0: Vote.skip}[value])


def test_call_for_evidence_to_synopsis(site, tmp_path):
    t = site.t
    place = site.seed.community("consult-ec", RULES)
    official = site.seed.person("official", place, name="Посадовиця Консультацій")
    contact = site.seed.person("resident", place, name="Голова ГО")
    resident = site.seed.person("resident", place, name="Мешканка Парку")
    moderator = site.seed.person("moderator", place, name="Модераторка Парків")
    today = datetime.now(ZoneInfo("Europe/Kyiv")).date()
    paper = tmp_path / "position.pdf"
    paper.write_bytes(PDF)
    site.allow.add(paper.name)  # user content: the file's name

    # The NGO registers with its EDRPOU code and fields of interest; the official verifies it.
    ngo = site.person("NGO contact", contact)
    ngo.open("/consultations/organisations")
    ngo.select(t("Community"), place.name if site.mode.lang == "uk" else place.name_en)
    ngo.fill(t("Name of the organisation"), ORG)
    ngo.fill(t("EDRPOU code"), "12345670")
    ngo.tick(t("Environment"))
    ngo.press(t("Register the organisation"), status=422)
    ngo.see(t("Enter the organisation's EDRPOU code: 8 digits, as in the Unified State "
              "Register (the last digit is a check digit)."))
    ngo.fill(t("EDRPOU code"), _edrpou(contact.id + 3_000_000))
    ngo.tick(t("Environment"))
    ngo.press(t("Register the organisation"))
    clerk = site.person("official", official)
    clerk.open("/consultations/organisations/review")
    clerk.press(f"{t('Verify')} {ORG}")

    # The call for evidence: at least four weeks.
    clerk.open("/consultations/new")
    clerk.select(t("Stage"), t("Call for evidence"))
    clerk.fill(t("Title"), EVIDENCE)
    clerk.fill(t("Summary"), "Розкажіть, що ви знаєте про парки громади, до проєкту.")
    clerk.fill(t("Draft text (Markdown)"), BODY)
    clerk.fill(t("Start date"), today.isoformat())
    clerk.fill(t("End date"), (today + timedelta(days=27)).isoformat())
    clerk.press(t("Create the draft"))
    evidence = int(re.search(r"/consultations/(\d+)", clerk.page.url).group(1))
    clerk.select(t("Type"), t("Free text"))
    clerk.fill(t("Question"), "Які дані про парки ви маєте?")
    clerk.press(t("Add the question"))
    clerk.press(t("Publish the consultation"))
    _shift(site, evidence, 28)  # four weeks pass: the call for evidence has ended

    # The consultation on the draft: twelve weeks, concerning the environment.
    clerk.open("/consultations/new")
    clerk.select(t("Stage"), t("Consultation on the draft"))
    clerk.select(t("The call for evidence this consultation on a draft follows"), EVIDENCE)
    clerk.fill(t("Title"), DRAFT)
    clerk.fill(t("Summary"), "Проєкт програми за результатами збору доказів.")
    clerk.fill(t("Draft text (Markdown)"), BODY)
    clerk.tick(t("Environment"))
    clerk.fill(t("Start date"), today.isoformat())
    clerk.fill(t("End date"), (today + timedelta(days=83)).isoformat())
    clerk.press(t("Create the draft"))
    draft = int(re.search(r"/consultations/(\d+)", clerk.page.url).group(1))
    for kind, prompt, options, condition in (
            (t("Single choice"), "Чи ходите ви до парку?", "Так\nНі", None),
            (t("Number"), "Скільки разів на тиждень?", "", ("1", "1")),
            (t("Ranking"), "Розставте пріоритети", "Дерева\nДоріжки\nЛіхтарі", None),
            (t("Matrix (a scale 1–5 per row)"), "Оцініть парки", "Північний\nПівденний",
             None),
            (t("Date"), "Коли почати роботи?", "", None),
            (t("Position paper (PDF)"), "Позиційний документ", "", None)):
        clerk.select(t("Type"), kind)
        clerk.fill(t("Question"), prompt)
        clerk.fill(t("Options, one per line"), options)
        if condition:
            clerk.fill(t("Number of the earlier question"), condition[0])
            clerk.fill(t("Number of its option (1 = first)"), condition[1])
        clerk.press(t("Add the question"))
    clerk.press(t("Publish the consultation"))
    clerk.see(ORG)  # invited by its field, on the public list
    clerk.see(EVIDENCE)  # the two stages, one process

    # The priority window: the public waits, the invited NGO answers, with its paper.
    visitor = site.person("resident", resident)
    visitor.open(f"/consultations/{draft}/respond")
    visitor.see(t("Until %(date)s only invited stakeholders can answer; the consultation "
                  "opens to everyone then.",
                  date=(today + timedelta(days=7)).strftime("%d.%m.%Y")))
    ngo.open(f"/consultations/{draft}/respond")
    ngo.link(ORG)  # answer as the organisation, not as oneself
    ngo.tick("Так")
    ngo.fill("Скільки разів на тиждень?", "3")
    for option, place_ in (("Дерева", "1"), ("Доріжки", "3"), ("Ліхтарі", "2")):
        ngo.select(option, place_)
    ngo.tick("Північний: 4")
    ngo.tick("Південний: 2")
    ngo.fill("Коли почати роботи?", (today + timedelta(days=120)).isoformat())
    ngo.field(t("A PDF file, at most %(mb)s MB", mb=10)).set_input_files(str(paper))
    ngo.press(t("Submit my answers"))
    ngo.see(t("Your answers are saved."))

    # A week later: everyone answers; conditional questions follow the answers.
    _shift(site, draft, 8)
    visitor.open(f"/consultations/{draft}/respond")
    visitor.tick("Ні")
    visitor.fill("Скільки разів на тиждень?", "2")  # not asked of someone who does not go
    for option, place_ in (("Дерева", "2"), ("Доріжки", "1"), ("Ліхтарі", "3")):
        visitor.select(option, place_)
    visitor.tick("Північний: 3")
    visitor.tick("Південний: 5")
    visitor.fill("Коли почати роботи?", (today + timedelta(days=60)).isoformat())
    visitor.press(t("Submit my answers"), status=422)
    visitor.see(t("This question applies only after another answer, which was not given."))
    visitor.fill("Скільки разів на тиждень?", "")
    visitor.press(t("Submit my answers"))
    visitor.see(t("Your answers are saved."))

    # The map of opinion: statements, votes, the groups.
    for person, statement in ((visitor, STATEMENTS[0]), (ngo, STATEMENTS[1])):
        person.open(f"/consultations/{draft}/map")
        person.fill(t("Your statement (up to 280 characters)"), statement)
        person.press(t("Add the statement"))
    visitor.open(f"/consultations/{draft}/map")
    visitor.press(t("Agree"))
    _more_voters(site, place, draft)
    visitor.open(f"/consultations/{draft}/map")
    visitor.see(t("What divides the groups"))
    visitor.page.evaluate("document.getElementById('map').scrollIntoView()")
    visitor.shot("consultation-map")

    # It closes: a moderator may clean personal data; every contribution is public.
    _closes(site, draft)
    checker = site.person("moderator", moderator)
    checker.open(f"/consultations/{draft}/contributions/moderate")
    reader = site.person("visitor", login=False)
    reader.open(f"/consultations/{draft}/contributions")
    reader.see(ORG)
    reader.see("position.pdf")

    # The official reports; the report carries the synopsis.
    clerk.open(f"/consultations/{draft}")
    clerk.link(t("Publish the outcome report"))
    clerk.fill(t("Summary of the outcome"), "Спершу висаджуємо дерева, потім ставимо ліхтарі.")
    clerk.fill(t("Link to the final decision"), "https://rada.example.org/rishennia/77")
    for fieldset in clerk.page.locator("form fieldset").all():
        clerk.select(t("Outcome"), t("Partly accepted"), within=fieldset)
        clerk.fill(t("Why"), "Враховано частково, з огляду на бюджет.", within=fieldset)
    clerk.press(t("Publish the report"))
    clerk.see(t("Synopsis: who said what"))
    clerk.see(t("Invited organisations"))
    clerk.see(t("Comments on the text by stakeholder category"))
    clerk.page.evaluate("document.getElementById('synopsis').scrollIntoView()")
    clerk.shot("consultation-synopsis")
    site.assert_clean()
