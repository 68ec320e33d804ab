"""What every step of the petition loop shares: loading a petition, the rules it opened
under, its address, and the normalising of the texts people type."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session

from app import clock
from app.exceptions import NotFound
from app.identity.models import User
from app.rules import service as rules_service
from app.rules.calendar import LOCAL_TZ
from app.settings import get_settings
from app.web.i18n import N_
from petitions import permissions as perm
from petitions import repository as repo
from petitions.models import Petition
from petitions.rules import PetitionRules


def path_of(petition_id: int) -> str:
    return f"/petitions/{petition_id}"


def link_of(petition_id: int) -> str:
    return get_settings().base_url.rstrip("/") + path_of(petition_id)


def utc(moment: datetime) -> datetime:
    """Deadlines come back in local time; we store UTC (SQLite keeps no offset)."""
    return moment.astimezone(UTC)


def last_day(moment: datetime | None) -> date | None:
    """The local day a deadline instant closes (deadlines end at local midnight)."""
    if moment is None:
        return None
    return (clock.aware(moment).astimezone(LOCAL_TZ) - timedelta(microseconds=1)).date()


def rules_of(session: Session, petition: Petition) -> PetitionRules:
    """The rules the petition opened under (the frozen version, never the current one)."""
    return rules_service.version(session, petition.ruleset_id).rules.petitions


def get_visible(session: Session, user: User | None, petition_id: int) -> Petition:
    """The petition if this person may see it; NotFound otherwise, as if it did not exist."""
    petition = load(session, petition_id)
    perm.check_view(session, user, petition, clock.now())
    return petition


def load(session: Session, petition_id: int) -> Petition:
    """The petition, or NotFound. Who may see it is the caller's check."""
    if (petition := repo.get(session, petition_id)) is None:
        raise NotFound(N_("No such petition."))
    return petition


def clean_title(value: str) -> str:
    """One line, single spaces (also for names and addresses)."""
    return " ".join((value or "").split())


def clean_text(value: str) -> str:
    """Newlines unified, trailing spaces and surrounding blank lines dropped."""
    lines = (value or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip()
