"""The CSV of contributions never contains a contribution its author chose not to publish.

Two properties: one on the writer alone (many examples, fast), one through the database and
the services (fewer examples, each in a savepoint rolled back afterwards).
"""

from __future__ import annotations

import csv
import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consultations import export
from consultations.models import Publication
from consultations.service import reading
from tests.consultations.factories import make_consultation, make_organisation, respond
from tests.factories import make_community, make_resident

PUBLICATIONS = st.sampled_from([Publication.named, Publication.anonymous, Publication.none])
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
               max_size=40)


def parse(body: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body)))


@st.composite
def contributions(draw):
    n = draw(st.integers(min_value=0, max_value=12))
    items = []
    for i in range(n):
        publication = draw(PUBLICATIONS)
        # Each contribution carries a unique marker in its name and in every answer.
        marker = f"M{i:03d}X"
        items.append(export.Contribution(
            publication=publication, category=draw(st.sampled_from(["resident", "ngo"])),
            name=f"{marker} {draw(TEXT)}",
            answers={1: f"{marker} {draw(TEXT)}", 2: marker}))
    return items


@given(contributions())
@settings(max_examples=300, deadline=None)
def test_writer_drops_unpublished_and_unnames_anonymous(items):
    body = export.contributions_csv([export.QuestionColumn(1, "First"),
                                     export.QuestionColumn(2, "Second")], items)
    rows = parse(body)
    published = [c for c in items if c.publication != Publication.none]
    assert len(rows) == 1 + len(published)
    for contribution in items:
        marker = contribution.answers[2]
        if contribution.publication == Publication.none:
            assert marker not in body
    for row, contribution in zip(rows[1:], published, strict=True):
        assert row[-1] == contribution.answers[2]
        if contribution.publication == Publication.anonymous:
            assert contribution.answers[2] not in row[1]
        else:
            assert row[1] == contribution.name


def test_formula_cells_are_neutralised():
    body = export.contributions_csv([export.QuestionColumn(1, "=cmd|' /C calc'!A0")], [
        export.Contribution(Publication.named, "resident", "@SUM(A1)", {1: "+1+1"})])
    rows = parse(body)
    assert rows[0][-1].startswith("'=") and rows[1][1] == "'@SUM(A1)"
    assert rows[1][-1] == "'+1+1"


@given(st.lists(PUBLICATIONS, min_size=1, max_size=6), st.booleans())
@settings(max_examples=10, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_csv_through_the_database_never_leaks(db, clock, choices, with_organisation):
    savepoint = db.begin_nested()
    try:
        place = make_community(db)
        c = make_consultation(db, place)
        expected_rows = 0
        for n, publication in enumerate(choices):
            person = make_resident(db, place, name=f"Person{n}Name")
            org = None
            if with_organisation and n == 0:
                org = make_organisation(db, place, person, name=f"Org{n}Name")
            respond(db, c, person, publication=publication, organisation=org,
                    text=f"answer-{n}-text")
            # An organisation's contribution is always public, with its name.
            expected_rows += org is not None or publication != Publication.none
        body = reading.contributions_csv(db, c)
        rows = parse(body)
        assert len(rows) == 1 + expected_rows
        for n, publication in enumerate(choices):
            if with_organisation and n == 0:
                assert f"answer-{n}-text" in body and f"Org{n}Name" in body
                assert f"Person{n}Name" not in body
                continue
            name = f"Person{n}Name"
            if publication == Publication.none:
                assert f"answer-{n}-text" not in body and name not in body
            elif publication == Publication.anonymous:
                assert f"answer-{n}-text" in body and name not in body
            else:
                assert f"answer-{n}-text" in body and name in body
    finally:
        savepoint.rollback()
