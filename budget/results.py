"""Results: the count of a cycle by its rule, per category, and its publication.

Winners are computed by `budget.tally` from the database rows (`compute_results`); publication
records them (`stored_results` reads them back without a recount) and opens one implementation
obligation per winner. With the winners, the count records why each project was funded or not
(`budget.explanations`): the results page and the API say it in words.

Tie-breaking (documented for residents on the results page): greedy rules fund projects by
higher score, then lower cost, then earlier submission; the Method of Equal Shares picks the
lower price per unit of utility, then more supporters, then lower cost, then earlier
submission. Within a category a ballot counts only with its choices in that category, and a
ballot with no choice there does not count there (for Equal Shares, the category's money is
shared among the voters who chose something in it).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from fractions import Fraction

from sqlmodel import Session

from app import clock
from app.accountability import service as accountability
from app.audit import service as audit
from app.exceptions import Conflict
from app.identity.models import User
from app.notifications import service as notifications
from app.web.i18n import N_
from budget import permissions, tally
from budget import repository as repo
from budget.cycles import CycleRules, category_name, rules_of
from budget.explanations import CountExplanation, Explanation, describe, describe_count
from budget.models import (
    BudgetCategory,
    BudgetCycle,
    BudgetProject,
    CycleSource,
    Phase,
    ProjectStatus,
)
from budget.phases import phase_of
from budget.projects import ballot_projects, project_link, project_notice, project_path


@dataclass
class ProjectResult:
    project: BudgetProject
    votes: int
    score: Fraction
    selected: bool
    greedy_selected: bool | None = None
    explanation: Explanation | None = None  # None: results published before it was kept


@dataclass
class CategoryResult:
    category: BudgetCategory
    name: str
    projects: list[ProjectResult]
    spent: int
    greedy_spent: int | None = None
    explanation: CountExplanation | None = None
    official: bool = False  # the selection is the official one of an imported election
    rule: str = ""  # the rule the pot was counted by (its own, or the cycle's)

    @property
    def compared(self) -> bool:
        """Counted by equal shares, and compared with greedy counting."""
        return self.greedy_spent is not None

    @property
    def voters(self) -> int | None:
        """Ballots with a choice in this pot (those the pot's count counted)."""
        return self.explanation.voters if self.explanation is not None else None

    def why(self, row: ProjectResult) -> str:
        """Why the project was funded or not, in the reader's language ("" if not kept)."""
        if row.explanation is None or self.explanation is None:
            return ""
        titles = {r.project.id: r.project.title for r in self.projects}
        return describe(row.explanation, self.explanation, titles,
                        official=row.selected if self.official else None)

    @property
    def count_text(self) -> str:
        """The sentences about the count as a whole (the shares, the comparison step)."""
        return describe_count(self.explanation) if self.explanation is not None else ""

    @property
    def winners(self) -> list[ProjectResult]:
        return [r for r in self.projects if r.selected]

    @property
    def remaining(self) -> int:
        return self.category.funds - self.spent

    @property
    def differs_from_greedy(self) -> bool:
        return any(r.greedy_selected is not None and r.greedy_selected != r.selected
                   for r in self.projects)


@dataclass
class Results:
    cycle: BudgetCycle
    rules: CycleRules
    categories: list[CategoryResult]
    published: bool
    ballot_count: int

    @property
    def compares_with_greedy(self) -> bool:
        return self.rules.aggregation in tally.EQUAL_SHARES_RULES

    @property
    def approximated_rule(self) -> str | None:
        """The rule an imported election's file names when it names no computable rule
        (greedy-custom, unknown: counted with greedy), else None."""
        if self.cycle.source != CycleSource.pabulib:
            return None
        rule = ((self.cycle.meta or {}).get("pabulib", {}).get("rule") or "").strip()
        return rule if rule.lower() in tally.APPROXIMATED else None

    def winner_ids(self) -> list[int]:
        return [r.project.id for c in self.categories for r in c.winners]

    def other_ids(self) -> list[int]:
        """The projects on the ballot that were not selected."""
        return [r.project.id for c in self.categories for r in c.projects if not r.selected]


def pot_rule(rules: CycleRules, category: BudgetCategory) -> str:
    """The rule a pot is counted by: its own, or the cycle's."""
    return category.aggregation or rules.aggregation


def _category_result(category: BudgetCategory, rows: list[ProjectResult], compared: bool,
                     explanation: CountExplanation | None, official: bool = False,
                     rule: str = "") -> CategoryResult:
    """A category's projects, winners first (then by score, cost and age), with what the
    winners spend (and, `compared` with the greedy rule, what greedy would have spent)."""
    rows.sort(key=lambda r: (not r.selected, -r.score, r.project.effective_cost,
                             r.project.id))
    spent = sum(r.project.effective_cost for r in rows if r.selected)
    greedy_spent = sum(r.project.effective_cost for r in rows
                       if r.greedy_selected) if compared else None
    return CategoryResult(category, category_name(category), rows, spent, greedy_spent,
                          explanation, official, rule)


# -- counting -------------------------------------------------------------------------------

def _category_budget(cycle: BudgetCycle, category: BudgetCategory, single: bool) -> Fraction:
    """The money of a category. An imported election keeps its exact (maybe fractional)
    budget from its file."""
    if cycle.source == CycleSource.pabulib and single:
        raw = (cycle.meta or {}).get("pabulib", {}).get("budget")
        if raw:
            return Fraction(Decimal(raw.replace(",", ".")))
    return Fraction(category.funds)


def _choices_by_category(session: Session, cycle: BudgetCycle, on_ballot: list[BudgetProject]
                         ) -> dict[int, dict[int, list[tuple[int, int, int]]]]:
    """ballot id -> category id -> [(rank, project id, points)], for projects on the ballot."""
    category_of = {p.id: p.category_id for p in on_ballot}
    per_ballot: dict[int, dict[int, list[tuple[int, int, int]]]] = defaultdict(
        lambda: defaultdict(list))
    for ballot_id, project_id, points, rank in repo.cycle_choices(session, cycle.id):
        if project_id in category_of:
            per_ballot[ballot_id][category_of[project_id]].append(
                (rank if rank is not None else 0, project_id, points))
    return per_ballot


def elections(session: Session, cycle: BudgetCycle, rules: CycleRules | None = None
              ) -> list[tuple[BudgetCategory, list[BudgetProject], tally.Election]]:
    """Per category, the election the tally counts, built from the database rows."""
    rules = rules or rules_of(session, cycle)
    cats = repo.categories(session, cycle.id)
    on_ballot = ballot_projects(session, cycle)
    by_category: dict[int, list[BudgetProject]] = defaultdict(list)
    for project in on_ballot:
        by_category[project.category_id].append(project)
    per_ballot = _choices_by_category(session, cycle, on_ballot)
    with_points = rules.tally_vote_type in ("cumulative", "scoring") or (
        rules.tally_vote_type == "ordinal" and rules.ballot_points)
    vote_type = rules.tally_vote_type if rules.tally_vote_type in tally.VOTE_TYPES \
        else "approval"
    out = []
    for category in cats:
        rule = pot_rule(rules, category)
        threshold = rules.min_vote_threshold if rule == "greedy-threshold" else None
        max_length = category.max_choices if category.max_choices is not None \
            else rules.max_choices
        members = sorted(by_category.get(category.id, []), key=lambda p: p.id)
        ballots = []
        for ballot_id in sorted(per_ballot):
            chosen = sorted(per_ballot[ballot_id].get(category.id) or [])
            if chosen:
                ballots.append(tally.Ballot(
                    tuple(str(c[1]) for c in chosen),
                    tuple(Fraction(c[2]) for c in chosen) if with_points else None))
        election = tally.Election(
            budget=_category_budget(cycle, category, len(cats) == 1),
            projects=tuple(tally.Candidate(str(p.id), Fraction(p.effective_cost))
                           for p in members),
            ballots=tuple(ballots), vote_type=vote_type, rule=rule,
            min_project_score=threshold, max_length=max_length)
        out.append((category, members, election))
    return out


def compute_results(session: Session, cycle: BudgetCycle) -> Results:
    """Count the cycle by its rule, per category, from the ballots in the database."""
    rules = rules_of(session, cycle)
    result_categories = []
    points = rules.tally_vote_type in ("cumulative", "scoring", "ordinal")
    for category, members, election in elections(session, cycle, rules):
        outcome = tally.tally(election, election.rule)
        winners = set(outcome.selected)
        greedy = None
        if outcome.rule in tally.EQUAL_SHARES_RULES:
            greedy = set(tally.tally(election, "greedy").selected)
        rows = [ProjectResult(project=p, votes=p.vote_count,
                              score=outcome.scores.get(str(p.id), Fraction(0)),
                              selected=str(p.id) in winners,
                              greedy_selected=None if greedy is None else str(p.id) in greedy,
                              explanation=Explanation.of(outcome.steps[str(p.id)]))
                for p in members]
        result_categories.append(_category_result(
            category, rows, greedy is not None, CountExplanation.of(outcome, points),
            rule=election.rule))
    return Results(cycle, rules, result_categories, cycle.results_published_at is not None,
                   cycle.ballot_count)


def _snapshot(results: Results) -> dict:
    return {"rule": results.rules.aggregation, "voting_method": results.rules.voting_method,
            "categories": [{
                "id": c.category.id,
                "rule": c.rule,
                "winners": [r.project.id for r in c.projects if r.selected],
                "greedy": None if c.greedy_spent is None else [
                    r.project.id for r in c.projects if r.greedy_selected],
                "scores": {str(r.project.id): str(r.score) for r in c.projects},
                "count": c.explanation.to_json() if c.explanation is not None else None,
                "steps": {str(r.project.id): r.explanation.to_json() for r in c.projects
                          if r.explanation is not None},
            } for c in results.categories]}


def record_results(session: Session, cycle: BudgetCycle, results: Results, *,
                   select: bool = True) -> None:
    """Keep what the count found on the cycle (so pages never recount) and, with `select`,
    mark the winners selected and the others not."""
    cycle.results = _snapshot(results)
    session.add(cycle)
    if select:
        repo.set_results(session, cycle.id, results.winner_ids(), results.other_ids())


def stored_results(session: Session, cycle: BudgetCycle) -> Results:
    """Published results from what publication recorded and the counters: no recount."""
    rules = rules_of(session, cycle)
    snapshot = cycle.results or {"categories": []}
    by_cat = {c["id"]: c for c in snapshot.get("categories", [])}
    on_ballot = ballot_projects(session, cycle)
    result_categories = []
    official = cycle.source == CycleSource.pabulib
    for category in repo.categories(session, cycle.id):
        snap = by_cat.get(category.id, {})
        scores = snap.get("scores", {})
        greedy = snap.get("greedy")
        steps = snap.get("steps") or {}
        count = snap.get("count")
        rows = [ProjectResult(project=p, votes=p.vote_count,
                              score=Fraction(scores.get(str(p.id), p.score)),
                              selected=p.status == ProjectStatus.selected,
                              greedy_selected=None if greedy is None else p.id in greedy,
                              explanation=Explanation.from_json(steps[str(p.id)])
                              if str(p.id) in steps else None)
                for p in on_ballot if p.category_id == category.id]
        result_categories.append(_category_result(
            category, rows, greedy is not None,
            CountExplanation.from_json(count) if count else None, official,
            snap.get("rule") or pot_rule(rules, category)))
    return Results(cycle, rules, result_categories, True, cycle.ballot_count)


def results_for_display(session: Session, cycle: BudgetCycle) -> Results | None:
    """Published results, or the provisional count once voting has ended; None before."""
    if cycle.results_published_at is not None:
        return stored_results(session, cycle)
    if phase_of(cycle) == Phase.results:
        return compute_results(session, cycle)
    return None


# -- publication ----------------------------------------------------------------------------

def publish_results(session: Session, official: User | None, cycle: BudgetCycle) -> Results:
    """Publish the count: winners are selected, the rest not; one implementation obligation
    opens per winner; authors and followers are told."""
    permissions.check_publish(session, official, cycle, phase_of(cycle))
    repo.own_ballots(session, cycle.id)  # the count sees no invalidation half-way
    results = compute_results(session, cycle)
    winners = results.winner_ids()
    now = clock.now()
    if not repo.mark_published(session, cycle, now):
        raise Conflict(permissions.ALREADY_PUBLISHED)
    record_results(session, cycle, results)
    _open_implementation_obligations(session, cycle, results, now)
    session.flush()
    for c in results.categories:
        for r in c.projects:
            r.selected = r.project.status == ProjectStatus.selected
            _notify_result(session, r.project)
    audit.append(session, "budget.results_published", repo.CYCLE_SUBJECT, cycle.id,
                 official.id, rule=results.rules.aggregation, ballots=cycle.ballot_count,
                 winners=winners)
    results.published = True
    return results


def _open_implementation_obligations(session: Session, cycle: BudgetCycle, results: Results,
                                     now: datetime) -> None:
    """The authority owes each winner's delivery, by the deadline of the cycle's rules."""
    for c in results.categories:
        for r in c.winners:
            accountability.open_obligation(
                session, kind=repo.IMPLEMENTATION_KIND, community_id=cycle.community_id,
                authority_id=cycle.authority_id, subject_type=repo.PROJECT_SUBJECT,
                subject_id=r.project.id, subject_title=r.project.title,
                subject_path=project_path(r.project),
                period=results.rules.implementation_deadline, ruleset_id=cycle.ruleset_id,
                opened_at=now)


def _notify_result(session: Session, project: BudgetProject) -> None:
    render = project_notice(
        project.status == ProjectStatus.selected,
        (N_("A budget project you follow will be funded"),
         N_("“{title}” won the vote and will be funded. Follow its implementation:\n\n{link}")),
        (N_("Budget results: a project you follow was not selected"),
         N_("“{title}” was not selected for funding this time.\n\n{link}")),
        title=project.title, link=project_link(project))
    notifications.notify_followers(session, repo.PROJECT_SUBJECT, project.id,
                                   f"budget-result:{project.id}", render)
