"""The consultations' datasets of the open-data catalogue: every published consultation, and
the option counts of those that have ended."""

from __future__ import annotations

import csv
import io

from consultations.models import Publication
from tests.consultations.factories import close, make_consultation, respond
from tests.factories import make_community, make_resident


def table(client, name: str) -> list[dict[str, str]]:
    response = client.get(f"/api/v1/open-data/{name}.csv")
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.text)))


def test_results_join_the_table_when_the_consultation_ends(client, db, clock):
    place = make_community(db, slug="consulting-town")
    c = make_consultation(db, place)
    make_consultation(db, place, publish=False, title="A draft nobody sees")
    respond(db, c, make_resident(db, place, name="Названа Учасниця"),
            publication=Publication.named, single=2, multiple=(0, 1))
    [row] = table(client, "consultations")
    assert (row["id"], row["phase"], row["response_count"], row["resident_count"]) == (
        str(c.id), "open", "1", "1")
    assert table(client, "consultation-results") == []  # counts of an open one may change

    close(clock, c)
    rows = table(client, "consultation-results")
    assert table(client, "consultations")[0]["phase"] == "closed"
    assert [(r["question_kind"], r["option"], r["count"]) for r in rows] == [
        ("single", "Yes", "0"), ("single", "Partly", "0"), ("single", "No", "1"),
        ("multiple", "Trees", "1"), ("multiple", "Bike lanes", "1"),
        ("multiple", "Lighting", "0"),
        *(("scale", str(n), "0") for n in range(1, 6))]
    assert {r["answer_count"] for r in rows if r["question_kind"] == "single"} == {"1"}
    assert "Названа Учасниця" not in str(rows)
