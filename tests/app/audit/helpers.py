"""Shared by the audit tests: the standalone checker as its users run it, and a sealed log."""

from __future__ import annotations

import importlib.util
import sys
from functools import cache
from types import ModuleType

from sqlmodel import Session, select

from app.audit import service as audit
from app.audit.models import AuditCheckpoint, AuditEntry
from app.settings import ROOT

VERIFIER = ROOT / "tools" / "verify_audit.py"


@cache
def verifier() -> ModuleType:
    """tools/verify_audit.py, loaded from its file (it is no package of the app)."""
    spec = importlib.util.spec_from_file_location("verify_audit_under_test", VERIFIER)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def sealed(db: Session, actors: list[int | None], **data) -> list[AuditEntry]:
    """Append one entry per actor (a user id, or None for the system), seal them, and return
    them as sealed, in chain order."""
    for i, actor in enumerate(actors):
        audit.append(db, "test.acted", "thing", i + 1, actor, n=i, note="ä ✓ \"q\"\n", **data)
    assert audit.seal(db) >= len(actors)  # with whatever else was waiting
    rows = db.exec(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(len(actors)))
    return list(rows)[::-1]


def published_log(db: Session):
    """The log as the standalone checker reads it, built from the service's published forms."""
    entries = [audit.published_entry(e)
               for e in db.exec(select(AuditEntry).where(AuditEntry.seq.is_not(None))
                                .order_by(AuditEntry.seq))]
    checkpoints = [audit.published_checkpoint(c)
                   for c in db.exec(select(AuditCheckpoint).order_by(AuditCheckpoint.seq))]
    public = audit.public_key_hex()
    head = (entries[-1]["seq"], entries[-1]["hash"]) if entries else (0, audit.GENESIS)
    return verifier().Log(public, audit.key_id(public), head, entries, checkpoints)


def check(log) -> object:
    """Run the standalone checker's chain and checkpoint checks; its facts."""
    facts = verifier().check_chain(log.entries)
    verifier().check_checkpoints(log, facts)
    return facts
