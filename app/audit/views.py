"""The audit log's pages: what is checked and how (/audit), the published format
(/audit/format), the check of a receipt (/audit/check) and a person's own receipts
(/audit/receipts), each of which they may have sent to them by e-mail."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from app import clock
from app.audit import api as _api  # noqa: F401  joins /api/v1 (the published log)
from app.audit import service
from app.exceptions import DomainError, NotFound
from app.identity.models import User
from app.modules import ReceiptAct, registered
from app.notifications import service as notifications
from app.settings import ROOT, get_settings
from app.web.auth import CurrentUser
from app.web.deps import DbSession, make_router
from app.web.i18n import N_, gettext
from app.web.ratelimit import limit
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


# -- a person's own receipts ------------------------------------------------------------------

RECEIPTS_PAGE = 50


def receipt_acts() -> dict[str, ReceiptAct]:
    """Every registered act that gives a receipt, by its audit action."""
    return {action: act for module in registered() for action, act in module.receipts.items()}


@router.get("/audit/receipts")
def my_receipts(request: Request, session: DbSession, user: CurrentUser,
                before: int | None = Query(None, ge=1, le=2**63 - 1),
                sent: bool = False):
    """The receipts of one's signatures, ballots and answers, newest first, each with its
    position in the chain once sealed."""
    acts = receipt_acts()
    entries = service.entries_of(session, user.id, acts, before_id=before,
                                 limit=RECEIPTS_PAGE + 1)
    more = len(entries) > RECEIPTS_PAGE
    entries = entries[:RECEIPTS_PAGE]
    rows = [{"entry": e, "act": acts[e.action], "path": acts[e.action].path.format(id=e.subject_id),
             "receipt": service.receipt_for(e)} for e in entries]
    return render(request, "audit/receipts.html", {
        "rows": rows, "next": f"/audit/receipts?before={entries[-1].id}" if more else None,
        "sent": sent, **_key_context()})


def _receipt_mail(user: User, receipt: service.Receipt, act: ReceiptAct, path: str):
    base = get_settings().base_url.rstrip("/")

    def render_mail() -> tuple[str, str]:
        return (gettext("Your receipt from Hromada"),
                gettext("Hello, {name}!\n\nHere is your receipt of this act: {act}\n{page}"
                        "\n\n{code}\n\nKeep it. Paste it into {check} at any time to see "
                        "that your act is in the public log, and under which signed checkpoint. "
                        "The receipt does not name you: only you know it is yours.")
                .format(name=user.display_name, act=gettext(act.label), page=base + path,
                        code=receipt.code, check=f"{base}/audit/check"))

    return render_mail


@router.post("/audit/receipts/email")
def email_receipt(request: Request, session: DbSession, user: CurrentUser,
                  commitment: Annotated[str, Form(max_length=200)] = ""):
    """Send one of one's receipts to one's e-mail address (at most once an hour each)."""
    entry = service.own_entry(session, user.id, commitment.strip().lower())
    acts = receipt_acts()
    if entry is None or entry.action not in acts:
        raise NotFound(N_("You have no receipt like this."))
    limit(request, "mail")
    act, receipt = acts[entry.action], service.receipt_for(entry)
    hour = clock.now().strftime("%Y%m%d%H")
    notifications.send_to(session, user, f"receipt:{entry.commitment}:{hour}",
                          _receipt_mail(user, receipt, act, act.path.format(id=entry.subject_id)))
    return RedirectResponse("/audit/receipts?sent=true", status_code=303)
