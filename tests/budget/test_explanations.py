"""Explained results: why each project was funded or not, from the count's own steps, on the
results page and in the API, checked against small elections counted by hand."""

from __future__ import annotations

import html
from fractions import Fraction

import pytest

from app.web.i18n import current_language
from budget.ballots import cast_ballot
from budget.explanations import (
    CountExplanation,
    Explanation,
    amount,
    describe,
    describe_count,
)
from budget.models import Phase
from budget.results import compute_results, publish_results, stored_results
from budget.tally import Ballot, Candidate, Election, Reason, tally
from tests.budget.factories import make_voting_cycle, to_phase
from tests.factories import make_community, make_official, make_resident

NB = "\u202f"  # the narrow no-break space that groups digits


@pytest.fixture
def english():
    token = current_language.set("en")
    yield
    current_language.reset(token)


def election(costs: dict[str, int], ballots: list[list[str]], budget: int) -> Election:
    """Projects with numeric ids (as the budget module's elections have)."""
    return Election(Fraction(budget), tuple(Candidate(p, Fraction(c)) for p, c in costs.items()),
                    tuple(Ballot(tuple(b)) for b in ballots))


def sentences(e: Election, rule: str, titles: dict[int, str] | None = None
              ) -> tuple[str, dict[str, str]]:
    result = tally(e, rule)
    count = CountExplanation.of(result, points=False)
    return describe_count(count), {p: describe(Explanation.of(s), count, titles or {})
                                   for p, s in result.steps.items()}


# The election of tests/budget/test_tally.py::test_equal_shares_steps_by_hand with numeric
# ids: budget 100, three voters. 2 (50) is chosen by v1 and v2, 3 (50) by v1 and v3, 4 (10) by
# v3; 1 (10) by nobody. Add1 raises the share to 127/3 (42.33). Round 1: project 2 costs 25
# per supporter. Round 2: project 3 needs 50 from v1 (17.33 left) and v3 (42.33): v1 pays all
# it has, v3 the other 32.67. Project 4's supporter, v3, has 9.67 left, less than its 10.
EQUAL_SHARES = ({"1": 10, "2": 50, "3": 50, "4": 10}, [["2", "3"], ["2"], ["3", "4"]], 100)


def test_equal_shares_explained_by_hand(english):
    count, why = sentences(election(*EQUAL_SHARES), "equal-shares")
    assert count == ("The funds were divided into equal shares among the 3 voters: each had "
                     "42.33 to spend on the projects they voted for.")
    assert why == {
        "2": "Funded in round 1, when 100 of the funds was left: its 2 supporters paid its cost "
             "of 50 from their shares. Each paid 25.",
        "3": "Funded in round 2, when 50 of the funds was left: its 2 supporters paid its cost "
             "of 50 from their shares. Those who had enough paid 32.67 each (supporters: 1); "
             "those who had less left paid all they had (supporters: 1, 17.33 together).",
        "4": "When counting ended, 0 of the funds was left, and its one supporter had 9.67 left "
             "of their share, less than its cost of 10: it was not funded. Of their share, they "
             "had spent 32.67 on other projects they voted for.",
        "1": "Nobody voted for it.",
    }


def test_greedy_explained_by_hand(english):
    """Budget 100. Votes: 1 has 3, 2, 3 and 4 have 2 each; the ties go to the cheaper: 4 (20),
    3 (30), 2 (40). 1 is funded with 100 left, 4 with 50, 3 with the last 30; 2 meets 0."""
    e = election({"1": 50, "2": 40, "3": 30, "4": 20},
                 [["1", "2"], ["1", "3"], ["1"], ["2", "4"], ["3"], ["4"]], 100)
    count, why = sentences(e, "greedy")
    assert count == ""
    assert why["1"] == ("Place 1 in the order of votes, with 3 votes. When its turn came, 100 "
                        "of the funds was left, enough for its cost of 50: it was funded.")
    assert why["3"] == ("Place 3 in the order of votes, with 2 votes. When its turn came, 30 "
                        "of the funds was left, enough for its cost of 30: it was funded.")
    assert why["2"] == ("Place 4 in the order of votes, with 2 votes. When its turn came, only "
                        "0 of the funds was left, less than its cost of 40: it was passed over "
                        "and counting went on.")


def test_greedy_without_skipping_and_with_a_threshold_explained(english):
    """Budget 100: 1 (50, 3 votes) is funded; 2 (60, 2 votes) meets the 50 left and counting
    stops there; 3 (10, 1 vote) comes after it; 9 got no vote."""
    e = election({"1": 50, "2": 60, "3": 10, "9": 5},
                 [["1"], ["1"], ["1"], ["2"], ["2"], ["3"]], 100)
    _, why = sentences(e, "greedy-no-skip", {2: "Фонтан"})
    assert why["2"].endswith("less than its cost of 60: counting stopped here.")
    assert why["3"] == ("Place 3 in the order of votes, with 1 vote. Counting had stopped "
                        "before its turn, at “Фонтан”, the first project that did not fit into "
                        "the 50 left.")
    assert why["9"] == "Nobody voted for it."
    high = Election(e.budget, e.projects, e.ballots, min_project_score=Fraction(3))
    _, why = sentences(high, "greedy-threshold")
    assert why["2"] == "It got 2 votes; a project needs at least 3 to be funded."


def test_the_comparison_step_explained(english):
    """tests/budget/test_tally.py::test_comparison_step_takes_greedy_when_more_voters_prefer_it
    with numeric ids: greedy's outcome stands, 2 voters against 0, and is explained by votes."""
    e = election({"1": 60, "2": 40, "3": 40}, [["1", "3"], ["1", "3"], ["1"], ["2"]], 100)
    count, why = sentences(e, "equal-shares-comparison")
    assert count == ("Comparison step: the outcome of equal shares funds more of their projects "
                     "for 0 voters, the outcome of counting by votes for 2, and neither for 2; "
                     "the outcome of counting by votes stands.")
    assert why["3"].startswith("Place 2 in the order of votes, with 2 votes.")


def test_explanations_are_in_ukrainian_by_default():
    _, why = sentences(election(*EQUAL_SHARES), "equal-shares")
    assert why["2"] == ("Профінансовано в раунді 1, коли з коштів лишалося 100: 2 прихильники "
                        "оплатили його вартість 50 зі своїх часток. Кожен заплатив 25.")


def test_the_record_survives_json():
    result = tally(election(*EQUAL_SHARES), "equal-shares")
    for step in result.steps.values():
        kept = Explanation.of(step)
        assert Explanation.from_json(kept.to_json()) == kept
    count = CountExplanation.of(result, points=False)
    assert CountExplanation.from_json(count.to_json()) == count


def test_amounts():
    assert amount(Fraction(1234567)) == f"1{NB}234{NB}567"
    assert amount(Fraction(50, 3)) == "16.67"
    assert amount(Fraction(0)) == "0"


# -- a cycle, counted, published, shown and served ------------------------------------------

def _equal_shares_cycle(db, clock):
    """EQUAL_SHARES as a cycle: the projects in the order of their ids, a fund of 100."""
    place = make_community(db, rules_override={"budget": {"aggregation": "equal-shares",
                                                          "project_cost_min": 1}})
    cycle, projects = make_voting_cycle(
        db, place, clock, [(0, 10), (0, 50), (0, 50), (0, 10)], categories=[("Парки", 100)])
    _, second, third, fourth = projects
    for choice in ([second, third], [second], [third, fourth]):
        cast_ballot(db, make_resident(db, place), cycle, [p.id for p in choice])
    to_phase(clock, cycle, Phase.results)
    return place, cycle, projects


def test_the_count_explains_itself_and_publication_keeps_it(db, clock):
    place, cycle, (first, second, third, fourth) = _equal_shares_cycle(db, clock)
    provisional = compute_results(db, cycle).categories[0]
    steps = {r.project.id: r.explanation for r in provisional.projects}
    assert steps[second.id] == Explanation(Reason.FUNDED, 2, Fraction(2), Fraction(50),
                                           Fraction(100), rank=1, paid_each=Fraction(25),
                                           paying=2)
    assert steps[third.id] == Explanation(Reason.FUNDED, 2, Fraction(2), Fraction(50),
                                          Fraction(50), rank=2, paid_each=Fraction(98, 3),
                                          paying=1, paid_out=1,
                                          paid_out_total=Fraction(52, 3))
    assert steps[fourth.id] == Explanation(Reason.SUPPORTERS_SHORT, 1, Fraction(1),
                                           Fraction(10), Fraction(0),
                                           supporters_money=Fraction(29, 3))
    assert steps[first.id].reason == Reason.NO_VOTES
    assert provisional.explanation == CountExplanation("equal-shares", "votes", 3,
                                                       Fraction(127, 3))
    publish_results(db, make_official(db, place), cycle)
    db.expire_all()
    stored = stored_results(db, cycle).categories[0]
    assert {r.project.id: r.explanation for r in stored.projects} == steps
    assert stored.explanation == provisional.explanation
    assert [stored.why(r) for r in stored.projects] == [provisional.why(r)
                                                        for r in provisional.projects]


def test_results_page_and_api_explain_every_project(db, clock, client):
    place, cycle, (first, second, third, fourth) = _equal_shares_cycle(db, clock)
    publish_results(db, make_official(db, place), cycle)
    db.commit()
    page = html.unescape(client.get(f"/budget/{cycle.id}/results").text)
    assert "Чому кожен проєкт профінансовано чи ні" in page
    assert f'id="why-{fourth.id}"' in page
    assert "Профінансовано в раунді 2, коли з коштів лишалося 50" in page
    english = html.unescape(client.get(f"/budget/{cycle.id}/results",
                                       headers={"Accept-Language": "en"}).text)
    assert ("The funds were divided into equal shares among the 3 voters: each had 42.33 to "
            "spend") in english
    assert ("its one supporter had 9.67 left of their share, less than its cost of 10: it was "
            "not funded.") in english

    body = client.get(f"/api/v1/budgets/{cycle.id}/results",
                      headers={"Accept-Language": "en"}).json()
    category = body["categories"][0]
    assert category["explanation"] == {
        "rule": "equal-shares", "order": "votes", "voters": 3, "share": 42.33,
        "comparison": None,
        "text": "The funds were divided into equal shares among the 3 voters: each had 42.33 to "
                "spend on the projects they voted for."}
    by_id = {p["project_id"]: p["explanation"] for p in category["projects"]}
    assert by_id[third.id] == {
        "reason": "funded", "rank": 2, "votes": 2, "score": 2.0, "cost": 50.0,
        "money_left": 50.0, "other_project_id": None, "threshold": None,
        "paid_each": 32.67, "paying": 1, "paid_out": 1, "paid_out_total": 17.33,
        "supporters_money": None,
        "text": "Funded in round 2, when 50 of the funds was left: its 2 supporters paid its "
                "cost of 50 from their shares. Those who had enough paid 32.67 each "
                "(supporters: 1); those who had less left paid all they had (supporters: 1, "
                "17.33 together)."}
    assert by_id[fourth.id]["reason"] == "supporters-short"
    assert by_id[fourth.id]["supporters_money"] == 9.67
    assert by_id[first.id]["reason"] == "no-votes"
    assert by_id[first.id]["text"] == "Nobody voted for it."
