"""Property tests: whatever residents send, no accepted ballot exceeds the funds, the number
of choices or the points the rules allow, a refused ballot changes nothing, and the vote
counters always equal a recount of the ballots."""

from __future__ import annotations

from collections import defaultdict

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.exceptions import Conflict, Forbidden
from budget import repository as repo
from budget.ballot_check import BallotRejected, check_ballot, normalise_choices
from budget.ballots import cast_ballot, my_ballot
from budget.cycles import CycleRules, categories
from budget.projects import list_projects
from tests.budget.factories import make_voting_cycle
from tests.factories import make_community, make_resident

CATEGORIES = [("Малі", 100_000), ("Великі", 400_000)]
# (category index, cost): several projects per category, costs that make the funds bind.
COSTS = [(0, 30_000), (0, 45_000), (0, 60_000), (0, 25_000),
         (1, 150_000), (1, 220_000), (1, 90_000), (1, 300_000)]

RULES = {
    "approval": {"voting_method": "approval", "max_choices": 3},
    "approval-per-category": {"voting_method": "approval", "max_choices": 2,
                              "max_choices_per_category": True},
    "knapsack": {"voting_method": "knapsack", "max_choices": 6},
    "cumulative": {"voting_method": "cumulative", "cumulative_points": 10, "max_choices": 4},
}
VOTERS = 4


def stored(db, cycle, voter) -> dict[int, int]:
    return my_ballot(db, voter, cycle)[1]


def recount(db, cycle) -> dict[int, tuple[int, int]]:
    out = {p.id: (0, 0) for p in list_projects(db, cycle)}
    for _ballot, project_id, points, _rank in repo.cycle_choices(db, cycle.id):
        out[project_id] = (out[project_id][0] + 1, out[project_id][1] + points)
    return out


def respects_rules(rules, projects, funds, choices: dict[int, int]) -> list[str]:
    """Independent restatement of the rules (not the service's code)."""
    broken = []
    by_id = {p.id: p for p in projects}
    per_category = defaultdict(list)
    for project_id in choices:
        per_category[by_id[project_id].category_id].append(by_id[project_id])
    if not choices:
        broken.append("empty")
    if any(points < 1 for points in choices.values()):
        broken.append("points below 1")
    if rules.get("max_choices_per_category"):
        if any(len(ps) > rules["max_choices"] for ps in per_category.values()):
            broken.append("too many in a category")
    elif len(choices) > rules["max_choices"]:
        broken.append("too many choices")
    if rules["voting_method"] == "knapsack":
        for category_id, ps in per_category.items():
            if sum(p.effective_cost for p in ps) > funds[category_id]:
                broken.append("over the funds")
    if rules["voting_method"] == "cumulative":
        if sum(choices.values()) > rules["cumulative_points"]:
            broken.append("too many points")
    else:
        if any(points != 1 for points in choices.values()):
            broken.append("points in a non-cumulative ballot")
    return broken


attempt = st.tuples(
    st.integers(0, VOTERS - 1),
    st.lists(st.integers(0, len(COSTS) + 1), max_size=len(COSTS) + 2),  # may name a stranger
    st.lists(st.integers(-2, 8), min_size=len(COSTS) + 2, max_size=len(COSTS) + 2),
)


@pytest.mark.parametrize("name", list(RULES))
def test_no_accepted_ballot_breaks_the_rules(db, clock, name):
    rules = RULES[name]
    place = make_community(db, rules_override={"budget": rules})
    cycle, projects = make_voting_cycle(db, place, clock, COSTS, categories=CATEGORIES)
    funds = {c.id: c.funds for c in categories(db, cycle)}
    voters = [make_resident(db, place) for _ in range(VOTERS)]
    unknown = max(p.id for p in projects) + 1000
    ids = [p.id for p in projects] + [unknown, unknown + 1]
    seen = {"accepted": 0, "refused": 0}

    @settings(max_examples=60, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture,
                                     HealthCheck.too_slow])
    @given(st.lists(attempt, min_size=1, max_size=6))
    def run(attempts):
        for voter_index, picks, amounts in attempts:
            voter = voters[voter_index]
            before = stored(db, cycle, voter)
            chosen = [ids[i] for i in picks]
            points = None
            if rules["voting_method"] == "cumulative":
                points = {ids[i]: amounts[i] for i in set(picks)}
                chosen = None
            try:
                cast_ballot(db, voter, cycle, chosen, points)
            except (BallotRejected, Conflict, Forbidden):
                seen["refused"] += 1
                assert stored(db, cycle, voter) == before  # nothing written
                continue
            seen["accepted"] += 1
            after = stored(db, cycle, voter)
            assert after, "an accepted ballot has choices"
            assert not respects_rules(rules, projects, funds, after), after
        db.expire_all()
        assert {p.id: (p.vote_count, p.score) for p in list_projects(db, cycle)} == \
            recount(db, cycle)
        assert cycle.ballot_count == len(repo.ballots(db, cycle.id))

    run()
    assert seen["accepted"] and seen["refused"]


@settings(max_examples=200, deadline=None, database=None)
@given(
    method=st.sampled_from(["approval", "knapsack", "cumulative"]),
    per_category=st.booleans(),
    k=st.integers(1, 4),
    points_total=st.integers(1, 12),
    choices=st.dictionaries(st.integers(0, len(COSTS) - 1), st.integers(-1, 6), max_size=8),
)
def test_the_check_agrees_with_the_rules(method, per_category, k, points_total, choices):
    """The pure check (also behind the live ballot summary) accepts exactly what the rules
    allow, with no database at all."""
    from budget.models import BudgetCategory, BudgetProject

    cats = [BudgetCategory(id=i + 1, cycle_id=1, name=n, funds=f)
            for i, (n, f) in enumerate(CATEGORIES)]
    projects = [BudgetProject(id=i + 1, cycle_id=1, category_id=c + 1, title=f"p{i}", cost=cost)
                for i, (c, cost) in enumerate(COSTS)]
    rules = CycleRules(
        voting_method=method, aggregation="greedy", max_choices=k,
        max_choices_per_category=per_category,
        cumulative_points=points_total if method == "cumulative" else None,
        min_vote_threshold=0, minimum_age=0, project_cost_min=0, project_cost_max=10**9,
        review_deadline=None, implementation_deadline=None)
    raw = {i + 1: v for i, v in choices.items()}
    if method == "cumulative":
        normal, problems = normalise_choices(rules, None, raw)
    else:
        normal, problems = normalise_choices(rules, [p for p, v in raw.items()
                                                             if v > 0], None)
    check = check_ballot(rules, cats, projects, normal, problems)
    spec = {"voting_method": method, "max_choices": k, "max_choices_per_category": per_category,
            "cumulative_points": points_total}
    broken = respects_rules(spec, projects, {c.id: c.funds for c in cats}, normal)
    if method == "cumulative" and any(v < 0 for v in raw.values()):
        broken.append("negative points")
    assert check.valid == (not broken), (normal, broken, [p.message for p in check.problems])
