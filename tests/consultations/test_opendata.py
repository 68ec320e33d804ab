"""The consultations' datasets of the open-data catalogue: every published consultation, and
the option counts of those that have ended."""

from __future__ import annotations

import csv
import io

from consultations.models import Publication, QuestionKind
from tests.consultations.factories import close, make_consultation, respond
from tests.factories import make_community, make_moderator, make_resident


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


def test_contributions_join_the_catalogue_when_the_consultation_closes(client, db, clock):
    from tests.consultations.factories import make_organisation

    place = make_community(db, slug="contributing-town")
    c = make_consultation(db, place)
    owner = make_resident(db, place)
    org = make_organisation(db, place, owner, name="River Keepers")
    respond(db, c, make_resident(db, place, name="Тиха Учасниця"), single=1,
            text="Більше лав.", publication=Publication.named)
    respond(db, c, owner, organisation=org, single=0)
    assert table(client, "consultation-contributions") == []
    close(clock, c)
    assert "Більше лав." not in str(table(client, "consultation-contributions"))
    from sqlmodel import select

    from consultations.models import ConsultationResponse, RedactIn
    from consultations.service import contributions, reading

    text_q = next(v for v in reading.questions(db, c) if v.question.kind == QuestionKind.text)
    response = db.exec(select(ConsultationResponse).where(
        ConsultationResponse.organisation_id.is_(None))).one()
    contributions.redact(db, make_moderator(db, place), c, response.id,
                         RedactIn(question_id=text_q.question.id, text="Більше лав."))
    rows = table(client, "consultation-contributions")
    assert {(r["organisation"], r["category"], r["answer"]) for r in rows
            if r["question"] == "Do you support the draft?"} == {
        ("", "resident", "Partly"), ("River Keepers", "ngo", "Yes")}
    assert "Більше лав." in {r["answer"] for r in rows}
    assert "Тиха Учасниця" not in str(rows)
