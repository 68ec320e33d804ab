"""Signing a petition and voting in the budget with the keyboard only: Tab to move, Space to
tick, Enter to press; no mouse. Each control reached must show where the focus is."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.e2e.helpers import MODES

pytestmark = pytest.mark.e2e

# With and without scripts (the language does not change the keys): the run's modes, which
# have one of each.
KEYBOARD_MODES = MODES

ACTIVE = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const labels = el.labels ? Array.from(el.labels).map(l => l.innerText).join(' ') : '';
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
  return {tag: el.tagName.toLowerCase(), type: el.type || '', name: (labels || el.innerText ||
          el.value || '').trim(), visible: outline || style.boxShadow !== 'none'};
}"""


def tab_to(person, pattern: str, *, tag: str | None = None, limit: int = 80) -> None:
    """Press Tab until the focused control's name matches; it must show its focus."""
    wanted = re.compile(pattern)
    seen = []
    for _ in range(limit):
        person.page.keyboard.press("Tab")
        active = person.page.evaluate(ACTIVE)
        if active is None:
            continue
        seen.append(active["name"][:40])
        if wanted.search(active["name"]) and (tag is None or active["tag"] == tag):
            assert active["visible"], f"no visible focus on {active}"
            return
    raise AssertionError(f"Tab never reached {pattern!r}; it went through {seen}")


def keyboard_login(person) -> None:
    t = person.t
    person.open("/login")
    tab_to(person, re.escape(t("E-mail address")), tag="input")
    person.page.keyboard.type(person.account.email)
    tab_to(person, re.escape(t("Password")), tag="input")
    person.page.keyboard.type(person.account.password)
    person._act(lambda: person.page.keyboard.press("Enter"))


@pytest.mark.parametrize("mode", KEYBOARD_MODES, indirect=True, ids=lambda m: m.id)
def test_signing_with_the_keyboard(site):
    from tests.petitions.factories import make_petition

    t = site.t
    place = site.seed.community("keys-sign", {"petitions": {"threshold": 5}})
    with site.seed.place(place) as (db, found):
        petition = make_petition(db, found, "open", title="Безпечний перехід біля ліцею")
        petition_id = petition.id
        site.allow.add(petition.title, petition.text)
    signer = site.person("keyboard signer", site.seed.person("resident", place), login=False)
    keyboard_login(signer)

    signer.open(f"/petitions/{petition_id}")
    tab_to(signer, re.escape(t("Show my name in the public list of signers")), tag="input")
    signer.page.keyboard.press("Space")
    assert signer.page.get_by_label(t("Show my name in the public list of signers")).is_checked()
    tab_to(signer, f"^{re.escape(t('Sign the petition'))}$", tag="button")
    signer._act(lambda: signer.page.keyboard.press("Enter"),
                fragment="signing" if signer.js else None)
    signer.see(t("Thank you: your signature is counted."))
    assert signer.page.locator("#signature-count").inner_text() == "1"
    site.assert_clean()


@pytest.mark.parametrize("mode", KEYBOARD_MODES, indirect=True, ids=lambda m: m.id)
def test_voting_with_the_keyboard(site):
    from budget.cycles import categories
    from budget.models import BudgetCycle
    from budget.projects import list_projects
    from tests.budget.factories import make_cycle, make_project, review_all

    t = site.t
    place = site.seed.community("keys-vote")
    with site.seed.place(place) as (db, found):
        cycle = make_cycle(db, found, total_funds=200_000)
        projects = [make_project(db, found, cycle, cost=cost, title=title) for cost, title in (
            (80_000, "Ліхтарі в парку"), (50_000, "Пандус до амбулаторії"))]
        cycle_id = cycle.id
        titles = [p.title for p in projects]
        site.allow.add(cycle.title, *titles, categories(db, cycle)[0].name)
    past = datetime.now(UTC) - timedelta(minutes=1)
    site.seed.update(BudgetCycle, cycle_id, submission_end=past)  # review
    with site.seed.place(place) as (db, found):
        cycle = db.get(BudgetCycle, cycle_id)
        review_all(db, found, cycle, list_projects(db, cycle))
    site.seed.update(BudgetCycle, cycle_id, review_end=past, voting_start=past)  # voting

    voter = site.person("keyboard voter", site.seed.person("resident", place), login=False)
    keyboard_login(voter)
    voter.open(f"/budget/{cycle_id}/ballot")
    for title in titles:
        tab_to(voter, f"^{re.escape(title)} — ", tag="input")
        if voter.js:  # ticking asks the server for the new totals (htmx)
            voter._act(lambda: voter.page.keyboard.press("Space"), fragment="ballot-summary")
        else:
            voter.page.keyboard.press("Space")
    tab_to(voter, f"^{re.escape(t('Cast my ballot'))}$", tag="button")
    voter._act(lambda: voter.page.keyboard.press("Enter"))
    voter.see(t("Your ballot is saved. You can change it until voting closes."))
    for title in titles:
        assert voter.field(re.compile(f"^{re.escape(title)} — ")).is_checked()
    site.assert_clean()
