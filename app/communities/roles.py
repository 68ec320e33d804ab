"""Granting and revoking roles: who may grant which, always with a reason, audited.

The roles, from the top: the platform operator (the deployment's administrator, a global
role), a region's administrator, a community's administrator, an official of an authority, a
moderator of a community, and the NGO observer (a global role that grants read-only
monitoring, no personal data). Nobody grants a role above their own or outside their scope
(see permissions.check_grant). A grant or revocation takes effect at the person's next
request, session or token alike: roles are read from the database on every request, never
kept in a session or token. Every grant and revocation is in the audit log with its reason;
who holds the public roles of a community is on its public roles page.
"""

from __future__ import annotations

from sqlmodel import Session

from app import clock
from app.audit import service as audit
from app.communities import permissions
from app.communities import repository as repo
from app.communities.models import Authority, Community, Region, RegionAdmin, Staff, StaffRole
from app.exceptions import Conflict, Forbidden, InvalidInput, NotFound
from app.identity import repository as identity_repo
from app.identity import service as identity
from app.identity.models import GlobalRole, User
from app.web.i18n import N_

REASON_MIN, REASON_MAX = 5, 500


def _reason(reason: str | None) -> str:
    reason = " ".join((reason or "").split())
    if not REASON_MIN <= len(reason) <= REASON_MAX:
        raise InvalidInput(N_("Give the reason (5 to 500 characters): it goes into the "
                              "audit log."),
                           fields={"reason": N_("Give the reason (5 to 500 characters).")})
    return reason


def person_by_email(session: Session, email: str) -> User:
    """The registered person with this e-mail address, or a clear 422 naming the field."""
    email = (email or "").strip()
    user = None
    if email and "\x00" not in email and len(email) <= 254:
        user = identity_repo.user_by_canonical_email(session, identity.canonical_email(email))
    if user is None or user.erased_at is not None:
        raise InvalidInput(N_("Nobody is registered with this e-mail address: ask the person "
                              "to register first."),
                           fields={"email": N_("No account has this e-mail address.")})
    return user


def _forget_roles(session: Session) -> None:
    permissions.forget_memberships(session)


# -- community roles ------------------------------------------------------------------------

def grant(session: Session, actor: User, community: Community, *, email: str, role: str,
          reason: str, authority_id: int | None = None) -> Staff:
    """Give a registered person a role in the community (an official: of one of its
    authorities)."""
    if role not in StaffRole.__members__:
        raise InvalidInput(fields={"role": N_("Choose one of the offered options.")})
    permissions.check_grant(session, actor, community, role)
    reason = _reason(reason)
    person = person_by_email(session, email)
    authority: Authority | None = None
    if role == StaffRole.official:
        if authority_id is None:
            raise InvalidInput(N_("An official belongs to an authority: choose one."),
                               fields={"authority_id": N_("Choose the authority.")})
        authority = repo.authority(session, authority_id)
        if authority is None or authority.community_id != community.id:
            raise InvalidInput(N_("Choose an authority of this community."),
                               fields={"authority_id": N_("Choose an authority of this "
                                                          "community.")})
    elif authority_id is not None:
        raise InvalidInput(N_("Only an official belongs to an authority."),
                           fields={"authority_id": N_("Leave the authority empty for this "
                                                      "role.")})
    if repo.staff_row(session, person.id, community.id, role,
                      authority.id if authority else None) is not None:
        raise Conflict(N_("This person already holds this role."))
    staff = Staff(user_id=person.id, community_id=community.id, role=role,
                  authority_id=authority.id if authority else None, granted_at=clock.now())
    session.add(staff)
    session.flush()
    _forget_roles(session)
    audit.append(session, "role.granted", "community", community.id, actor.id,
                 staff=staff.id, role=role, authority=staff.authority_id, reason=reason)
    return staff


def revoke(session: Session, actor: User, community: Community, staff_id: int,
           reason: str) -> Staff:
    """Take a role away; the community's last administrator stays until another is
    appointed."""
    staff = repo.staff_by_id(session, staff_id)
    if staff is None or staff.community_id != community.id:
        raise NotFound(N_("No such role holder in this community."))
    permissions.check_grant(session, actor, community, staff.role)
    reason = _reason(reason)
    if (staff.role == StaffRole.administrator
            and repo.administrator_count(session, community.id) <= 1):
        raise Conflict(N_("This is the community's last administrator: appoint another "
                          "before removing this one."))
    session.delete(staff)
    session.flush()
    _forget_roles(session)
    audit.append(session, "role.revoked", "community", community.id, actor.id,
                 staff=staff.id, role=staff.role, authority=staff.authority_id, reason=reason)
    return staff


def staff_id_of(session: Session, community: Community, staff_id: int) -> Staff:
    staff = repo.staff_by_id(session, staff_id)
    if staff is None or staff.community_id != community.id:
        raise NotFound(N_("No such role holder in this community."))
    return staff


# -- region administrators and observers (the operator's) -----------------------------------

def grant_region_admin(session: Session, actor: User, region: Region, *, email: str,
                       reason: str) -> RegionAdmin:
    permissions.check_manage_regions(session, actor)
    reason = _reason(reason)
    person = person_by_email(session, email)
    if repo.region_admin(session, person.id, region.id) is not None:
        raise Conflict(N_("This person already holds this role."))
    row = RegionAdmin(user_id=person.id, region_id=region.id)
    session.add(row)
    session.flush()
    _forget_roles(session)
    audit.append(session, "role.granted", "region", region.id, actor.id,
                 region_admin=row.id, role="region_administrator", reason=reason)
    return row


def revoke_region_admin(session: Session, actor: User, region: Region, admin_id: int,
                        reason: str) -> None:
    permissions.check_manage_regions(session, actor)
    row = repo.region_admin_by_id(session, admin_id)
    if row is None or row.region_id != region.id:
        raise NotFound(N_("No such role holder in this region."))
    reason = _reason(reason)
    session.delete(row)
    session.flush()
    _forget_roles(session)
    audit.append(session, "role.revoked", "region", region.id, actor.id,
                 region_admin=admin_id, role="region_administrator", reason=reason)


def set_observer(session: Session, actor: User, *, email: str, observer: bool,
                 reason: str) -> User:
    """Make a person an NGO observer or a resident again (the operator's)."""
    permissions.check_manage_regions(session, actor)
    reason = _reason(reason)
    person = person_by_email(session, email)
    if person.role == GlobalRole.admin:
        raise Forbidden(N_("The operator's role is changed by the deployment, not here."))
    wanted = GlobalRole.observer if observer else GlobalRole.resident
    if person.role == wanted:
        raise Conflict(N_("This person already holds this role."))
    person.role = wanted
    session.add(person)
    session.flush()
    audit.append(session, "role.granted" if observer else "role.revoked", "user", None,
                 actor.id, role="observer", reason=reason)
    return person
