"""The audit log's pages: what is checked and how (/audit), the published format
(/audit/format) and the check of a receipt (/audit/check)."""

from __future__ import annotations

import re

from fastapi import Query, Request
from fastapi.responses import Response

from app.audit import api as _api  # noqa: F401  joins /api/v1 (the published log)
from app.audit import service
from app.exceptions import DomainError, NotFound
from app.settings import ROOT
from app.web.deps import DbSession, make_router
from app.web.templating import render

router = make_router()
HASH_RE = re.compile(r"^[0-9a-fA-F]{64}$")
VERIFIER = ROOT / "tools" / "verify_audit.py"


def _key_context() -> dict:
    public = service.public_key_hex()
    return {"public_key": public, "key_id": service.key_id(public)}


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
            stored = service.entry_hash(session, seq) if seq <= service.MAX_SEQ else None
            check = "missing" if stored is None else "match" if stored == wanted else "mismatch"
    waiting, oldest = service.unsealed(session)
    return render(request, "audit/index.html", {
        "seq": head_seq, "head": head, "check": check, "check_seq": seq, "check_hash": hash,
        "unsealed": waiting, "oldest_unsealed_s": oldest,
        "checkpoint": service.last_checkpoint(session), **_key_context()})


@router.get("/audit/format")
def audit_format(request: Request):
    """The published format: every field, how to recompute each hash and check each
    signature."""
    return render(request, "audit/format.html", {
        "genesis": service.GENESIS, "withheld": service.WITHHELD,
        "entry_tag": service.ENTRY_TAG, **_key_context()})


@router.get("/audit/check")
def audit_check(request: Request, session: DbSession,
                receipt: str = Query("", max_length=1000), seq: str = Query("", max_length=20),
                hash: str = Query("", max_length=200)):
    """A receipt pasted into the form: in the log or not, and under which checkpoint."""
    context = {"receipt": receipt, "seq": seq, "hash": hash, "found": None, "error": None,
               "errors": {}, **_key_context()}
    if not (receipt.strip() or seq.strip() or hash.strip()):
        return render(request, "audit/check.html", context)
    try:
        found = service.check_receipt(session, service.parse_receipt(receipt, seq, hash))
    except DomainError as exc:
        context.update(error=exc.text(), errors=exc.field_texts(), code=exc.code)
        return render(request, "audit/check.html", context, status_code=exc.status_code)
    context["found"] = found
    context["completed"] = (service.receipt_for(found.entry).code if found.entry.commitment
                            else None)
    return render(request, "audit/check.html", context)


@router.get("/audit/verify_audit.py")
def verifier_script():
    """The standalone checker, for an NGO to read and run (the same file as the project's
    tools/verify_audit.py)."""
    if not VERIFIER.is_file():
        raise NotFound()
    return Response(VERIFIER.read_bytes(), media_type="text/x-python; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="verify_audit.py"'})
