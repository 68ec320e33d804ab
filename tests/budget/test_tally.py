"""The counting rules: the real Pabulib elections (the shared set and the files kept with the
tests) reproduce their official winners, hand-counted examples, and properties of random small
elections (including agreement of the fast Equal Shares with a textbook implementation and,
when it is installed, of the Method of Equal Shares and the comparison step with
pabutools)."""

from __future__ import annotations

from fractions import Fraction
from functools import cache
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from budget.pabulib.format import Instance, load
from budget.tally import (
    APPROXIMATED,
    PABULIB_NAMES,
    RULES,
    Ballot,
    Candidate,
    Election,
    Reason,
    Result,
    Step,
    TallyError,
    compare,
    equal_shares,
    greedy,
    normalise_rule,
    scores,
    tally,
)
from budget.tally import _EqualShares as EqualShares
from tests.budget.pabulib_data import EXTRA_DIR, real_files, shared_dir

REAL_FILES = real_files()


@cache
def counted(path: Path) -> tuple[Instance, Result]:
    """A real file and its count by its own rule (once per test process)."""
    instance = load(path)
    return instance, tally(instance)


@pytest.mark.parametrize("path", REAL_FILES, ids=lambda p: p.name)
def test_own_rule_reproduces_the_official_winners(path: Path) -> None:
    instance, result = counted(path)
    assert result.rule == normalise_rule(instance.rule or "")
    assert sorted(result.selected) == sorted(instance.official_winners)
    assert result.total_cost <= result.budget


def test_official_winners_of_at_least_95_percent_of_the_real_elections() -> None:
    """The goal set for the tally, over every real file: the official winners of at least 95 %
    of the elections whose rule Hromada computes - all rules but greedy-custom and unknown,
    which name none (they are counted with greedy, with a note). The test above holds each
    file to its winners; this one states the goal, and names the files that miss."""
    supported = [p for p in REAL_FILES
                 if (counted(p)[0].rule or "").strip().lower() not in APPROXIMATED]
    missed = [p.name for p in supported
              if sorted(counted(p)[1].selected) != sorted(counted(p)[0].official_winners)]
    assert len(supported) >= 19
    assert len(missed) <= 0.05 * len(supported), missed


def test_wieliczka_2023_with_the_comparison_step() -> None:
    """Wieliczka's Green Million 2023, the first count with Equal Shares (equalshares.net),
    labelled equalshares/add1-comparison by Pabulib. Add1 goes past the first exhaustive
    outcome (see budget.tally.equal_shares) to k = 164; the comparison step keeps Equal
    Shares. The figures of the analysis equalshares.net published agree: counting by votes
    would fund 4 projects Equal Shares does not (1453 votes together) and Equal Shares funds 11
    others instead (2414 votes); 18 % of the voters get none of their projects from Equal
    Shares, 28 % from counting by votes."""
    instance, result = counted(EXTRA_DIR / "Poland_Wieliczka_2023_Green_Budget.pb")
    assert (instance.rule, result.rule) == ("equalshares/add1-comparison",
                                            "equal-shares-comparison")
    assert (len(result.selected), result.total_cost) == (30, 995_079)
    assert result.share == Fraction(1_000_000, 6586) + 164
    c = result.comparison
    assert c is not None and not c.greedy_kept
    assert (c.prefer_equal_shares, c.prefer_greedy, c.indifferent) == (1615, 873, 4098)
    votes = {p.project_id: p.votes or 0 for p in instance.projects}
    only_greedy = set(c.greedy) - set(result.selected)
    only_ours = set(result.selected) - set(c.greedy)
    assert sorted(only_greedy, key=int) == ["8", "16", "21", "87"]
    assert (sum(votes[p] for p in only_greedy), len(only_ours),
            sum(votes[p] for p in only_ours)) == (1453, 11, 2414)

    def left_out(funded: set[str]) -> int:
        return round(100 * sum(not funded & set(v.projects) for v in instance.votes)
                     / len(instance.votes))

    assert (left_out(set(result.selected)), left_out(set(c.greedy))) == (18, 28)


@pytest.mark.parametrize("path", REAL_FILES, ids=lambda p: p.name)
def test_scores_match_the_counts_the_file_states(path: Path) -> None:
    instance = load(path)
    computed = tally(instance).scores
    for project in instance.projects:
        stated = project.score if project.score is not None else project.votes
        assert computed[project.project_id] == stated, project.project_id


# Every value of META `rule` that the Pabulib format and its checker (pabulib-helpers) list.
PABULIB_RULE_VALUES = {
    "greedy": "greedy", "greedy-no-skip": "greedy-no-skip",
    "greedy-threshold": "greedy-threshold", "greedy-exclusive": "greedy-exclusive",
    "greedy-custom": "greedy", "equalshares": "equal-shares-basic",
    "equalshares-comparison": "equal-shares-basic-comparison",
    "equalshares/add1": "equal-shares", "equalshares/add1-comparison": "equal-shares-comparison",
    "unknown": "greedy",
}


def test_every_pabulib_rule_value_is_understood() -> None:
    assert {name: normalise_rule(name) for name in PABULIB_RULE_VALUES} == PABULIB_RULE_VALUES
    # Ours are all reachable from a Pabulib name, and an export writes that name back.
    assert set(PABULIB_RULE_VALUES.values()) == set(RULES)
    for ours in RULES:
        assert normalise_rule(PABULIB_NAMES.get(ours, ours)) == ours
    # The two that name no computable rule carry a note that says so.
    assert set(APPROXIMATED) == {"greedy-custom", "unknown"}


def test_the_rules_seen_in_the_shared_files_are_all_understood() -> None:
    rules = {load(p).rule for p in REAL_FILES}
    assert rules <= set(PABULIB_RULE_VALUES)


# --- hand-counted examples ---------------------------------------------------------------------


def election(costs: dict[str, int], ballots: list[str], budget: int, **kw: object) -> Election:
    """Projects named by letters with the given costs; a ballot is a string of letters."""
    return Election(
        budget=Fraction(budget),
        projects=tuple(Candidate(p, Fraction(c)) for p, c in costs.items()),
        ballots=tuple(Ballot(tuple(b)) for b in ballots),
        **kw,  # type: ignore[arg-type]
    )


def test_equal_shares_by_hand() -> None:
    """Budget 100, four voters, so a share of 25 each.

    A (60) is chosen by v1 v2 v3, B (40) by v3 v4, C (30) by v4.
    Share 25: A costs 20 per supporter (rho 1/3), B 20 (rho 1/2), C is out of reach (25 < 30).
    A is funded; v1..v3 keep 5, v4 25; B's supporters hold 30 < 40, C's 25 < 30: outcome {A},
    60 spent, so Add1 goes on.
    Share s = 25 + k: A is always first, at 20 per supporter. After it B's supporters hold
    (s - 20) + s, which reaches 40 at s = 30: from there B (alpha 60 - s, or 20 from s = 40,
    rho at most 3/4) beats C (rho 1), and {A, B} costs exactly 100. C, which v4 alone must pay,
    becomes affordable when v4 still holds 30 after paying for B: at s = 50, where {A, B, C}
    costs 130. So the outcome of k = 24 (share 49), {A, B}, stands.
    """
    e = election({"A": 60, "B": 40, "C": 30}, ["A", "A", "AB", "BC"], 100)
    assert equal_shares(e) == ("A", "B")
    result = tally(e, "equal-shares")
    assert (result.selected, result.total_cost, result.rule) == (("A", "B"), 100, "equal-shares")
    assert result.scores == {"A": 3, "B": 2, "C": 1}
    assert result.share == 49


def test_equal_shares_add1_raises_the_share_until_the_next_step_overspends() -> None:
    """Budget 100, two voters (share 50 + k). A (60) is chosen by both, B (45) by v1 and
    C (35) by v2.

    Round 1: A costs 30 per supporter (rho 1/2), B and C one supporter each (rho 1): A is
    funded and both voters keep 20 + k. Then B needs 20 + k >= 45 (k >= 25) and C needs
    20 + k >= 35 (k >= 15). For k < 15 the outcome is {A}; from k = 15 it is {A, C}, 95. At
    k = 25 B is funded too and {A, B, C} costs 140, so the outcome of k = 24 (share 74),
    {A, C}, stands.
    """
    e = election({"A": 60, "B": 45, "C": 35}, ["AB", "AC"], 100)
    assert equal_shares(e) == ("A", "C")
    assert tally(e, "equal-shares").share == 74
    # C at 41: {A, C} would cost 101 (k = 21), so {A} stands, with the share of k = 20.
    wide = election({"A": 60, "B": 45, "C": 41}, ["AB", "AC"], 100)
    assert equal_shares(wide) == ("A",)
    assert tally(wide, "equal-shares").share == 70


# Budget 100, three voters (share 100/3 + k). B (50) is chosen by v1 and v2, C (50) by v1 and
# v3, D (10) by v3; A (10) by nobody.
PAST_EXHAUSTIVE = ({"A": 10, "B": 50, "C": 50, "D": 10}, ["BC", "B", "CD"], 100)


def test_equal_shares_add1_goes_past_the_first_exhaustive_outcome() -> None:
    """At share s, B and C both cost 25 per supporter (rho 1/2); the tie goes to B (same
    supporters and cost, earlier in the file), leaving v1 with s - 25. C then needs
    (s - 25) + s >= 50, so below s = 37.5 it is out of reach and D (v3 alone, rho 1) is funded:
    {B, D}, 60, and nothing else fits into the 40 left - the first *exhaustive* outcome, where
    pabutools would stop. From s = 37.5 C (v1 pays all it has, v3 the rest, rho below 1) comes
    before D and leaves v3 with 2s - 75: {B, C}, 100. D is affordable again from s = 42.5, where
    {B, C, D} costs 110; so Add1 stops at k = 9 (share 127/3 = 42.33) with {B, C}.
    """
    e = election(*PAST_EXHAUSTIVE)
    result = tally(e, "equal-shares")
    assert result.selected == ("B", "C")
    assert result.share == Fraction(127, 3)
    assert tally(e, "equal-shares-basic").selected == ("B", "D")


def test_equal_shares_add1_stops_before_overspending() -> None:
    """Budget 90, three voters (share 30 + k). A (60) is chosen by all three, B (45) by v1 and
    v2, D (25) by v3.

    Round 1: A costs 20 each (rho 1/3), B 22.5 each (rho 1/2), D 25 (rho 1): A is funded and
    everybody keeps 10 + k. Then B needs 2 (10 + k) >= 45 (k >= 13) and D needs 10 + k >= 25
    (k >= 15). Up to k = 12 the outcome is {A}: 60 spent, D would fit into the 30 left. At
    k = 13 B is funded: {A, B} costs 105 > 90, so Add1 returns the outcome of k = 12, {A}.
    """
    e = election({"A": 60, "B": 45, "D": 25}, ["AB", "AB", "AD"], 90)
    assert equal_shares(e) == ("A",)
    assert tally(e, "equal-shares").total_cost == 60


def test_equal_shares_basic_has_no_completion() -> None:
    """The election of test_equal_shares_by_hand: without Add1 (Pabulib's plain
    `equalshares`) the share stays 25 and only A is funded."""
    e = election({"A": 60, "B": 40, "C": 30}, ["A", "A", "AB", "BC"], 100)
    basic = tally(e, "equalshares")
    assert (basic.rule, basic.selected, basic.share) == ("equal-shares-basic", ("A",), 25)
    assert tally(e, "equal-shares").share == 49


def test_comparison_step_takes_greedy_when_more_voters_prefer_it() -> None:
    """Budget 100, four voters. A (60) is chosen by v1 v2 v3, C (40) by v1 v2, B (40) by v4.

    Equal shares with Add1: A is funded first at every share (20 per supporter, rho 1/3);
    then C needs v1 and v2 to hold 40 together, and B needs v4 to hold 40: both first at
    share 40 (k = 15), where both are funded and the outcome costs 140 > 100. So Add1 returns
    the outcome of k = 14: {A}. Greedy by votes funds A (3 votes) and C (2 votes, exactly the
    40 left). v1 and v2 get 2 of their projects from greedy, 1 from equal shares: they prefer
    greedy; v3 (A either way) and v4 (nothing either way) are indifferent. 2 > 0: greedy.
    """
    e = election({"A": 60, "B": 40, "C": 40}, ["AC", "AC", "A", "B"], 100)
    assert tally(e, "equal-shares").selected == ("A",)
    result = tally(e, "equalshares/add1-comparison")
    assert result.rule == "equal-shares-comparison"
    assert result.selected == ("A", "C")
    c = result.comparison
    assert c is not None and c.greedy_kept
    assert (c.equal_shares, c.greedy) == (("A",), ("A", "C"))
    assert (c.prefer_equal_shares, c.prefer_greedy, c.indifferent) == (0, 2, 2)
    # The explanation is greedy's then: by votes, with the money left at each turn.
    assert [(s.project, s.reason, s.rank, s.money_left) for s in result.steps.values()] == [
        ("A", Reason.FUNDED, 1, 100), ("C", Reason.FUNDED, 2, 40),
        ("B", Reason.TOO_EXPENSIVE, 3, 0)]
    assert result.share is None
    # Without completion the comparison is made with the same {A}.
    assert tally(e, "equalshares-comparison").selected == ("A", "C")


def test_comparison_step_keeps_equal_shares_on_a_tie() -> None:
    """Budget 100, six voters (share 50/3). X1 and X2 (50 each) are chosen by v1 v2 v3, Y (50)
    by v4 v5 v6.

    Equal shares: all three cost 50/3 per supporter (rho 1/3); the tie goes to the first in
    file order, X1, which empties v1..v3, so X2 is out of reach and Y is funded: {X1, Y},
    exhaustive. Greedy by votes (3 each, same cost, file order): {X1, X2}. v1..v3 prefer
    greedy (2 against 1), v4..v6 equal shares (1 against 0): 3 to 3, and a tie keeps equal
    shares (as equalshares.net does; pabutools would return both outcomes).
    """
    e = Election(Fraction(100), tuple(Candidate(p, Fraction(50)) for p in ("X1", "X2", "Y")),
                 tuple(Ballot(b) for b in [("X1", "X2")] * 3 + [("Y",)] * 3))
    result = tally(e, "equal-shares-comparison")
    assert result.selected == ("X1", "Y")
    c = result.comparison
    assert c is not None and not c.greedy_kept
    assert (c.prefer_equal_shares, c.prefer_greedy, c.indifferent) == (3, 3, 0)
    assert compare(e, ("X1", "Y"), ("X1", "Y")).indifferent == 6


def test_equal_shares_steps_by_hand() -> None:
    """The election of test_equal_shares_add1_goes_past_the_first_exhaustive_outcome,
    explained: the run that decides is the one at share 127/3.

    Round 1: B costs 25 per supporter; v1 and v2 pay 25 each, with the whole 100 of the budget
    left; v1 keeps 52/3. Round 2: C needs 50 from v1 (52/3) and v3 (127/3): v1 pays all it has
    and v3 the other 98/3, with 50 of the budget left. D is not funded: its one supporter, v3,
    has 29/3 left, less than its 10, and the budget nothing. A has no votes.
    """
    e = election(*PAST_EXHAUSTIVE)
    result = tally(e, "equal-shares")
    assert (result.voters, result.share, result.comparison) == (3, Fraction(127, 3), None)
    assert list(result.steps) == ["B", "C", "A", "D"]
    assert result.steps["B"] == Step("B", Reason.FUNDED, votes=2, score=Fraction(2),
                                     cost=Fraction(50), money_left=Fraction(100), rank=1,
                                     paid_each=Fraction(25), paying=2)
    assert result.steps["C"] == Step("C", Reason.FUNDED, votes=2, score=Fraction(2),
                                     cost=Fraction(50), money_left=Fraction(50), rank=2,
                                     paid_each=Fraction(98, 3), paying=1, paid_out=1,
                                     paid_out_total=Fraction(52, 3))
    assert result.steps["D"] == Step("D", Reason.SUPPORTERS_SHORT, votes=1, score=Fraction(1),
                                     cost=Fraction(10), money_left=Fraction(0),
                                     supporters_money=Fraction(29, 3))
    assert result.steps["A"] == Step("A", Reason.NO_VOTES, votes=0, score=Fraction(0),
                                     cost=Fraction(10), money_left=Fraction(0))
    assert [s.funded for s in result.steps.values()] == [True, True, False, False]


def test_equal_shares_steps_of_free_and_unchosen_projects() -> None:
    """Budget 10, one voter choosing F (free) and A (6); Z (3) chosen by nobody. F is funded
    first at no cost, A for 6 paid by its one supporter; Z is not funded for want of votes,
    though 4 are left."""
    e = election({"F": 0, "A": 6, "Z": 3}, ["FA"], 10)
    result = tally(e, "equal-shares")
    assert result.selected == ("F", "A")
    assert result.steps["F"].reason == Reason.FREE and result.steps["F"].funded
    assert (result.steps["A"].paid_each, result.steps["A"].paying) == (6, 1)
    assert (result.steps["Z"].reason, result.steps["Z"].money_left) == (Reason.NO_VOTES, 4)


def test_greedy_steps_by_hand() -> None:
    """Budget 100; scores A 3, B 2, C 2, D 2 (the election of test_greedy_rules_by_hand).
    The order is A, then the ties at 2 by lower cost: D (20), C (30), B (40). A is funded
    with 100 left, D with 50, C with 30; B costs 40 and 0 are left."""
    e = election({"A": 50, "B": 40, "C": 30, "D": 20}, ["AB", "AC", "A", "BD", "C", "D"], 100)
    steps = tally(e, "greedy").steps
    assert [(s.project, s.reason, s.rank, s.money_left, s.votes) for s in steps.values()] == [
        ("A", Reason.FUNDED, 1, 100, 3), ("D", Reason.FUNDED, 2, 50, 2),
        ("C", Reason.FUNDED, 3, 30, 2), ("B", Reason.TOO_EXPENSIVE, 4, 0, 2)]
    # With D and C alternatives of each other, D goes first and C is excluded by it; B (40)
    # then meets the 30 left.
    grouped = Election(e.budget, e.projects, e.ballots, exclusive_groups=(frozenset("DC"),))
    steps = tally(grouped, "greedy-exclusive").steps
    assert (steps["C"].reason, steps["C"].other) == (Reason.EXCLUDED, "D")
    assert (steps["B"].reason, steps["B"].money_left) == (Reason.TOO_EXPENSIVE, 30)
    # A threshold of 3 votes leaves B, C and D below it.
    high = Election(e.budget, e.projects, e.ballots, min_project_score=Fraction(3))
    steps = tally(high, "greedy-threshold").steps
    assert steps["A"].reason == Reason.FUNDED
    assert {(s.reason, s.threshold) for p, s in steps.items() if p != "A"} == {
        (Reason.BELOW_THRESHOLD, 3)}
    # Without skipping, counting stops at B (60 > 50 left); C comes after it.
    skip = election({"A": 50, "B": 60, "C": 10, "Z": 5}, ["A", "A", "A", "B", "B", "C"], 100)
    steps = tally(skip, "greedy-no-skip").steps
    assert [(s.project, s.reason, s.money_left, s.other) for s in steps.values()] == [
        ("A", Reason.FUNDED, 100, None), ("B", Reason.TOO_EXPENSIVE, 50, None),
        ("C", Reason.STOPPED, 50, "B"), ("Z", Reason.NO_VOTES, 50, None)]


def test_greedy_rules_by_hand() -> None:
    e = election({"A": 50, "B": 40, "C": 30, "D": 20}, ["AB", "AC", "A", "BD", "C", "D"], 100)
    assert scores(e) == {"A": 3, "B": 2, "C": 2, "D": 2}
    # A (3 votes), then the ties at 2 by lower cost: D (20), C (30); B (40) no longer fits.
    assert greedy(e) == ("A", "D", "C")
    assert tally(e, "greedy").selected == ("A", "D", "C")
    assert greedy(e, threshold=Fraction(3)) == ("A",)
    assert greedy(e, exclusive_groups=[frozenset("DC")]) == ("A", "D")
    assert greedy(e, exclusive_groups=[frozenset("AD")]) == ("A", "C")
    # B (2 votes, 60) does not fit after A: greedy skips to C, greedy-no-skip stops.
    skip = election({"A": 50, "B": 60, "C": 10}, ["A", "A", "A", "B", "B", "C"], 100)
    assert greedy(skip) == ("A", "C")
    assert greedy(skip, skip=False) == ("A",)
    assert tally(skip, "greedy-no-skip").selected == ("A",)


def test_a_project_nobody_chose_is_never_funded() -> None:
    e = election({"A": 10, "Z": 1}, ["A"], 100)
    for rule in ("greedy", "greedy-no-skip", "equal-shares"):
        assert tally(e, rule).selected == ("A",)


def test_greedy_threshold_uses_the_election_threshold() -> None:
    e = election({"A": 10, "B": 10}, ["A", "A", "B"], 100, min_project_score=2)
    assert tally(e, "greedy-threshold").selected == ("A",)
    # A threshold the election states holds under every greedy rule (as Pabulib files mean it).
    assert tally(e, "greedy").selected == ("A",)
    assert tally(e, "greedy-no-skip").selected == ("A",)
    assert tally(election({"A": 10, "B": 10}, ["A", "A", "B"], 100), "greedy").selected == (
        "A", "B")
    with pytest.raises(TallyError, match="threshold"):
        tally(election({"A": 10}, ["A"], 100), "greedy-threshold")


def test_greedy_exclusive_reads_the_groups() -> None:
    e = election({"A": 10, "B": 10, "C": 10}, ["AB", "AB", "C"], 100,
                 exclusive_groups=(frozenset("AB"),))
    assert tally(e, "greedy-exclusive").selected == ("A", "C")
    assert tally(e, "greedy").selected == ("A", "B", "C")


def test_ordinal_scores() -> None:
    candidates = tuple(Candidate(p, 1) for p in "ABC")
    ballots = (Ballot(("C", "A"), (Fraction(5), Fraction(1))), Ballot(("A",)))
    mixed = Election(10, candidates, ballots, vote_type="ordinal", max_length=3)
    # A ballot with points uses them; one without gets max_length, max_length - 1, ...
    assert scores(mixed) == {"A": 1 + 3, "B": 0, "C": 5}
    positional = election({"A": 1, "B": 1, "C": 1}, ["CAB", "AB"], 10, vote_type="ordinal")
    assert scores(positional) == {"A": 2 + 2, "B": 1 + 1, "C": 3}


def test_cumulative_scores_and_fractional_points() -> None:
    e = Election(10, (Candidate("A", 1), Candidate("B", 1)),
                 (Ballot(("A", "B"), (Fraction(1, 2), 2)), Ballot(("B",), (3,))),
                 vote_type="cumulative")
    assert scores(e) == {"A": Fraction(1, 2), "B": 5}


def test_rule_names() -> None:
    assert normalise_rule("equalshares/add1") == "equal-shares"
    assert normalise_rule("EqualShares/Add1-Comparison") == "equal-shares-comparison"
    assert normalise_rule("equal-shares-comparison") == "equal-shares-comparison"
    assert normalise_rule(" Greedy-No-Skip ") == "greedy-no-skip"
    with pytest.raises(TallyError, match="unknown rule 'phragmen'"):
        normalise_rule("phragmen")
    with pytest.raises(TallyError, match="no rule"):
        tally(election({"A": 1}, ["A"], 1))
    assert tally(election({"A": 1}, ["A"], 1, rule="greedy-no-skip")).rule == "greedy-no-skip"


def test_bad_plain_data_is_refused() -> None:
    with pytest.raises(TallyError, match="unknown project 'Q'"):
        election({"A": 1}, ["Q"], 1)
    with pytest.raises(TallyError, match="twice"):
        election({"A": 1}, ["AA"], 1)
    with pytest.raises(TallyError, match="negative"):
        election({"A": -1}, ["A"], 1)
    with pytest.raises(TallyError, match="vote type"):
        election({"A": 1}, ["A"], 1, vote_type="ranked")


def test_empty_elections() -> None:
    assert tally(election({"A": 10}, [], 100), "equal-shares").selected == ()
    assert tally(election({"A": 10}, ["", ""], 100), "equal-shares").selected == ()
    assert tally(election({"A": 10, "F": 0}, ["AF"], 0), "equal-shares").selected == ("F",)


# --- properties of random small elections ------------------------------------------------------


@st.composite
def small_elections(draw: st.DrawFn) -> Election:
    count = draw(st.integers(1, 6))
    ids = [f"p{i}" for i in range(count)]
    costs = [draw(st.integers(0, 60)) if draw(st.integers(0, 9)) else 0 for _ in ids]
    ballots = [
        Ballot(tuple(draw(st.permutations(ids))[: draw(st.integers(0, count))]))
        for _ in range(draw(st.integers(0, 7)))
    ]
    budget = draw(st.one_of(st.integers(0, 150), st.fractions(0, 150, max_denominator=20)))
    return Election(Fraction(budget), tuple(map(Candidate, ids, costs)), tuple(ballots),
                    min_project_score=Fraction(draw(st.integers(0, 3))))


def reference_equal_shares(e: Election) -> tuple[str, ...]:
    """Equal Shares with cost utilities and Add1 straight from the definition: one budget per
    voter, every price recomputed every round, the share raised one unit at a time until the
    next outcome would cost more than the budget (or every chosen project is funded)."""
    voters = [set(b.projects) for b in e.ballots]
    if not voters:
        return ()
    supporters = {p.id: [v for v, chosen in enumerate(voters) if p.id in chosen]
                  for p in e.projects}
    order = {p.id: i for i, p in enumerate(e.projects)}
    free = [p.id for p in e.projects if p.cost == 0 and supporters[p.id]]
    candidates = [p for p in e.projects if p.cost > 0 and supporters[p.id]]

    def rho(project: Candidate, money: list[Fraction]) -> Fraction | None:
        held = sorted(money[v] for v in supporters[project.id])
        if sum(held) < project.cost:
            return None
        paid = Fraction(0)
        for poorer, amount in enumerate(held):
            alpha = (project.cost - paid) / (len(held) - poorer)
            if alpha <= amount:
                return alpha / project.cost
            paid += amount
        raise AssertionError("unreachable")

    def mes(share: Fraction) -> list[Candidate]:
        money = [share] * len(voters)
        funded: list[Candidate] = []
        while True:
            offers = [(r, -len(supporters[p.id]), p.cost, order[p.id], p)
                      for p in candidates if p not in funded
                      and (r := rho(p, money)) is not None]
            if not offers:
                return funded
            r, *_, best = min(offers, key=lambda o: o[:4])
            for v in supporters[best.id]:
                money[v] -= min(money[v], r * best.cost)
            funded.append(best)

    previous: list[Candidate] = []
    k = 0
    while True:
        outcome = mes(e.budget / len(voters) + k)
        spent = sum(p.cost for p in outcome)
        if spent > e.budget:
            outcome = previous
            break
        if all(p in outcome for p in candidates):
            break
        previous, k = outcome, k + 1
    return tuple(free) + tuple(p.id for p in outcome)


@settings(max_examples=300, deadline=None)
@given(small_elections())
def test_every_rule_stays_within_budget(e: Election) -> None:
    for rule in ("greedy", "greedy-no-skip", "greedy-threshold", "equal-shares"):
        result = tally(e, rule)
        cost = {p.id: p.cost for p in e.projects}
        assert result.total_cost == sum(cost[p] for p in result.selected)
        assert result.total_cost <= e.budget, rule
        assert len(set(result.selected)) == len(result.selected)
    no_skip = tally(e, "greedy-no-skip").selected
    assert tally(e, "greedy").selected[: len(no_skip)] == no_skip


@settings(max_examples=300, deadline=None)
@given(small_elections())
def test_the_steps_agree_with_the_outcome(e: Election) -> None:
    cost = {p.id: p.cost for p in e.projects}
    for rule in RULES:
        if rule == "greedy-exclusive":
            continue
        result = tally(e, rule)
        assert set(result.steps) == set(cost)
        assert {p for p, s in result.steps.items() if s.funded} == set(result.selected), rule
        funded = [s for s in result.steps.values() if s.reason == Reason.FUNDED]
        for step in result.steps.values():
            assert step.money_left >= 0 and step.cost == cost[step.project]
            if step.reason == Reason.TOO_EXPENSIVE:
                assert step.cost > step.money_left
        # Each funded project was paid from the money left when it was considered.
        for step in funded:
            assert step.cost <= step.money_left or rule.startswith("equal-shares")
        if result.share is not None:  # equal shares: the supporters paid the cost exactly
            for step in funded:
                assert step.paid_each is not None
                assert step.paid_each * step.paying + step.paid_out_total == step.cost
                assert step.paying + step.paid_out == step.votes
            for step in result.steps.values():
                if step.reason == Reason.SUPPORTERS_SHORT:
                    assert step.supporters_money is not None
                    assert step.supporters_money < step.cost


@settings(max_examples=300, deadline=None)
@given(small_elections())
def test_equal_shares_matches_the_textbook_definition(e: Election) -> None:
    assert equal_shares(e) == reference_equal_shares(e)


@pytest.mark.parametrize("name", ["Netherlands_Assen_2024.pb",
                                  "Poland_Warszawa_2019_subunit_Wawer.pb",
                                  "Poland_Gdynia_2020_Srodmiescie__large.pb"])
def test_equal_shares_matches_the_textbook_on_small_shared_files(name: str) -> None:
    e = Election.from_pabulib(load(shared_dir() / name))
    assert equal_shares(e) == reference_equal_shares(e)


@pytest.mark.slow
@pytest.mark.parametrize("path", REAL_FILES, ids=lambda p: p.name)
def test_equal_shares_matches_the_textbook_on_shared_files(path: Path) -> None:
    """Every shared file with at most 5000 chosen projects on all its ballots, counted with
    equal shares whatever its own rule: a minute or two in all, since the textbook version
    recomputes everything at every Add1 step (the larger files would take an hour)."""
    e = Election.from_pabulib(load(path))
    if sum(len(b.projects) for b in e.ballots) > 5000:
        pytest.skip("too slow for the textbook version")
    assert equal_shares(e) == reference_equal_shares(e)


@st.composite
def add1_elections(draw: st.DrawFn) -> Election:
    """Elections in which Add1 climbs for hundreds of steps: up to 40 voters casting a few
    distinct ballots (groups with weights), costs up to 1000 and often equal (ties)."""
    count = draw(st.integers(1, 7))
    ids = [f"p{i}" for i in range(count)]
    cost = st.one_of(st.sampled_from([0, 60, 100, 250]), st.integers(1, 1000))
    costs = [draw(cost) for _ in ids]
    kinds = [tuple(draw(st.permutations(ids))[: draw(st.integers(0, count))])
             for _ in range(draw(st.integers(1, 8)))]
    ballots = [Ballot(draw(st.sampled_from(kinds))) for _ in range(draw(st.integers(1, 40)))]
    budget = sum(costs) * draw(st.fractions(0, 1, max_denominator=40))  # often not all fit
    return Election(budget, tuple(map(Candidate, ids, costs)), tuple(ballots))


def plain_add1(mes: EqualShares) -> tuple[int, tuple[int, ...]]:
    """Add1 without shortcuts: one uncertified MES run at each step k = 0, 1, 2, ..."""
    everything = sum(1 for i in mes.candidates if mes.costs[i] > 0)
    k, current = 0, mes._mes(0, wanted=None).funded
    while len(current) < everything:
        following = mes._mes(k + 1, wanted=None).funded
        if sum(mes.costs[i] for i in following) > mes.budget:
            break
        k, current = k + 1, following
    return k, current


@settings(max_examples=100, deadline=None)
@given(add1_elections())
def test_equal_shares_add1_shortcuts_match_the_plain_loop(e: Election) -> None:
    """The search over Add1 steps (certified runs, galloping, borrowed bounds) stops at the
    same step with the same outcome as trying every step."""
    mes = EqualShares(e)
    assert mes.completion() == plain_add1(mes)


# B and C tie at step 9, where B wins on the tie-break: the run at step 5, which funds C
# second, must not be certified beyond step 8.
TIE_AT_STEP_9 = election({"A": 30, "B": 36, "C": 36, "D": 18}, ["BD", "ABCD", "C"], 54)


@settings(max_examples=100, deadline=None)
@given(add1_elections(), st.integers(0, 300))
@example(TIE_AT_STEP_9, 5)
def test_a_certified_run_holds_at_every_step_it_covers(e: Election, k: int) -> None:
    """A run certified up to step ``last`` funds the same projects in the same order as an
    uncertified run at every step from its own to ``last`` (checked up to 200 steps)."""
    mes = EqualShares(e)
    run = mes._mes(k)
    last = k + 200 if run.last is None else min(run.last, k + 200)
    for step in range(k, last + 1):
        assert mes._mes(step, wanted=None).funded == run.funded, step


@settings(max_examples=150, deadline=None)
@given(small_elections())
def test_equal_shares_matches_pabutools(e: Election) -> None:
    pabutools = pytest.importorskip("pabutools")  # GPL; a development-only cross-check
    from pabutools.election import ApprovalBallot, ApprovalProfile, Cost_Sat, Instance, Project
    from pabutools.fractions import frac
    from pabutools.rules import method_of_equal_shares
    from pabutools.tiebreaking import TieBreakingRule

    assert pabutools
    projects = {p.id: Project(p.id, p.cost) for p in e.projects}
    instance = Instance(projects.values(),
                        budget_limit=frac(e.budget.numerator, e.budget.denominator))
    profile = ApprovalProfile([ApprovalBallot(projects[i] for i in b.projects)
                               for b in e.ballots])
    support = {i: sum(i in b.projects for b in e.ballots) for i in projects}
    order = {p.id: (-support[p.id], p.cost, n) for n, p in enumerate(e.projects)}
    ties = TieBreakingRule(lambda _instance, _profile, project: order[project.name])
    # Without completion: pabutools' Add1 (voter_budget_increment) stops at the first
    # exhaustive outcome, which is not how the official Add1 results were counted (see
    # budget.tally.equal_shares); Add1 is checked against the textbook definition above.
    theirs = method_of_equal_shares(instance, profile, sat_class=Cost_Sat, tie_breaking=ties)
    ours = tally(e, "equal-shares-basic").selected
    # Projects of cost 0 are left out of the comparison: we fund those somebody chose (their
    # price is 0) first; pabutools puts them in its initial allocation.
    assert [p.name for p in theirs if p.cost > 0] == [i for i in ours if projects[i].cost > 0]


@settings(max_examples=100, deadline=None)
@given(small_elections())
def test_comparison_step_matches_pabutools(e: Election) -> None:
    """pabutools' popularity_comparison of Equal Shares (without completion, see
    test_equal_shares_matches_pabutools) and greedy by votes, with the number of funded chosen
    projects as the voters' satisfaction: one winner agrees with ours; on a tie it returns
    both, and we keep Equal Shares."""
    pabutools = pytest.importorskip("pabutools")  # GPL; a development-only cross-check
    from pabutools.election import (
        ApprovalBallot,
        ApprovalProfile,
        Cardinality_Sat,
        Cost_Sat,
        Instance,
        Project,
    )
    from pabutools.fractions import frac
    from pabutools.rules import (
        greedy_utilitarian_welfare,
        method_of_equal_shares,
        popularity_comparison,
    )
    from pabutools.tiebreaking import TieBreakingRule

    assert pabutools
    if any(p.cost == 0 for p in e.projects) or not e.ballots:
        return  # pabutools drops free projects from Add1 and needs a voter
    projects = {p.id: Project(p.id, p.cost) for p in e.projects}
    instance = Instance(projects.values(),
                        budget_limit=frac(e.budget.numerator, e.budget.denominator))
    profile = ApprovalProfile([ApprovalBallot(projects[i] for i in b.projects)
                               for b in e.ballots])
    support = {i: sum(i in b.projects for b in e.ballots) for i in projects}
    order = {p.id: (-support[p.id], p.cost, n) for n, p in enumerate(e.projects)}
    ties = TieBreakingRule(lambda _instance, _profile, project: order[project.name])
    theirs = popularity_comparison(
        instance, profile, Cardinality_Sat,
        [method_of_equal_shares, greedy_utilitarian_welfare],
        [{"sat_class": Cost_Sat, "tie_breaking": ties},
         {"sat_class": Cost_Sat, "tie_breaking": ties}])
    ours = tally(e, "equal-shares-basic-comparison")
    outcomes = [sorted(p.name for p in outcome if support[p.name]) for outcome in theirs]
    assert ours.comparison is not None
    if len(outcomes) == 1:
        assert sorted(ours.selected) == outcomes[0]
    else:
        assert not ours.comparison.greedy_kept
        assert sorted(ours.selected) in outcomes
