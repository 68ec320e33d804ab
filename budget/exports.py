"""Open data of a cycle once voting has ended: its results and its ballots as CSV, the ballots
anonymous (numbered in an order that reveals nothing of when or by whom they were cast). The
Pabulib file is written by budget.pabulib.exchange from the same anonymous ballots."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
from collections import defaultdict
from collections.abc import Iterable

from sqlmodel import Session

from app.settings import get_settings
from budget import permissions
from budget import repository as repo
from budget.models import BudgetCycle
from budget.results import results_for_display


def anonymous_order(ballots: Iterable[int]) -> list[int]:
    """Ballot ids in an order that reveals nothing of when (or by whom) they were cast: sorted
    by a keyed hash. Position n in an export is voter n."""
    key = (get_settings().secret_key + ":budget-export").encode()
    return sorted(ballots, key=lambda b: hmac.new(key, str(b).encode(), hashlib.sha256)
                  .hexdigest())


def anonymous_ballots(session: Session, cycle: BudgetCycle
                      ) -> list[tuple[int, str, list[tuple[int, int, int | None]]]]:
    """(voter number, source, [(project id, points, rank)]) for every ballot, anonymous."""
    permissions.check_export(cycle)
    sources = {b.id: b.source for b in repo.ballots(session, cycle.id)}
    grouped: dict[int, list[tuple[int, int, int | None]]] = defaultdict(list)
    for ballot_id, project_id, points, rank in repo.cycle_choices(session, cycle.id):
        grouped[ballot_id].append((project_id, points, rank))
    return [(n, sources[b], grouped.get(b, []))
            for n, b in enumerate(anonymous_order(sources), start=1)]


def results_csv(session: Session, cycle: BudgetCycle) -> str:
    permissions.check_export(cycle)
    results = results_for_display(session, cycle)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["category", "project_id", "external_id", "title", "cost", "votes", "score",
                     "selected", "selected_by_greedy"])
    for c in results.categories if results else []:
        for r in c.projects:
            writer.writerow([c.category.name, r.project.id, r.project.external_id or "",
                             r.project.title, r.project.effective_cost, r.votes, str(r.score),
                             int(r.selected),
                             "" if r.greedy_selected is None else int(r.greedy_selected)])
    return out.getvalue()


def ballots_csv(session: Session, cycle: BudgetCycle) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["voter", "source", "project_id", "points", "rank"])
    for number, source, chosen in anonymous_ballots(session, cycle):
        for project_id, points, rank in chosen:
            writer.writerow([number, source, project_id, points, "" if rank is None else rank])
    return out.getvalue()
