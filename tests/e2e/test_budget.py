"""A participatory-budget cycle: an official opens it, residents propose projects, the official
reviews them, residents vote, the official publishes the results and reports implementation.

The server's clock is real, so "time passes" between phases by moving the cycle's dates in
the database, as the calendar would."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

pytestmark = pytest.mark.e2e

RULES = {"budget": {"voting_method": "approval", "max_choices": 3, "aggregation": "greedy",
                    "project_cost_min": 1000, "project_cost_max": 100_000, "minimum_age": 16}}
CYCLE = "Бюджет участі на наступний рік"
PROJECTS = [  # title, cost, votes it gets
    ("Лавки та тінь у сквері Героїв", 60_000, 2),
    ("Велопарковка біля ліцею", 50_000, 1),
    ("Книжкова шафа в бібліотеці", 30_000, 2),
]
UPDATE = "Підрядника обрано, роботи почалися: встановлено перші дві лавки."


def _time_passes(site, cycle_id: int, phase: str) -> None:
    from budget.models import BudgetCycle

    past = datetime.now(UTC) - timedelta(minutes=1)
    dates = {"review": {"submission_end": past},
             "voting": {"review_end": past, "voting_start": past},
             "results": {"voting_end": past, "results_at": past}}[phase]
    site.seed.update(BudgetCycle, cycle_id, **dates)


def test_budget_cycle_from_projects_to_implementation(site):
    t = site.t
    place = site.seed.community("budget", RULES)
    official = site.seed.person("official", place, name="Бюджетна Посадовиця")
    authors = [site.seed.person("resident", place, name=f"Авторка {n}") for n in (1, 2, 3)]
    voters = [site.seed.person("resident", place, name=f"Виборець {n}") for n in (1, 2)]

    # An official opens a cycle whose submission starts today (Kyiv time).
    today = datetime.now(ZoneInfo("Europe/Kyiv")).date()
    clerk = site.person("official", official)
    clerk.open("/budget")
    clerk.link(t("New budget cycle"))
    clerk.fill(t("Title"), CYCLE)
    clerk.fill(t("Total funds"), "100000")
    for name, offset in (("Submission opens", 0), ("Submission closes", 10),
                         ("Review ends", 20), ("Voting opens", 21), ("Voting closes", 30),
                         ("Results announced", 31)):
        clerk.fill(t(name), (today + timedelta(days=offset)).isoformat())
    clerk.press(t("Create the cycle"))
    clerk.see(t("Submission of projects"))
    cycle = int(re.search(r"/budget/(\d+)", clerk.page.url).group(1))

    # Three residents propose projects.
    for account, (title, cost, _votes) in zip(authors, PROJECTS, strict=True):
        author = site.person(f"author {account.name}", account)
        author.open(f"/budget/{cycle}")
        author.link(t("Propose a project"))
        author.fill(t("Title"), title)
        author.fill(t("Description"), f"{title}: для всіх мешканців, бо зараз цього бракує.")
        author.fill(t("Location"), "центр громади")
        author.fill(t("Estimated cost"), str(cost))
        author.press(t("Submit the project"))
        author.see(title)

    # Submission closes; the official finds every project feasible.
    _time_passes(site, cycle, "review")
    clerk.open(f"/budget/{cycle}")
    clerk.link(t("Review the projects"))
    for title, _cost, _votes in PROJECTS:
        section = clerk.page.locator("section.card").filter(has_text=title)
        clerk.tick(t("Feasible"), within=section)
        clerk.fill(t("Public reason"), "Можна виконати за рік у межах кошторису.", within=section)
        clerk.press(t("Record the decision"), within=section)
    clerk.see(t("Feasible"))

    # Voting opens; residents vote (approval: tick the projects you support).
    _time_passes(site, cycle, "voting")
    ballots = {0: [0, 1, 2], 1: [0, 2]}  # voter -> projects; the authors do not vote here
    for n, account in enumerate(voters):
        voter = site.person(f"voter {n + 1}", account)
        voter.open(f"/budget/{cycle}")
        voter.link(t("Vote"))
        for index in ballots[n]:
            title = PROJECTS[index][0]
            voter.tick(re.compile(rf"^{re.escape(title)} — "), fragment="ballot-summary")
        if not voter.js and n == 0:
            voter.press(t("Check the totals"))  # the summary, without scripts
        voter.press(t("Cast my ballot"))
        voter.see(t("Your ballot is saved. You can change it until voting closes."))
        if n == 0:
            voter.shot("budget-ballot", phone=True)

    # Voting closes; the official publishes the results (greedy: 60 000 + 30 000 fit).
    _time_passes(site, cycle, "results")
    clerk.open(f"/budget/{cycle}")
    clerk.link(t("Results"))
    clerk.press(t("Publish the results"))
    funded = {}
    for title, _cost, _votes in PROJECTS:
        row = clerk.page.get_by_role("row").filter(has_text=title)
        funded[title] = row.get_by_role("cell").last.inner_text().strip()
    assert funded == {PROJECTS[0][0]: t("Yes"), PROJECTS[1][0]: t("No"),
                      PROJECTS[2][0]: t("Yes")}, funded
    # Each project says why it was funded or not, in the count's own figures.
    clerk.see(t("Why each project was funded or not"))
    clerk.shot("budget-results")

    # Anyone downloads the results as open data.
    observer = site.person("visitor")
    observer.open(f"/budget/{cycle}/results")
    name, body = observer.download(t("Results (CSV)"))
    rows = {r["title"]: r for r in csv.DictReader(io.StringIO(body.decode("utf-8")))}
    assert name.endswith(".csv") and rows[PROJECTS[0][0]]["votes"] == "2"
    assert rows[PROJECTS[1][0]]["selected"] == "0"

    # The official reports progress on a funded project; residents see it.
    clerk.open(f"/budget/{cycle}/results")
    clerk.link(PROJECTS[0][0])
    clerk.select(t("Status"), t("In progress"))
    clerk.fill(t("Percent done"), "40")
    clerk.fill(t("What happened"), UPDATE)
    clerk.press(t("Publish the update"))
    clerk.see(UPDATE)
    observer.open(f"/budget/{cycle}")
    observer.link(PROJECTS[0][0])
    observer.see(UPDATE)
    observer.shot("budget-project")
    site.assert_clean()
