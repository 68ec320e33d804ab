"""Small readers for assertions: what the database holds after an action."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, select

from app.accountability.models import Obligation
from app.audit.models import AuditEntry
from app.notifications.models import Follow, Message
from petitions.models import Petition, PetitionSignature, PetitionSponsor


def count(db: Session, model, *conds) -> int:
    return db.exec(select(func.count()).select_from(model).where(*conds)).one()


def signatures(db: Session, petition_id: int) -> int:
    return count(db, PetitionSignature, PetitionSignature.petition_id == petition_id)


def sponsors(db: Session, petition_id: int) -> int:
    return count(db, PetitionSponsor, PetitionSponsor.petition_id == petition_id)


def stored(db: Session, petition_id: int) -> Petition:
    """The row as the database has it now (not the session's copy)."""
    db.flush()
    row = db.exec(select(Petition).where(Petition.id == petition_id)
                  .execution_options(populate_existing=True)).one()
    return row


def audit_actions(db: Session, petition_id: int) -> list[str]:
    return list(db.exec(select(AuditEntry.action).where(
        AuditEntry.subject_type == "petition", AuditEntry.subject_id == petition_id)
        .order_by(AuditEntry.id)))


def audit_data(db: Session, petition_id: int, action: str) -> list[str]:
    return list(db.exec(select(AuditEntry.data).where(
        AuditEntry.subject_type == "petition", AuditEntry.subject_id == petition_id,
        AuditEntry.action == action).order_by(AuditEntry.id)))


def obligation(db: Session, petition_id: int) -> Obligation | None:
    return db.exec(select(Obligation).where(
        Obligation.kind == "petition_answer", Obligation.subject_type == "petition",
        Obligation.subject_id == petition_id).execution_options(populate_existing=True)
    ).first()


def mails(db: Session, user) -> list[Message]:
    return list(db.exec(select(Message).where(Message.user_id == user.id)
                        .order_by(Message.id)))


def follows(db: Session, user, petition_id: int) -> bool:
    return count(db, Follow, Follow.user_id == user.id, Follow.subject_type == "petition",
                 Follow.subject_id == petition_id) == 1
