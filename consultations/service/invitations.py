"""Invitations: when a consultation is published, the verified organisations of its community
whose fields of interest it concerns (and those it names) are invited by e-mail. The rules may
give them a priority window before the public opens; who was invited, who answered and who did
not is public. Flushes, never commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from app import clock
from app.audit import service as audit
from app.identity.models import User
from app.notifications import service as notifications
from app.rules import calendar
from app.settings import get_settings
from app.web.i18n import _
from consultations import repository as repo
from consultations.models import (
    SUBJECT_TYPE,
    Consultation,
    ConsultationInvitation,
    ConsultationOrganisation,
    ConsultationResponse,
)
from consultations.service import reading


def _tell(session: Session, c: Consultation, org: ConsultationOrganisation) -> None:
    contact = session.get(User, org.user_id)
    if contact is None:
        return
    link = f"{get_settings().base_url}{reading.path_of(c)}"
    title, name = c.title, org.name
    opens = calendar.local_date(clock.aware(c.starts_at)).strftime("%d.%m.%Y")
    public = calendar.local_date(clock.aware(c.public_at)).strftime("%d.%m.%Y")

    def render() -> tuple[str, str]:
        body = _("{name} is invited to the consultation \u201c{title}\u201d. Invited "
                 "stakeholders can answer from {opens}; the public from {public}.\n\n{link}")
        return (_("Invitation to a consultation: {title}").format(title=title),
                body.format(name=name, title=title, opens=opens, public=public, link=link))

    notifications.send_to(session, contact, f"consultation-invite:{c.id}:{org.id}", render)


def invite(session: Session, c: Consultation) -> int:
    """Invite the matching and named organisations (once each); returns how many."""
    topics = set(c.topics or [])
    chosen = {o.id: o for o in repo.register(session, c.community_id)
              if topics & set(o.topics or []) or o.id in set(c.invited_ids or [])}
    invited = 0
    for org in chosen.values():
        if repo.invitation(session, c.id, org.id) is not None:
            continue
        session.add(ConsultationInvitation(consultation_id=c.id, organisation_id=org.id))
        invited += 1
        _tell(session, c, org)
    session.flush()
    if invited:
        repo.bump(session, Consultation, c.id, invitation_count=invited)
        audit.append(session, "consultation.invited", SUBJECT_TYPE, c.id, None,
                     organisations=sorted(chosen))
    return invited


def mark_answered(session: Session, c: Consultation, response: ConsultationResponse) -> None:
    """An invited organisation's answer: its own place in the report, and 'answered' on the
    list of invitations."""
    if response.organisation_id is None:
        return
    invitation = repo.invitation(session, c.id, response.organisation_id)
    if invitation is None:
        return
    response.invited = True
    invitation.answered_at = invitation.answered_at or clock.now()
    session.add_all([response, invitation])
    session.flush()


@dataclass(frozen=True)
class InvitationView:
    organisation: ConsultationOrganisation
    invited_at: datetime
    answered: bool


def invitations(session: Session, c: Consultation) -> list[InvitationView]:
    return [InvitationView(o, i.invited_at, i.answered_at is not None)
            for i, o in repo.invitations(session, c.id)]
