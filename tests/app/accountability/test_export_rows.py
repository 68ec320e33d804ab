"""The open-data export reads its rows page by page, in any session a request may have."""

from __future__ import annotations

from app.accountability import export
from app.accountability import repository as repo
from app.db import new_session


def test_the_rows_are_read_page_by_page_in_id_order(db, region):
    every = [row.id for row in repo.export_rows(db)]
    assert len(every) == 9 and every == sorted(every)
    assert [row.id for row in repo.export_rows(db, page=2)] == every
    assert [row.id for row in repo.export_rows(db, page=9)] == every
    first_kind = repo.export_rows(db, kinds=["petition_answer"], page=1)
    assert {row.kind for row in first_kind} == {"petition_answer"}


def test_a_reading_session_exports(engine):
    """A reading request's session has no transaction (on PostgreSQL: autocommit), where a
    server-side cursor cannot be opened; the export needs none."""
    with new_session(engine, reads_only=True) as session:
        rows = list(export.rows(session))
        assert export.to_csv(iter(rows)).splitlines()[0].startswith("id,")
