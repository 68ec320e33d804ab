"""The published head of the audit chain, for observers to record and check later."""

from __future__ import annotations

import re

from fastapi import Query, Request

from app.audit import service
from app.web.deps import DbSession, make_router
from app.web.templating import render

router = make_router()
HASH_RE = re.compile(r"^[0-9a-fA-F]{64}$")


@router.get("/audit")
def audit_head(request: Request, session: DbSession,
               seq: int | None = Query(None, ge=1, le=10**12),
               hash: str = Query("", max_length=200)):
    """The head to record, and a check of a head recorded earlier: is it still in the chain?"""
    head_seq, head = service.head_hash(session)
    check = None
    if seq is not None or hash:
        wanted = hash.strip().lower()
        if seq is None or not HASH_RE.match(wanted):
            check = "invalid"
        else:
            stored = service.entry_hash(session, seq)
            check = "missing" if stored is None else "match" if stored == wanted else "mismatch"
    waiting, oldest = service.unsealed(session)
    return render(request, "audit.html", {
        "seq": head_seq, "head": head, "check": check, "check_seq": seq, "check_hash": hash,
        "unsealed": waiting, "oldest_unsealed_s": oldest,
        "checkpoint": service.last_checkpoint(session), "public_key": service.public_key_hex()})
