"""The hash chain: requests append plain rows, one sealer chains them, anyone can verify.

A request appends its audit entries as plain rows in its own transaction: no lock, no read of
the chain's head, so no writer waits for another because of the log. The sealer
(`app.audit.sealer`, one at work at a time) takes the committed, unsealed entries in the order
they were appended, gives each the next sequence number and its hash, and signs a checkpoint
(sequence number, head hash, time) with the deployment's Ed25519 key. Each entry's hash covers
the previous hash, its sequence number and its content, so changing, deleting or inserting a
sealed row breaks the chain at that point, and a checkpoint that no longer matches the chain
shows a history rewritten and re-hashed. People appear only as keyed pseudonyms (HMAC-SHA256
of the user id with the deployment's secret): erasing a person's data leaves every entry, and
so the chain, untouched.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from sqlmodel import Session

from app import clock
from app.audit import repository as repo
from app.audit.models import AuditCheckpoint, AuditEntry
from app.settings import get_settings

GENESIS = "0" * 64
SEAL_BATCH = 5000


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


def event(action: str, subject_type: str, subject_id: int | None, actor_id: int | None = None,
          *, at: datetime | None = None, **data: Any) -> dict[str, Any]:
    """One entry to append (see `append_many`). Never pass personal data."""
    return {"created_at": at or clock.now(), "action": action, "subject_type": subject_type,
            "subject_id": subject_id, "actor": pseudonym(actor_id), "data": _canonical(data)}


def append(session: Session, action: str, subject_type: str, subject_id: int | None,
           actor_id: int | None = None, **data: Any) -> None:
    """Add an entry to the log, in the caller's transaction. Never pass personal data."""
    repo.add_entries(session, [event(action, subject_type, subject_id, actor_id, **data)])


def append_many(session: Session, events: list[dict[str, Any]]) -> None:
    """Add many entries (made by `event`) in one statement, in the caller's transaction."""
    if events:
        repo.add_entries(session, events)


# -- sealing and checkpoints ----------------------------------------------------------------

@lru_cache(maxsize=4)
def _signing_key(secret: str, configured: str | None) -> Ed25519PrivateKey:
    """The deployment's checkpoint key: HROMADA_AUDIT_SIGNING_KEY (64 hex digits, an Ed25519
    seed), or one derived from the secret key."""
    seed = bytes.fromhex(configured) if configured else hmac.new(
        secret.encode(), b"audit-checkpoint-ed25519", hashlib.sha256).digest()
    return Ed25519PrivateKey.from_private_bytes(seed)


def signing_key() -> Ed25519PrivateKey:
    settings = get_settings()
    return _signing_key(settings.secret_key, settings.audit_signing_key)


def public_key_hex() -> str:
    return signing_key().public_key().public_bytes_raw().hex()


def key_id(public_hex: str) -> str:
    return hashlib.sha256(bytes.fromhex(public_hex)).hexdigest()[:16]


def checkpoint_message(seq: int, head_hash: str, created_at: datetime) -> bytes:
    """The exact bytes a checkpoint signs."""
    return f"hromada-audit-checkpoint/1\n{seq}\n{head_hash}\n{_timestamp(created_at)}".encode()


def checkpoint_is_signed(checkpoint: AuditCheckpoint, public_hex: str) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex)).verify(
            bytes.fromhex(checkpoint.signature),
            checkpoint_message(checkpoint.seq, checkpoint.head_hash, checkpoint.created_at))
    except (InvalidSignature, ValueError):
        return False
    return True


def seal(session: Session, limit: int = SEAL_BATCH) -> int:
    """Chain the committed, unsealed entries in the order they were appended (at most `limit`)
    and sign a checkpoint of the new head. Returns how many were sealed. Run by one sealer at
    a time (a lock); a second sealer waits, and a forked chain is refused anyway by the unique
    sequence numbers and hashes."""
    repo.lock_sealer(session)
    pending = repo.unsealed(session, limit)
    if not pending:
        return 0
    last = repo.head(session)
    prev_hash, seq = (last.hash, last.seq) if last else (GENESIS, 0)
    now = clock.now()
    rows = []
    for entry in pending:
        seq += 1
        digest = compute_hash(prev_hash, seq, entry.created_at, entry.action,
                              entry.subject_type, entry.subject_id, entry.actor, entry.data)
        rows.append({"eid": entry.id, "seq": seq, "prev": prev_hash, "digest": digest,
                     "sealed": now})
        prev_hash = digest
    repo.seal_entries(session, rows)
    for entry in pending:  # what this session holds is what the table holds now
        session.expire(entry)
    public = public_key_hex()
    signature = signing_key().sign(checkpoint_message(seq, prev_hash, now)).hex()
    repo.add_checkpoint(session, AuditCheckpoint(seq=seq, head_hash=prev_hash, created_at=now,
                                                 key_id=key_id(public), signature=signature))
    session.flush()
    return len(pending)


@dataclass
class Verification:
    ok: bool
    entries: int
    head: str
    first_bad_seq: int | None = None
    problem: str | None = None
    unsealed: int = 0  # committed but not sealed yet: not covered by the check
    checkpoints: int = 0


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
    marks = {checkpoint.seq: checkpoint for checkpoint in repo.checkpoints(session)}
    public = public_key_hex()
    unsealed = repo.count_unsealed(session)

    def broken(seq: int, problem: str) -> Verification:
        return Verification(False, count, prev_hash, seq, problem, unsealed, len(marks))

    for checkpoint in sorted(marks.values(), key=lambda c: c.seq):
        if not checkpoint_is_signed(checkpoint, public):
            return broken(checkpoint.seq, f"the checkpoint at entry {checkpoint.seq} is not "
                                          "signed by this deployment's key")

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
        mark = marks.get(entry.seq)
        if mark is not None and mark.head_hash != entry.hash:
            return broken(entry.seq, f"the signed checkpoint at entry {entry.seq} does not "
                                     f"match: the history up to entry {entry.seq} was "
                                     "rewritten")
        before_prev, prev_hash, expected_seq = prev_hash, entry.hash, expected_seq + 1
    recorded = max(([expect[0]] if expect else []) + list(marks), default=0)
    if count < recorded:
        return broken(count + 1, f"entries {count + 1} to {recorded} were deleted (a recorded "
                                 f"or signed head at entry {recorded} is missing)")
    return Verification(True, count, prev_hash, unsealed=unsealed, checkpoints=len(marks))


def entry_hash(session: Session, seq: int) -> str | None:
    """The stored hash of entry `seq` (for an observer comparing a recorded head)."""
    entry = repo.by_seq(session, seq)
    return entry.hash if entry else None


def head_hash(session: Session) -> tuple[int, str]:
    last = repo.head(session)
    return (last.seq, last.hash) if last else (0, GENESIS)


def count(session: Session) -> int:
    """Every entry, sealed or not."""
    return repo.count(session)


def unsealed(session: Session) -> tuple[int, float]:
    """Entries committed but not sealed yet, and how long the oldest has waited (seconds)."""
    waiting = repo.count_unsealed(session)
    oldest = repo.oldest_unsealed_at(session) if waiting else None
    age = (clock.now() - clock.aware(oldest)).total_seconds() if oldest else 0.0
    return waiting, max(0.0, age)


def last_checkpoint(session: Session) -> AuditCheckpoint | None:
    return repo.last_checkpoint(session)
