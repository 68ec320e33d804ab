"""The kernel's privacy hooks: what the module holds about a person, erasure, retention."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from app.identity.models import User
from app.settings import get_settings
from petitions import repository as repo


def personal_data(session: Session, user: User) -> dict:
    """Everything this module holds about a person (for the personal data download)."""
    return {
        "petitions_authored": [
            {"id": p.id, "title": p.title, "status": p.status, "created_at": p.created_at}
            for p in repo.authored(session, user.id)],
        "signatures": [
            {"petition_id": p.id, "petition_title": p.title, "source": s.source,
             "public_name": s.public_name, "rating": s.rating, "signed_at": s.created_at}
            for s, p in repo.signatures_of_user(session, user.id)],
        "sponsorships": [{"petition_id": p.id, "petition_title": p.title,
                          "sponsored_at": s.created_at}
                         for s, p in repo.sponsorships_of_user(session, user.id)],
        "answers_given": [{"petition_id": a.petition_id, "decision": a.decision,
                           "answered_at": a.created_at}
                          for a in repo.answers_by(session, user.id)],
        "updates_posted": [{"petition_id": u.petition_id, "status": u.status,
                            "happened_on": u.happened_on}
                           for u in repo.updates_by(session, user.id)],
    }


def erase_user(session: Session, user: User) -> None:
    """On account erasure: the name leaves every signer list, unpublished drafts go; every
    signature, sponsorship and rating stays counted."""
    repo.unname_signer(session, user.id)
    repo.delete_drafts(session, user.id)
    session.flush()


def _months_before(moment: datetime, months: int) -> datetime:
    month_index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(month_index, 12)
    day = min(moment.day, [31, 29 if year % 4 == 0 and (year % 100 or year % 400 == 0)
                           else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month])
    return moment.replace(year=year, month=month + 1, day=day)


def purge(session: Session, now: datetime) -> int:
    """Forget signer identities settings.signer_retention_months after a petition ended."""
    cutoff = _months_before(now, get_settings().signer_retention_months)
    return repo.anonymise_signers(session, cutoff)
