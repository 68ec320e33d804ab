"""The tamper-evident log: verify names the first changed, deleted or inserted entry."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import datetime

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from app.audit import service as audit
from app.audit.models import AuditEntry
from tests.factories import make_user


def chain(db: Session, n: int = 5, actor_id: int | None = None) -> list[AuditEntry]:
    """Append n entries, seal them, and return them as sealed."""
    for i in range(1, n + 1):
        audit.append(db, "test.acted", "thing", i, actor_id, n=i, note="ä ✓")
    assert audit.seal(db) == n
    return list(db.exec(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(n)))[::-1]


def sql(db: Session, statement: str, **params) -> None:
    db.exec(text(statement).bindparams(**params))
    db.flush()


def forged_row(db: Session, seq: int, prev_hash: str, *, correct: bool) -> None:
    """INSERT a row by hand, with a hash computed as the app would (correct) or made up."""
    from app import clock

    created = clock.now()
    body = '{"forged":true}'
    digest = (audit.compute_hash(prev_hash, seq, created, "test.forged", "thing", 99, None, body)
              if correct else "f" * 64)
    sql(db, "INSERT INTO audit_entry (seq, created_at, action, subject_type, subject_id, actor, "
            "data, prev_hash, hash) VALUES (:seq, :created, 'test.forged', 'thing', 99, NULL, "
            ":body, :prev, :hash)", seq=seq, created=created, body=body, prev=prev_hash,
        hash=digest)


def renumber(db: Session, from_seq: int, delta: int, last: int) -> None:
    order = range(last, from_seq - 1, -1) if delta > 0 else range(from_seq, last + 1)
    for seq in order:  # one row at a time, so the unique seq never collides
        sql(db, "UPDATE audit_entry SET seq = seq + :d WHERE seq = :s", d=delta, s=seq)


def test_an_untouched_chain_verifies(db):
    entries = chain(db)
    result = audit.verify(db)
    assert result.ok and result.entries == 5 and result.head == entries[-1].hash
    assert audit.head_hash(db) == (5, entries[-1].hash)
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
    assert entries[0].prev_hash == audit.GENESIS
    assert all(entries[i].prev_hash == entries[i - 1].hash for i in range(1, 5))


@pytest.mark.parametrize("column, value", [
    ("data", '{"n":3,"note":"changed"}'), ("action", "test.other"), ("subject_id", 42),
    ("commitment", "e" * 64), ("created_at", datetime(2020, 1, 1))])
def test_a_changed_row_is_named(db, column, value):
    chain(db, actor_id=make_user(db).id)
    sql(db, f"UPDATE audit_entry SET {column} = :v WHERE seq = 3", v=value)
    result = audit.verify(db)
    assert not result.ok
    assert result.first_bad_seq == 3
    assert "entry 3 was changed" in result.problem


def test_a_changed_private_actor_is_counted_apart(db):
    """The pseudonym behind a commitment is private, no part of the published record: changed,
    it no longer opens the commitment, which verify reports without calling the chain
    broken (a changed secret key does the same to every entry)."""
    user = make_user(db)
    chain(db, actor_id=user.id)
    assert audit.verify(db).unopened == 0
    sql(db, "UPDATE audit_entry SET actor = :v WHERE seq = 3", v=audit.pseudonym(user.id + 1))
    result = audit.verify(db)
    assert result.ok and result.unopened == 1


def test_a_changed_and_rehashed_row_is_named_by_the_broken_link(db):
    entries = chain(db)
    e = entries[2]
    new_hash = audit.compute_hash(e.prev_hash, 3, e.created_at, e.action, e.subject_type,
                                  e.subject_id, e.commitment, '{"n":300}')
    sql(db, "UPDATE audit_entry SET data = :d, hash = :h WHERE seq = 3", d='{"n":300}',
        h=new_hash)
    result = audit.verify(db)
    assert not result.ok and result.first_bad_seq == 3
    assert "entry 3 was changed or replaced" in result.problem


def test_a_deleted_row_is_named(db):
    chain(db)
    sql(db, "DELETE FROM audit_entry WHERE seq = 3")
    result = audit.verify(db)
    assert not result.ok and result.first_bad_seq == 3
    assert "entry 3 was deleted" in result.problem


def test_a_deleted_row_with_later_rows_renumbered_is_named(db):
    chain(db)
    sql(db, "DELETE FROM audit_entry WHERE seq = 3")
    renumber(db, 4, -1, 5)
    result = audit.verify(db)
    assert not result.ok and result.first_bad_seq == 3
    assert "entry 3 was deleted" in result.problem


def test_an_inserted_row_at_the_end_is_named(db):
    entries = chain(db)
    forged_row(db, 6, entries[-1].hash[::-1], correct=False)
    result = audit.verify(db)
    assert not result.ok and result.first_bad_seq == 6
    assert "entry 6 was inserted" in result.problem


def test_an_inserted_row_in_the_middle_is_named(db):
    entries = chain(db)
    renumber(db, 3, +1, 5)
    forged_row(db, 3, entries[1].hash, correct=True)  # a perfect forgery of its own hash
    result = audit.verify(db)
    assert not result.ok and result.first_bad_seq == 3
    assert "entry 3 was inserted" in result.problem


def test_an_inserted_row_out_of_sequence_is_named(db):
    chain(db)
    forged_row(db, 9, "0" * 64, correct=False)
    result = audit.verify(db)
    assert not result.ok and result.first_bad_seq == 6
    assert "entries 6 to 8 were deleted" in result.problem


def test_the_signed_checkpoint_catches_a_truncated_history(db):
    chain(db)
    sql(db, "DELETE FROM audit_entry WHERE seq = 5")  # the end: invisible to the chain alone
    result = audit.verify(db)
    assert not result.ok and result.first_bad_seq == 5 and "deleted" in result.problem


def test_a_forged_or_foreign_checkpoint_is_refused(db):
    chain(db, 3)
    signed = audit.last_checkpoint(db).signature
    sql(db, "UPDATE audit_checkpoint SET signature = :s", s="ab" * 64)
    result = audit.verify(db)
    assert not result.ok and result.first_bad_seq == 3 and "not signed" in result.problem
    sql(db, "UPDATE audit_checkpoint SET signature = :s", s=signed)
    assert audit.verify(db).ok  # only the signature was wrong: the chain itself is intact


def test_a_checkpoint_signs_the_head_with_the_published_key(db):
    entries = chain(db, 3)
    checkpoint = audit.last_checkpoint(db)
    assert (checkpoint.seq, checkpoint.head_hash) == (3, entries[-1].hash)
    assert audit.checkpoint_is_signed(checkpoint, audit.public_key_hex())
    other = "".join(reversed(audit.public_key_hex()))
    assert not audit.checkpoint_is_signed(checkpoint, other)


def test_a_recorded_head_catches_a_truncated_or_rewritten_history(db):
    entries = chain(db)
    recorded = (5, entries[-1].hash)
    assert audit.verify(db, expect=recorded).ok
    # Whoever can delete entries may delete the deployment's checkpoints as well: a head an
    # observer recorded still catches it.
    sql(db, "DELETE FROM audit_checkpoint")
    sql(db, "DELETE FROM audit_entry WHERE seq = 5")  # the end: invisible to the chain alone
    alone = audit.verify(db)  # the chain is whole, but no signature covers it any more
    assert not alone.ok and alone.first_bad_seq == 1
    assert "not covered by a signed checkpoint" in alone.problem
    result = audit.verify(db, expect=recorded)
    assert not result.ok and result.first_bad_seq == 5 and "deleted" in result.problem
    # Rewritten from entry 4 on and re-hashed: consistent in itself, but not the recorded head.
    forged_row(db, 5, entries[3].hash, correct=True)
    result = audit.verify(db, expect=recorded)
    assert not result.ok and result.first_bad_seq == 5 and "rewritten" in result.problem


def test_entries_of_a_rolled_back_transaction_vanish_with_it(db):
    chain(db, 2)
    savepoint = db.begin_nested()
    audit.append(db, "test.doomed", "thing", 1)
    assert audit.unsealed(db)[0] == 1
    savepoint.rollback()
    assert audit.unsealed(db)[0] == 0 and audit.seal(db) == 0
    assert audit.verify(db).ok and audit.head_hash(db)[0] == 2
    chain(db, 1)
    assert audit.verify(db).ok and audit.head_hash(db)[0] == 3


def test_unsealed_entries_are_counted_and_sealed_in_the_order_they_were_appended(db):
    chain(db, 2)
    for i in range(3):
        audit.append(db, "test.waiting", "thing", 10 + i)
    result = audit.verify(db)
    assert result.ok and result.entries == 2 and result.unsealed == 3
    assert audit.seal(db, limit=2) == 2 and audit.seal(db) == 1
    sealed = list(db.exec(select(AuditEntry).where(AuditEntry.action == "test.waiting")
                          .order_by(AuditEntry.seq)))
    assert [(e.seq, e.subject_id) for e in sealed] == [(3, 10), (4, 11), (5, 12)]
    assert all(e.sealed_at is not None for e in sealed)
    result = audit.verify(db)
    assert result.ok and result.entries == 5 and result.unsealed == 0
    assert result.checkpoints == 3


def test_a_request_that_fails_leaves_no_entry(iso_engine):
    from app.db import transaction

    with transaction(iso_engine) as session:
        audit.append(session, "test.kept", "thing", 1)
    with pytest.raises(RuntimeError), transaction(iso_engine) as session:
        audit.append(session, "test.doomed", "thing", 2)
        raise RuntimeError("the request failed after the append")
    with transaction(iso_engine) as session:
        assert audit.seal(session) == 1
        assert audit.head_hash(session)[0] == 1
        assert audit.verify(session).ok


def test_concurrent_appends_keep_one_unbroken_chain(iso_engine):
    from app.db import transaction

    errors: list[BaseException] = []

    def worker(k: int) -> None:
        try:
            for i in range(8):
                with transaction(iso_engine) as session:
                    audit.append(session, "test.parallel", "thing", k * 100 + i)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    with transaction(iso_engine) as session:
        assert audit.seal(session) == 32
        result = audit.verify(session)
    assert result.ok and result.entries == 32


def test_two_sealers_at_once_cannot_fork_the_chain(iso_engine):
    from app.audit import sealer
    from app.db import transaction

    with transaction(iso_engine) as session:
        for i in range(300):
            audit.append(session, "test.many", "thing", i)
    sealed: list[int] = []
    errors: list[BaseException] = []

    def seal() -> None:
        try:
            sealed.append(sealer.seal_pending(iso_engine))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=seal) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert sum(sealed) == 300  # each entry sealed once, by whichever sealer came first
    with transaction(iso_engine, write=False) as session:
        result = audit.verify(session)
    assert result.ok and result.entries == 300 and result.unsealed == 0


def test_personal_data_is_only_a_keyed_pseudonym(db):
    user = make_user(db, email="pseudo@example.org", name="Оксана Приклад")
    entry = chain(db, 1, actor_id=user.id)[0]
    assert entry.actor == audit.pseudonym(user.id)
    assert str(user.id) != entry.actor and len(entry.actor) == 32
    row = " ".join(str(v) for v in entry.model_dump().values())
    assert "pseudo@example.org" not in row and "Оксана" not in row


def test_erasure_leaves_the_chain_verifiable(db):
    from app.privacy import service as privacy

    user = make_user(db)
    chain(db, 3, actor_id=user.id)
    before = [(e.seq, e.hash) for e in db.exec(
        select(AuditEntry).order_by(AuditEntry.seq))]
    privacy.erase_account(db, user)
    audit.seal(db)
    result = audit.verify(db)
    assert result.ok
    after = [(e.seq, e.hash) for e in db.exec(
        select(AuditEntry).order_by(AuditEntry.seq))]
    assert after[:3] == before  # nothing rewritten; erasure itself is one more entry
    assert len(after) == 4


def test_the_head_is_published_on_the_page_and_in_the_api(client, db):
    entries = chain(db, 3)
    head = entries[-1].hash
    page = client.get("/audit")
    assert page.status_code == 200 and head in page.text
    assert client.get("/api/v1/audit/head").json() == {"entries": 3, "head": head}
    match = client.get(f"/audit?seq=2&hash={entries[1].hash}")
    assert "was not rewritten" in client.get(f"/audit?seq=2&hash={entries[1].hash}&lang=en").text
    assert match.status_code == 200
    mismatch = client.get(f"/audit?seq=2&hash={'a' * 64}&lang=en")
    assert "was rewritten" in mismatch.text
    assert "no entry 9" in client.get(f"/audit?seq=9&hash={'a' * 64}&lang=en").text
    assert client.get("/audit?seq=2&hash=zz&lang=en").status_code == 200


# -- the command line, against a database with real commits ----------------------------------

def hromada(url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "HROMADA_DATABASE_URL": url, "HROMADA_ENVIRONMENT": "test"}
    return subprocess.run([sys.executable, "-m", "app.cli", *args], env=env, text=True,
                          capture_output=True, timeout=120)


def test_hromada_audit_verify_names_the_tampered_entry(isolated_database, iso_engine):
    from app.db import transaction

    with transaction(iso_engine) as session:
        entries = chain(session, 4)
        recorded = (entries[2].seq, entries[2].hash)
    ok = hromada(isolated_database, "audit", "verify")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("ok: 4 entries")
    checked = hromada(isolated_database, "audit", "check", str(recorded[0]), recorded[1])
    assert checked.returncode == 0, checked.stderr
    with iso_engine.begin() as conn:
        conn.execute(text("UPDATE audit_entry SET data = '{}' WHERE seq = 2"))
    broken = hromada(isolated_database, "audit", "verify")
    assert broken.returncode == 1
    assert "BROKEN at entry 2" in broken.stderr and "changed" in broken.stderr
