"""The hash chain: requests append plain rows, one sealer chains them, anyone can verify.

A request appends its audit entries as plain rows in its own transaction: no lock, no read of
the chain's head, so no writer waits for another because of the log. The sealer
(`app.audit.sealer`, one at work at a time) takes the committed, unsealed entries in the order
they were appended, gives each the next sequence number and its hash, and signs a checkpoint
(sequence number, head hash, time) with the deployment's Ed25519 key. Each entry's hash covers
the previous hash, its sequence number and its content, so changing, deleting or inserting a
sealed row breaks the chain at that point, and a checkpoint that no longer matches the chain
shows a history rewritten and re-hashed.

The sealed log is published (app/audit/api.py; the format on /audit/format) and anyone can
recompute it (tools/verify_audit.py). A person appears in it only as a commitment that differs
for every entry: HMAC-SHA256, with a key derived from the deployment's secret, over a random
per-entry salt and the person's keyed pseudonym. The salt and the pseudonym stay private (the
pseudonym finds a person's own entries, the salt lets the operator show which person an
entry's commitment stands for), so nobody can link two entries of one person. Erasing a
person's data leaves every entry, and so the chain, untouched.

Hash formats: format 2 hashes exactly the published fields. Entries sealed before the log was
published are format 1: their hash covers the private pseudonym, so they keep it (rewriting
them would be rewriting history) and are published with their actor withheld; `verify` below
recomputes both formats from the database.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Iterable, Mapping
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
from app.audit.exceptions import ForeignReceipt, NotSealedYet, ReceiptMismatch, ReceiptNotFound
from app.audit.models import AuditCheckpoint, AuditEntry
from app.exceptions import InvalidInput
from app.settings import get_settings
from app.web.i18n import N_

GENESIS = "0" * 64
SEAL_BATCH = 5000
FORMAT = 2  # the hash format new entries are sealed in
ENTRY_TAG = "hromada-audit-entry/2"
WITHHELD = "withheld"  # the published actor of a format-1 entry that has one


def pseudonym(user_id: int | None) -> str | None:
    """The person's keyed pseudonym: private, the same for all their entries."""
    if user_id is None:
        return None
    key = (get_settings().secret_key + ":audit").encode()
    return hmac.new(key, str(user_id).encode(), hashlib.sha256).hexdigest()[:32]


@lru_cache(maxsize=4)
def _commitment_key(secret: str) -> bytes:
    return hmac.new(secret.encode(), b"audit-actor-commitment", hashlib.sha256).digest()


def commitment(actor: str, salt: str) -> str:
    """The published stand-in for a person in one entry (64 hex digits)."""
    key = _commitment_key(get_settings().secret_key)
    return hmac.new(key, f"{salt}:{actor}".encode(), hashlib.sha256).hexdigest()


def _canonical(data: dict[str, Any]) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str)


def _timestamp(moment: datetime) -> str:
    return clock.aware(moment).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _netstring(value: str) -> bytes:
    raw = value.encode()
    return b"%d:%s," % (len(raw), raw)


def compute_hash(prev_hash: str, seq: int, created_at: datetime, action: str,
                 subject_type: str, subject_id: int | None, actor: str | None, data: str) -> str:
    """Format 2: SHA-256 over the published fields, each as a netstring (its length in bytes,
    a colon, its UTF-8 bytes, a comma), an absent one as the empty string. `actor` is the
    entry's commitment."""
    fields = (ENTRY_TAG, prev_hash, str(seq), _timestamp(created_at), action, subject_type,
              "" if subject_id is None else str(subject_id), actor or "", data)
    return hashlib.sha256(b"".join(_netstring(f) for f in fields)).hexdigest()


def compute_hash_v1(prev_hash: str, seq: int, created_at: datetime, action: str,
                    subject_type: str, subject_id: int | None, actor: str | None,
                    data: str) -> str:
    """Format 1 (entries sealed before the log was published): the fields joined by U+001F;
    `actor` is the private pseudonym."""
    payload = "\x1f".join([prev_hash, str(seq), _timestamp(created_at), action, subject_type,
                           "" if subject_id is None else str(subject_id), actor or "", data])
    return hashlib.sha256(payload.encode()).hexdigest()


def event(action: str, subject_type: str, subject_id: int | None, actor_id: int | None = None,
          *, at: datetime | None = None, **data: Any) -> dict[str, Any]:
    """One entry to append (see `append_many`); `receipt_for` gives the person's receipt of
    it. Never pass personal data."""
    actor = pseudonym(actor_id)
    salt = secrets.token_hex(16) if actor else None
    return {"created_at": at or clock.now(), "action": action, "subject_type": subject_type,
            "subject_id": subject_id, "actor": actor, "actor_salt": salt,
            "commitment": commitment(actor, salt) if actor else None, "data": _canonical(data),
            "format": FORMAT}


def append(session: Session, action: str, subject_type: str, subject_id: int | None,
           actor_id: int | None = None, **data: Any) -> dict[str, Any]:
    """Add an entry to the log, in the caller's transaction; returns it (for `receipt_for`).
    Never pass personal data."""
    entry = event(action, subject_type, subject_id, actor_id, **data)
    repo.add_entries(session, [entry])
    return entry


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


@lru_cache(maxsize=4)
def _key_id_of(secret: str, configured: str | None) -> str:
    return key_id(_signing_key(secret, configured).public_key().public_bytes_raw().hex())


def deployment_key_id() -> str:
    """The key id receipts and checkpoints name (every receipt asks: kept per key)."""
    settings = get_settings()
    return _key_id_of(settings.secret_key, settings.audit_signing_key)


def checkpoint_message(seq: int, head_hash: str, created_at: datetime,
                       format2_from: int | None = None) -> bytes:
    """The exact bytes a checkpoint signs: format 2 also names the first entry of format 2,
    format 1 (checkpoints signed before the log was published) does not."""
    if format2_from is None:
        return (f"hromada-audit-checkpoint/1\n{seq}\n{head_hash}\n"
                f"{_timestamp(created_at)}").encode()
    return (f"hromada-audit-checkpoint/2\n{seq}\n{head_hash}\n{_timestamp(created_at)}\n"
            f"{format2_from}").encode()


def checkpoint_is_signed(checkpoint: AuditCheckpoint, public_hex: str) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex)).verify(
            bytes.fromhex(checkpoint.signature),
            checkpoint_message(checkpoint.seq, checkpoint.head_hash, checkpoint.created_at,
                               checkpoint.format2_from))
    except (InvalidSignature, ValueError):
        return False
    return True


def _format2_from(session: Session, last: AuditEntry | None, next_seq: int) -> int:
    """Where format 2 begins: what the last checkpoint signed, or this round's first entry
    when the chain so far is empty or all format 1."""
    checkpoint = repo.last_checkpoint(session)
    if checkpoint is not None and checkpoint.format2_from is not None:
        return checkpoint.format2_from
    if last is None or last.format == 1:
        return next_seq
    return repo.first_seq_of_format(session, FORMAT) or next_seq


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
    format2_from = _format2_from(session, last, seq + 1)
    now = clock.now()
    rows = []
    for entry in pending:
        seq += 1
        salt, commit = entry.actor_salt, entry.commitment
        if entry.actor is not None and commit is None:  # appended by an older release
            salt = secrets.token_hex(16)
            commit = commitment(entry.actor, salt)
        digest = compute_hash(prev_hash, seq, entry.created_at, entry.action,
                              entry.subject_type, entry.subject_id, commit, entry.data)
        rows.append({"id": entry.id, "seq": seq, "prev_hash": prev_hash, "hash": digest,
                     "sealed_at": now, "actor_salt": salt, "commitment": commit,
                     "format": FORMAT})
        prev_hash = digest
    if repo.seal_entries(session, rows) != len(rows):
        # Only another sealer could have sealed one meanwhile: the lock says none can.
        raise RuntimeError("audit entries were sealed by someone else; this batch is undone")
    for entry in pending:  # what this session holds is what the table holds now
        session.expire(entry)
    public = public_key_hex()
    signature = signing_key().sign(checkpoint_message(seq, prev_hash, now, format2_from)).hex()
    repo.add_checkpoint(session, AuditCheckpoint(
        seq=seq, head_hash=prev_hash, created_at=now, key_id=key_id(public),
        signature=signature, format2_from=format2_from))
    session.flush()
    return len(pending)


# -- verification from the database --------------------------------------------------------

@dataclass
class Verification:
    ok: bool
    entries: int
    head: str
    first_bad_seq: int | None = None
    problem: str | None = None
    unsealed: int = 0  # committed but not sealed yet: not covered by the check
    checkpoints: int = 0
    format1: int = 0  # sealed before the log was published
    # Format 2 entries whose private actor does not open their published commitment: the actor
    # column was changed, or the secret key changed since they were written. Not a break of
    # the chain (the published record is intact), but a person's own entries are misattributed.
    unopened: int = 0


def _hash_of(entry: AuditEntry, seq: int | None = None) -> str | None:
    compute = {1: compute_hash_v1, 2: compute_hash}.get(entry.format)
    if compute is None:
        return None
    actor = entry.actor if entry.format == 1 else entry.commitment
    return compute(entry.prev_hash, entry.seq if seq is None else seq, entry.created_at,
                   entry.action, entry.subject_type, entry.subject_id, actor, entry.data)


def _commitment_opens(entry: AuditEntry) -> bool:
    """Whether the private actor of a format-2 entry is the one its commitment stands for."""
    if entry.actor is None:
        return entry.commitment is None
    return entry.actor_salt is not None and entry.commitment is not None and hmac.compare_digest(
        entry.commitment, commitment(entry.actor, entry.actor_salt))


def _entry_problem(entry: AuditEntry, prev_hash: str, before_prev: str | None,
                   format2_seen: bool) -> tuple[int, str] | None:
    """What is wrong with one entry in its place in the chain, if anything."""
    seq = entry.seq
    if _hash_of(entry) != entry.hash:
        # Renumbered rows keep their old hash: that tells an insertion or deletion apart
        # from a change.
        if seq > 1 and _hash_of(entry, seq - 1) == entry.hash:
            return seq - 1, (f"entry {seq - 1} was inserted (the entries after it were "
                             "renumbered)")
        if _hash_of(entry, seq + 1) == entry.hash:
            return seq, f"entry {seq} was deleted (the entries after it were renumbered)"
        if entry.prev_hash == prev_hash:
            return seq, f"entry {seq} was changed (its content no longer matches its hash)"
        return seq, (f"entry {seq} was inserted or forged (neither its hash nor its link to "
                     f"entry {seq - 1} is right)")
    if entry.prev_hash != prev_hash:
        if before_prev is not None and entry.prev_hash == before_prev:
            return seq - 1, f"entry {seq - 1} was inserted (entry {seq} links past it)"
        if seq == 1:
            return 1, "entry 1 was changed (it does not start the chain)"
        return seq - 1, (f"entry {seq - 1} was changed or replaced (entry {seq} links to a "
                         "different predecessor)")
    if entry.format == 1 and format2_seen:
        return seq, f"entry {seq} was changed (format 1 after entries of format 2)"
    return None


def verify(session: Session, expect: tuple[int, str] | None = None) -> Verification:
    """Walk the chain; name the first entry that was changed, deleted or inserted.

    `expect` is a head (seq, hash) recorded earlier by an observer: the chain must still pass
    through it. That also catches what no chain can show by itself: entries removed from the
    end, or a history rewritten and re-hashed from some point on. Every sealed entry must be
    covered by a signed checkpoint (the sealer signs each round's head in the round's
    transaction), so entries added at the end without the key show too. The private side of
    each person's entry (its pseudonym and salt) is checked against its commitment and counted
    apart (`unopened`): it is no part of the published record, and it opens only with the
    secret key it was written under.
    """
    prev_hash, before_prev, expected_seq, count = GENESIS, None, 1, 0
    marks = {checkpoint.seq: checkpoint for checkpoint in repo.checkpoints(session)}
    public = public_key_hex()
    unsealed = repo.count_unsealed(session)
    format2_from: int | None = None
    format1 = 0

    unopened = 0

    def broken(seq: int, problem: str) -> Verification:
        return Verification(False, count, prev_hash, seq, problem, unsealed, len(marks),
                            format1, unopened)

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
        problem = _entry_problem(entry, prev_hash, before_prev, format2_from is not None)
        if problem is not None:
            return broken(*problem)
        if entry.format == 1:
            format1 += 1
        elif format2_from is None:
            format2_from = entry.seq
        if entry.format == FORMAT and not _commitment_opens(entry):
            unopened += 1
        if expect is not None and entry.seq == expect[0] and entry.hash != expect[1]:
            return broken(entry.seq, f"the recorded head {expect[0]} is not in the chain: the "
                                     f"history up to entry {expect[0]} was rewritten")
        mark = marks.get(entry.seq)
        if mark is not None and mark.head_hash != entry.hash:
            return broken(entry.seq, f"the signed checkpoint at entry {entry.seq} does not "
                                     f"match: the history up to entry {entry.seq} was "
                                     "rewritten")
        if mark is not None and mark.format2_from is not None and (
                mark.format2_from != (format2_from or entry.seq + 1)):
            return broken(entry.seq, f"the signed checkpoint at entry {entry.seq} says format 2 "
                                     f"begins at entry {mark.format2_from}: entries were "
                                     "relabelled")
        before_prev, prev_hash, expected_seq = prev_hash, entry.hash, expected_seq + 1
    recorded = max(([expect[0]] if expect else []) + list(marks), default=0)
    if count < recorded:
        return broken(count + 1, f"entries {count + 1} to {recorded} were deleted (a recorded "
                                 f"or signed head at entry {recorded} is missing)")
    signed = max(marks, default=0)
    if count > signed:
        return broken(signed + 1, f"entries {signed + 1} to {count} are not covered by a signed "
                                  "checkpoint (added without the sealer, or its checkpoints "
                                  "were deleted)")
    return Verification(True, count, prev_hash, unsealed=unsealed, checkpoints=len(marks),
                        format1=format1, unopened=unopened)


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


# -- the published log ----------------------------------------------------------------------

def published_entry(entry: AuditEntry) -> dict[str, Any]:
    """A sealed entry as the public sees it: exactly the fields its hash covers (format 2),
    and the hash. Format 1 entries withhold their actor: it is the person's pseudonym."""
    actor = entry.commitment if entry.format != 1 else (
        None if entry.actor is None else WITHHELD)
    return {"seq": entry.seq, "format": entry.format, "created_at": _timestamp(entry.created_at),
            "action": entry.action, "subject_type": entry.subject_type,
            "subject_id": entry.subject_id, "actor": actor, "data": entry.data,
            "prev_hash": entry.prev_hash, "hash": entry.hash}


def published_checkpoint(checkpoint: AuditCheckpoint) -> dict[str, Any]:
    return {"seq": checkpoint.seq, "format": 1 if checkpoint.format2_from is None else 2,
            "head_hash": checkpoint.head_hash, "created_at": _timestamp(checkpoint.created_at),
            "format2_from": checkpoint.format2_from, "key_id": checkpoint.key_id,
            "signature": checkpoint.signature}


def sealed_after(session: Session, after_seq: int, limit: int) -> list[AuditEntry]:
    """A page of the published log: sealed entries after `after_seq`, in chain order."""
    return repo.sealed_after(session, after_seq, limit)


def checkpoints_after(session: Session, after_seq: int, limit: int) -> list[AuditCheckpoint]:
    return repo.checkpoints_after(session, after_seq, limit)


# -- receipts -------------------------------------------------------------------------------

RECEIPT_PREFIX = "hromada-receipt:1"
RECEIPT_RE = re.compile(r"^hromada-receipt:1:([0-9a-f]{16}):([0-9a-f]{64})"
                        r"(?::([1-9][0-9]{0,9}):([0-9a-f]{64}))?$")
HASH_RE = re.compile(r"^[0-9a-f]{64}$")
SEQ_RE = re.compile(r"^[0-9]{1,10}$")  # ASCII digits only: "²".isdigit(), yet int() refuses it
MAX_SEQ = 2**31 - 1


@dataclass(frozen=True)
class Receipt:
    """What a person keeps after an act: the deployment's key id and the entry's commitment
    (known at once), and, once sealed, the entry's position and hash."""

    key_id: str
    commitment: str | None
    seq: int | None = None
    hash: str | None = None

    @property
    def code(self) -> str:
        """The receipt as one line to copy, paste and keep (commitment receipts only)."""
        parts = [RECEIPT_PREFIX, self.key_id, self.commitment or ""]
        if self.seq is not None and self.hash is not None:
            parts += [str(self.seq), self.hash]
        return ":".join(parts)

    @property
    def check_url(self) -> str:
        return f"/audit/check?receipt={self.code}"


def receipt_for(entry: AuditEntry | Mapping[str, Any]) -> Receipt:
    """The receipt of a person's act (an entry, or the event `append` returned): what a module
    shows after a signature, a ballot or a response, and sends by e-mail."""
    get = entry.get if isinstance(entry, Mapping) else (lambda name: getattr(entry, name))
    if get("commitment") is None:
        raise ValueError("an entry without a person has no receipt")
    return Receipt(deployment_key_id(), get("commitment"), get("seq"), get("hash"))


def parse_receipt(code: str | None, seq: str | None = None, hash: str | None = None) -> Receipt:
    """A pasted receipt (its code), or an entry's position and hash; InvalidInput otherwise."""
    code = "".join((code or "").split()).lower()  # e-mail may wrap a long line
    if code:
        match = RECEIPT_RE.match(code)
        if match is None:
            raise InvalidInput(N_("This is not a receipt of this log. A receipt looks like "
                                  "hromada-receipt:1: followed by letters and digits."),
                               fields={"receipt": N_("Paste the whole receipt, as you got it.")})
        key, commit, at, digest = match.groups()
        return Receipt(key, commit, int(at) if at else None, digest)
    seq, hash = (seq or "").strip(), "".join((hash or "").split()).lower()
    fields = {}
    if not SEQ_RE.match(seq) or not 1 <= int(seq) <= MAX_SEQ:
        fields["seq"] = N_("Enter the entry number (a whole number from 1).")
    if not HASH_RE.match(hash):
        fields["hash"] = N_("Enter the entry's hash: 64 characters, digits and a to f.")
    if fields:
        raise InvalidInput(N_("Paste a receipt, or enter an entry's number and hash."),
                           fields=fields)
    return Receipt(deployment_key_id(), None, int(seq), hash)


def position_receipt(seq: int, hash: str | None = None) -> Receipt:
    """What to check of the entry at a position: that it is sealed, and has `hash` if given."""
    return Receipt(deployment_key_id(), None, seq, hash)


@dataclass
class ReceiptCheck:
    entry: AuditEntry
    checkpoint: AuditCheckpoint | None  # the first signed checkpoint that covers the entry


def check_receipt(session: Session, receipt: Receipt) -> ReceiptCheck:
    """Whether the receipt's entry is in the log as the receipt says, and under which signed
    checkpoint; a domain error with its status otherwise."""
    ours = deployment_key_id()
    if receipt.key_id != ours:
        raise ForeignReceipt(theirs=receipt.key_id, ours=ours)
    if receipt.commitment is not None:
        entry = repo.by_commitment(session, receipt.commitment)
        if entry is None:
            raise ReceiptNotFound(N_("No entry with this receipt is in the log. If the act was "
                                     "confirmed to you, keep the receipt and report this."))
        if entry.seq is None:
            raise NotSealedYet()
    else:
        entry = repo.by_seq(session, receipt.seq)
        if entry is None:
            raise ReceiptNotFound(N_("There is no entry {seq} in the log: it has {count} "
                                     "sealed entries."), seq=receipt.seq,
                                  count=head_hash(session)[0])
    if receipt.seq is not None and (entry.seq != receipt.seq or (
            receipt.hash is not None and entry.hash != receipt.hash)):
        raise ReceiptMismatch(N_("The log does not hold this entry as the receipt says: entry "
                                 "{seq} has another hash now, or the entry moved. The history "
                                 "may have been rewritten: keep the receipt and report this."),
                              seq=receipt.seq)
    return ReceiptCheck(entry, repo.checkpoint_covering(session, entry.seq))


# -- a person's own receipts -----------------------------------------------------------------

def own_entry(session: Session, user_id: int, commitment: str | None) -> AuditEntry | None:
    """The person's own entry with this commitment, or None if there is none or it is not
    theirs."""
    if not commitment or not HASH_RE.match(commitment):
        return None
    entry = repo.by_commitment(session, commitment)
    return entry if entry is not None and entry.actor == pseudonym(user_id) else None


def own_receipt(session: Session, user_id: int, commitment: str | None) -> Receipt | None:
    """The receipt a module's page shows after the act (from the commitment in its address),
    or None if the entry is not the person's."""
    entry = own_entry(session, user_id, commitment)
    return receipt_for(entry) if entry is not None else None


def entries_of(session: Session, user_id: int, actions: Iterable[str] | None = None, *,
               before_id: int | None = None, limit: int = 100_000) -> list[AuditEntry]:
    """The person's own entries, newest first: all of them (the right of access), or those of
    these actions, a page at a time before `before_id` (their receipts page)."""
    return repo.by_actor(session, pseudonym(user_id),
                         None if actions is None else set(actions), before_id=before_id,
                         limit=limit)
