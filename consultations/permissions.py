"""Who may do what with a consultation, in which phase: named permissions from small predicates.

Each permission takes the phase explicitly (computed once by the caller from the clock), so a
page and the service that acts on it agree on the moment they judge.
"""

from __future__ import annotations

from sqlmodel import Session

from app.communities import permissions as p
from app.identity.models import User
from consultations.models import Consultation, Organisation, Phase

PUBLIC_PHASES = (Phase.scheduled, Phase.open, Phase.closed, Phase.reported)


# -- predicates ---------------------------------------------------------------------------

def is_staff_of(session: Session, user: User | None, c: Consultation) -> bool:
    """An official of the consultation's own authority."""
    return p.is_official_of(session, user, c.authority_id)


def is_moderator(session: Session, user: User | None, community_id: int) -> bool:
    return p.is_moderator_in(session, user, community_id) or p.is_admin(user)


def is_resident(session: Session, user: User | None, community_id: int) -> bool:
    return p.is_verified_resident(session, user, community_id)


def owns_verified_organisation(user: User | None, org: Organisation | None,
                               community_id: int) -> bool:
    return (user is not None and org is not None and org.user_id == user.id and org.verified
            and org.community_id == community_id)


# -- permissions --------------------------------------------------------------------------

def can_create(session: Session, user: User | None, authority_id: int) -> bool:
    return p.is_official_of(session, user, authority_id)


def can_view(session: Session, user: User | None, c: Consultation, phase: Phase) -> bool:
    """Drafts are seen only by the authority's officials (and admins); the rest is public."""
    if phase in PUBLIC_PHASES:
        return True
    return is_staff_of(session, user, c) or p.is_admin(user)


def can_edit(session: Session, user: User | None, c: Consultation, phase: Phase) -> bool:
    return phase == Phase.draft and is_staff_of(session, user, c)


can_publish = can_edit


def can_respond_as_resident(session: Session, user: User | None, c: Consultation,
                            phase: Phase) -> bool:
    return phase == Phase.open and is_resident(session, user, c.community_id)


def can_respond_as_organisation(user: User | None, c: Consultation, phase: Phase,
                                org: Organisation | None) -> bool:
    return phase == Phase.open and owns_verified_organisation(user, org, c.community_id)


def may_take_part(session: Session, user: User | None, c: Consultation,
                  organisations: list[Organisation]) -> bool:
    """A verified resident, or the owner of a verified organisation of the community."""
    return is_resident(session, user, c.community_id) or any(
        owns_verified_organisation(user, org, c.community_id) for org in organisations)


def can_comment(session: Session, user: User | None, c: Consultation, phase: Phase,
                organisations: list[Organisation]) -> bool:
    """Participants comment while it is open; the authority's officials may reply."""
    if phase != Phase.open or user is None:
        return False
    return may_take_part(session, user, c, organisations) or is_staff_of(session, user, c)


def can_moderate(session: Session, user: User | None, c: Consultation, phase: Phase) -> bool:
    return phase in PUBLIC_PHASES and is_moderator(session, user, c.community_id)


def can_see_unpublished(session: Session, user: User | None, c: Consultation) -> bool:
    """Contributions their authors chose not to publish go to the authority (and moderators)."""
    return is_staff_of(session, user, c) or is_moderator(session, user, c.community_id)


def can_report(session: Session, user: User | None, c: Consultation, phase: Phase) -> bool:
    return phase == Phase.closed and is_staff_of(session, user, c)


def can_rate(phase: Phase, is_participant: bool, already_rated: bool) -> bool:
    return phase == Phase.reported and is_participant and not already_rated


def can_verify_organisation(session: Session, user: User | None, org: Organisation) -> bool:
    return p.is_official_in(session, user, org.community_id) or p.is_admin(user)
