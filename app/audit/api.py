"""The published audit log under /api/v1/audit: open data anyone may download and recompute.

Every sealed entry, every signed checkpoint and the public key, paged alike (`after_seq` and
`limit`; a `next` link in the body and a `Link: <...>; rel="next"` header while a page is
full: app.web.paging), one entry by its position, and all entries at once as NDJSON. Unsealed
entries are never published. The format of every field, and how to recompute each hash and
check each signature, is on /audit/format.

The routes join the kernel's API router (app.api.api_router, mounted under /api/v1) when this
module is imported; app.audit.views imports it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, Literal

from fastapi import Path, Query, Request, Response
from pydantic import BaseModel, Field

from app.api import api_router
from app.audit import service
from app.db import transaction
from app.web.contract import NdjsonResponse, make_api_router
from app.web.deps import DbSession
from app.web.paging import Page, page

router = make_api_router(prefix="/audit", tags=["audit"])
PAGE_LIMIT = 1000
MAX_SEQ = service.MAX_SEQ
HEX64 = r"^[0-9a-f]{64}$"
# A receipt as the log gives it (the check also reads it wrapped by e-mail or in capitals).
RECEIPT = (r"^hromada-receipt:1:[0-9a-f]{16}:[0-9a-f]{64}"
           r"(:[1-9][0-9]{0,9}:[0-9a-f]{64})?$")


class PublishedEntry(BaseModel):
    seq: int = Field(description="Position in the chain, from 1, without gaps.")
    format: Literal[1, 2] = Field(description="How `hash` is computed (see /audit/format).")
    created_at: str = Field(description="When the act happened, UTC, exactly as hashed: "
                                        "YYYY-MM-DDTHH:MM:SS.ffffffZ.")
    action: str = Field(description="What was done, e.g. petition.signed.")
    subject_type: str = Field(description="The kind of thing acted on, e.g. petition.")
    subject_id: int | None = Field(description="Its id, or null.")
    actor: str | None = Field(description="Format 2: the commitment standing for the person "
                                          "in this entry only (64 hex digits), or null when "
                                          "no person acted. Format 1: null or \"withheld\".")
    data: str = Field(description="The act's details: a JSON text, hashed as it is.")
    prev_hash: str = Field(pattern=HEX64, description="The previous entry's hash (64 zeros "
                                                      "for entry 1).")
    hash: str = Field(pattern=HEX64, description="SHA-256 of the entry (see /audit/format).")


class PublishedCheckpoint(BaseModel):
    seq: int = Field(description="The chain had this many entries when it was signed.")
    format: Literal[1, 2] = Field(description="Which message the signature covers.")
    head_hash: str = Field(pattern=HEX64, description="The hash of entry `seq`.")
    created_at: str = Field(description="When it was signed, UTC, exactly as signed.")
    format2_from: int | None = Field(description="Format 2: the first entry of format 2.")
    key_id: str = Field(description="The first 16 hex digits of SHA-256 of the public key.")
    signature: str = Field(description="Ed25519 signature, 128 hex digits.")


class Head(BaseModel):
    seq: int
    hash: str


class AuditIndex(BaseModel):
    public_key: str = Field(description="The deployment's Ed25519 public key, 64 hex digits.")
    key_id: str
    algorithm: Literal["Ed25519"] = "Ed25519"
    head: Head = Field(description="The last sealed entry (seq 0 and 64 zeros when none).")
    entries: str = Field(description="The entries, paged.")
    entries_ndjson: str = Field(description="Every sealed entry, one JSON object a line.")
    checkpoints: str = Field(description="The signed checkpoints, paged.")
    check: str = Field(description="Checks a receipt.")
    documentation: str = Field(description="The format, and how to check it.")


class ReceiptAnswer(BaseModel):
    receipt: str | None = Field(description="The receipt, completed with position and hash.")
    entry: PublishedEntry
    checkpoint: PublishedCheckpoint | None = Field(
        description="The first signed checkpoint covering the entry; null until one is.")


CHECK_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "The receipt's entry is not in the log (`not_in_log`), or the "
                         "receipt is from another deployment (`other_deployment`)."},
    409: {"description": "The entry is not sealed yet (`not_sealed`), or the log holds it "
                         "differently than the receipt says (`mismatch`)."},
    422: {"description": "Not a receipt (`invalid`)."},
}
ENTRY_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "The log has no entry at this position yet (`not_in_log`)."},
    409: {"description": "The entry at this position has another hash (`mismatch`)."},
}


def _page(request: Request, response: Response, items: list[dict[str, Any]],
          limit: int) -> dict[str, Any]:
    """A page of the log: the next one begins after the last position shown, while this one
    is full."""
    following = {"after_seq": items[-1]["seq"], "limit": limit} if len(items) == limit else None
    return page(request, response, items, following=following)


@router.get("", response_model=AuditIndex)
def audit_index(request: Request, session: DbSession):
    """Where the published log is, its head and the public key that signs its checkpoints."""
    seq, head = service.head_hash(session)
    public = service.public_key_hex()
    base = str(request.base_url).rstrip("/")
    return {
        "public_key": public, "key_id": service.key_id(public), "algorithm": "Ed25519",
        "head": {"seq": seq, "hash": head},
        "entries": f"{base}/api/v1/audit/entries",
        "entries_ndjson": f"{base}/api/v1/audit/entries.ndjson",
        "checkpoints": f"{base}/api/v1/audit/checkpoints",
        "check": f"{base}/api/v1/audit/check", "documentation": f"{base}/audit/format"}


@router.get("/entries", response_model=Page[PublishedEntry])
def audit_entries(request: Request, response: Response, session: DbSession,
                  after_seq: int = Query(0, ge=0, le=MAX_SEQ),
                  limit: int = Query(100, ge=1, le=PAGE_LIMIT)):
    """Sealed entries after `after_seq`, in chain order."""
    items = [service.published_entry(e) for e in service.sealed_after(session, after_seq, limit)]
    return _page(request, response, items, limit)


@router.get("/checkpoints", response_model=Page[PublishedCheckpoint])
def audit_checkpoints(request: Request, response: Response, session: DbSession,
                      after_seq: int = Query(0, ge=0, le=MAX_SEQ),
                      limit: int = Query(100, ge=1, le=PAGE_LIMIT)):
    """Signed checkpoints whose head is after entry `after_seq`, in chain order."""
    items = [service.published_checkpoint(c)
             for c in service.checkpoints_after(session, after_seq, limit)]
    return _page(request, response, items, limit)


def _ndjson(until: int) -> Iterator[bytes]:
    """The sealed entries up to `until`, read page by page, each in a short transaction of its
    own (the request's transaction has ended when the body is sent). Sealed entries never
    change, so the pages add up to the log as it was when the request came."""
    after = 0
    while after < until:
        with transaction(write=False) as session:
            rows = [service.published_entry(e)
                    for e in service.sealed_after(session, after, min(PAGE_LIMIT, until - after))]
        if not rows:
            return
        yield "".join(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n"
                      for row in rows).encode()
        after = rows[-1]["seq"]


@router.get("/entries.ndjson", response_class=NdjsonResponse,
            responses={200: {"description": "One published entry (as in /entries) a line."}})
def audit_entries_ndjson(session: DbSession):
    """Every sealed entry, one JSON object a line; `X-Audit-Entries` and `X-Audit-Head` say how
    many lines and which last hash to expect (a shorter download was cut off)."""
    seq, head = service.head_hash(session)
    return NdjsonResponse(_ndjson(seq), headers={
        "X-Audit-Entries": str(seq), "X-Audit-Head": head, "Cache-Control": "no-cache",
        "Content-Disposition": 'attachment; filename="audit-log.ndjson"'})


def _answer(found: service.ReceiptCheck) -> dict[str, Any]:
    entry = found.entry
    return {
        "receipt": service.receipt_for(entry).code if entry.commitment else None,
        "entry": service.published_entry(entry),
        "checkpoint": service.published_checkpoint(found.checkpoint) if found.checkpoint
        else None}


@router.get("/check", response_model=ReceiptAnswer, responses=CHECK_ERRORS)
def audit_check(session: DbSession, receipt: str = Query(
        max_length=1000, json_schema_extra={"pattern": RECEIPT},
        description="A receipt, as the log gave it (whitespace is ignored and capitals read "
                    "as small letters, so a receipt wrapped by e-mail reads too).")):
    """Whether a receipt's entry is in the log, and under which signed checkpoint (the page
    /audit/check does the same)."""
    return _answer(service.check_receipt(session, service.parse_receipt(receipt)))


@router.get("/entries/{seq}", response_model=ReceiptAnswer, responses=ENTRY_ERRORS)
def audit_entry(session: DbSession, seq: int = Path(ge=1, le=MAX_SEQ),
                hash: str | None = Query(None, pattern=HEX64, description=(
                    "The hash the entry should have: 409 when the log holds another."))):
    """The sealed entry at position `seq`, and the first signed checkpoint covering it."""
    return _answer(service.check_receipt(session, service.position_receipt(seq, hash)))


api_router.include_router(router)
