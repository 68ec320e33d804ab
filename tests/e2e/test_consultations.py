"""A consultation: an official drafts and publishes it, residents answer and comment, it
closes, the official publishes the outcome report and participants rate it.

The server's clock is real: the consultation runs from today for the shortest period the
rules allow, and "time passes" by moving its end into the past in the database, after which
the worker closes it and opens the report obligation, as it would on the day."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

pytestmark = pytest.mark.e2e

RULES = {"consultations": {"minimum_duration_days": 14,
                           "report_deadline": {"days": 14, "unit": "calendar"}}}
TITLE = "Правила благоустрою громади: проєкт на обговорення"
BODY = ("# Зелені зони\n\nКожен новий будинок має мати сквер або дерева на подвір'ї.\n\n"
        "# Паркування\n\nПаркування на тротуарах заборонено в центрі громади.")
QUESTION = "Чи підтримуєте ви заборону паркування на тротуарах?"
OPTIONS = ["Так", "Ні", "Важко сказати"]
COMMENT = "Пропоную додати велодоріжку до розділу про паркування."
SUMMARY = "Заборону паркування на тротуарах прийнято; велодоріжку додано до плану."


def _closes(site, consultation_id: int) -> None:
    """The end passes; the worker (every 0.2 s) closes it and opens the report obligation."""
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


def test_consultation_from_draft_to_rated_report(site):
    t = site.t
    place = site.seed.community("consult", RULES)
    official = site.seed.person("official", place, name="Посадовиця Консультацій")
    residents = [site.seed.person("resident", place, name=f"Учасниця {n}") for n in (1, 2)]

    # The official drafts the consultation, adds a question and publishes it.
    today = datetime.now(ZoneInfo("Europe/Kyiv")).date()
    clerk = site.person("official", official)
    clerk.open("/consultations")
    clerk.link(t("Open a consultation"))
    clerk.fill(t("Title"), TITLE)
    clerk.fill(t("Summary"), "Громада вирішує, які правила благоустрою ухвалити цього року.")
    clerk.fill(t("Draft text (Markdown)"), BODY)
    clerk.fill(t("Target stakeholder groups"), "мешканці центру\nвласники авто")
    clerk.fill(t("Start date"), today.isoformat())
    clerk.fill(t("End date"), (today + timedelta(days=13)).isoformat())
    clerk.press(t("Create the draft"))
    clerk.see(t("Draft: %(title)s", title=TITLE))
    consultation = int(re.search(r"/consultations/(\d+)", clerk.page.url).group(1))
    clerk.select(t("Type"), t("Single choice"))
    clerk.fill(t("Question"), QUESTION)
    clerk.fill(t("Options, one per line"), "\n".join(OPTIONS))
    clerk.press(t("Add the question"))
    clerk.see(QUESTION)
    clerk.press(t("Publish the consultation"))
    clerk.see(t("Open"))

    # Residents answer the questionnaire; one comments on a section of the text.
    for n, account in enumerate(residents):
        person = site.person(f"resident {n + 1}", account)
        person.open("/consultations")
        person.link(TITLE)
        person.link(t("Answer the questionnaire"))
        person.tick(OPTIONS[n])
        person.press(t("Submit my answers"))
        person.see(t("Your answers are saved."))
        if n == 0:
            person.open(f"/consultations/{consultation}")
            section = person.page.locator("section.card").filter(
                has=person.page.get_by_role("heading", name=re.compile("Паркування")))
            # The section's link opens the discussion on it (the kernel's, under the text).
            person.link(t("Comment on section %(n)s", n=2), within=section)
            person.fill(t("Your comment"), COMMENT)
            person.press(t("Post the comment"), fragment="comments")
            person.see(COMMENT)
            person.shot("consultation")

    # It closes; the official reports what was done with every section and the question.
    _closes(site, consultation)
    clerk.open(f"/consultations/{consultation}")
    clerk.link(t("Publish the outcome report"))
    clerk.fill(t("Summary of the outcome"), SUMMARY)
    clerk.fill(t("Link to the final decision"), "https://rada.example.org/rishennia/42")
    for fieldset in clerk.page.locator("form fieldset").all():
        clerk.select(t("Outcome"), t("Accepted"), within=fieldset)
        clerk.fill(t("Why"), "Більшість учасників підтримала.", within=fieldset)
    clerk.press(t("Publish the report"))
    clerk.see(SUMMARY)
    clerk.see(t("On time."))

    # Participants rate whether their input was considered; anyone reads the results.
    for n, account in enumerate(residents):
        person = site.people[1 + n]
        assert person.account == account
        person.open(f"/consultations/{consultation}")
        person.link(t("Read what was done with the contributions"))
        person.tick(t("Yes, my input was considered") if n == 0 else t("Partly"))
        person.press(t("Rate"))
        person.see(t("Your rating: %(value)s.", value=t("Yes, my input was considered")
                     if n == 0 else t("Partly")))
    person.shot("consultation-report")
    visitor = site.person("visitor")
    visitor.open(f"/consultations/{consultation}")
    visitor.link(t("Results"))
    visitor.see(QUESTION)
    site.assert_clean()
