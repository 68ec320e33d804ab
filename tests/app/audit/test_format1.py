"""Entries sealed before the log was published (format 1) keep their hashes and checkpoints:
the migration marks them, the server still recomputes them, the published log withholds their
pseudonyms, and the chain goes on in format 2 from where they end."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from app import clock
from app.audit import service as audit
from app.audit.models import AuditEntry
from app.db import build_engine, transaction
from app.migrate import downgrade, upgrade
from app.models import UTCDateTime
from tests.app.audit.helpers import check, published_log, verifier

OLD_ENTRY = sa.table("audit_entry", *(sa.column(c) for c in (
    "seq", "action", "subject_type", "subject_id", "actor", "data", "prev_hash", "hash")),
    sa.column("created_at", UTCDateTime()), sa.column("sealed_at", UTCDateTime()))
OLD_CHECKPOINT = sa.table("audit_checkpoint", *(sa.column(c) for c in (
    "seq", "head_hash", "key_id", "signature")), sa.column("created_at", UTCDateTime()))


def seal_as_the_previous_release(engine, count: int) -> None:
    """Format-1 entries (every other one by a person) and a checkpoint of format 1, written
    as the sealer of the previous release wrote them."""
    prev, now = audit.GENESIS, clock.now()
    with engine.begin() as conn:
        for seq in range(1, count + 1):
            actor = audit.pseudonym(7) if seq % 2 else None
            data = f'{{"n":{seq}}}'
            digest = audit.compute_hash_v1(prev, seq, now, "test.old", "thing", seq, actor, data)
            conn.execute(sa.insert(OLD_ENTRY).values(
                seq=seq, created_at=now, action="test.old", subject_type="thing",
                subject_id=seq, actor=actor, data=data, prev_hash=prev, hash=digest,
                sealed_at=now))
            prev = digest
        public = audit.public_key_hex()
        conn.execute(sa.insert(OLD_CHECKPOINT).values(
            seq=count, head_hash=prev, created_at=now, key_id=audit.key_id(public),
            signature=audit.signing_key().sign(audit.checkpoint_message(count, prev, now)).hex()))


def test_the_log_sealed_before_publication_goes_on_in_format_2(isolated_database):
    downgrade(isolated_database, "0006_audit_sealer")
    engine = build_engine(isolated_database)
    try:
        seal_as_the_previous_release(engine, 4)
        upgrade(isolated_database)
        with transaction(engine) as session:
            old = list(session.exec(select(AuditEntry).order_by(AuditEntry.seq)))
            assert [e.format for e in old] == [1] * 4
            assert all(e.commitment is None for e in old)
            result = audit.verify(session)
            assert result.ok and result.entries == 4 and result.format1 == 4
            log = published_log(session)
            assert [e["actor"] for e in log.entries] == ["withheld", None, "withheld", None]
            assert audit.pseudonym(7) not in str(log.entries)
            facts = check(log)  # links and the format-1 checkpoint, from outside
            assert facts.withheld == 2 and facts.format2_from is None

            audit.append(session, "test.new", "thing", 5, 7)
            audit.append(session, "test.new", "thing", 6, None)
            assert audit.seal(session) == 2
            result = audit.verify(session)
            assert result.ok and result.entries == 6 and result.format1 == 4
            checkpoint = audit.last_checkpoint(session)
            assert checkpoint.format2_from == 5
            log = published_log(session)
            assert [e["format"] for e in log.entries] == [1, 1, 1, 1, 2, 2]
            assert log.entries[4]["prev_hash"] == log.entries[3]["hash"]
            assert [c["format"] for c in log.checkpoints] == [1, 2]
            facts = check(log)
            assert facts.entries == 6 and facts.format2_from == 5 and len(facts.format1) == 4
            remembered = {"public_key": log.public_key, "checkpoints": [],
                          "format1": {"count": 4, "digest": verifier().format1_digest(
                              facts.format1), "seen_at": "yesterday"}}
            assert verifier().check_history(log, facts, remembered) == 0
        with Session(engine) as session:
            _a_withheld_entry_changed_is_caught(session, remembered)
        with pytest.raises(RuntimeError, match="cannot be downgraded"):
            downgrade(isolated_database, "0006_audit_sealer")
    finally:
        engine.dispose()


def _a_withheld_entry_changed_is_caught(session: Session, remembered: dict) -> None:
    """The server recomputes it; outside, the checker notices the change against what it
    saw on an earlier run."""
    session.exec(sa.text("UPDATE audit_entry SET data = :d WHERE seq = 1").bindparams(
        d='{"n":99}'))
    session.expire_all()
    result = audit.verify(session)
    assert not result.ok and "entry 1 was changed" in result.problem
    log = published_log(session)
    facts = check(log)  # its hash covers a withheld pseudonym: not recomputable outside
    with pytest.raises(verifier().Broken, match="format 1.*changed since yesterday"):
        verifier().check_history(log, facts, remembered)
    session.rollback()
