"""app.db.insert_rows and update_rows: many rows in one statement, each value as its column
types it."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import event
from sqlmodel import select

from app.audit.models import AuditEntry
from app.db import insert_rows, update_rows


def _rows(at: datetime) -> list[dict]:
    return [{"created_at": at, "action": "test.row", "subject_type": "thing",
             "subject_id": n if n % 2 else None, "actor": None if n == 1 else f"a{n}",
             "actor_salt": None, "commitment": None, "data": f'{{"n": {n}}}',
             "format": 2} for n in range(1, 6)]


class _Statements(list):
    """The statements a connection sends while in a `with` block."""

    def __init__(self, connection) -> None:
        super().__init__()
        self.connection = connection

    def _seen(self, conn, cursor, statement, *args) -> None:
        self.append(statement)

    def __enter__(self) -> _Statements:
        event.listen(self.connection, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *exc) -> None:
        event.remove(self.connection, "before_cursor_execute", self._seen)


def test_many_rows_go_in_with_one_statement_and_keep_their_values(db):
    at = datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=UTC)
    rows = _rows(at)
    with _Statements(db.connection()) as statements:
        insert_rows(db, AuditEntry.__table__, rows)
        insert_rows(db, AuditEntry.__table__, [])
    assert len(statements) == 1 and statements[0].lstrip().upper().startswith("INSERT")
    stored = db.exec(select(AuditEntry).where(AuditEntry.action == "test.row")
                     .order_by(AuditEntry.id)).all()
    assert [(e.created_at, e.subject_id, e.actor, e.data, e.seq) for e in stored] == [
        (at, r["subject_id"], r["actor"], r["data"], None) for r in rows]


def test_many_rows_change_each_to_its_own_values_where_the_condition_holds(db):
    at = datetime(2026, 3, 2, 9, 30, 15, tzinfo=UTC)
    insert_rows(db, AuditEntry.__table__, _rows(at))
    ids = db.exec(select(AuditEntry.id).where(AuditEntry.action == "test.row")
                  .order_by(AuditEntry.id)).all()
    later = datetime(2026, 3, 2, 9, 31, tzinfo=UTC)
    first = [{"id": i, "seq": 100 + n, "hash": f"h{n}", "sealed_at": later}
             for n, i in enumerate(ids[:3])]
    with _Statements(db.connection()) as statements:
        assert update_rows(db, AuditEntry.__table__, "id", first,
                           where=AuditEntry.seq.is_(None)) == 3
        assert update_rows(db, AuditEntry.__table__, "id", []) == 0
    # One statement on PostgreSQL; SQLite, in process, runs the same rows as an executemany.
    assert len(statements) == 1
    again = [{"id": i, "seq": 200 + n, "hash": f"g{n}", "sealed_at": later}
             for n, i in enumerate(ids[2:])]
    # The first of these is sealed already: the condition leaves it as it is.
    assert update_rows(db, AuditEntry.__table__, "id", again,
                       where=AuditEntry.seq.is_(None)) == len(ids) - 3
    db.expire_all()
    stored = db.exec(select(AuditEntry.id, AuditEntry.seq, AuditEntry.hash, AuditEntry.sealed_at)
                     .where(AuditEntry.action == "test.row").order_by(AuditEntry.id)).all()
    assert [tuple(r) for r in stored] == [
        (ids[0], 100, "h0", later), (ids[1], 101, "h1", later), (ids[2], 102, "h2", later),
        (ids[3], 201, "g1", later), (ids[4], 202, "g2", later)]
