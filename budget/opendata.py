"""The participatory budget's datasets of the open-data catalogue: the results and the anonymous
ballots of every cycle, one table each, from the same rows as each cycle's own files
(budget/exports.py). The kernel writes them at /api/v1/open-data/<name>.csv."""

from __future__ import annotations

from collections.abc import Iterator

from sqlmodel import Session

from app import clock
from app.opendata.dataset import Dataset, Field, Frequency
from app.web.i18n import N_
from budget import exports
from budget import repository as repo
from budget.models import BallotSource
from budget.results import stored_results

CYCLE = Field("cycle_id", "integer", N_("Identifier of the budget cycle; its page is "
                                        "/budget/{id}."), required=True, minimum=1)
COMMUNITY = Field("community", "string", N_("Address name of the community (as in its web "
                                            "address)."), required=True)

RESULT_FIELDS = (
    CYCLE, COMMUNITY,
    Field("category", "string", N_("The category (pool of money) the project competed in."),
          required=True),
    Field("project_id", "integer", N_("Identifier of the project within the platform."),
          required=True, minimum=1),
    Field("external_id", "string", N_("The project's number in the community's own records, "
                                      "if it has one.")),
    Field("title", "string", N_("Title of the project."), required=True),
    Field("cost", "integer", N_("Cost of the project after review, in whole units of the "
                                "currency."), required=True, minimum=0),
    Field("currency", "string", N_("Currency of the cost (ISO 4217 code)."), required=True),
    Field("votes", "integer", N_("Ballots that chose the project."), required=True, minimum=0),
    Field("score", "number", N_("The project's score under the cycle's counting rule (votes, "
                                "or points for cumulative voting), to six decimal places."),
          required=True),
    Field("selected", "boolean", N_("Whether the project won funding."), required=True),
    Field("selected_by_greedy", "boolean", N_("Whether the simple greedy rule would have "
                                              "funded it: filled only where the cycle counted "
                                              "by the Method of Equal Shares, for comparison.")),
)

BALLOT_FIELDS = (
    CYCLE, COMMUNITY,
    Field("voter", "integer", N_("The ballot's number within the cycle, in an order that "
                                 "reveals nothing of who voted or when."),
          required=True, minimum=1),
    Field("source", "string", N_("How the ballot was cast: online, on paper at a service "
                                 "centre, or imported from an earlier election's file."),
          required=True, enum=tuple(s.value for s in BallotSource)),
    Field("project_id", "integer", N_("A project the ballot chose."), required=True,
          minimum=1),
    Field("points", "integer", N_("Points the ballot gave the project (1 unless the cycle "
                                  "voted with points)."), required=True, minimum=0),
    Field("rank", "integer", N_("The project's place on a ranked ballot imported from an "
                                "earlier election (1 = first); otherwise empty."), minimum=1),
)


def result_rows(session: Session) -> Iterator[tuple]:
    """Every project on the ballot of every cycle with published results, by cycle."""
    for cycle, slug in repo.ended_cycles(session, clock.now(), published=True):
        for (category, project_id, external_id, title, cost, votes, score, selected,
             greedy) in exports.result_rows(stored_results(session, cycle)):
            yield (cycle.id, slug, category, project_id, external_id, title, cost,
                   cycle.currency, votes, score, selected, greedy)


def ballot_rows(session: Session) -> Iterator[tuple]:
    """Every choice of every anonymous ballot of every cycle whose voting has ended."""
    for cycle, slug in repo.ended_cycles(session, clock.now()):
        for voter, source, chosen in exports.anonymous_ballots(session, cycle):
            for project_id, points, rank in chosen:
                yield cycle.id, slug, voter, source, project_id, points, rank


DATASETS = [
    Dataset(
        name="budget-results",
        title=N_("Participatory budget results"),
        description=N_("The published results of every participatory budget cycle: each "
                       "project on the ballot with its cost, votes, score and whether it won "
                       "funding. A cycle joins the table when its results are published."),
        frequency=Frequency.irregular, fields=RESULT_FIELDS,
        primary_key=("cycle_id", "project_id"), rows=result_rows, page="/budget"),
    Dataset(
        name="budget-ballots",
        title=N_("Participatory budget ballots"),
        description=N_("Every ballot of every participatory budget cycle whose voting has "
                       "ended, anonymous: one row per project a ballot chose, the ballot known "
                       "only by a number. Each cycle's results page also offers them in the "
                       "Pabulib format."),
        frequency=Frequency.irregular, fields=BALLOT_FIELDS,
        primary_key=("cycle_id", "voter", "project_id"), rows=ballot_rows, page="/budget"),
]
