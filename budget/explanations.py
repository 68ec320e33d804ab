"""Why each project of a count was funded or not, in words a resident understands.

The tally records its steps as it counts (`budget.tally.Step`): the explanation is the count's
own record, not a second computation. Here a step becomes an `Explanation` of a project on the
cycle's ballot, kept as plain JSON with the published results (`to_json`, `from_json`: pages
never recount), and `describe` writes it as sentences in the reader's language. Only counts
and amounts are kept: how many supporters paid how much, never who.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from app.web.i18n import gettext, ngettext
from budget import tally
from budget.tally import Reason

# How a greedy count ordered the projects: by votes, or by points (cumulative and ranked
# ballots; greedy by score then orders by the points).
BY_VOTES, BY_POINTS = "votes", "points"


@dataclass(frozen=True)
class Explanation:
    """One project's step of the count (see `budget.tally.Step`), `other` as a project id."""

    reason: Reason
    votes: int
    score: Fraction
    cost: Fraction
    money_left: Fraction
    rank: int | None = None
    other: int | None = None
    threshold: Fraction | None = None
    paid_each: Fraction | None = None
    paying: int = 0
    paid_out: int = 0
    paid_out_total: Fraction = Fraction(0)
    supporters_money: Fraction | None = None

    @property
    def funded(self) -> bool:
        return self.reason in (Reason.FUNDED, Reason.FREE)

    @classmethod
    def of(cls, step: tally.Step) -> Explanation:
        return cls(step.reason, step.votes, step.score, step.cost, step.money_left, step.rank,
                   int(step.other) if step.other is not None else None, step.threshold,
                   step.paid_each, step.paying, step.paid_out, step.paid_out_total,
                   step.supporters_money)

    def to_json(self) -> dict[str, Any]:
        """Plain JSON, money and points as exact fractions written as text ("50/3")."""
        out: dict[str, Any] = {"reason": self.reason.value, "votes": self.votes,
                               "score": str(self.score), "cost": str(self.cost),
                               "money_left": str(self.money_left)}
        for name in ("rank", "other"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        for name in ("threshold", "paid_each", "supporters_money"):
            if getattr(self, name) is not None:
                out[name] = str(getattr(self, name))
        if self.paid_each is not None:
            out |= {"paying": self.paying, "paid_out": self.paid_out,
                    "paid_out_total": str(self.paid_out_total)}
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Explanation:
        def money(name: str) -> Fraction | None:
            value = data.get(name)
            return None if value is None else Fraction(value)

        return cls(Reason(data["reason"]), int(data["votes"]), Fraction(data["score"]),
                   Fraction(data["cost"]), Fraction(data["money_left"]), data.get("rank"),
                   data.get("other"), money("threshold"), money("paid_each"),
                   int(data.get("paying", 0)), int(data.get("paid_out", 0)),
                   Fraction(data.get("paid_out_total", 0)), money("supporters_money"))


@dataclass(frozen=True)
class Comparison:
    """The comparison step of a count (see `budget.tally.Comparison`), in voters."""

    prefer_equal_shares: int
    prefer_greedy: int
    indifferent: int

    @property
    def greedy_kept(self) -> bool:
        return self.prefer_greedy > self.prefer_equal_shares


@dataclass(frozen=True)
class CountExplanation:
    """What explains a category's count as a whole: the rule, how greedy ordered the
    projects, the voters, each voter's share (Equal Shares) and the comparison step."""

    rule: str
    order: str
    voters: int
    share: Fraction | None = None
    comparison: Comparison | None = None

    @property
    def equal_shares(self) -> bool:
        """Whether the count that stands is one of Equal Shares (not greedy's, after the
        comparison step preferred it)."""
        return self.share is not None

    @classmethod
    def of(cls, result: tally.Result, points: bool) -> CountExplanation:
        """`points`: the ballots carry points, so greedy by score orders by them (greedy
        after the comparison step orders by votes whatever the ballots)."""
        c = result.comparison
        order = BY_POINTS if points and result.rule not in tally.EQUAL_SHARES_RULES \
            else BY_VOTES
        return cls(result.rule, order, result.voters, result.share,
                   Comparison(c.prefer_equal_shares, c.prefer_greedy, c.indifferent)
                   if c is not None else None)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"rule": self.rule, "order": self.order, "voters": self.voters}
        if self.share is not None:
            out["share"] = str(self.share)
        if self.comparison is not None:
            c = self.comparison
            out["comparison"] = [c.prefer_equal_shares, c.prefer_greedy, c.indifferent]
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CountExplanation:
        share = data.get("share")
        compared = data.get("comparison")
        return cls(data["rule"], data.get("order", BY_VOTES), int(data.get("voters", 0)),
                   None if share is None else Fraction(share),
                   Comparison(*compared) if compared else None)


def amount(value: Fraction) -> str:
    """Money as the pages write it: digits grouped by a narrow space, cents where there are
    any (rounded to the cent)."""
    cents = round(value * 100)
    whole, part = divmod(abs(cents), 100)
    text = f"{'-' if cents < 0 else ''}{whole:,}".replace(",", "\u202f")
    return f"{text}.{part:02d}" if part else text


def _points(value: Fraction) -> str:
    return amount(value) if value.denominator != 1 else f"{value.numerator:,}".replace(
        ",", "\u202f")


def describe_count(count: CountExplanation) -> str:
    """The sentences about a category's count as a whole."""
    parts = []
    if count.share is not None:
        parts.append(ngettext(
            "The funds were divided into equal shares among the {voters} voter: each had "
            "{share} to spend on the projects they voted for.",
            "The funds were divided into equal shares among the {voters} voters: each had "
            "{share} to spend on the projects they voted for.",
            count.voters).format(voters=count.voters, share=amount(count.share)))
    if count.comparison is not None:
        c = count.comparison
        kept = gettext("counting by votes") if c.greedy_kept else gettext("equal shares")
        parts.append(gettext(
            "Comparison step: the outcome of equal shares funds more of their projects for "
            "{mes} voters, the outcome of counting by votes for {greedy}, and neither for "
            "{same}; the outcome of {kept} stands.").format(
                mes=c.prefer_equal_shares, greedy=c.prefer_greedy, same=c.indifferent,
                kept=kept))
    return " ".join(parts)


def describe(expl: Explanation, count: CountExplanation, titles: Mapping[int, str],
             *, official: bool | None = None) -> str:
    """Why the project was funded or not, in sentences. `titles` names the other projects of
    the category; `official`, when the official result is not the count's (an imported
    election), is that official result."""
    text = _equal_shares(expl, count) if count.equal_shares else _greedy(expl, count, titles)
    if official is not None and official != expl.funded:
        text += " " + (gettext(
            "The official result funds this project all the same: it was decided otherwise "
            "than by this count.") if official else gettext(
            "The official result does not fund this project: it was decided otherwise than by "
            "this count."))
    return text


def _greedy(e: Explanation, count: CountExplanation, titles: Mapping[int, str]) -> str:
    values = {"rank": e.rank, "votes": e.votes, "score": _points(e.score),
              "cost": amount(e.cost), "left": amount(e.money_left),
              "threshold": _points(e.threshold) if e.threshold is not None else "",
              "other": titles.get(e.other, str(e.other)) if e.other is not None else ""}
    if e.reason == Reason.NO_VOTES:
        return gettext("Nobody voted for it.")
    if e.reason == Reason.BELOW_THRESHOLD:
        if count.order == BY_POINTS:
            return gettext("It got {score} points; a project needs at least {threshold} to be "
                           "funded.").format(**values)
        return ngettext("It got {votes} vote; a project needs at least {threshold} to be "
                        "funded.",
                        "It got {votes} votes; a project needs at least {threshold} to be "
                        "funded.", e.votes).format(**values)
    if count.order == BY_POINTS:
        place = ngettext("Place {rank} in the order of points, with {score} points from "
                         "{votes} voter.",
                         "Place {rank} in the order of points, with {score} points from "
                         "{votes} voters.", e.votes)
    else:
        place = ngettext("Place {rank} in the order of votes, with {votes} vote.",
                         "Place {rank} in the order of votes, with {votes} votes.", e.votes)
    if e.reason == Reason.FUNDED:
        then = gettext("When its turn came, {left} of the funds was left, enough for its cost "
                       "of {cost}: it was funded.")
    elif e.reason == Reason.TOO_EXPENSIVE and count.rule == "greedy-no-skip":
        then = gettext("When its turn came, only {left} of the funds was left, less than its "
                       "cost of {cost}: counting stopped here.")
    elif e.reason == Reason.TOO_EXPENSIVE:
        then = gettext("When its turn came, only {left} of the funds was left, less than its "
                       "cost of {cost}: it was passed over and counting went on.")
    elif e.reason == Reason.STOPPED:
        then = gettext("Counting had stopped before its turn, at “{other}”, the first project "
                       "that did not fit into the {left} left.")
    else:  # excluded
        then = gettext("“{other}”, an alternative to this project, had already been funded, "
                       "and only one of them can be.")
    return f"{place.format(**values)} {then.format(**values)}"


def _equal_shares(e: Explanation, count: CountExplanation) -> str:
    values = {"rank": e.rank, "votes": e.votes, "cost": amount(e.cost),
              "left": amount(e.money_left), "each": amount(e.paid_each or Fraction(0)),
              "paying": e.paying, "out": e.paid_out, "total": amount(e.paid_out_total),
              "money": amount(e.supporters_money or Fraction(0))}
    if e.reason == Reason.NO_VOTES:
        return gettext("Nobody voted for it.")
    if e.reason == Reason.FREE:
        return gettext("It costs nothing and somebody voted for it, so it was funded first.")
    if e.reason == Reason.FUNDED:
        text = ngettext(
            "Funded in round {rank}, when {left} of the funds was left: its one supporter "
            "paid its cost of {cost} from their share.",
            "Funded in round {rank}, when {left} of the funds was left: its {votes} "
            "supporters paid its cost of {cost} from their shares.", e.votes)
        if e.votes == 1:
            return text.format(**values)
        if not e.paid_out:
            paid = gettext("Each paid {each}.")
        elif not e.paying:
            paid = gettext("Each paid all they had left ({total} together).")
        else:
            paid = gettext("Those who had enough paid {each} each (supporters: {paying}); "
                           "those who had less left paid all they had (supporters: {out}, "
                           "{total} together).")
        return f"{text.format(**values)} {paid.format(**values)}"
    text = ngettext(
        "When counting ended, {left} of the funds was left, and its one supporter had {money} "
        "left of their share, less than its cost of {cost}: it was not funded.",
        "When counting ended, {left} of the funds was left, and its {votes} supporters had "
        "{money} left of their shares together, less than its cost of {cost}: it was not "
        "funded.", e.votes).format(**values)
    if count.share is not None and e.supporters_money is not None:
        spent = count.share * e.votes - e.supporters_money
        if spent > 0:
            text += " " + ngettext(
                "Of their share, they had spent {spent} on other projects they voted for.",
                "Of their shares, they had spent {spent} on other projects they voted for.",
                e.votes).format(spent=amount(spent))
    return text
