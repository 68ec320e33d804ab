"""The hash chain: append in the caller's transaction, verify from the first entry.

Each entry's hash covers the previous hash, its sequence number and its content, so changing,
deleting or inserting a row breaks the chain at that point. People appear only as keyed
pseudonyms (HMAC-SHA256 of the user id with the deployment's secret): erasing a person's data
leaves every entry, and so the chain, untouched.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session

from app import clock
from app.audit import repository as repo
from app.audit.models import AuditEntry
from app.settings import get_settings

GENESIS = "0" * 64


def pseudonym(user_id: int | None) -> str | None:
    if user_id is None:
        return None
    key = (get_settings().secret_key + ":audit").encode()
    return hmac.new(key, str(user_id).encode(), hashlib.sha256).hexdigest()[:32]


def _canonical(data: dict[str, Any]) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str)


def _timestamp(moment: datetime) -> str:
    return clock.aware(moment).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def compute_hash(prev_hash: str, seq: int, created_at: datetime, action: str,
                 subject_type: str, subject_id: int | None, actor: str | None, data: str) -> str:
    payload = "\x1f".join([prev_hash, str(seq), _timestamp(created_at), action, subject_type,
                           "" if subject_id is None else str(subject_id), actor or "", data])
    return hashlib.sha256(payload.encode()).hexdigest()


def append(session: Session, action: str, subject_type: str, subject_id: int | None,
           actor_id: int | None = None, **data: Any) -> AuditEntry:
    """Add an entry to the chain, in the caller's transaction. Never pass personal data."""
    repo.lock_chain(session)
    last = repo.head(session)
    prev_hash, seq = (last.hash, last.seq + 1) if last else (GENESIS, 1)
    created = clock.now()
    actor = pseudonym(actor_id)
    body = _canonical(data)
    entry = AuditEntry(seq=seq, created_at=created, action=action, subject_type=subject_type,
                       subject_id=subject_id, actor=actor, data=body, prev_hash=prev_hash,
                       hash=compute_hash(prev_hash, seq, created, action, subject_type,
                                         subject_id, actor, body))
    session.add(entry)
    session.flush()
    return entry


@dataclass
class Verification:
    ok: bool
    entries: int
    head: str
    first_bad_seq: int | None = None
    problem: str | None = None


def _hash_of(entry: AuditEntry, seq: int | None = None) -> str:
    return compute_hash(entry.prev_hash, entry.seq if seq is None else seq, entry.created_at,
                        entry.action, entry.subject_type, entry.subject_id, entry.actor,
                        entry.data)


def verify(session: Session, expect: tuple[int, str] | None = None) -> Verification:
    """Walk the chain; name the first entry that was changed, deleted or inserted.

    `expect` is a head (seq, hash) recorded earlier by an observer: the chain must still pass
    through it. That also catches what no chain can show by itself: entries removed from the
    end, or a history rewritten and re-hashed from some point on.
    """
    prev_hash, before_prev, expected_seq, count = GENESIS, None, 1, 0

    def broken(seq: int, problem: str) -> Verification:
        return Verification(False, count, prev_hash, seq, problem)

    for entry in repo.entries(session):
        count += 1
        if entry.seq != expected_seq:
            if entry.seq > expected_seq:
                missing = (f"entry {expected_seq} was" if entry.seq == expected_seq + 1 else
                           f"entries {expected_seq} to {entry.seq - 1} were")
                return broken(expected_seq, f"{missing} deleted (the chain jumps from "
                                            f"{expected_seq - 1} to {entry.seq})")
            return broken(entry.seq, f"entry {entry.seq} was inserted out of sequence")
        if _hash_of(entry) != entry.hash:
            # Renumbered rows keep their old hash: that tells an insertion or deletion apart
            # from a change.
            if entry.seq > 1 and _hash_of(entry, entry.seq - 1) == entry.hash:
                return broken(entry.seq - 1, f"entry {entry.seq - 1} was inserted (the entries "
                                             "after it were renumbered)")
            if _hash_of(entry, entry.seq + 1) == entry.hash:
                return broken(entry.seq, f"entry {entry.seq} was deleted (the entries after it "
                                         "were renumbered)")
            if entry.prev_hash == prev_hash:
                return broken(entry.seq, f"entry {entry.seq} was changed (its content no "
                                         "longer matches its hash)")
            return broken(entry.seq, f"entry {entry.seq} was inserted or forged (neither its "
                                     "hash nor its link to entry "
                                     f"{entry.seq - 1} is right)")
        if entry.prev_hash != prev_hash:
            if before_prev is not None and entry.prev_hash == before_prev:
                return broken(entry.seq - 1, f"entry {entry.seq - 1} was inserted (entry "
                                             f"{entry.seq} links past it)")
            if entry.seq == 1:
                return broken(1, "entry 1 was changed (it does not start the chain)")
            return broken(entry.seq - 1, f"entry {entry.seq - 1} was changed or replaced "
                                         f"(entry {entry.seq} links to a different "
                                         "predecessor)")
        if expect is not None and entry.seq == expect[0] and entry.hash != expect[1]:
            return broken(entry.seq, f"the recorded head {expect[0]} is not in the chain: the "
                                     f"history up to entry {expect[0]} was rewritten")
        before_prev, prev_hash, expected_seq = prev_hash, entry.hash, expected_seq + 1
    if expect is not None and count < expect[0]:
        return Verification(False, count, prev_hash, count + 1,
                            f"entries {count + 1} to {expect[0]} were deleted (the recorded "
                            f"head {expect[0]} is missing)")
    return Verification(True, count, prev_hash)


def entry_hash(session: Session, seq: int) -> str | None:
    """The stored hash of entry `seq` (for an observer comparing a recorded head)."""
    entry = repo.by_seq(session, seq)
    return entry.hash if entry else None


def head_hash(session: Session) -> tuple[int, str]:
    last = repo.head(session)
    return (last.seq, last.hash) if last else (0, GENESIS)
