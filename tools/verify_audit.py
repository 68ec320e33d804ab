#!/usr/bin/env python3
"""Check a Hromada deployment's public audit log without trusting the deployment.

    python3 verify_audit.py https://hromada.example.org
    python3 verify_audit.py https://hromada.example.org --receipt hromada-receipt:1:...

It downloads every published entry and signed checkpoint (/api/v1/audit/...), recomputes every
entry's hash, checks that the entries form one unbroken chain, checks every checkpoint's
Ed25519 signature with the published public key (and with --key, that the published key is the
one you were given), and checks that every checkpoint it saw on earlier runs is still part of
the log. It keeps those checkpoints in a local file (--state), so a history rewritten later,
even one signed again by whoever holds the deployment's key, is caught by the next run.

Exit status: 0 when everything checks; 1 when the log or the receipt does not check (changed,
deleted, inserted or reordered entries, a bad signature, a rewritten history); 2 when the log
could not be read (not a Hromada deployment, an HTML page, a truncated answer, no connection).

The standard library and the `cryptography` package (for Ed25519) only; nothing of Hromada is
imported. The format it checks is described on /audit/format of every deployment.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import re
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

GENESIS = "0" * 64
ENTRY_TAG = "hromada-audit-entry/2"
WITHHELD = "withheld"
PAGE = 1000
HEX64 = re.compile(r"^[0-9a-f]{64}$")
RECEIPT = re.compile(r"^hromada-receipt:1:([0-9a-f]{16}):([0-9a-f]{64})"
                     r"(?::([1-9][0-9]*):([0-9a-f]{64}))?$")
BARE_RECEIPT = re.compile(r"^([1-9][0-9]*):([0-9a-f]{64})$")
DEFAULT_STATE = Path.home() / ".hromada-verify-audit.json"
USER_AGENT = "hromada-verify-audit/1"

ENTRY_FIELDS: dict[str, tuple[type, ...]] = {
    "seq": (int,), "format": (int,), "created_at": (str,), "action": (str,),
    "subject_type": (str,), "subject_id": (int, type(None)), "actor": (str, type(None)),
    "data": (str,), "prev_hash": (str,), "hash": (str,)}
CHECKPOINT_FIELDS: dict[str, tuple[type, ...]] = {
    "seq": (int,), "format": (int,), "head_hash": (str,), "created_at": (str,),
    "format2_from": (int, type(None)), "key_id": (str,), "signature": (str,)}


class Unreadable(Exception):
    """The answer is not the published log: exit 2."""


class Broken(Exception):
    """The log, or the receipt, does not check: exit 1."""


# -- downloading ----------------------------------------------------------------------------

def fetch_json(url: str, timeout: float) -> Any:
    request = urllib.request.Request(url, headers={
        "Accept": "application/json", "Cache-Control": "no-cache", "User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            kind = response.headers.get("Content-Type", "")
            body = response.read()
    except urllib.error.HTTPError as exc:
        raise Unreadable(f"{url} answered HTTP {exc.code}: is this the address of a Hromada "
                         "deployment?") from None
    except http.client.IncompleteRead as exc:
        raise Unreadable(f"{url}: the answer was cut off after {len(exc.partial)} bytes "
                         "(truncated)") from None
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        reason = getattr(exc, "reason", exc)
        raise Unreadable(f"{url} could not be read: {reason}") from None
    if "json" not in kind.split(";")[0]:
        raise Unreadable(f"{url} answered {kind or 'something without a content type'}, not "
                         "JSON: is this the address of a Hromada deployment?")
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise Unreadable(f"{url}: the answer is not complete JSON (truncated or "
                         "damaged)") from None


def _shaped(item: Any, fields: dict[str, tuple[type, ...]], what: str, url: str) -> dict:
    if not isinstance(item, dict) or set(item) != set(fields):
        raise Unreadable(f"{url}: {what} has other fields than the published format "
                         f"({', '.join(fields)})")
    for name, types in fields.items():
        value = item[name]
        if isinstance(value, bool) or not isinstance(value, types):
            raise Unreadable(f"{url}: {what} has a {name} of the wrong type")
    return item


def fetch_all(base: str, path: str, fields: dict, what: str, timeout: float,
              after: int = 0, until: int | None = None) -> list[dict]:
    """Every item of a paged list, in order: pages of PAGE after the last seq seen, until a
    page is not full (or, with `until`, the items reach that seq)."""
    items: list[dict] = []
    while until is None or after < until:
        url = f"{base}{path}?after_seq={after}&limit={PAGE}"
        page = fetch_json(url, timeout)
        if not isinstance(page, dict) or not isinstance(page.get("items"), list):
            raise Unreadable(f"{url}: not a page of the published log (no items)")
        got = [_shaped(item, fields, what, url) for item in page["items"]]
        if got and got[-1]["seq"] <= after:
            raise Broken(f"{url}: the server answered {what}s out of order (after entry {after} "
                         f"came {got[-1]['seq']})")
        items += got
        if len(got) < PAGE:
            break
        after = got[-1]["seq"]
    return items


@dataclass
class Log:
    public_key: str
    key_id: str
    head: tuple[int, str]
    entries: list[dict]
    checkpoints: list[dict]


def download(base: str, timeout: float) -> Log:
    meta = fetch_json(f"{base}/api/v1/audit", timeout)
    if not isinstance(meta, dict) or not isinstance(meta.get("public_key"), str) or \
            not isinstance(meta.get("head"), dict):
        raise Unreadable(f"{base}/api/v1/audit is not a Hromada audit log (no public key)")
    public = meta["public_key"].lower()
    head = meta["head"]
    if not HEX64.match(public) or not isinstance(head.get("seq"), int) or \
            not isinstance(head.get("hash"), str):
        raise Unreadable(f"{base}/api/v1/audit: the public key or the head is malformed")
    entries = fetch_all(base, "/api/v1/audit/entries", ENTRY_FIELDS, "an entry", timeout)
    checkpoints = fetch_all(base, "/api/v1/audit/checkpoints", CHECKPOINT_FIELDS,
                            "a checkpoint", timeout)
    signed = max((c["seq"] for c in checkpoints), default=0)
    last = entries[-1]["seq"] if entries else 0
    if signed > last:
        # Sealed while the entries were read: every checkpoint listed covers entries that were
        # sealed before it, so they are there now. Read up to the last one, no further.
        more = fetch_all(base, "/api/v1/audit/entries", ENTRY_FIELDS, "an entry", timeout,
                         after=last, until=signed)
        entries += [e for e in more if e["seq"] <= signed]
    return Log(public, key_id(public), (head["seq"], head["hash"]), entries, checkpoints)


# -- checking -------------------------------------------------------------------------------

def key_id(public_hex: str) -> str:
    return hashlib.sha256(bytes.fromhex(public_hex)).hexdigest()[:16]


def _netstring(text: str) -> bytes:
    raw = text.encode("utf-8")
    return str(len(raw)).encode() + b":" + raw + b","


def entry_hash(entry: dict) -> str | None:
    """The entry's hash recomputed from what is published; None for a format-1 entry whose
    actor is withheld (its hash covers a private pseudonym)."""
    subject = "" if entry["subject_id"] is None else str(entry["subject_id"])
    if entry["format"] == 2:
        fields = [ENTRY_TAG, entry["prev_hash"], str(entry["seq"]), entry["created_at"],
                  entry["action"], entry["subject_type"], subject, entry["actor"] or "",
                  entry["data"]]
        return hashlib.sha256(b"".join(_netstring(f) for f in fields)).hexdigest()
    if entry["format"] == 1:
        if entry["actor"] == WITHHELD:
            return None
        payload = "\x1f".join([entry["prev_hash"], str(entry["seq"]), entry["created_at"],
                               entry["action"], entry["subject_type"], subject,
                               entry["actor"] or "", entry["data"]])
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()
    raise Broken(f"entry {entry['seq']} has an unknown format {entry['format']}")


@dataclass
class Facts:
    entries: int = 0
    head: str = GENESIS
    format2_from: int | None = None
    format1: list[dict] = field(default_factory=list)
    withheld: int = 0


def check_chain(entries: list[dict]) -> Facts:
    facts = Facts()
    for entry in entries:
        seq, expected = entry["seq"], facts.entries + 1
        if seq != expected:
            if seq > expected:
                missing = (f"entry {expected} is" if seq == expected + 1 else
                           f"entries {expected} to {seq - 1} are")
                raise Broken(f"{missing} missing: the log jumps from entry {expected - 1} to "
                             f"{seq} (deleted)")
            raise Broken(f"entry {seq} comes again after entry {expected - 1} (inserted or "
                         "reordered)")
        if not HEX64.match(entry["hash"]) or not HEX64.match(entry["prev_hash"]):
            raise Broken(f"entry {seq} has a malformed hash")
        if entry["prev_hash"] != facts.head:
            raise Broken(f"entry {seq} does not link to entry {seq - 1}: an entry was changed, "
                         f"inserted, deleted or moved at entry {seq - 1} or {seq}" if seq > 1
                         else "entry 1 does not start the chain (changed or inserted)")
        recomputed = entry_hash(entry)
        if recomputed is not None and recomputed != entry["hash"]:
            raise Broken(f"entry {seq} does not match its hash: its content was changed, or it "
                         "was moved from another position")
        if entry["format"] == 1:
            if facts.format2_from is not None:
                raise Broken(f"entry {seq} is of format 1 after entries of format 2 "
                             "(relabelled)")
            facts.format1.append(entry)
            facts.withheld += recomputed is None
        elif facts.format2_from is None:
            facts.format2_from = seq
        facts.entries, facts.head = seq, entry["hash"]
    return facts


def checkpoint_message(checkpoint: dict) -> bytes:
    lines = [str(checkpoint["seq"]), checkpoint["head_hash"], checkpoint["created_at"]]
    if checkpoint["format"] == 1:
        return "\n".join(["hromada-audit-checkpoint/1", *lines]).encode("utf-8")
    return "\n".join(["hromada-audit-checkpoint/2", *lines,
                      str(checkpoint["format2_from"])]).encode("utf-8")


def check_checkpoints(log: Log, facts: Facts) -> None:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(log.public_key))
    previous = 0
    for checkpoint in log.checkpoints:
        seq = checkpoint["seq"]
        if seq <= previous:
            raise Broken(f"the checkpoint at entry {seq} comes after the one at entry "
                         f"{previous} (reordered or repeated)")
        previous = seq
        if checkpoint["format"] not in (1, 2) or (checkpoint["format"] == 2) != (
                checkpoint["format2_from"] is not None):
            raise Broken(f"the checkpoint at entry {seq} has a malformed format")
        if checkpoint["key_id"] != log.key_id:
            raise Broken(f"the checkpoint at entry {seq} names another key "
                         f"({checkpoint['key_id']}, the published key is {log.key_id})")
        try:
            key.verify(bytes.fromhex(checkpoint["signature"]), checkpoint_message(checkpoint))
        except (InvalidSignature, ValueError):
            raise Broken(f"the signature of the checkpoint at entry {seq} is not valid for the "
                         "published key (the checkpoint was forged or changed)") from None
        if seq > facts.entries:
            raise Broken(f"entries {facts.entries + 1} to {seq} are missing: a signed checkpoint "
                         f"covers entry {seq}, the log ends at entry {facts.entries} (deleted)")
        if log.entries[seq - 1]["hash"] != checkpoint["head_hash"]:
            raise Broken(f"the history up to entry {seq} was rewritten: the signed checkpoint "
                         f"at entry {seq} does not match the log")
        if checkpoint["format"] == 2 and checkpoint["format2_from"] != facts.format2_from:
            raise Broken(f"the checkpoint at entry {seq} says format 2 begins at entry "
                         f"{checkpoint['format2_from']}, the log at entry {facts.format2_from} "
                         "(entries relabelled)")
    if facts.entries > previous:
        raise Broken(f"entries {previous + 1} to {facts.entries} are not covered by a signed "
                     "checkpoint: they were added without the deployment's key")


# -- what earlier runs saw ------------------------------------------------------------------

def load_state(path: Path) -> dict:
    if not path.exists():
        return {"version": 1, "deployments": {}}
    try:
        state = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise Unreadable(f"the state file {path} cannot be read ({exc}); move it away only if "
                         "you know why it is damaged") from None
    if not isinstance(state, dict) or not isinstance(state.get("deployments"), dict):
        raise Unreadable(f"the state file {path} is not one this checker wrote")
    return state


def save_state(path: Path, state: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        json.dump(state, out, indent=1, sort_keys=True)
    os.replace(temporary, path)


def format1_digest(entries: list[dict]) -> str:
    lines = (json.dumps(e, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
             for e in entries)
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


def check_history(log: Log, facts: Facts, known: dict | None) -> int:
    """Every checkpoint seen on an earlier run is still part of the log; returns how many."""
    if not known:
        return 0
    if known.get("public_key") != log.public_key:
        raise Broken(f"the deployment's public key changed since {known.get('first_seen')}: it "
                     f"was {known.get('public_key')}, it is {log.public_key} now")
    published = {(c["seq"], c["signature"]) for c in log.checkpoints}
    seen = known.get("checkpoints", [])
    for old in seen:
        seq, when = old["seq"], old.get("seen_at", "an earlier run")
        if seq > facts.entries:
            raise Broken(f"entries {facts.entries + 1} to {seq} were deleted: the checkpoint at "
                         f"entry {seq} seen on {when} is beyond the end of the log")
        if log.entries[seq - 1]["hash"] != old["head_hash"]:
            raise Broken(f"the history up to entry {seq} was rewritten: the checkpoint seen on "
                         f"{when} is no longer a prefix of the log (entry {seq} had "
                         f"{old['head_hash']}, it has {log.entries[seq - 1]['hash']} now)")
        if (seq, old["signature"]) not in published:
            raise Broken(f"the signed checkpoint at entry {seq} seen on {when} is no longer "
                         "published")
    before = known.get("format1")
    if before and (before["count"] != len(facts.format1)
                   or before["digest"] != format1_digest(facts.format1)):
        raise Broken(f"the entries sealed before the log was published (format 1) changed since "
                     f"{before.get('seen_at')}")
    return len(seen)


def remember(state: dict, base: str, log: Log, facts: Facts) -> None:
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: UP017
    known = state["deployments"].setdefault(base, {"public_key": log.public_key,
                                                   "first_seen": now, "checkpoints": []})
    if log.checkpoints:
        last = log.checkpoints[-1]
        if not any(c["seq"] == last["seq"] for c in known["checkpoints"]):
            known["checkpoints"].append({
                "seq": last["seq"], "head_hash": last["head_hash"],
                "created_at": last["created_at"], "signature": last["signature"],
                "seen_at": now})
    if facts.format1 and "format1" not in known:
        known["format1"] = {"count": len(facts.format1),
                            "digest": format1_digest(facts.format1), "seen_at": now}


# -- receipts -------------------------------------------------------------------------------

def check_receipt(log: Log, receipt: str) -> str:
    code = "".join(receipt.split()).lower()
    match, bare = RECEIPT.match(code), BARE_RECEIPT.match(code)
    if match is None and bare is None:
        raise Unreadable("the receipt is malformed: it looks like hromada-receipt:1:... (or "
                         "SEQ:HASH)")
    if match is not None:
        key, commitment, seq, digest = match.groups()
        if key != log.key_id:
            raise Broken(f"the receipt is from another deployment (key id {key}; this one's "
                         f"is {log.key_id})")
        entry = next((e for e in log.entries if e["format"] == 2 and e["actor"] == commitment),
                     None)
        if entry is None:
            raise Broken("the receipt's entry is not in the published log: it is not sealed "
                         "yet (try again in a minute), or it was removed")
    else:
        seq, digest = bare.groups()
        number = int(seq)
        entry = log.entries[number - 1] if number <= len(log.entries) else None
        if entry is None:
            raise Broken(f"there is no entry {seq} in the published log")
    if seq is not None and (entry["seq"] != int(seq) or entry["hash"] != digest):
        raise Broken(f"the log does not hold the receipt's entry as the receipt says (entry "
                     f"{seq} with hash {digest}): the history was rewritten")
    covering = next((c for c in log.checkpoints if c["seq"] >= entry["seq"]), None)
    if covering is None:
        raise Broken(f"entry {entry['seq']} is not covered by a signed checkpoint yet")
    return (f"receipt: entry {entry['seq']} (hash {entry['hash']}) is in the log, under the "
            f"checkpoint at entry {covering['seq']} signed at {covering['created_at']}")


# -- the command ----------------------------------------------------------------------------

def verify(base: str, *, key: str | None, state_path: Path,
           timeout: float) -> tuple[Log, list[str]]:
    """Check the deployment at `base`: the log and the lines to print. Raises Broken or
    Unreadable; remembers the log's last checkpoint only when everything checks."""
    state = load_state(state_path)
    log = download(base, timeout)
    if key is not None and key.lower() != log.public_key:
        raise Broken(f"the published public key {log.public_key} is not the key you gave")
    facts = check_chain(log.entries)
    check_checkpoints(log, facts)
    seq, head = log.head
    if seq > facts.entries or (seq and log.entries[seq - 1]["hash"] != head):
        raise Broken(f"the deployment names entry {seq} ({head}) as its head, but the log it "
                     f"publishes does not hold it (it has {facts.entries} entries)")
    earlier = check_history(log, facts, state["deployments"].get(base))
    lines = [f"ok: {facts.entries} entries and {len(log.checkpoints)} signed checkpoints "
             f"checked; head {facts.entries} {facts.head}",
             f"public key {log.public_key} (key id {log.key_id})"]
    lines.append(f"{earlier} checkpoints seen on earlier runs are still part of the log"
                 if earlier else "first run for this deployment: its checkpoints are kept "
                                 "for the next run")
    if facts.format1:
        lines.append(f"note: {len(facts.format1)} entries were sealed before the log was "
                     f"published (format 1); {facts.withheld} of them hash a private pseudonym "
                     "of the person, so their hash is recomputed only on the server (hromada "
                     "audit verify); their place in the chain and the signatures over them "
                     "were checked, and later runs notice if they change")
    remember(state, base, log, facts)
    save_state(state_path, state)
    lines.append(f"state kept in {state_path}")
    return log, lines


def normalise(url: str) -> str:
    parts = urllib.parse.urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise Unreadable(f"{url!r} is not an http(s) address of a deployment")
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="verify_audit.py", description="Check a Hromada deployment's public audit log.",
        epilog="Exit status: 0 all checks, 1 the log or receipt does not check, 2 the log "
               "could not be read.")
    parser.add_argument("url", help="the deployment's address, e.g. https://hromada.example.org")
    parser.add_argument("--key", help="the deployment's public key (64 hex digits) as you got "
                                      "it from a source you trust")
    parser.add_argument("--state", type=Path, default=DEFAULT_STATE,
                        help=f"where to keep the checkpoints seen (default {DEFAULT_STATE})")
    parser.add_argument("--receipt", help="a receipt to find in the log")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per request")
    args = parser.parse_args(argv)
    try:
        if args.key is not None and not HEX64.match(args.key.lower()):
            raise Unreadable("--key must be 64 hexadecimal digits")
        receipt = "".join((args.receipt or "").split()).lower()
        if receipt and not (RECEIPT.match(receipt) or BARE_RECEIPT.match(receipt)):
            raise Unreadable("the receipt is malformed: it looks like hromada-receipt:1:... "
                             "(or SEQ:HASH)")
        import cryptography  # noqa: F401  checked before downloading anything
    except ImportError:
        print("ERROR: the cryptography package is needed: python3 -m pip install cryptography",
              file=sys.stderr)
        return 2
    except Unreadable as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 2
    try:
        log, lines = verify(normalise(args.url), key=args.key, state_path=args.state,
                            timeout=args.timeout)
        print("\n".join(lines))
        if args.receipt:
            print(check_receipt(log, args.receipt))
    except Broken as exc:
        print(f"BROKEN: {exc}", file=sys.stderr)
        return 1
    except Unreadable as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
