"""The budget module's privacy hooks (app.privacy calls them for every module): what it holds
about a person, erasure of an account, and the end of the retention period."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from app import clock
from app.identity.models import User
from app.settings import get_settings
from budget import repository as repo


def personal_data(session: Session, user: User) -> dict[str, Any]:
    """Everything the budget module holds about a person (for the personal data download)."""
    def iso(value: datetime | None) -> str | None:
        value = clock.aware(value)
        return value.isoformat() if value else None

    ballots = []
    for ballot in repo.ballots_of_user(session, user.id):
        ballots.append({"cycle_id": ballot.cycle_id, "source": ballot.source,
                        "choices": repo.choices(session, ballot.id),
                        "created_at": iso(ballot.created_at),
                        "updated_at": iso(ballot.updated_at)})
    return {
        "projects": [{"id": p.id, "cycle_id": p.cycle_id, "title": p.title,
                      "description": p.description, "location": p.location, "cost": p.cost,
                      "status": p.status, "created_at": iso(p.created_at)}
                     for p in repo.projects_of_author(session, user.id)],
        "ballots": ballots,
        "supports": [{"project_id": s.project_id, "created_at": iso(s.created_at)}
                     for s in repo.supports_of_user(session, user.id)],
        "pictures_and_documents": [
            {"project_id": f.project_id, "kind": f.kind, "filename": f.filename,
             "caption": f.caption, "created_at": iso(f.created_at)}
            for f in repo.files_by_uploader(session, user.id)],
        "paper_ballots_recorded": repo.paper_ballots_recorded_by(session, user.id),
        "implementation_updates": [
            {"project_id": u.project_id, "status": u.status, "percent": u.percent,
             "text": u.text, "happened_on": u.happened_on.isoformat()}
            for u in repo.updates_by_author(session, user.id)],
    }


def erase_user(session: Session, user: User) -> None:
    """On account erasure: the person's ballots stay counted but no longer point to them
    (the account can never vote again, so the one-ballot rule still holds); the projects they
    proposed stay public, shown under the erased account's placeholder name. Their supports
    are removed but stay counted (a proposal keeps the supports it had)."""
    repo.detach_voter(session, user.id)
    repo.forget_supports(session, user.id)


def purge(session: Session, now: datetime) -> int:
    """Ballots of cycles whose results were published longer ago than the retention period
    become anonymous: voter accounts and paper identity hashes are removed (they exist only
    to keep one ballot per person while voting is open). Counts never change."""
    months = get_settings().signer_retention_months
    return repo.anonymise_ballots(session, now - timedelta(days=30 * months))
