"""app.db.insert_rows: many rows in one statement, each value as its column types it."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import event
from sqlmodel import select

from app.audit.models import AuditEntry
from app.db import insert_rows


def test_many_rows_go_in_with_one_statement_and_keep_their_values(db):
    at = datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=UTC)
    rows = [{"created_at": at, "action": "test.row", "subject_type": "thing",
             "subject_id": n if n % 2 else None, "actor": None if n == 1 else f"a{n}",
             "actor_salt": None, "commitment": None, "data": f'{{"n": {n}}}',
             "format": 2} for n in range(1, 6)]
    statements: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    connection = db.connection()
    event.listen(connection, "before_cursor_execute", count)
    try:
        insert_rows(db, AuditEntry.__table__, rows)
        insert_rows(db, AuditEntry.__table__, [])
    finally:
        event.remove(connection, "before_cursor_execute", count)
    assert len(statements) == 1 and statements[0].lstrip().upper().startswith("INSERT")
    stored = db.exec(select(AuditEntry).where(AuditEntry.action == "test.row")
                     .order_by(AuditEntry.id)).all()
    assert [(e.created_at, e.subject_id, e.actor, e.data, e.seq) for e in stored] == [
        (at, r["subject_id"], r["actor"], r["data"], None) for r in rows]
