"""Counting rules of participatory budgeting, as pure functions over plain data.

The input is an :class:`Election`: the budget, the projects (id and cost, in a fixed order
that serves as the last tie-breaker) and the ballots (the chosen project ids, in order of
preference for ordinal ballots, with optional points). It is built from a Pabulib file with
:meth:`Election.from_pabulib` or from database rows by the budget module. :func:`tally` runs a
rule and returns a :class:`Result`: the winners and, for every project, the :class:`Step` that
decided its fate (what the results page and the API explain to residents).

Scores
    A project's score is what greedy rules sort by. For ``approval`` and ``choose-1`` ballots it
    is the number of ballots choosing the project. For ``cumulative`` and ``scoring`` ballots it
    is the sum of the points given to it (a ballot without points gives 1 to each choice). For
    ``ordinal`` ballots it is the sum of the points when the ballots carry them; otherwise the
    first choice gets L points, the second L - 1 and so on, where L is META ``max_length`` (or
    the ballot's length if that is larger) - the Borda-like count that Kraków uses, which
    reproduces the ``score`` column of the Pabulib files.

Rules (our name, then the Pabulib META ``rule`` values that map to it)
    ``greedy`` (``greedy``): projects by descending score; each one that still fits in the
        remaining budget is funded, one that does not is skipped.
    ``greedy-no-skip`` (``greedy-no-skip``): the same, but counting stops at the first project
        that does not fit.
    ``greedy-threshold`` (``greedy-threshold``): greedy over the projects whose score reaches
        META ``min_project_score_threshold``. A threshold the election states applies under the
        other greedy rules too (Bydgoszcz 2025 counts ``greedy-no-skip`` with one), as Pabulib's
        checker reads the files; the budget module states one only for ``greedy-threshold``.
    ``greedy-exclusive`` (``greedy-exclusive``): greedy where projects of one exclusion group
        (for example two alternative designs of the same square) exclude each other: once one
        is funded the others are skipped. Pabulib files do not list the groups (Warszawa 2024
        Wesoła, the one file using the rule, is reproduced by plain greedy); the budget module
        passes them in :attr:`Election.exclusive_groups`.
    ``equal-shares`` (``equalshares/add1``): the Method of Equal Shares with cost utilities
        completed by Add1; see :func:`equal_shares`.
    ``equal-shares-comparison`` (``equalshares/add1-comparison``): the same, followed by the
        comparison step; see :func:`compare`.
    ``equal-shares-basic`` (``equalshares``) and ``equal-shares-basic-comparison``
        (``equalshares-comparison``): the Method of Equal Shares without completion (each voter
        keeps the share budget / voters), without and with the comparison step.

    Two more values occur in Pabulib files and name no rule that can be computed from the
    file: ``greedy-custom`` (a city's own variant of greedy, described in the file's
    ``comment``) and ``unknown``. Both are counted with ``greedy`` and carry a note saying so
    (:data:`APPROXIMATED`), so that a caller can warn that the official result may differ.

    These are the ten values that Pabulib's format and its checker (pabulib-helpers) list; the
    distinction of the four Equal Shares variants dates from Pabulib's April 2026 update, which
    also relabelled Wieliczka 2023 (the first city to count with Equal Shares) as
    ``equalshares/add1-comparison``.

    Under every rule a project with score 0 (nobody chose it) is never funded.

Tie-breaking (deterministic)
    Greedy rules: higher score, then lower cost, then the order of the projects in the
    election (file order). Equal Shares: lower price per unit of utility (rho), then more
    supporters, then lower cost, then file order - the "maxVotes, minCost" order of
    equalshares.net. All seventeen shared Pabulib files reproduce their official winners under
    these rules; none of them depends on a tie.

All arithmetic is exact (integers and fractions); money is reported as
:class:`~fractions.Fraction`.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from itertools import repeat
from math import gcd, lcm
from operator import attrgetter, mul
from typing import TYPE_CHECKING, NamedTuple

from budget.pabulib.format import VOTE_TYPES  # every vote type of the format is counted

if TYPE_CHECKING:
    from budget.pabulib.format import Instance

__all__ = [
    "APPROXIMATED",
    "EQUAL_SHARES_RULES",
    "PABULIB_NAMES",
    "PABULIB_RULES",
    "RULES",
    "VOTE_TYPES",
    "Ballot",
    "Candidate",
    "Comparison",
    "Election",
    "Reason",
    "Result",
    "Step",
    "TallyError",
    "compare",
    "equal_shares",
    "greedy",
    "normalise_rule",
    "scores",
    "supporters",
    "tally",
]

RULES = ("greedy", "greedy-no-skip", "greedy-threshold", "greedy-exclusive", "equal-shares",
         "equal-shares-comparison", "equal-shares-basic", "equal-shares-basic-comparison")
"""Our rule names."""

EQUAL_SHARES_RULES = frozenset(r for r in RULES if r.startswith("equal-shares"))
"""The rules that count with the Method of Equal Shares."""
_COMPLETED = frozenset({"equal-shares", "equal-shares-comparison"})  # with Add1
_COMPARED = frozenset({"equal-shares-comparison", "equal-shares-basic-comparison"})

PABULIB_NAMES: Mapping[str, str] = {
    "equal-shares": "equalshares/add1",
    "equal-shares-comparison": "equalshares/add1-comparison",
    "equal-shares-basic": "equalshares",
    "equal-shares-basic-comparison": "equalshares-comparison",
}
"""Our rules as a Pabulib file names them where the names differ (what an export writes)."""

APPROXIMATED: Mapping[str, str] = {
    "greedy-custom": "the file's rule greedy-custom is a city's own variant of greedy "
                     "(described in the file's comment); it is counted with plain greedy, so "
                     "the official winners may differ",
    "unknown": "the file does not name the rule that decided its official result "
               "(rule unknown); it is counted with greedy",
}
"""Pabulib rule values that name no computable rule, with the note a count of them carries."""

PABULIB_RULES: Mapping[str, str] = {
    "greedy": "greedy",
    "greedy-no-skip": "greedy-no-skip",
    "greedy-threshold": "greedy-threshold",
    "greedy-exclusive": "greedy-exclusive",
    **{pabulib: ours for ours, pabulib in PABULIB_NAMES.items()},
    **dict.fromkeys(APPROXIMATED, "greedy"),
}
"""Pabulib META ``rule`` values and the rule of ours that computes them."""

APPROVAL_TYPES = frozenset({"approval", "choose-1"})  # their points, if any, do not count

Money = int | Decimal | Fraction


class TallyError(ValueError):
    """The election cannot be counted as asked (unknown rule, missing threshold, bad data)."""


@dataclass(frozen=True)
class Candidate:
    """A project on the ballot: its id and its cost."""

    id: str
    cost: Fraction

    def __post_init__(self) -> None:
        object.__setattr__(self, "cost", _fraction(self.cost, f"cost of {self.id!r}"))
        if self.cost < 0:
            raise TallyError(f"project {self.id!r} has a negative cost")


@dataclass(frozen=True)
class Ballot:
    """One voter's choices (in order of preference where that matters) and optional points."""

    projects: tuple[str, ...]
    points: tuple[Fraction, ...] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "projects", tuple(self.projects))
        if self.points is not None:
            points = tuple(_fraction(p, "points") for p in self.points)
            if len(points) != len(self.projects):
                raise TallyError("a ballot has a different number of points and projects")
            object.__setattr__(self, "points", points)


@dataclass(frozen=True)
class Election:
    """Everything a counting rule needs, as plain values.

    ``projects`` are in the order used as the final tie-breaker. ``rule`` may be one of
    :data:`RULES` or a Pabulib rule name; ``min_project_score`` is the threshold of
    ``greedy-threshold``; ``max_length`` is used for positional scores of ordinal ballots;
    ``exclusive_groups`` lists sets of project ids of which at most one may be funded.
    """

    budget: Fraction
    projects: tuple[Candidate, ...]
    ballots: tuple[Ballot, ...]
    vote_type: str = "approval"
    rule: str | None = None
    min_project_score: Fraction | None = None
    max_length: int | None = None
    exclusive_groups: tuple[frozenset[str], ...] = field(default=())
    # How many ballots make each distinct choice: counted once here, where every ballot has to
    # be checked anyway, so that the rules work once per distinct ballot, not once per voter.
    choices: Counter[tuple[str, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "budget", _fraction(self.budget, "budget"))
        if self.budget < 0:
            raise TallyError("the budget is negative")
        set_(self, "projects", tuple(self.projects))
        set_(self, "ballots", tuple(self.ballots))
        set_(self, "exclusive_groups", tuple(frozenset(g) for g in self.exclusive_groups))
        if self.min_project_score is not None:
            set_(self, "min_project_score", _fraction(self.min_project_score, "threshold"))
        if self.vote_type not in VOTE_TYPES:
            raise TallyError(f"unknown vote type {self.vote_type!r}")
        ids = [p.id for p in self.projects]
        known = set(ids)
        if len(known) != len(ids):
            raise TallyError("two projects share an id")
        choices = Counter(map(attrgetter("projects"), self.ballots))
        for chosen in choices:
            if len(set(chosen)) != len(chosen):
                raise TallyError("a ballot chooses the same project twice")
            if not known.issuperset(chosen):
                unknown = next(p for p in chosen if p not in known)
                raise TallyError(f"a ballot chooses the unknown project {unknown!r}")
        set_(self, "choices", choices)
        for group in self.exclusive_groups:
            if not known.issuperset(group):
                raise TallyError("an exclusion group names an unknown project")

    @classmethod
    def from_pabulib(cls, instance: Instance) -> Election:
        """The election described by a parsed Pabulib file."""
        threshold = instance.min_project_score_threshold
        return cls(
            budget=_fraction(instance.budget, "budget"),
            projects=tuple(Candidate(p.project_id, p.cost) for p in instance.projects),
            ballots=tuple(Ballot(v.projects, v.points) for v in instance.votes),
            vote_type=instance.vote_type,
            rule=instance.rule,
            min_project_score=None if threshold is None else Fraction(threshold),
            max_length=instance.max_length,
        )


class Reason(StrEnum):
    """Why a project was funded or not: the step of the count that decided it."""

    FUNDED = "funded"  # greedy: it fitted into the money left; equal shares: its supporters paid
    FREE = "free"  # it costs nothing and somebody chose it (equal shares funds it first)
    NO_VOTES = "no-votes"  # nobody chose it
    BELOW_THRESHOLD = "below-threshold"  # its score is below the rule's threshold
    TOO_EXPENSIVE = "too-expensive"  # greedy: it cost more than the money left at its turn
    STOPPED = "stopped"  # greedy-no-skip: counting had stopped (at `other`) before its turn
    EXCLUDED = "excluded"  # greedy-exclusive: `other`, of its exclusion group, was funded
    SUPPORTERS_SHORT = "supporters-short"  # equal shares: its supporters had too little left


@dataclass(frozen=True)
class Step:
    """What the count did with one project, in figures a resident can check.

    ``money_left`` is the money of the budget left when the project was considered: at its
    turn for greedy rules; when it was funded, or at the end of the count if it was not, for
    Equal Shares. ``rank`` is its place in the greedy order (1 = highest score) or the round
    in which Equal Shares funded it. For a project Equal Shares funded, ``paying`` supporters
    paid ``paid_each`` each and ``paid_out`` supporters, who had less than that left, paid all
    they had (``paid_out_total`` together); for one it did not fund, ``supporters_money`` is
    what its supporters had left when the count ended. Only counts and amounts are kept, never
    who paid what.
    """

    project: str
    reason: Reason
    votes: int
    score: Fraction
    cost: Fraction
    money_left: Fraction
    rank: int | None = None
    other: str | None = None
    threshold: Fraction | None = None
    paid_each: Fraction | None = None
    paying: int = 0
    paid_out: int = 0
    paid_out_total: Fraction = Fraction(0)
    supporters_money: Fraction | None = None

    @property
    def funded(self) -> bool:
        return self.reason in (Reason.FUNDED, Reason.FREE)


@dataclass(frozen=True)
class Comparison:
    """The comparison step: the outcomes of Equal Shares and of greedy by votes over the whole
    budget, and how many voters prefer each (a voter prefers the outcome that funds more of
    the projects they chose). Greedy's outcome replaces Equal Shares' only if strictly more
    voters prefer it."""

    equal_shares: tuple[str, ...]
    greedy: tuple[str, ...]
    prefer_equal_shares: int
    prefer_greedy: int
    indifferent: int

    @property
    def greedy_kept(self) -> bool:
        return self.prefer_greedy > self.prefer_equal_shares


@dataclass(frozen=True)
class Result:
    """The outcome: funded project ids in the order the rule funded them, their total cost,
    the budget, every project's score and the rule (our name) that produced it; and what
    explains it: every project's :class:`Step` (in the order the count considered them), the
    number of voters, each voter's share of the money in the Equal Shares run that decided
    (``share``, None for greedy rules) and the comparison step, if the rule has one."""

    rule: str
    selected: tuple[str, ...]
    total_cost: Fraction
    budget: Fraction
    scores: Mapping[str, Fraction]
    steps: Mapping[str, Step] = field(default_factory=dict)
    voters: int = 0
    share: Fraction | None = None
    comparison: Comparison | None = None


def normalise_rule(name: str) -> str:
    """Map one of our rule names or a Pabulib rule name to our name."""
    key = name.strip().lower()
    if key in RULES:
        return key
    if key in PABULIB_RULES:
        return PABULIB_RULES[key]
    known = ", ".join(sorted(set(RULES) | set(PABULIB_RULES)))
    raise TallyError(f"unknown rule {name!r} (known rules: {known})")


def tally(data: Election | Instance, rule: str | None = None) -> Result:
    """Count an election (or a parsed Pabulib instance) with ``rule``, or with the election's
    own rule (Pabulib META ``rule``) when ``rule`` is None."""
    election = data if isinstance(data, Election) else Election.from_pabulib(data)
    name = rule if rule is not None else election.rule
    if name is None:
        raise TallyError("no rule given and the election names none")
    chosen = normalise_rule(name)
    project_scores = scores(election)
    votes = supporters(election)
    share: Fraction | None = None
    comparison = None
    if chosen in EQUAL_SHARES_RULES:
        mes = _EqualShares(election)
        k = mes.completion()[0] if chosen in _COMPLETED else 0
        selected, steps, share = mes.explained(k, project_scores, votes)
        if chosen in _COMPARED:
            by_votes, greedy_steps = _greedy(election, project_scores, votes,
                                             order={p: Fraction(n) for p, n in votes.items()})
            comparison = compare(election, selected, by_votes)
            if comparison.greedy_kept:
                selected, steps, share = by_votes, greedy_steps, None
    elif chosen == "greedy-threshold":
        if election.min_project_score is None:
            raise TallyError("greedy-threshold needs a minimum project score")
        selected, steps = _greedy(election, project_scores, votes,
                                  threshold=election.min_project_score)
    else:
        selected, steps = _greedy(
            election,
            project_scores,
            votes,
            skip=chosen != "greedy-no-skip",
            threshold=election.min_project_score,
            exclusive_groups=election.exclusive_groups if chosen == "greedy-exclusive" else (),
        )
    cost = {p.id: p.cost for p in election.projects}
    return Result(
        rule=chosen,
        selected=selected,
        total_cost=sum((cost[p] for p in selected), Fraction(0)),
        budget=election.budget,
        scores=project_scores,
        steps=steps,
        voters=len(election.ballots),
        share=share,
        comparison=comparison,
    )


def scores(election: Election) -> dict[str, Fraction]:
    """Every project's score for the election's vote type (see the module docstring)."""
    whole: Counter[str] = Counter(dict.fromkeys((p.id for p in election.projects), 0))
    parts: dict[str, Fraction] = {}
    kind = election.vote_type
    with_points = kind not in APPROVAL_TYPES and any(b.points is not None
                                                     for b in election.ballots)
    if not with_points and kind != "ordinal":
        for chosen, count in election.choices.items():
            for project_id in chosen:
                whole[project_id] += count
        return {p: Fraction(n) for p, n in whole.items()}
    distinct = Counter(zip(map(attrgetter("projects"), election.ballots),
                           map(attrgetter("points"), election.ballots), strict=True))
    for (chosen, points), count in distinct.items():
        gains: Iterable[tuple[str, Fraction | int]]
        if points is not None:
            gains = zip(chosen, points, strict=True)
        elif kind == "ordinal":  # positional count
            top = max(election.max_length or 0, len(chosen))
            gains = ((p, top - position) for position, p in enumerate(chosen))
        else:  # a cumulative ballot without points gives 1 to each choice
            gains = ((p, 1) for p in chosen)
        for project_id, gain in gains:
            if isinstance(gain, int) or gain.denominator == 1:
                whole[project_id] += int(gain) * count
            else:
                parts[project_id] = parts.get(project_id, Fraction(0)) + gain * count
    return {p: Fraction(n) + parts.get(p, 0) for p, n in whole.items()}


def supporters(election: Election) -> dict[str, int]:
    """How many ballots choose each project (its votes, whatever the vote type)."""
    counts: Counter[str] = Counter(dict.fromkeys((p.id for p in election.projects), 0))
    for chosen, count in election.choices.items():
        for project_id in chosen:
            counts[project_id] += count
    return dict(counts)


def greedy(
    election: Election,
    *,
    skip: bool = True,
    threshold: Fraction | None = None,
    exclusive_groups: Iterable[frozenset[str]] = (),
) -> tuple[str, ...]:
    """Fund projects by descending score while the money lasts.

    With ``skip`` a project that no longer fits is passed over and counting goes on with
    cheaper ones; without it counting stops there. Projects scoring below ``threshold`` and
    projects nobody chose are not eligible. After a project is funded, the other members of
    its ``exclusive_groups`` are passed over.
    """
    return _greedy(
        election, scores(election), supporters(election), skip=skip, threshold=threshold,
        exclusive_groups=exclusive_groups,
    )[0]


def _greedy(
    election: Election,
    project_scores: Mapping[str, Fraction],
    votes: Mapping[str, int],
    *,
    order: Mapping[str, Fraction] | None = None,
    skip: bool = True,
    threshold: Fraction | None = None,
    exclusive_groups: Iterable[frozenset[str]] = (),
) -> tuple[tuple[str, ...], dict[str, Step]]:
    """Greedy counting by ``order`` (the scores unless given), with every project's step."""
    rank_by = project_scores if order is None else order
    group_of: dict[str, set[str]] = {}
    for group in exclusive_groups:
        for project_id in group:
            group_of.setdefault(project_id, set()).update(group - {project_id})
    position = {p.id: i for i, p in enumerate(election.projects)}
    eligible = [
        p
        for p in election.projects
        if rank_by[p.id] > 0 and (threshold is None or rank_by[p.id] >= threshold)
    ]
    eligible.sort(key=lambda p: (-rank_by[p.id], p.cost, position[p.id]))
    remaining = election.budget
    funded: list[str] = []
    excluded_by: dict[str, str] = {}
    stopped_at: str | None = None
    steps: dict[str, Step] = {}
    for rank, project in enumerate(eligible, start=1):
        reason, other = Reason.FUNDED, None
        left = remaining
        if stopped_at is not None:
            reason, other = Reason.STOPPED, stopped_at
        elif project.id in excluded_by:
            reason, other = Reason.EXCLUDED, excluded_by[project.id]
        elif project.cost <= remaining:
            funded.append(project.id)
            remaining -= project.cost
            for alternative in group_of.get(project.id, ()):
                excluded_by.setdefault(alternative, project.id)
        else:
            reason = Reason.TOO_EXPENSIVE
            if not skip:
                stopped_at = project.id
        steps[project.id] = Step(project.id, reason, votes[project.id],
                                 project_scores[project.id], project.cost, left, rank=rank,
                                 other=other)
    for project in election.projects:
        if project.id not in steps:
            nobody = rank_by[project.id] <= 0
            steps[project.id] = Step(
                project.id, Reason.NO_VOTES if nobody else Reason.BELOW_THRESHOLD,
                votes[project.id], project_scores[project.id], project.cost, remaining,
                threshold=None if nobody else threshold)
    return tuple(funded), steps


def compare(election: Election, equal_shares: Sequence[str], by_votes: Sequence[str]
            ) -> Comparison:
    """The comparison step that follows Equal Shares in ``equalshares/add1-comparison``.

    As equalshares.net (its compute tool, comparison "satisfaction") and Pabulib's checker
    define it: greedy by votes is run over the whole budget; each voter's satisfaction with an
    outcome is the number of funded projects among those they chose; a voter prefers the
    outcome that satisfies them more. Greedy's outcome is taken only if strictly more voters
    prefer it than prefer Equal Shares' (pabutools' ``popularity_comparison`` counts the same
    preferences but returns both outcomes on a tie; we keep Equal Shares, as equalshares.net
    does).
    """
    ours, theirs = set(equal_shares), set(by_votes)
    prefer_ours = prefer_theirs = indifferent = 0
    for chosen, count in election.choices.items():
        mine = sum(p in ours for p in chosen)
        other = sum(p in theirs for p in chosen)
        if mine > other:
            prefer_ours += count
        elif other > mine:
            prefer_theirs += count
        else:
            indifferent += count
    return Comparison(tuple(equal_shares), tuple(by_votes), prefer_ours, prefer_theirs,
                      indifferent)


def equal_shares(election: Election) -> tuple[str, ...]:
    """The Method of Equal Shares with cost utilities, completed by Add1.

    **MES** (Peters and Skowron; equalshares.net). Every voter gets an equal share ``t`` of the
    budget. A project ``p`` of cost ``c`` is *affordable* if its supporters together still have
    ``c``; its price per unit of utility ``rho`` is the least value such that the supporters
    pay ``c`` when each pays ``min(budget, rho * u)``. With cost utilities every supporter's
    utility ``u`` is ``c``, so each supporter pays at most ``alpha = rho * c``: the ones
    poorer than ``alpha`` pay all they have and the others ``alpha`` each. Round after round
    the affordable project with the least ``rho`` is funded and paid for that way; counting
    stops when no project is affordable. Ballots of any type count as approval of the chosen
    projects; projects of cost 0 chosen by someone are funded first, at no charge.

    **Add1** (as the Pabulib files marked ``equalshares/add1`` were counted): MES is run with
    the per-voter share ``t = budget / voters + k`` for k = 0, 1, 2, ... (one currency unit
    more per voter each time), and the outcome of the last k before the first whose outcome
    costs more than the budget stands (or the first outcome that funds every chosen project).
    Nothing else is added afterwards: the official results show no further completion (in
    Assen 2024 23 300 EUR stay unspent although RuBox, 12 000 EUR, would fit).

    Add1 does *not* stop at the first *exhaustive* outcome (one that no further chosen project
    fits into), as pabutools (``voter_budget_increment``) and equalshares.net's "add1e" do:
    Wieliczka 2023, counted by the equalshares.net team, went on past its first exhaustive
    outcome (k = 150, 31 projects for 984 579 PLN) to the official one (30 projects for
    995 079 PLN, from k = 154 to 164 where the next step overspends; the city reported a share
    of 313 PLN); Pabulib's checker verifies ``equalshares/add1`` the same way. Both variants
    reproduce Assen 2024 and 2025 and Świecie 2023.

    **Speed, exactly.** One MES run keeps the voters' budgets as integers over a common
    denominator (money is scaled so that costs and shares are integers; when a price with
    denominator r is charged, all budgets are multiplied by r), merges voters with identical
    ballots, and finds the next project with a heap of *lazy* lower bounds: a project's rho
    never decreases as budgets are spent, so a stale value is a lower bound and only the top
    of the heap is recomputed. Prices are compared exactly (as fractions, after a correctly
    rounded float that decides all but true ties).

    Add1 runs are skipped when they provably cannot change the outcome, in two ways; a step
    is only ever passed over under a certificate, so the result equals the plain
    k = 0, 1, 2, ... loop.

    *A run certifies itself.* Write the share at step k + d as a function of the offset d.
    While every funded project's cost is split among its supporters as at d = 0 (the same
    supporters paying all they have, the others the same ``alpha``), every budget is an affine
    function of d (``alpha`` of a funded project is (cost - what the poorer ones hold) / the
    number of the others) and so is the leader's rho in each round. Any other project's rho is
    bounded from below by an affine function too: its supporters pay ``cost`` = the sum of
    ``min(budget, alpha)``, which is at most what any chosen set of them holds plus
    ``alpha`` times the number of the rest, so ``alpha >= (cost - what the set holds) / the
    rest``; with the set of those paying all at d = 0 (of an unaffordable project: all but
    the richest) the bound is exact at d = 0, and it stays valid in later rounds, where
    budgets are lower. The run follows each budget's slope alongside its value and, round by
    round, solves these linear inequalities in integers: the splits stay as they are, no
    competitor's bound comes before the leader's rho (ties by the tie-break), and at the end
    no project left out becomes affordable. The least solution is the last step up to which
    every step funds the same sequence; the driver goes straight past it. A competitor is
    priced anew for this only when its latest (stale, hence lower) bound would limit the
    certificate.

    *Runs certify each other.* Within one run every budget is a non-decreasing and every rho
    a non-increasing function of the share t, as long as the same projects are funded in the
    same order (``alpha`` falls when the poorer supporters can pay more, and
    ``max(0, budget - alpha)`` rises). So if runs at t0 < t1 fund the same sequence and in
    every round the price of the funded project at t0 is below the heap bound of each
    competitor at t1 (or equal, with the tie-break in its favour), then every t in between
    funds that sequence too. Beyond the steps a run certified itself, the driver gallops: it
    doubles the stride while such certificates hold and halves it when one fails, reusing
    every run it has made. The same monotonicity lets a run borrow lower bounds from a run
    already made at a higher share (while both fund the same sequence): a competitor whose
    bound from above already exceeds the leader's price is not recomputed.

    The shared files show the effect. Where voters cast a handful of distinct ballots, a run
    certifies long stretches: Wrocław 2016 (district 11, 2968 voters, 6 distinct choices)
    needs 381 Add1 steps and 3 runs (21 with galloping alone). Where hundreds of groups of
    voters differ, some split changes at nearly every step, a run rarely certifies farther
    than the gallop would go, and certifying, which can make a run two or three times as slow,
    is paused after each failure for 1, 2, 4, ... runs: Świecie 2023 needs 242 steps and about
    100 runs; where prices of competing projects stay within a fraction of a percent of each
    other (Warszawa 2024 Wesoła counted with this rule), nearly every step needs its own run.

    :func:`tally` then runs the deciding share once more, recording who paid how much for
    each funded project (as counts and amounts) and what the supporters of each other project
    had left: the explanation comes from the count itself.
    """
    return _EqualShares(election).run()


# --- Method of Equal Shares -------------------------------------------------------------------

# A heap entry: (float(rho), rho, tie-break rank, project index, round it was computed in).
_Entry = tuple[float, Fraction, int, int, int]
# The part of an entry that orders projects: (float(rho), rho, tie-break rank).
_Key = tuple[float, Fraction, int]


@dataclass(frozen=True)
class _Run:
    """One MES run at Add1 step k: the funded project indices in order and, per round, the key
    of the funded project, the smallest key left in the heap at that moment (None if the heap
    was empty), and the keys of all projects still in the running then (the funded one
    included); and ``last``, the largest step up to which every step from k on is certified to
    fund the same sequence by the run alone (None: no limit, which only a run funding every
    candidate can have)."""

    funded: tuple[int, ...]
    keys: tuple[_Key, ...]
    runners_up: tuple[_Key | None, ...]
    bounds: tuple[dict[int, _Key], ...]
    last: int | None


class _Offer(NamedTuple):
    """What one project's supporters can offer in a round of a run at step k, with money as
    affine functions of the offset d from k (see :func:`equal_shares`).

    If the project is affordable, the supporters in ``poor`` pay all they have and the other
    ``payers`` (weighted) pay alpha(d) = (need - need_slope * d) / payers each: exactly so at
    d = 0, and as long as that split stays valid; rho = alpha / cost. If it is not affordable,
    ``short`` (> 0, shrinking by ``short_slope`` a step) is what they lack together and
    ``poor`` are all of them but the richest group. Either way (need - need_slope * d) / payers
    bounds alpha from below at every d where the project is affordable, in this round and in
    every later one: the supporters pay ``cost`` = the sum of min(money, alpha), at most what
    the ``poor`` hold plus payers * alpha, whatever the choice of ``poor``; and money only
    falls from round to round."""

    project: int
    need: int
    need_slope: int
    payers: int
    cost: int
    poor: list[int]
    short: int
    short_slope: int


def _lower(a: int | None, b: int | None) -> int | None:
    """The smaller of two limits, None meaning no limit."""
    return b if a is None else a if b is None or a <= b else b


def _affordable_from(offer: _Offer) -> int | None:
    """The first offset d at which the project may be affordable (0: it is now; None: never
    while the run's money is as described)."""
    if not offer.short:
        return 0
    if not offer.short_slope:
        return None
    return (offer.short - 1) // offer.short_slope + 1


def _stays_behind(leader: _Offer, other: _Offer, rank: Mapping[int, int]) -> int | None:
    """The largest offset d up to which ``other`` cannot take the leader's place: at every d'
    up to d it is unaffordable or its lower bound of rho comes after the leader's rho (None:
    at no d; -1: not even at 0, possible only with a stale offer)."""
    start = _affordable_from(other)
    if start is None:
        return None
    ours = leader.payers * leader.cost
    theirs = other.payers * other.cost
    # (other's bound - leader's rho) * both denominators = gap + gap_slope * d
    gap_slope = leader.need_slope * theirs - other.need_slope * ours
    gap = other.need * ours - leader.need * theirs + gap_slope * start
    strict = rank[leader.project] > rank[other.project]
    if gap < 0 or (strict and gap == 0):
        return start - 1
    if gap_slope >= 0:
        return None
    return start + (gap - strict) // -gap_slope


class _EqualShares:
    """Precomputed data of one election and the Add1 driver over exact MES runs."""

    def __init__(self, election: Election) -> None:
        projects = election.projects
        self.ids = [p.id for p in projects]
        self.costs = [p.cost for p in projects]
        self.budget = election.budget
        self.voters = len(election.ballots)
        index = {p.id: i for i, p in enumerate(projects)}
        # Voters with the same set of positive-cost choices always hold the same budget, so
        # they are merged into one group with a weight.
        groups: dict[tuple[int, ...], int] = {}
        supported: set[int] = set()
        for choice, count in election.choices.items():
            chosen = {index[p] for p in choice}
            supported |= chosen
            key = tuple(sorted(i for i in chosen if self.costs[i] > 0))
            if key:
                groups[key] = groups.get(key, 0) + count
        self.free = [i for i in range(len(projects)) if i in supported and self.costs[i] == 0]
        self.weights = list(groups.values())
        members: list[list[int]] = [[] for _ in projects]
        for g, key in enumerate(groups):
            for i in key:
                members[i].append(g)
        self.members = members
        self.support = [sum(self.weights[g] for g in m) for m in members]
        # Where most groups are single voters, a group is listed once per voter, which lets
        # prices be computed from the sorted budgets alone (faster than sorting with weights).
        self.voter_lists: list[list[int] | None] = [
            [g for g in m for _ in range(self.weights[g])]
            if self.support[i] <= 2 * len(m) else None
            for i, m in enumerate(members)
        ]
        self.candidates = [i for i in range(len(projects)) if self.support[i] > 0]
        # Tie-break rank: more supporters, then lower cost, then file order.
        order = sorted(self.candidates, key=lambda i: (-self.support[i], self.costs[i], i))
        self.rank = dict.fromkeys(range(len(projects)), len(projects))
        self.rank.update({i: r for r, i in enumerate(order)})
        # Money in units of 1 / (voters * scale): the share at step k is base + k * step.
        scale = lcm(self.budget.denominator, *(c.denominator for c in self.costs))
        self.base = self.budget.numerator * scale // self.budget.denominator
        self.step = max(self.voters, 1) * scale
        self.scaled_costs = [c.numerator * self.voters * scale // c.denominator
                             for c in self.costs]
        # The projects MES funds round by round: chosen by somebody, of positive cost.
        self.payable = [i for i in self.candidates if self.scaled_costs[i] > 0]
        # Their heap entries in round 0, where everybody holds the share: alpha = cost /
        # supporters, rho = 1 / supporters.
        self.first_entries = [(1 / self.support[i], Fraction(1, self.support[i]),
                               self.rank[i], i, 0) for i in self.payable]

    def run(self) -> tuple[str, ...]:
        """The outcome with Add1 completion, free projects first."""
        outcome = self.completion()[1]
        return tuple(self.ids[i] for i in (*self.free, *outcome))

    def completion(self) -> tuple[int, tuple[int, ...]]:
        """The Add1 step k whose outcome stands (see :func:`equal_shares`), and that outcome
        (the funded indices of positive cost, in the order they were funded)."""
        if self.voters == 0:
            return 0, ()
        everything = len(self.payable)
        runs: dict[int, _Run] = {}
        # Certifying can make a run two or three times as slow. Where it does not pay (many
        # groups whose split of a cost changes at nearly every step), it pauses after each
        # failure, for 1, 2, 4, ... runs.
        pause, backoff = 0, 1

        def probe(target: int, wanted: int) -> _Run:
            """The run at target, certified (if not paused) unless that would reach fewer
            than ``wanted`` steps above it; made once and kept in ``runs``."""
            nonlocal pause, backoff
            if target not in runs:
                above = min((p for p in runs if p > target), default=None)
                run = self._mes(target, None if above is None else runs[above],
                                None if pause else wanted)
                if pause:
                    pause -= 1
                elif run.last == target:
                    pause, backoff = backoff, 2 * backoff
                else:
                    backoff = 1
                runs[target] = run
            return runs[target]

        k, current, stride = 0, probe(0, 1), 1
        while True:
            if len(current.funded) == everything:  # a higher share cannot change it
                return k, current.funded
            if current.last is None:  # pragma: no cover - see _Run
                raise AssertionError("an Equal Shares run left a project out without a limit")
            # Every step up to current.last funds what k funds: the first one left to check.
            first = current.last + 1
            # Next point: k + stride (at least first), or an already computed point before it.
            target = min([max(k + stride, first), *(p for p in runs if p >= first)])
            # A certificate of the run at target that reaches less far above it than target
            # is above k would save no run.
            while True:
                following = probe(target, target - k)
                if target == first or _certified(current, following):
                    break
                target = max(first, k + (target - k) // 2)
            if self._overspends(following.funded):  # only possible at first
                return target - 1, current.funded
            same = following.funded == current.funded
            stride = 2 * (target - k) if same else 1
            for point in [p for p in runs if p < target]:
                del runs[point]
            k, current = target, following

    def explained(self, k: int, project_scores: Mapping[str, Fraction],
                  votes: Mapping[str, int]
                  ) -> tuple[tuple[str, ...], dict[str, Step], Fraction | None]:
        """The run at Add1 step ``k`` once more, recording its steps: the funded ids (free
        projects first), every project's :class:`Step` and each voter's share."""
        trace: list[tuple[int, Fraction, int, int, Fraction]] = []
        leftover: dict[int, Fraction] = {}
        funded: tuple[int, ...] = ()
        share = None
        if self.voters:
            funded = self._mes(k, trace=(trace, leftover)).funded
            share = Fraction(self.base + k * self.step, self.step)
        steps: dict[str, Step] = {}

        def step(i: int, reason: Reason, left: Fraction, **more: object) -> None:
            pid = self.ids[i]
            steps[pid] = Step(pid, reason, votes[pid], project_scores[pid], self.costs[i],
                              left, **more)  # type: ignore[arg-type]

        for i in self.free:
            step(i, Reason.FREE, self.budget)
        left = self.budget
        for round_, (i, alpha, paying, paid_out, paid_out_total) in enumerate(trace, start=1):
            step(i, Reason.FUNDED, left, rank=round_, paid_each=alpha, paying=paying,
                 paid_out=paid_out, paid_out_total=paid_out_total)
            left -= self.costs[i]
        for i in range(len(self.ids)):
            if self.ids[i] not in steps:
                if self.support[i] == 0:
                    step(i, Reason.NO_VOTES, left)
                else:
                    step(i, Reason.SUPPORTERS_SHORT, left, supporters_money=leftover[i])
        return tuple(self.ids[i] for i in (*self.free, *funded)), steps, share

    def _overspends(self, funded: Sequence[int]) -> bool:
        """True if the projects cost more than the budget (both scaled like the money)."""
        return sum(self.scaled_costs[i] for i in funded) > self.base * self.voters

    def _mes(self, k: int, above: _Run | None = None, wanted: int | None = 1,
             trace: tuple[list[tuple[int, Fraction, int, int, Fraction]],
                          dict[int, Fraction]] | None = None) -> _Run:
        """One exact MES run with the per-voter share budget / voters + k.

        With ``trace`` (a list and a dict), the run records, for each project it funds, the
        project, alpha (what each supporter who could paid), how many paid alpha, how many paid
        all they had left and how much those paid together; and, when it ends, the money the
        supporters of each unfunded project still hold.

        ``above``, a run at a higher share, supplies lower bounds: while this run funds the
        same projects as ``above`` did, a project's key in ``above`` at the same round bounds
        its key here from below (budgets are lower here), and a project that was no longer
        in the running there is unaffordable here. A stale key is first raised to that bound
        and only recomputed if it comes back to the top of the heap.

        Unless it is traced or ``wanted`` is None, the run also follows every budget as an
        affine function of the step (``slopes``) and certifies up to which step it stays the
        same (``last``, see :func:`equal_shares`); it gives up (``last`` = k) as soon as
        that would be fewer than ``wanted`` steps above k.
        """
        share = self.base + k * self.step
        rank = self.rank
        budgets = [share] * len(self.weights)
        denominator = 1  # budgets and costs are integers in units of 1 / denominator
        current_round = 0
        heap = self._first_round(share)
        funded: list[int] = []
        keys: list[_Key] = []
        runners_up: list[_Key | None] = []
        bounds: list[dict[int, _Key]] = []
        borrowed = above.bounds if above is not None else ()
        # Certification: the slopes of the budgets, the latest offer of each project (with
        # its round) and the largest offset certified so far.
        certify = trace is None and wanted is not None
        slopes = [self.step] * len(self.weights) if certify else None
        offers: dict[int, tuple[int, _Offer]] = {}
        last: int | None = None if certify else 0
        while heap:
            entry = heapq.heappop(heap)
            i, stamp = entry[3], entry[4]
            if stamp != current_round:  # a lower bound only
                if stamp != -1 - current_round and current_round < len(borrowed):
                    bound = borrowed[current_round].get(i)
                    if bound is None:  # out of the running at the higher share already
                        continue
                    if bound > entry[:3]:  # raise the bound, recompute only if it resurfaces
                        heapq.heappush(heap, (*bound, i, -1 - current_round))
                        continue
                if slopes is None:
                    rho = self._price(i, budgets, denominator)
                else:
                    offer = self._offer(i, budgets, slopes, denominator)
                    offers[i] = current_round, offer
                    rho = None if offer.short else Fraction(
                        offer.need, offer.payers * offer.cost)
                if rho is not None:
                    heapq.heappush(heap, (float(rho), rho, rank[i], i, current_round))
                continue
            funded.append(i)
            keys.append(entry[:3])
            runners_up.append(heap[0][:3] if heap else None)
            bounds.append({e[3]: e[:3] for e in heap})
            bounds[-1][i] = entry[:3]
            if current_round < len(borrowed) and above is not None and (
                    above.funded[current_round] != i):
                borrowed = ()  # the runs part ways: the bounds no longer apply
            if trace is not None:
                trace[0].append(self._payments(i, entry[1], budgets, denominator))
            if slopes is not None:
                seen, leader = self._latest_offer(i, offers, share)
                assert seen == current_round  # a leader's price is always of this round
                last = self._certify(leader, funded, offers, current_round, share, budgets,
                                     slopes, denominator, last, wanted)
                if last is not None and last < wanted:
                    last, slopes = 0, None  # not worth it: a plain run from here
                else:
                    denominator *= self._charge_affine(leader, budgets, slopes)
            if slopes is None:
                budgets, denominator = self._charge(i, entry[1], budgets, denominator)
            current_round += 1
        if slopes is not None:  # the run ended: nothing may become affordable
            taken = set(funded)
            for i in self.payable:
                if i in taken:
                    continue
                seen, offer = self._latest_offer(i, offers, share)
                start = _affordable_from(offer)
                if seen != current_round and start is not None and (
                        last is None or start <= last):
                    start = _affordable_from(self._offer(i, budgets, slopes, denominator))
                last = _lower(last, None if start is None else start - 1)
        if trace is not None:
            taken = set(funded)
            unit = self.step * denominator
            for i in self.payable:
                if i not in taken:
                    trace[1][i] = Fraction(
                        sum(budgets[g] * self.weights[g] for g in self.members[i]), unit)
        return _Run(tuple(funded), tuple(keys), tuple(runners_up), tuple(bounds),
                    None if last is None else k + last)

    def _certify(self, leader: _Offer, funded: list[int],
                 offers: dict[int, tuple[int, _Offer]], round_: int, share: int,
                 budgets: list[int], slopes: list[int], denominator: int, last: int | None,
                 wanted: int) -> int | None:
        """``last`` lowered to the largest offset up to which this round funds the leader
        and charges its supporters as now, or to some value below ``wanted`` if it falls
        below that (the run then gives up certifying).

        A competitor is first checked with its latest offer, of an earlier round (a weaker
        bound, see :class:`_Offer`), and only priced anew if that would lower ``last``."""
        last = _lower(last, self._split_holds(leader, budgets, slopes))
        taken = set(funded)
        for i in self.payable:
            if last is not None and last < wanted:
                break
            if i in taken:
                continue
            seen, offer = self._latest_offer(i, offers, share)
            behind = _stays_behind(leader, offer, self.rank)
            if seen != round_ and behind is not None and (last is None or behind < last):
                offer = self._offer(i, budgets, slopes, denominator)
                offers[i] = round_, offer
                fresh = _stays_behind(leader, offer, self.rank)
                behind = None if fresh is None else max(behind, fresh)
            last = _lower(last, behind)
        return last

    def _latest_offer(self, i: int, offers: dict[int, tuple[int, _Offer]], share: int
                      ) -> tuple[int, _Offer]:
        """Project i's latest offer in this run and its round (that of round 0 if none)."""
        latest = offers.get(i)
        if latest is None:
            latest = offers[i] = 0, self._initial_offer(i, share)
        return latest

    def _initial_offer(self, i: int, share: int) -> _Offer:
        """Project i's :class:`_Offer` in round 0, where every group holds the share."""
        cost, supporters, step = self.scaled_costs[i], self.support[i], self.step
        if share * supporters >= cost:
            return _Offer(i, cost, 0, supporters, cost, [], 0, 0)
        *poor, richest = self.members[i]
        weight = self.weights[richest]
        return _Offer(i, cost - (supporters - weight) * share, (supporters - weight) * step,
                      weight, cost, poor, cost - supporters * share, supporters * step)

    def _offer(self, i: int, budgets: list[int], slopes: list[int], denominator: int
               ) -> _Offer:
        """Project i's :class:`_Offer` now."""
        cost = self.scaled_costs[i] * denominator
        weights = self.weights
        payers, paid, paid_slope = self.support[i], 0, 0
        poor: list[int] = []
        # Supporters from the poorest up: a poor one pays everything it has; the first one who
        # can pay the equal share of what is still missing fixes alpha.
        for g in sorted(self.members[i], key=budgets.__getitem__):
            held = budgets[g]
            if cost - paid <= held * payers:
                return _Offer(i, cost - paid, paid_slope, payers, cost, poor, 0, 0)
            weight = weights[g]
            paid += held * weight
            paid_slope += slopes[g] * weight
            payers -= weight
            poor.append(g)
        richest = poor.pop()  # nobody could: together they hold less than the cost
        weight = weights[richest]
        return _Offer(i, cost - paid + budgets[richest] * weight,
                      paid_slope - slopes[richest] * weight, weight, cost, poor,
                      cost - paid, paid_slope)

    @staticmethod
    def _split_holds(leader: _Offer, budgets: list[int], slopes: list[int]) -> int | None:
        """The largest offset d up to which the leader's supporters split its cost as now:
        the poor ones hold at most alpha(d), the others at least alpha(d).

        No slope is negative (a share only adds to money, a charge falling with d only
        subtracts less), so alpha(d) never rises and the others' money never falls: only the
        poor ones can cross, each where payers * (money + slope * d) = need - need_slope * d
        (at d = 0 they are below)."""
        need, need_slope, payers = leader.need, leader.need_slope, leader.payers
        last = None
        for g in leader.poor:
            rise = need_slope + slopes[g] * payers
            if rise:
                crossing = (need - budgets[g] * payers) // rise
                if last is None or crossing < last:
                    last = crossing
        return last

    def _charge_affine(self, leader: _Offer, budgets: list[int], slopes: list[int]) -> int:
        """Charge the leader's supporters alpha(d) (see :class:`_Offer`), budgets and slopes,
        rescaling both by r first so that they stay integers; returns r."""
        need, need_slope, payers = leader.need, leader.need_slope, leader.payers
        r = payers // gcd(need, need_slope, payers)
        if r != 1:
            budgets[:] = [b * r for b in budgets]
            slopes[:] = [s * r for s in slopes]
        alpha, alpha_slope = need * r // payers, need_slope * r // payers
        poor = set(leader.poor)
        for g in self.members[leader.project]:
            if g in poor:
                budgets[g] = slopes[g] = 0
            else:
                budgets[g] -= alpha
                slopes[g] += alpha_slope
        return r

    def _payments(self, i: int, rho: Fraction, budgets: list[int], denominator: int
                  ) -> tuple[int, Fraction, int, int, Fraction]:
        """Who pays for project i at price rho, in counts and money: (i, alpha, voters paying
        alpha, voters paying all they have, what those pay together)."""
        in_units = rho * self.scaled_costs[i] * denominator  # alpha in the budgets' units
        a, r = in_units.numerator, in_units.denominator
        paying = paid_out = paid_out_total = 0
        for g in self.members[i]:
            held, weight = budgets[g], self.weights[g]
            if held * r >= a:
                paying += weight
            else:
                paid_out += weight
                paid_out_total += held * weight
        return (i, rho * self.costs[i], paying, paid_out,
                Fraction(paid_out_total, self.step * denominator))

    def _first_round(self, share: int) -> list[_Entry]:
        """The heap of round 0: the projects the supporters can afford with the share."""
        support, costs = self.support, self.scaled_costs
        heap = [entry for entry in self.first_entries
                if share * support[entry[3]] >= costs[entry[3]]]
        heapq.heapify(heap)
        return heap

    def _price(self, i: int, budgets: list[int], denominator: int) -> Fraction | None:
        """Exact rho of project i now, or None if its supporters cannot pay for it."""
        cost = self.scaled_costs[i] * denominator
        get = budgets.__getitem__
        # Supporters from the poorest up: a poor one pays everything it has; the first
        # one who can pay the equal share of what is still missing fixes alpha. If nobody
        # can, the supporters together hold less than the cost.
        rich, paid = self.support[i], 0
        voters = self.voter_lists[i]
        if voters is not None:
            for b in sorted(map(get, voters)):
                if cost - paid <= b * rich:
                    return Fraction(cost - paid, rich * cost)
                paid += b
                rich -= 1
        else:
            weights = self.weights
            for g in sorted(self.members[i], key=get):
                b = budgets[g]
                if cost - paid <= b * rich:
                    return Fraction(cost - paid, rich * cost)
                paid += b * weights[g]
                rich -= weights[g]
        return None

    def _charge(self, i: int, rho: Fraction, budgets: list[int], denominator: int
                ) -> tuple[list[int], int]:
        """Charge the supporters of project i alpha = rho * cost = a / r in the current
        units, rescaling every budget by r first; returns the budgets and their units."""
        a = rho.numerator * self.scaled_costs[i] * denominator
        r = rho.denominator
        common = gcd(a, r)
        a, r = a // common, r // common
        if r != 1:
            budgets = list(map(mul, budgets, repeat(r)))
            denominator *= r
        payers = self.members[i]
        charged = [b - a if b > a else 0 for b in map(budgets.__getitem__, payers)]
        for g, b in zip(payers, charged, strict=True):
            budgets[g] = b
        return budgets, denominator


def _certified(low: _Run, high: _Run) -> bool:
    """True if every share between the runs' shares funds the same sequence (see
    :func:`equal_shares`): same sequence, and in each round the funded project's key at the
    lower share sorts before every competitor's bound at the higher share."""
    if low.funded != high.funded:
        return False
    return all(
        runner_up is None or key < runner_up
        for key, runner_up in zip(low.keys, high.runners_up, strict=True)
    )


def _fraction(value: Money | str, what: str) -> Fraction:
    try:
        return Fraction(value)
    except (TypeError, ValueError):
        raise TallyError(f"{what} is not a number: {value!r}") from None
