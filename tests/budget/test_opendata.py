"""The budget's datasets of the open-data catalogue: which cycles each table holds."""

from __future__ import annotations

import csv
import io

from budget import results as budget_results
from budget.ballots import cast_ballot
from budget.models import Phase
from tests.budget.factories import make_voting_cycle, to_phase
from tests.factories import make_community, make_official, make_resident


def table(client, name: str) -> list[dict[str, str]]:
    response = client.get(f"/api/v1/open-data/{name}.csv")
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.text)))


def test_ballots_join_when_voting_ends_and_results_when_they_are_published(client, db, clock):
    place = make_community(db, slug="budget-town")
    official = make_official(db, place)
    cycle, (project,) = make_voting_cycle(db, place, clock, [(0, 100_000)],
                                          categories=[("Двори", 200_000)], official=official)
    cast_ballot(db, make_resident(db, place), cycle, [project.id])
    db.expire_all()  # the ballot's counters moved in SQL, under the loaded project
    assert table(client, "budget-ballots") == []  # no count is shown while voting is open

    to_phase(clock, cycle, Phase.results)
    assert table(client, "budget-ballots") == [{
        "cycle_id": str(cycle.id), "community": "budget-town", "voter": "1",
        "source": "online", "project_id": str(project.id), "points": "1", "rank": ""}]
    assert table(client, "budget-results") == []  # a provisional count is not the result

    budget_results.publish_results(db, official, cycle)
    [row] = table(client, "budget-results")
    assert (row["cycle_id"], row["project_id"], row["votes"], row["score"], row["selected"],
            row["currency"]) == (str(cycle.id), str(project.id), "1", "1", "true", "UAH")
