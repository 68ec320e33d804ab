"""Open data of a cycle once voting has ended: its results and its ballots as CSV, the ballots
anonymous (numbered in an order that reveals nothing of when or by whom they were cast). The
Pabulib file is written by budget.pabulib.exchange from the same anonymous ballots, and the
catalogue's tables of every cycle (budget/opendata.py) from the same rows. A score is written
as a decimal number (exact to six places), never as a fraction."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
from collections import defaultdict
from collections.abc import Iterable, Iterator

from sqlmodel import Session

from app.opendata.dataset import cell
from app.settings import get_settings
from budget import permissions
from budget import repository as repo
from budget.models import BudgetCycle
from budget.results import Results, results_for_display


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


def result_rows(results: Results | None) -> Iterator[tuple]:
    """(category, project id, external id, title, cost, votes, score, selected, selected by
    the greedy rule or None) of every project on the ballot, category by category."""
    for c in results.categories if results else []:
        for r in c.projects:
            yield (c.category.name, r.project.id, r.project.external_id, r.project.title,
                   r.project.effective_cost, r.votes, r.score, r.selected, r.greedy_selected)


def results_csv(session: Session, cycle: BudgetCycle) -> str:
    permissions.check_export(cycle)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["category", "project_id", "external_id", "title", "cost", "votes", "score",
                     "selected", "selected_by_greedy"])
    for (category, project_id, external_id, title, cost, votes, score, selected,
         greedy) in result_rows(results_for_display(session, cycle)):
        writer.writerow([category, project_id, external_id or "", title, cost, votes,
                         cell(score, "number"), int(selected),
                         "" if greedy is None else int(greedy)])
    return out.getvalue()


def ballots_csv(session: Session, cycle: BudgetCycle) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["voter", "source", "project_id", "points", "rank"])
    for number, source, chosen in anonymous_ballots(session, cycle):
        for project_id, points, rank in chosen:
            writer.writerow([number, source, project_id, points, "" if rank is None else rank])
    return out.getvalue()
